// Package nvd reads NVD vulnerability data: CVE API 2.0 records (a bare
// `cve` object as mirrored per file, a {"cve": …} wrapper, or an API
// response page with `vulnerabilities`) and the legacy NVD 1.1 JSON feed
// (`CVE_Items`). Pages and feeds are streamed record by record.
package nvd

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/vuln"
)

type cve struct {
	ID               string       `json:"id"`
	SourceIdentifier string       `json:"sourceIdentifier"`
	Published        string       `json:"published"`
	LastModified     string       `json:"lastModified"`
	VulnStatus       string       `json:"vulnStatus"`
	Descriptions     []langString `json:"descriptions"`
	Metrics          metrics      `json:"metrics"`
	Weaknesses       []weakness   `json:"weaknesses"`
	Configurations   []config     `json:"configurations"`
	References       []reference  `json:"references"`
	CISAExploitAdd   string       `json:"cisaExploitAdd"`
	CISAActionDue    string       `json:"cisaActionDue"`
	CISARequired     string       `json:"cisaRequiredAction"`
	CISAName         string       `json:"cisaVulnerabilityName"`
	CVETags          []struct {
		Tags []string `json:"tags"`
	} `json:"cveTags"`
}

type langString struct {
	Lang  string `json:"lang"`
	Value string `json:"value"`
}

type metric struct {
	Source   string `json:"source"`
	Type     string `json:"type"`
	CVSSData struct {
		VectorString string  `json:"vectorString"`
		BaseScore    float64 `json:"baseScore"`
	} `json:"cvssData"`
}

type metrics struct {
	V40 []metric `json:"cvssMetricV40"`
	V31 []metric `json:"cvssMetricV31"`
	V30 []metric `json:"cvssMetricV30"`
	V2  []metric `json:"cvssMetricV2"`
}

type weakness struct {
	Description []langString `json:"description"`
}

type config struct {
	Operator string `json:"operator"`
	Negate   bool   `json:"negate"`
	Nodes    []node `json:"nodes"`
}

type node struct {
	Operator string     `json:"operator"`
	Negate   bool       `json:"negate"`
	CPEMatch []cpeMatch `json:"cpeMatch"`
}

type cpeMatch struct {
	Vulnerable            bool   `json:"vulnerable"`
	Criteria              string `json:"criteria"`
	VersionStartIncluding string `json:"versionStartIncluding"`
	VersionStartExcluding string `json:"versionStartExcluding"`
	VersionEndIncluding   string `json:"versionEndIncluding"`
	VersionEndExcluding   string `json:"versionEndExcluding"`
}

type reference struct {
	URL  string   `json:"url"`
	Tags []string `json:"tags"`
}

// Read reads an NVD API 2.0 record or response page from r and calls fn for
// each CVE. name identifies the input in errors.
func Read(r io.Reader, name string, fn func(*vuln.Advisory) error) error {
	dec := json.NewDecoder(bufio.NewReaderSize(r, 64<<10))
	rest := map[string]json.RawMessage{}
	type item struct {
		CVE *cve `json:"cve"`
	}
	sawPage, err := readObject(dec, name, "vulnerabilities", rest, func(field string, it *item) error {
		if it.CVE == nil {
			return vuln.Errorf(name, field+".cve", "missing")
		}
		a, err := convert(it.CVE, name, field+".cve.")
		if err != nil {
			return err
		}
		return fn(a)
	})
	if err != nil {
		return err
	}
	if sawPage {
		return nil
	}
	var c cve
	prefix := ""
	if raw, ok := rest["cve"]; ok {
		prefix = "cve."
		if err := json.Unmarshal(raw, &c); err != nil {
			return jsonError(name, "cve", err)
		}
	} else {
		b, _ := json.Marshal(rest)
		if err := json.Unmarshal(b, &c); err != nil {
			return jsonError(name, "", err)
		}
	}
	a, err := convert(&c, name, prefix)
	if err != nil {
		return err
	}
	return fn(a)
}

func expectDelim(dec *json.Decoder, want json.Delim, name, field string) error {
	t, err := dec.Token()
	if err != nil {
		return jsonError(name, field, err)
	}
	if d, ok := t.(json.Delim); !ok || d != want {
		return vuln.Errorf(name, field, "expected %q, found %v", want, t)
	}
	return nil
}

