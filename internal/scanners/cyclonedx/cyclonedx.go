// Package cyclonedx reads the vulnerabilities of CycloneDX documents (a
// VDR, or an SBOM carrying vulnerabilities), JSON and XML: the
// "vulnerabilities" of CycloneDX 1.4+ and the vulnerability extension of
// 1.0–1.3 (v:vulnerabilities inside components). Components are indexed by
// bom-ref; vulnerabilities are streamed (JSON vulnerabilities written
// before the components are buffered).
//
// One finding per vulnerability per affected component (named by bom-ref,
// by package URL, by a BOM-Link, or — as osv-scanner writes it — by the
// package URL without version of the one component of that package).
// Severity from the preferred rating (CVSS v4, v3.1, v3, then any other) —
// its severity word, else its score; when no rating has either (osv-scanner
// writes only method and vector) the scored CVSS vectors decide, and a
// vulnerability with none is info. Ids: the vulnerability id and
// referenced ids; CWEs; CVSS vectors and scores; description and
// recommendation; advisory URLs as references. The vulnerability's impact
// analysis (VEX) is the finding's recorded triage: not_affected and
// false_positive not active, resolved and resolved_with_pedigree fixed,
// exploitable confirmed, in_triage open; its responses are told in the
// mitigation. affects[].versions (a version or vers range with a status)
// is weighed against the component's version (vuln.AffectsVersion): a
// version said to be unaffected, or not among the affected versions
// listed, is not active; what cannot be decided stays open with the
// versions in the description. A document without a vulnerabilities
// section is an SBOM and refused.
package cyclonedx

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/scanners/reportio"
	vulnpkg "github.com/rampart-security/rampart/internal/vuln"
)

// Names of the two formats.
const (
	Name    = "cyclonedx"
	NameXML = "cyclonedx-xml"
)

// Format describes the CycloneDX JSON with vulnerabilities to the registry.
var Format = reportio.Format{
	Name:        Name,
	Aliases:     []string{"cyclonedx-json", "vdr"},
	Description: "CycloneDX JSON with vulnerabilities (VDR, or an SBOM carrying vulnerabilities)",
	DetectRule:  `JSON object with "bomFormat": "CycloneDX"`,
	Detect:      Detect,
	Parse:       Parse,
}

// FormatXML describes the CycloneDX XML with vulnerabilities to the registry.
var FormatXML = reportio.Format{
	Name:        NameXML,
	Description: "CycloneDX XML with vulnerabilities (1.4+ and the 1.0–1.3 vulnerability extension)",
	DetectRule:  `XML whose root element is <bom> in a cyclonedx.org namespace`,
	Detect:      DetectXML,
	Parse:       ParseXML,
}

// Detect reports whether head is a CycloneDX JSON document.
func Detect(h *reportio.Head) bool {
	return h.Start() == '{' && h.JSON().Has("bomFormat") && h.Contains("CycloneDX")
}

// DetectXML reports whether head is a CycloneDX XML document.
func DetectXML(h *reportio.Head) bool {
	return h.HasRoot("bom") && h.Contains("cyclonedx.org/schema/bom")
}

// component is what a finding needs of a component.
type component struct {
	name, version, purl string
}

// vuln is a vulnerability in either encoding.
type vuln struct {
	id, sourceURL, description, detail, recommendation string
	refIDs, advisories                                 []string
	cwes                                               []int
	ratings                                            []rating
	affects                                            []target
	state, justification, analysisDetail               string
	responses                                          []string
}

// target is an affects entry: the component's reference and the versions
// of it the vulnerability affects, or not (affects[].versions, 1.4+).
type target struct {
	ref      string
	versions []vulnpkg.AffectedVersion
}

// affectedVersion is an entry of affects[].versions in either encoding.
type affectedVersion struct {
	Version string `json:"version" xml:"version"`
	Range   string `json:"range" xml:"range"`
	Status  string `json:"status" xml:"status"`
}

func newTarget(ref string, vs []affectedVersion) target {
	t := target{ref: ref}
	for _, a := range vs {
		t.versions = append(t.versions, vulnpkg.AffectedVersion(a))
	}
	return t
}

type rating struct {
	score            *float64
	severity, method string
	vector           string
}

func newComponent(group, name, version, purl, typ string) component {
	n := name
	if group != "" {
		sep := "/"
		if strings.HasPrefix(purl, "pkg:maven/") {
			sep = ":"
		}
		n = group + sep + name
	}
	return component{name: n, version: version, purl: purl}
}

