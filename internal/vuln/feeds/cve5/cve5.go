// Package cve5 reads CVE JSON 5.x records (CVE Services / cvelistV5), the
// CNA container and the ADP containers — notably CISA's "vulnrichment" ADP,
// whose `affected` entries carry CPEs for records NVD has not analysed.
//
// `affected` entries with CPEs become NVD-style configurations (one OR node
// per entry); entries naming a package in a known registry (collectionURL
// pkg.go.dev, pypi.org, crates.io, npm, Maven Central) become OSV affected
// packages with SEMVER/ECOSYSTEM ranges.
package cve5

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/rampart-security/rampart/internal/vuln"
	"github.com/rampart-security/rampart/internal/vuln/feeds/nvd"
)

type record struct {
	DataType    string `json:"dataType"`
	DataVersion string `json:"dataVersion"`
	Meta        struct {
		CVEID         string `json:"cveId"`
		State         string `json:"state"`
		DatePublished string `json:"datePublished"`
		DateUpdated   string `json:"dateUpdated"`
		DateRejected  string `json:"dateRejected"`
	} `json:"cveMetadata"`
	Containers struct {
		CNA container   `json:"cna"`
		ADP []container `json:"adp"`
	} `json:"containers"`
}

type container struct {
	Provider struct {
		ShortName string `json:"shortName"`
	} `json:"providerMetadata"`
	Title        string       `json:"title"`
	Descriptions []langString `json:"descriptions"`
	Affected     []affected   `json:"affected"`
	Metrics      []metric     `json:"metrics"`
	ProblemTypes []struct {
		Descriptions []struct {
			CWEID       string `json:"cweId"`
			Description string `json:"description"`
		} `json:"descriptions"`
	} `json:"problemTypes"`
	RejectedReasons []langString `json:"rejectedReasons"`
	Tags            []string     `json:"tags"` // CNA: "disputed", "unsupported-when-assigned", …
	// CPEApplicability (CVE JSON 5.1.1) holds NVD-style configurations.
	CPEApplicability []nvd.Config `json:"cpeApplicability"`
	References       []struct {
		URL  string   `json:"url"`
		Tags []string `json:"tags"`
	} `json:"references"`
}

type langString struct {
	Lang  string `json:"lang"`
	Value string `json:"value"`
}

type affected struct {
	Vendor        string    `json:"vendor"`
	Product       string    `json:"product"`
	CollectionURL string    `json:"collectionURL"`
	PackageName   string    `json:"packageName"`
	CPEs          []string  `json:"cpes"`
	Versions      []version `json:"versions"`
	DefaultStatus string    `json:"defaultStatus"`
}

type version struct {
	Version         string   `json:"version"`
	Status          string   `json:"status"`
	LessThan        string   `json:"lessThan"`
	LessThanOrEqual string   `json:"lessThanOrEqual"`
	VersionType     string   `json:"versionType"`
	Changes         []change `json:"changes"`
}

// change is a status change inside a version range: from At on (up to
// the next change or the range's end) the status is Status.
type change struct {
	At     string `json:"at"`
	Status string `json:"status"`
}

type vector struct {
	VectorString string `json:"vectorString"`
}

type metric struct {
	V40   *vector `json:"cvssV4_0"`
	V31   *vector `json:"cvssV3_1"`
	V30   *vector `json:"cvssV3_0"`
	V20   *vector `json:"cvssV2_0"`
	Other *struct {
		Type    string          `json:"type"`
		Content json.RawMessage `json:"content"`
	} `json:"other"`
}

// ssvcContent is the content of an "other" metric of type "ssvc", as
// CISA's vulnrichment ADP writes it: options are one-key objects
// ({"Exploitation": "active"}, {"Automatable": "no"}, …).
type ssvcContent struct {
	Timestamp string              `json:"timestamp"`
	Options   []map[string]string `json:"options"`
}

// kevContent is the content of an "other" metric of type "kev" (CISA ADP).
type kevContent struct {
	DateAdded string `json:"dateAdded"`
	Reference string `json:"reference"`
}