func keyToken(dec *json.Decoder, name string) (string, error) {
	t, err := dec.Token()
	if err != nil {
		return "", jsonError(name, "", err)
	}
	k, ok := t.(string)
	if !ok {
		return "", vuln.Errorf(name, "", "expected an object key, found %v", t)
	}
	return k, nil
}

// readObject reads the top-level JSON object of an NVD file from dec,
// streaming the array under key: each element is decoded into a new T and
// handed to fn with its field name (key[i]). The other members are kept in
// rest when it is not nil. found reports whether the object has key.
func readObject[T any](dec *json.Decoder, name, key string, rest map[string]json.RawMessage, fn func(field string, it *T) error) (found bool, err error) {
	if err := expectDelim(dec, '{', name, ""); err != nil {
		return false, err
	}
	for dec.More() {
		k, err := keyToken(dec, name)
		if err != nil {
			return found, err
		}
		if k != key {
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return found, jsonError(name, k, err)
			}
			if rest != nil {
				rest[k] = raw
			}
			continue
		}
		found = true
		if err := expectDelim(dec, '[', name, key); err != nil {
			return found, err
		}
		for i := 0; dec.More(); i++ {
			field := fmt.Sprintf("%s[%d]", key, i)
			var it T
			if err := dec.Decode(&it); err != nil {
				return found, jsonError(name, field, err)
			}
			if err := fn(field, &it); err != nil {
				return found, err
			}
		}
		if _, err := dec.Token(); err != nil {
			return found, jsonError(name, key, err)
		}
	}
	if _, err := dec.Token(); err != nil {
		return found, jsonError(name, "", err)
	}
	return found, nil
}

func jsonError(name, field string, err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		f := te.Field
		if field != "" {
			f = strings.TrimSuffix(field+"."+te.Field, ".")
		}
		return &vuln.ParseError{File: name, Field: f, Err: fmt.Errorf("%s is not a %s: %w", te.Value, te.Type, err)}
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &vuln.ParseError{File: name, Field: field, Err: fmt.Errorf("truncated JSON: %w", err)}
	}
	return &vuln.ParseError{File: name, Field: field, Err: err}
}

// ParseTime reads NVD timestamps, which come with or without zone and
// fractional seconds ("2022-08-30T05:15:07.857", "2019-07-26T13:15Z").
func ParseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, ok := vuln.ParseTime(s, time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04Z07:00", "2006-01-02T15:04", "2006-01-02"); ok {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not a timestamp", s)
}

func convert(c *cve, name, prefix string) (*vuln.Advisory, error) {
	if !strings.HasPrefix(c.ID, "CVE-") {
		return nil, vuln.Errorf(name, prefix+"id", "%q is not a CVE id", c.ID)
	}
	a := &vuln.Advisory{ID: c.ID, Sources: []vuln.Source{vuln.SourceNVD}}
	var err error
	if a.Published, err = ParseTime(c.Published); err != nil {
		return nil, &vuln.ParseError{File: name, Field: prefix + "published", Err: err}
	}
	if a.Modified, err = ParseTime(c.LastModified); err != nil {
		return nil, &vuln.ParseError{File: name, Field: prefix + "lastModified", Err: err}
	}
	if strings.EqualFold(c.VulnStatus, "Rejected") {
		a.Withdrawn = a.Modified
	}
	a.Details = english(c.Descriptions)
	for _, t := range c.CVETags {
		a.Tags = AddTags(a.Tags, t.Tags)
	}
	for _, g := range []struct {
		name string
		ms   []metric
	}{{"cvssMetricV40", c.Metrics.V40}, {"cvssMetricV31", c.Metrics.V31}, {"cvssMetricV30", c.Metrics.V30}, {"cvssMetricV2", c.Metrics.V2}} {
		for i, m := range g.ms { // in a fixed order: the first bad vector is the one reported
			if m.CVSSData.VectorString == "" {
				continue
			}
			cv, err := vuln.ParseCVSS(m.CVSSData.VectorString, m.Source)
			if err != nil {
				return nil, &vuln.ParseError{File: name, Field: fmt.Sprintf("%smetrics.%s[%d].cvssData.vectorString", prefix, g.name, i), Err: err}
			}
			a.Severity = append(a.Severity, cv)
		}
	}
	sortCVSS(a.Severity)
	for _, w := range c.Weaknesses {
		a.CWEs = addCWEs(a.CWEs, w.Description)
	}
	if a.Configurations, err = Configurations(c.Configurations, vuln.SourceNVD, name, prefix+"configurations"); err != nil {
		return nil, err
	}
	a.References = references(c.References)
	if c.CISAExploitAdd != "" {
		k := &vuln.KEV{Name: c.CISAName, RequiredAction: c.CISARequired}
		k.DateAdded, _ = ParseTime(c.CISAExploitAdd)
		k.DueDate, _ = ParseTime(c.CISAActionDue)
		a.KEV = k
	}
	return a, nil
}