// vulnEmitter emits the findings of the vulnerabilities of either
// encoding. They name the components they affect by reference, so one read
// before the components section is held until the end of the document.
type vulnEmitter struct {
	comps          map[string]component
	emit           func(findings.Finding) error
	componentsRead bool
	held           []vuln
	// bases indexes the components by package URL without version,
	// qualifiers or subpath (built on first use, once the components are
	// read); ambiguous marks a base that several versions share.
	bases     map[string]component
	ambiguous map[string]bool
}

// byBase is the one component whose package URL is purl once its version
// is taken away: osv-scanner's CycloneDX output names the affected
// package by the OSV record's versionless purl ("pkg:npm/lodash"), while
// its components' bom-refs carry the version. When several versions of
// the package are components, the document does not say which one is
// affected, and none is picked.
func (e *vulnEmitter) byBase(purl string) (component, bool) {
	if e.bases == nil {
		e.bases, e.ambiguous = map[string]component{}, map[string]bool{}
		for _, c := range e.comps {
			b := purlBase(c.purl)
			if b == "" {
				continue
			}
			if have, ok := e.bases[b]; ok && have != c {
				e.ambiguous[b] = true
			}
			e.bases[b] = c
		}
	}
	b := purlBase(purl)
	c, ok := e.bases[b]
	return c, ok && !e.ambiguous[b]
}

// hasVersion reports whether the package URL p names a version.
func hasVersion(p string) bool {
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	return strings.LastIndexByte(p, '@') > strings.LastIndexByte(p, '/')
}

// purlBase is p without its version, qualifiers and subpath ("" when p is
// not a package URL).
func purlBase(p string) string {
	p = strings.TrimSpace(p)
	if !strings.HasPrefix(p, "pkg:") {
		return ""
	}
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	slash := strings.LastIndexByte(p, '/')
	if at := strings.LastIndexByte(p, '@'); at > slash {
		p = p[:at]
	}
	return p
}

// add emits the findings of v, or holds v while the components are unread.
func (e *vulnEmitter) add(v vuln) error {
	if !e.componentsRead {
		e.held = append(e.held, v)
		return nil
	}
	return e.findings(v)
}

func (e *vulnEmitter) findings(vs ...vuln) error {
	for _, v := range vs {
		for _, f := range v.findings(e) {
			if err := e.emit(f); err != nil {
				return err
			}
		}
	}
	return nil
}

// end emits the findings of the vulnerabilities held.
func (e *vulnEmitter) end() error { return e.findings(e.held...) }

func (v vuln) findings(e *vulnEmitter) []findings.Finding {
	comps := e.comps
	triage := v.triage()
	mitigation := v.recommendation
	if len(v.responses) > 0 {
		// The producer's response (can_not_fix, will_not_fix, update,
		// rollback, workaround_available) says what it does about the
		// vulnerability; it is no Rampart decision (a risk acceptance
		// needs a Rampart approver), so it is told, not applied.
		rs := make([]string, len(v.responses))
		for i, r := range v.responses {
			rs[i] = strings.ReplaceAll(strings.TrimSpace(r), "_", " ")
		}
		mitigation = strings.TrimSpace(mitigation + "\n\nResponse (CycloneDX analysis): " + strings.Join(rs, ", "))
	}
	affects := v.affects
	if len(affects) == 0 {
		affects = []target{{}}
	}
	var out []findings.Finding
	for _, t := range affects {
		ref := t.ref
		c, ok := comps[ref]
		if !ok {
			c = component{name: ref}
			// A BOM-Link ("urn:cdx:serial/version#bom-ref") names a
			// component of another BOM, as VEX documents do: its bom-ref,
			// when it is a package URL, still names the package.
			if _, frag, link := strings.Cut(ref, "#"); link && strings.HasPrefix(ref, "urn:cdx:") {
				if fc, ok := comps[frag]; ok {
					c = fc
				} else if strings.HasPrefix(frag, "pkg:") {
					c = purlComponent(frag)
				}
			} else if bc, ok := e.byBase(ref); ok && !hasVersion(ref) {
				c = bc
			} else if strings.HasPrefix(ref, "pkg:") {
				c = purlComponent(ref)
			}
		}
		f := findings.Finding{
			RuleID:           v.id,
			VulnerabilityIDs: append(findings.VulnIDsIn(v.id), v.refIDs...),
			Component:        findings.Component{Name: c.name, Version: c.version, PURL: c.purl},
			CWEs:             v.cwes,
			Description:      strings.TrimSpace(strings.TrimSpace(v.description) + "\n\n" + strings.TrimSpace(v.detail)),
			Mitigation:       mitigation,
			References:       append([]string{v.sourceURL}, v.advisories...),
			Triage:           triage,
		}
		// affects[].versions: the versions of the referenced component
		// the vulnerability affects, or not. The component's version is
		// weighed against them; a version they say is unaffected is not
		// an open finding, and whatever they leave undecided (an unknown
		// status, a range that cannot be evaluated) keeps the finding
		// with the versions in its detail.
		purl := c.purl
		if purl == "" && strings.HasPrefix(ref, "pkg:") {
			purl = ref
		}
		switch verdict, note := vulnpkg.AffectsVersion(purl, c.version, t.versions); verdict {
		case vulnpkg.VersionUnaffected:
			if triage == nil || triage.Status.Active() {
				f.Triage = &findings.Triage{Status: findings.StatusFalsePositive, Reason: "affects versions: " + note}
			}
			fallthrough
		case vulnpkg.VersionUndetermined:
			f.Description = strings.TrimSpace(f.Description + "\n\nAffected versions (CycloneDX affects): " + note)
		}
		f.Title = v.titleID()
		if c.name != "" {
			f.Title += " in " + c.name + " " + c.version
		}
		f.Severity = applyRatings(&f, v.ratings)
		f.Normalize()
		out = append(out, f)
	}
	return out
}