// registries maps package collections, as collectionURL names them (the
// CVE JSON 5 schema's examples and the hosts CNAs use; see collection),
// to OSV ecosystems.
var registries = map[string]string{
	"pkg.go.dev":                   "Go",
	"golang.org/pkg":               "Go",
	"pypi.org":                     "PyPI",
	"pypi.python.org":              "PyPI",
	"crates.io":                    "crates.io",
	"npmjs.com":                    "npm",
	"registry.npmjs.org":           "npm",
	"repo.maven.apache.org/maven2": "Maven",
	"repo1.maven.org/maven2":       "Maven",
	"search.maven.org":             "Maven",
	"central.sonatype.com":         "Maven",
	"rubygems.org":                 "RubyGems",
	"packagist.org":                "Packagist",
	"nuget.org":                    "NuGet",
	"nuget.org/packages":           "NuGet",
	"repo.hex.pm":                  "Hex",
	"hex.pm":                       "Hex",
	"pub.dev":                      "Pub",
	"cran.r-project.org":           "CRAN",
	"hackage.haskell.org":          "Hackage",
}

// collection is a collectionURL as the registries table keys it: no
// scheme, no "www.", no trailing slash, lower case.
func collection(u string) string {
	u = strings.ToLower(strings.TrimSpace(u))
	u = strings.TrimPrefix(strings.TrimPrefix(u, "https://"), "http://")
	return strings.TrimSuffix(strings.TrimPrefix(u, "www."), "/")
}

// Parse reads one CVE JSON 5.x record.
func Parse(r io.Reader, name string) (*vuln.Advisory, error) {
	var rec record
	dec := json.NewDecoder(r)
	if err := dec.Decode(&rec); err != nil {
		return nil, vuln.JSONError(name, "", err)
	}
	if rec.DataType != "CVE_RECORD" {
		return nil, vuln.Errorf(name, "dataType", "%q is not CVE_RECORD", rec.DataType)
	}
	if !strings.HasPrefix(rec.DataVersion, "5.") {
		return nil, vuln.Errorf(name, "dataVersion", "unsupported CVE JSON version %q", rec.DataVersion)
	}
	if !strings.HasPrefix(rec.Meta.CVEID, "CVE-") {
		return nil, vuln.Errorf(name, "cveMetadata.cveId", "%q is not a CVE id", rec.Meta.CVEID)
	}
	a := &vuln.Advisory{ID: rec.Meta.CVEID, Sources: []vuln.Source{vuln.SourceCVE5}}
	var err error
	if a.Published, err = nvd.ParseTime(rec.Meta.DatePublished); err != nil {
		return nil, &vuln.ParseError{File: name, Field: "cveMetadata.datePublished", Err: err}
	}
	if a.Modified, err = nvd.ParseTime(rec.Meta.DateUpdated); err != nil {
		return nil, &vuln.ParseError{File: name, Field: "cveMetadata.dateUpdated", Err: err}
	}
	if rec.Meta.State == "REJECTED" {
		a.Withdrawn, _ = nvd.ParseTime(rec.Meta.DateRejected)
		if a.Withdrawn.IsZero() {
			a.Withdrawn = a.Modified
		}
	}
	containers := append([]container{rec.Containers.CNA}, rec.Containers.ADP...)
	for ci, c := range containers {
		field := "containers.cna"
		who := "cna"
		if ci > 0 {
			field = fmt.Sprintf("containers.adp[%d]", ci-1)
			who = strings.ToLower(c.Provider.ShortName)
		}
		// The title is the CNA's: ADP containers title themselves (CISA's
		// is "CVE Program Container"), which says nothing about the flaw.
		if ci == 0 {
			a.Summary = strings.TrimSpace(c.Title)
		}
		// A rejected record's CNA container has rejectedReasons instead of
		// descriptions: they say why it is withdrawn.
		for _, d := range slices.Concat(c.Descriptions, c.RejectedReasons) {
			if a.Details == "" && (d.Lang == "en" || strings.HasPrefix(d.Lang, "en-")) {
				a.Details = d.Value
			}
		}
		for i, m := range c.Metrics {
			if err := otherMetric(a, c.Provider.ShortName, m, name, fmt.Sprintf("%s.metrics[%d].other", field, i)); err != nil {
				return nil, err
			}
			for _, v := range []*vector{m.V40, m.V31, m.V30, m.V20} {
				if v == nil || v.VectorString == "" {
					continue
				}
				cv, err := vuln.ParseCVSS(v.VectorString, who)
				if err != nil {
					return nil, &vuln.ParseError{File: name, Field: fmt.Sprintf("%s.metrics[%d]", field, i), Err: err}
				}
				a.Severity = append(a.Severity, cv)
			}
		}
		var cwes []string
		for _, p := range c.ProblemTypes {
			for _, d := range p.Descriptions {
				cwes = append(cwes, cweOf(d.CWEID, d.Description))
			}
		}
		a.CWEs = vuln.AppendDistinct(a.CWEs, cwes...)
		for _, r := range c.References {
			t := ""
			if len(r.Tags) > 0 {
				t = r.Tags[0]
			}
			addReference(a, vuln.Reference{Type: t, URL: r.URL})
		}
		if ci == 0 {
			a.Tags = nvd.AddTags(a.Tags, c.Tags)
		}
		cfgs, err := nvd.Configurations(c.CPEApplicability, vuln.SourceCVE5, name, field+".cpeApplicability")
		if err != nil {
			return nil, err
		}
		a.Configurations = append(a.Configurations, cfgs...)
		for i, af := range c.Affected {
			af := af
			if err := addAffected(a, &af, name, fmt.Sprintf("%s.affected[%d]", field, i)); err != nil {
				return nil, err
			}
		}
	}
	if a.Summary == "" {
		a.Summary = firstSentence(a.Details, 160)
	}
	return a, nil
}