// Config is an NVD API 2.0 configuration; CVE JSON 5.1.1 records carry the
// same structure as cpeApplicability.
type Config = config

// Configurations converts configurations read from field of file name
// (their criteria must be CPE 2.3 names), each tagged with source.
func Configurations(cfgs []Config, source vuln.Source, name, field string) ([]vuln.Configuration, error) {
	var out []vuln.Configuration
	for i, cf := range cfgs {
		c := vuln.Configuration{Operator: cf.Operator, Negate: cf.Negate, Source: source}
		for j, n := range cf.Nodes {
			vn := vuln.Node{Operator: n.Operator, Negate: n.Negate}
			for k, m := range n.CPEMatch {
				vm, err := m.canonical(name, fmt.Sprintf("%s[%d].nodes[%d].cpeMatch[%d].criteria", field, i, j, k))
				if err != nil {
					return nil, err
				}
				vn.Matches = append(vn.Matches, vm)
			}
			c.Nodes = append(c.Nodes, vn)
		}
		out = append(out, c)
	}
	return out, nil
}

// sortCVSS orders vectors by version, newest first, so output is stable.
func sortCVSS(cs []vuln.CVSS) {
	for i := 1; i < len(cs); i++ {
		for j := i; j > 0 && (cs[j].Version > cs[j-1].Version || cs[j].Version == cs[j-1].Version && cs[j].Source < cs[j-1].Source); j-- {
			cs[j], cs[j-1] = cs[j-1], cs[j]
		}
	}
}

// english is the English description, else the first (the last English
// one when there are several).
func english(ds []langString) string {
	s := ""
	for _, d := range ds {
		if d.Lang == "en" || s == "" {
			s = d.Value
		}
	}
	return s
}

// AddTags adds to tags the CVE tags among ts it does not hold yet.
func AddTags(tags, ts []string) []string {
	trimmed := make([]string, len(ts))
	for i, t := range ts {
		trimmed[i] = strings.TrimSpace(t)
	}
	return vuln.AppendDistinct(tags, trimmed...)
}

// addCWEs adds to cwes the CWE ids among ds that it does not hold yet.
func addCWEs(cwes []string, ds []langString) []string {
	for _, d := range ds {
		if strings.HasPrefix(d.Value, "CWE-") && !slices.Contains(cwes, d.Value) {
			cwes = append(cwes, d.Value)
		}
	}
	return cwes
}

// references converts the references, each typed by its first tag.
func references(rs []reference) []vuln.Reference {
	var out []vuln.Reference
	for _, r := range rs {
		t := ""
		if len(r.Tags) > 0 {
			t = r.Tags[0]
		}
		out = append(out, vuln.Reference{Type: t, URL: r.URL})
	}
	return out
}

// canonical checks that the match names a CPE 2.3 formatted string (field
// is where the feed keeps it) and converts it.
func (m cpeMatch) canonical(name, field string) (vuln.CPEMatch, error) {
	if !strings.HasPrefix(m.Criteria, "cpe:2.3:") {
		return vuln.CPEMatch{}, vuln.Errorf(name, field, "%q is not a CPE 2.3 name", m.Criteria)
	}
	return vuln.CPEMatch{Vulnerable: m.Vulnerable, Criteria: m.Criteria,
		VersionStartIncluding: m.VersionStartIncluding, VersionStartExcluding: m.VersionStartExcluding,
		VersionEndIncluding: m.VersionEndIncluding, VersionEndExcluding: m.VersionEndExcluding}, nil
}