// triage is the finding's recorded triage from the vulnerability's own
// impact analysis (CycloneDX 1.4+ analysis.state): not_affected and
// false_positive are not active (false positive), resolved and
// resolved_with_pedigree fixed, exploitable confirmed (the producer's
// analysis says the vulnerability applies), in_triage open.
func (v vuln) triage() *findings.Triage {
	why := strings.TrimSpace(strings.Join(nonEmpty(strings.ReplaceAll(v.justification, "_", " "), strings.TrimSpace(v.analysisDetail)), ": "))
	st := strings.ToLower(strings.TrimSpace(v.state))
	reason := strings.TrimSpace("analysis state " + st + " " + why)
	switch st {
	case "not_affected", "false_positive":
		return &findings.Triage{Status: findings.StatusFalsePositive, Reason: reason}
	case "resolved", "resolved_with_pedigree":
		return &findings.Triage{Status: findings.StatusFixed, Reason: reason}
	case "exploitable":
		return &findings.Triage{Status: findings.StatusConfirmed, Reason: reason}
	}
	return nil
}

// titleID is the id a finding's title shows: the vulnerability's id, or,
// when that is a UUID (OSS Index's ids, as jake and Dependency-Track
// write them), the first CVE or GHSA among its references.
func (v vuln) titleID() string {
	if isUUID(v.id) {
		for _, r := range v.refIDs {
			if ids := findings.VulnIDsIn(r); len(ids) > 0 {
				return ids[0]
			}
		}
	}
	return v.id
}

// isUUID reports whether s is a UUID (8-4-4-4-12 hexadecimal digits).
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case !strings.ContainsRune("0123456789abcdefABCDEF", c):
			return false
		}
	}
	return true
}

// applyRatings sets the CVSS fields and returns the severity of the
// preferred rating.
func applyRatings(f *findings.Finding, rs []rating) findings.Severity {
	best, bestRank := -1, -1
	for i, r := range rs {
		m := strings.ToUpper(r.method)
		rank := 0
		switch {
		case strings.HasPrefix(m, "CVSSV4"):
			rank = 4
			f.CVSS.V4Vector, f.CVSS.V4Score = r.vector, r.score
		case m == "CVSSV31":
			rank = 3
			if f.CVSS.V3Vector == "" || !strings.HasPrefix(f.CVSS.V3Vector, "CVSS:3.1") {
				f.CVSS.V3Vector, f.CVSS.V3Score = versioned("3.1", r.vector), r.score
			}
		case m == "CVSSV3":
			rank = 2
			if f.CVSS.V3Vector == "" {
				f.CVSS.V3Vector, f.CVSS.V3Score = versioned("3.0", r.vector), r.score
			}
		case r.severity != "" || r.score != nil:
			rank = 1
		}
		if rank > bestRank && (r.severity != "" || r.score != nil) {
			best, bestRank = i, rank
		}
	}
	if best < 0 {
		// No rating has a severity or a score: osv-scanner's CycloneDX
		// output writes only the method and the vector. Normalize then
		// scores the vectors and takes the severity from the best score
		// (info when there is none).
		return ""
	}
	r := rs[best]
	if s, ok := findings.ParseSeverity(r.severity); ok && r.severity != "" {
		return s
	}
	if r.score != nil && bestRank >= 2 {
		return findings.SeverityFromCVSS(r.score)
	}
	return findings.Info
}