// cweDescription is a CWE id opening a problem type's description
// ("CWE-416: Use After Free", "CWE-126 Buffer Over-read").
var cweDescription = regexp.MustCompile(`^CWE-[0-9]+\b`)

// cweOf is a problem type's CWE id: cweId, else the id its description
// opens with (many CNAs write only the description).
func cweOf(id, description string) string {
	if id = strings.TrimSpace(id); id != "" {
		return id
	}
	return cweDescription.FindString(strings.TrimSpace(description))
}

// otherMetric reads the "other" metrics that say a vulnerability is
// exploited: an SSVC decision "Exploitation: active" becomes an
// exploitation report by the container's provider, a "kev" entry (CISA
// ADP) the KEV listing with its date. Other types are skipped.
func otherMetric(a *vuln.Advisory, provider string, m metric, name, field string) error {
	if m.Other == nil || len(m.Other.Content) == 0 {
		return nil
	}
	if provider == "" {
		provider = "CNA"
	}
	switch strings.ToLower(m.Other.Type) {
	case "ssvc":
		var sc ssvcContent
		if json.Unmarshal(m.Other.Content, &sc) != nil {
			return nil // the schema leaves content free-form: not an SSVC decision we know
		}
		for _, o := range sc.Options {
			for k, v := range o {
				if !strings.EqualFold(k, "Exploitation") || !strings.EqualFold(v, "active") {
					continue
				}
				x := vuln.Exploitation{Source: vuln.SourceCVE5, Reference: a.ID + " " + provider,
					Detail: "SSVC Exploitation: active (" + provider + ")", Publisher: provider}
				x.Since, _ = nvd.ParseTime(sc.Timestamp)
				if n := len(a.Exploited); n == 0 || a.Exploited[n-1].Reference != x.Reference { // one per container
					a.Exploited = append(a.Exploited, x)
				}
			}
		}
	case "kev":
		var kc kevContent
		if json.Unmarshal(m.Other.Content, &kc) != nil {
			return nil
		}
		added, err := nvd.ParseTime(kc.DateAdded)
		if err != nil {
			return &vuln.ParseError{File: name, Field: field + ".content.dateAdded", Err: err}
		}
		if a.KEV == nil {
			a.KEV = &vuln.KEV{}
		}
		if a.KEV.DateAdded.IsZero() {
			a.KEV.DateAdded = added
		}
		addReference(a, vuln.Reference{Type: "kev", URL: kc.Reference})
	}
	return nil
}

// addReference adds r unless its URL is already listed (the CNA and ADP
// containers often repeat the same links); a later tag fills an empty one.
func addReference(a *vuln.Advisory, r vuln.Reference) {
	if r.URL == "" {
		return
	}
	for i := range a.References {
		if a.References[i].URL == r.URL {
			if a.References[i].Type == "" {
				a.References[i].Type = r.Type
			}
			return
		}
	}
	a.References = append(a.References, r)
}

// firstSentence is the description's first sentence, at most n bytes,
// cut at a word boundary: a title for records whose CNA gave none.
func firstSentence(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if i := strings.Index(s, ". "); i > 0 {
		s = s[:i]
	}
	s = strings.TrimSuffix(s, ".")
	if len(s) <= n {
		return s
	}
	cut := strings.LastIndexByte(s[:n], ' ')
	if cut < n/2 {
		cut = n
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
	}
	return s[:cut] + "…"
}

func addAffected(a *vuln.Advisory, af *affected, name, field string) error {
	if eco, ok := registries[collection(af.CollectionURL)]; ok && af.PackageName != "" {
		out := vuln.Affected{Ecosystem: eco, Name: af.PackageName, Source: vuln.SourceCVE5}
		for _, v := range af.Versions {
			if skipVersion(v) {
				continue
			}
			typ := vuln.RangeEcosystem
			if v.VersionType == "semver" {
				typ = vuln.RangeSemver
			}
			segs, exact := segments(v)
			if exact {
				if v.Status == "affected" && unbounded(v.Version) != "" {
					out.Versions = append(out.Versions, v.Version)
				}
				continue
			}
			for _, sg := range segs {
				intro := sg.start
				if intro == "" {
					intro = "0"
				}
				r := vuln.Range{Type: typ, Events: []vuln.Event{{Introduced: intro}}}
				switch {
				case sg.lessThan != "":
					r.Events = append(r.Events, vuln.Event{Fixed: sg.lessThan})
				case sg.lessEqual != "":
					r.Events = append(r.Events, vuln.Event{LastAffected: sg.lessEqual})
				}
				out.Ranges = append(out.Ranges, r)
			}
		}
		// As for CPEs below: defaultStatus "affected" with no version listed
		// is every version.
		if len(af.Versions) == 0 && af.DefaultStatus == "affected" {
			out.Ranges = []vuln.Range{{Type: vuln.RangeEcosystem, Events: []vuln.Event{{Introduced: "0"}}}}
		}
		if len(out.Ranges) > 0 || len(out.Versions) > 0 {
			a.Affected = append(a.Affected, out)
		}
		return nil
	}
	if len(af.CPEs) == 0 {
		return nil
	}
	node := vuln.Node{Operator: "OR"}
	for i, cpe := range af.CPEs {
		p, err := vuln.ParseCPE(cpe)
		if err != nil {
			return &vuln.ParseError{File: name, Field: fmt.Sprintf("%s.cpes[%d]", field, i), Err: err}
		}
		base := strings.Join([]string{"cpe:2.3", p.Part, p.Vendor, p.Product, "*", "*", "*", "*", "*", "*", "*", "*"}, ":")
		added := false
		for _, v := range af.Versions {
			if skipVersion(v) {
				continue
			}
			segs, exact := segments(v)
			if exact {
				if v.Status == "affected" && unbounded(v.Version) == "" {
					continue // "n/a": says nothing
				}
				if v.Status == "affected" {
					m := vuln.CPEMatch{Vulnerable: true, Criteria: strings.Join([]string{"cpe:2.3", p.Part, p.Vendor, p.Product, vuln.CPEEscape(v.Version), "*", "*", "*", "*", "*", "*", "*"}, ":")}
					node.Matches = append(node.Matches, m)
					added = true
				}
				continue
			}
			for _, sg := range segs { // from "0" to "*": every version
				node.Matches = append(node.Matches, vuln.CPEMatch{Vulnerable: true, Criteria: base,
					VersionStartIncluding: sg.start, VersionEndExcluding: sg.lessThan, VersionEndIncluding: sg.lessEqual})
				added = true
			}
		}
		// defaultStatus "affected" means every version only when no version
		// is listed: with listed (unaffected or commit) ranges, "all other
		// versions" cannot be expressed as a CPE range, and guessing would
		// flood kernel reports with false positives.
		if !added && af.DefaultStatus == "affected" && len(af.Versions) == 0 {
			node.Matches = append(node.Matches, vuln.CPEMatch{Vulnerable: true, Criteria: base})
		}
	}
	if len(node.Matches) > 0 {
		a.Configurations = append(a.Configurations, vuln.Configuration{Nodes: []vuln.Node{node}, Source: vuln.SourceCVE5})
	}
	return nil
}