// versioned is vec with the "CVSS:version/" prefix the rating's method
// implies when the vector has none.
func versioned(version, vec string) string {
	if vec != "" && !strings.HasPrefix(vec, "CVSS:") {
		return "CVSS:" + version + "/" + vec
	}
	return vec
}

func purlComponent(p string) component {
	rest := strings.TrimPrefix(p, "pkg:")
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		rest = rest[:i]
	}
	_, path, _ := strings.Cut(rest, "/")
	name, version, _ := strings.Cut(path, "@")
	if strings.HasPrefix(p, "pkg:maven/") {
		name = strings.Replace(name, "/", ":", 1)
	}
	// A purl's name and version are percent-encoded ("1.30%2Bdfsg-6" is
	// Debian's 1.30+dfsg-6): the component has the decoded ones.
	return component{name: unescape(name), version: unescape(version), purl: p}
}

// unescape is s percent-decoded, or s when it is not valid encoding.
func unescape(s string) string {
	if d, err := url.PathUnescape(s); err == nil {
		return d
	}
	return s
}

// ---- JSON ----

type jsonComponent struct {
	BOMRef     string          `json:"bom-ref"`
	Type       string          `json:"type"`
	Group      string          `json:"group"`
	Name       string          `json:"name"`
	Version    string          `json:"version"`
	PURL       string          `json:"purl"`
	Components []jsonComponent `json:"components"`
}

type jsonVuln struct {
	ID     string `json:"id"`
	Source struct {
		URL string `json:"url"`
	} `json:"source"`
	References []struct {
		ID string `json:"id"`
	} `json:"references"`
	Ratings []struct {
		Score    *float64 `json:"score"`
		Severity string   `json:"severity"`
		Method   string   `json:"method"`
		Vector   string   `json:"vector"`
	} `json:"ratings"`
	CWEs           []int  `json:"cwes"`
	Description    string `json:"description"`
	Detail         string `json:"detail"`
	Recommendation string `json:"recommendation"`
	Advisories     []struct {
		URL string `json:"url"`
	} `json:"advisories"`
	Affects []struct {
		Ref      string            `json:"ref"`
		Versions []affectedVersion `json:"versions"`
	} `json:"affects"`
	Analysis struct {
		State         string   `json:"state"`
		Justification string   `json:"justification"`
		Response      []string `json:"response"`
		Detail        string   `json:"detail"`
	} `json:"analysis"`
}

func (j jsonVuln) vuln() vuln {
	v := vuln{id: j.ID, sourceURL: j.Source.URL, description: j.Description, detail: j.Detail, recommendation: j.Recommendation, cwes: j.CWEs, state: j.Analysis.State,
		justification: j.Analysis.Justification, analysisDetail: j.Analysis.Detail, responses: j.Analysis.Response}
	for _, r := range j.References {
		v.refIDs = append(v.refIDs, r.ID)
	}
	for _, a := range j.Advisories {
		v.advisories = append(v.advisories, a.URL)
	}
	for _, r := range j.Ratings {
		v.ratings = append(v.ratings, rating{score: r.Score, severity: r.Severity, method: r.Method, vector: r.Vector})
	}
	for _, a := range j.Affects {
		v.affects = append(v.affects, newTarget(a.Ref, a.Versions))
	}
	return v
}

func indexJSON(m map[string]component, cs []jsonComponent) {
	for _, c := range cs {
		if c.BOMRef != "" {
			m[c.BOMRef] = newComponent(c.Group, c.Name, c.Version, c.PURL, c.Type)
		}
		if c.PURL != "" {
			if _, ok := m[c.PURL]; !ok {
				m[c.PURL] = newComponent(c.Group, c.Name, c.Version, c.PURL, c.Type)
			}
		}
		indexJSON(m, c.Components)
	}
}