// skipVersion reports whether a versions entry cannot be compared with
// release versions: git commit ranges (the Linux CNA's, copied by CISA-ADP
// as "custom").
func skipVersion(v version) bool {
	return v.VersionType == "git" || isCommit(v.Version) || isCommit(v.LessThan) || isCommit(v.LessThanOrEqual) ||
		slices.ContainsFunc(v.Changes, func(c change) bool { return isCommit(c.At) })
}

// unbounded is the version with the placeholders CNAs write for "from the
// first version" ("0", "*", "n/a", "unspecified") read as "".
func unbounded(s string) string {
	switch strings.TrimSpace(strings.ToLower(s)) {
	case "", "0", "*", "n/a", "unspecified", "unknown":
		return ""
	}
	return s
}

// segment is one affected stretch of a version range: from start
// (inclusive; "" = the first version) up to lessThan (exclusive) or
// lessEqual (inclusive), both "" when it has no end.
type segment struct{ start, lessThan, lessEqual string }

// segments reads a versions entry. exact reports an entry that names one
// version (no lessThan, lessThanOrEqual nor changes). Otherwise the range
// starts at version with the entry's status, each change switches the
// status from its "at" version on (CVE JSON 5 versions[].changes, in
// ascending order), and the range ends at lessThan or lessThanOrEqual
// ("*": no end); the affected stretches are returned.
func segments(v version) (segs []segment, exact bool) {
	end, endIncl := v.LessThan, false
	if end == "" && v.LessThanOrEqual != "" {
		end, endIncl = v.LessThanOrEqual, true
	}
	if end == "" && len(v.Changes) == 0 {
		return nil, true
	}
	if end == "*" {
		end = ""
	}
	affected := v.Status == "affected"
	start := unbounded(v.Version)
	for _, c := range v.Changes {
		at := strings.TrimSpace(c.At)
		if at == "" {
			continue
		}
		switch now := c.Status == "affected"; {
		case affected && !now:
			segs = append(segs, segment{start: start, lessThan: at})
		case !affected && now:
			start = at
		}
		affected = c.Status == "affected"
	}
	if affected {
		sg := segment{start: start}
		if endIncl {
			sg.lessEqual = end
		} else {
			sg.lessThan = end
		}
		segs = append(segs, sg)
	}
	return segs, false
}

// isCommit reports whether s looks like a git commit id (7–40 hex digits
// with at least one letter, so release numbers like 2020 are not taken).
func isCommit(s string) bool {
	s = strings.TrimSpace(s)
	if len(s) < 7 || len(s) > 40 {
		return false
	}
	letter := false
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
		case r >= 'a' && r <= 'f':
			letter = true
		default:
			return false
		}
	}
	return letter
}