// Parse streams the findings of a CycloneDX JSON document.
func Parse(r io.Reader, name string, emit func(findings.Finding) error) error {
	dec := reportio.NewJSONDecoder(r, name)
	if empty, err := dec.BeginObject("CycloneDX document must be a JSON object"); err != nil || empty {
		return err
	}
	comps := map[string]component{}
	vulns := &vulnEmitter{comps: comps, emit: emit}
	isBOM, sawVulns := false, false
	err := dec.Object(func(key string) error {
		switch key {
		case "bomFormat":
			var s string
			if err := dec.Decode(&s, "bomFormat"); err != nil {
				return err
			}
			if s != "CycloneDX" {
				return &reportio.ParseError{File: name, Offset: dec.Offset(), Field: "bomFormat", Err: reportio.NotReportf("bomFormat is %q, want CycloneDX", s)}
			}
			isBOM = true
			return nil
		case "metadata":
			var md struct {
				Component *jsonComponent `json:"component"`
			}
			if err := dec.Decode(&md, "metadata"); err != nil {
				return err
			}
			if md.Component != nil {
				indexJSON(comps, []jsonComponent{*md.Component})
			}
			return nil
		case "components":
			var cs []jsonComponent
			if err := dec.Decode(&cs, "components"); err != nil {
				return err
			}
			indexJSON(comps, cs)
			vulns.componentsRead = true
			return nil
		case "vulnerabilities":
			sawVulns = true
			return reportio.DecodeElements(dec, "vulnerabilities", func(j jsonVuln) error {
				return vulns.add(j.vuln())
			})
		}
		return dec.Skip()
	})
	if err := dec.Known(isBOM, err, `no "bomFormat": "CycloneDX": not a CycloneDX document`); err != nil {
		return err
	}
	if !sawVulns {
		return notAReport(name)
	}
	return vulns.end()
}

// ---- XML ----

type xmlRating struct {
	Score struct {
		Text string `xml:",chardata"`
		Base string `xml:"base"` // extension 1.0
	} `xml:"score"`
	Severity string `xml:"severity"`
	Method   string `xml:"method"`
	Vector   string `xml:"vector"`
}

type xmlVuln struct {
	Ref    string `xml:"ref,attr"`
	ID     string `xml:"id"`
	Source struct {
		URL string `xml:"url"`
	} `xml:"source"`
	References []struct {
		ID string `xml:"id"`
	} `xml:"references>reference"`
	Ratings         []xmlRating `xml:"ratings>rating"`
	CWEs            []string    `xml:"cwes>cwe"`
	Description     string      `xml:"description"`
	Detail          string      `xml:"detail"`
	Recommendation  string      `xml:"recommendation"`
	Recommendations []string    `xml:"recommendations>recommendation"`
	Advisories      []struct {
		URL  string `xml:"url"`
		Text string `xml:",chardata"`
	} `xml:"advisories>advisory"`
	Affects []struct {
		Ref      string            `xml:"ref"`
		Versions []affectedVersion `xml:"versions>version"`
	} `xml:"affects>target"`
	Analysis struct {
		State         string   `xml:"state"`
		Justification string   `xml:"justification"`
		Responses     []string `xml:"responses>response"`
		Detail        string   `xml:"detail"`
	} `xml:"analysis"`
}

func (x xmlVuln) vuln() vuln {
	v := vuln{id: x.ID, sourceURL: x.Source.URL, description: x.Description, detail: x.Detail, recommendation: x.Recommendation, state: x.Analysis.State,
		justification: x.Analysis.Justification, analysisDetail: x.Analysis.Detail, responses: x.Analysis.Responses}
	if v.recommendation == "" {
		v.recommendation = strings.Join(x.Recommendations, "\n")
	}
	for _, r := range x.References {
		v.refIDs = append(v.refIDs, r.ID)
	}
	for _, a := range x.Advisories {
		u := strings.TrimSpace(a.URL)
		if u == "" {
			u = strings.TrimSpace(a.Text)
		}
		v.advisories = append(v.advisories, u)
	}
	for _, c := range x.CWEs {
		if n, ok := findings.ParseCWE(strings.TrimSpace(c)); ok {
			v.cwes = append(v.cwes, n)
		}
	}
	for _, r := range x.Ratings {
		s := strings.TrimSpace(r.Score.Text)
		if s == "" {
			s = r.Score.Base
		}
		v.ratings = append(v.ratings, rating{score: findings.ParseScore(s), severity: r.Severity, method: r.Method, vector: r.Vector})
	}
	for _, a := range x.Affects {
		v.affects = append(v.affects, newTarget(a.Ref, a.Versions))
	}
	if x.Ref != "" {
		v.affects = []target{{ref: x.Ref}}
	}
	return v
}

type xmlComponent struct {
	BOMRef     string         `xml:"bom-ref,attr"`
	Type       string         `xml:"type,attr"`
	Group      string         `xml:"group"`
	Name       string         `xml:"name"`
	Version    string         `xml:"version"`
	PURL       string         `xml:"purl"`
	Components []xmlComponent `xml:"components>component"`
	Vulns      []xmlVuln      `xml:"vulnerabilities>vulnerability"` // extension 1.0
}

// ParseXML streams the findings of a CycloneDX XML document.
func ParseXML(r io.Reader, name string, emit func(findings.Finding) error) error {
	dec := reportio.NewXMLDecoder(r, name)
	root, err := dec.Root()
	if err == io.EOF {
		return nil
	}
	if err != nil {
		return err
	}
	if root.Name.Local != "bom" || !strings.Contains(root.Name.Space, "cyclonedx.org") {
		return dec.Errorf(reportio.ErrNotReport, "root element is <%s xmlns=%q>, want a CycloneDX <bom>", root.Name.Local, root.Name.Space)
	}
	comps := map[string]component{}
	vulns := &vulnEmitter{comps: comps, emit: emit}
	var extVulns []vuln
	var index func(cs []xmlComponent)
	index = func(cs []xmlComponent) {
		for _, c := range cs {
			comp := newComponent(c.Group, c.Name, c.Version, c.PURL, c.Type)
			for _, k := range []string{c.BOMRef, c.PURL} {
				if k != "" {
					if _, ok := comps[k]; !ok {
						comps[k] = comp
					}
				}
			}
			// The extension nests vulnerabilities in the component they
			// affect; their ref attribute is often the vulnerability's own
			// id (Grype writes a UUID), so the enclosing component wins.
			for _, v := range c.Vulns {
				key := fmt.Sprintf("\x00component-%d", len(comps))
				comps[key] = comp
				v.Ref = key
				extVulns = append(extVulns, v.vuln())
			}
			index(c.Components)
		}
	}
	sawVulns := false
	for _, a := range root.Attr {
		// A document that declares the 1.0 vulnerability extension (jake,
		// for one) is a report even when it lists no vulnerability.
		if strings.Contains(a.Value, "cyclonedx.org/schema/ext/vulnerability") {
			sawVulns = true
		}
	}
	err = dec.Walk(func(se xml.StartElement) error {
		switch se.Name.Local {
		case "metadata":
			var md struct {
				Component *xmlComponent `xml:"component"`
			}
			if err := dec.DecodeElement(&md, &se); err != nil {
				return err
			}
			if md.Component != nil {
				index([]xmlComponent{*md.Component})
			}
			return nil
		case "components":
			err := reportio.DecodeEach(dec, "component", func(c xmlComponent) error {
				index([]xmlComponent{c})
				return nil
			})
			vulns.componentsRead = true
			return err
		case "vulnerabilities":
			sawVulns = true
			return reportio.DecodeEach(dec, "vulnerability", func(x xmlVuln) error {
				return vulns.add(x.vuln())
			})
		}
		return dec.Skip()
	})
	if err != nil {
		return err
	}
	if !sawVulns && len(extVulns) == 0 {
		return notAReport(name)
	}
	if err := vulns.findings(extVulns...); err != nil {
		return err
	}
	return vulns.end()
}

// notAReport is the error for a CycloneDX document with no vulnerabilities
// section: a plain SBOM. Read as a scan report it would say "no
// vulnerabilities" and close every finding of the scope, so it is refused.
// A VDR with an empty vulnerabilities array is a report with no findings.
func notAReport(name string) error {
	return &reportio.ParseError{File: name, Offset: -1, Field: "vulnerabilities",
		Err: fmt.Errorf("%w (a CycloneDX document without a vulnerabilities section is an inventory, not a scanner report; nothing was imported or closed)", reportio.ErrSBOM)}
}

func nonEmpty(s ...string) []string {
	var out []string
	for _, x := range s {
		if strings.TrimSpace(x) != "" {
			out = append(out, x)
		}
	}
	return out
}
