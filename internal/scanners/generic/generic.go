// Package generic reads the "Generic Findings Import" files of DefectDojo,
// JSON and CSV, as they are, so teams moving from DefectDojo keep the
// integrations of their custom tools.
//
// JSON: {"name", "type", "version", "findings": [...]}. Each finding needs
// title, severity and description, and may only use DefectDojo's allowed
// fields (the same rule DefectDojo applies: an unknown field is an error
// naming it). endpoints are URLs or {protocol, host, port, path} objects;
// cve, vulnerability_ids, cwe and cwes, CVSS v3/v4, EPSS, KEV
// (known_exploited), component, file_path and line map to the canonical
// finding; the file's "type" is each finding's tool. Findings the file
// marks as mitigated (is_mitigated) or false positive (false_p) are
// skipped: they are not open issues.
//
// CSV: the columns Date, Title, Severity and Description are required;
// CweId/CweIds, Url, CVE/Vulnerability Id, CVSSV3, CVSSV4, CVSSV4_score,
// epss_score, epss_percentile, known_exploited, fix_version, Mitigation,
// Impact and References are read. As in DefectDojo, rows with the same
// severity, title and description are one finding with all their URLs.
package generic

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/scanners/reportio"
)

// Names of the two formats.
const (
	Name    = "generic"
	NameCSV = "generic-csv"
)

// Format describes the DefectDojo "Generic Findings Import" JSON to the registry.
var Format = reportio.Format{
	Name:        Name,
	Aliases:     []string{"defectdojo", "generic-json"},
	Description: "DefectDojo \"Generic Findings Import\" JSON, for custom tools",
	DetectRule:  `JSON object with a "findings" array whose objects have "title" and "severity" keys`,
	Detect:      Detect,
	Parse:       Parse,
}

// FormatCSV describes the DefectDojo "Generic Findings Import" CSV to the registry.
var FormatCSV = reportio.Format{
	Name:        NameCSV,
	Aliases:     []string{"defectdojo-csv"},
	Description: "DefectDojo \"Generic Findings Import\" CSV, for custom tools",
	DetectRule:  `CSV whose header has the DefectDojo generic columns Title and Severity plus Date, Description or Url`,
	Detect:      DetectCSV,
	Parse:       ParseCSV,
}

// Detect reports whether head is a generic findings JSON file.
func Detect(h *reportio.Head) bool {
	return h.Start() == '{' && h.JSON().Has("findings") && h.JSON().Has("title") && h.JSON().Has("severity")
}

// DetectCSV reports whether head is a generic findings CSV file.
func DetectCSV(h *reportio.Head) bool {
	cols := h.CSVHeader()
	return reportio.HeaderHas(cols, "title", "severity") && (reportio.HeaderHas(cols, "date") || reportio.HeaderHas(cols, "description") || reportio.HeaderHas(cols, "url"))
}

var required = []string{"title", "severity", "description"}

// allowed are DefectDojo's accepted finding fields.
var allowed = fieldSet(`title severity description date cwe cve epss_score epss_percentile cvssv3 cvssv3_score
		cvssv4 cvssv4_score mitigation impact steps_to_reproduce severity_justification references active verified false_p
		out_of_scope risk_accepted under_review is_mitigated thread_id mitigated numerical_severity param payload line
		file_path component_name component_version static_finding dynamic_finding scanner_confidence unique_id_from_tool
		vuln_id_from_tool sast_source_object sast_sink_object sast_source_line sast_source_file_path nb_occurences
		publish_date service planned_remediation_date planned_remediation_version effort_for_fixing tags kev_date
		known_exploited ransomware_used fix_available fix_version endpoints files vulnerability_ids cwes`)

func fieldSet(names string) map[string]bool {
	m := map[string]bool{}
	for _, k := range strings.Fields(names) {
		m[k] = true
	}
	return m
}

// Parse streams the findings of a generic findings JSON file.
func Parse(r io.Reader, name string, emit func(findings.Finding) error) error {
	dec := reportio.NewJSONDecoder(r, name)
	if empty, err := dec.BeginObject("generic findings file must be a JSON object"); err != nil || empty {
		return err
	}
	tool := ""
	known := false
	index := 0
	err := dec.Object(func(key string) error {
		switch key {
		case "type":
			return dec.Decode(&tool, "type")
		case "findings":
			known = true
			return dec.Array("findings", func() error {
				field := fmt.Sprintf("findings[%d]", index)
				index++
				var item map[string]json.RawMessage
				if err := dec.Decode(&item, field); err != nil {
					return err
				}
				f, ok, err := finding(item, tool)
				if err != nil {
					return &reportio.ParseError{File: name, Offset: dec.Offset(), Field: field, Err: fmt.Errorf("%w: %w", reportio.ErrNotReport, err)}
				}
				if !ok {
					return nil
				}
				return emit(f)
			})
		}
		return dec.Skip()
	})
	return dec.Known(known, err, `no "findings" array: not a generic findings file`)
}

func finding(item map[string]json.RawMessage, tool string) (findings.Finding, bool, error) {
	var f findings.Finding
	var missing, notAllowed []string
	for _, k := range required {
		if _, ok := item[k]; !ok {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return f, false, fmt.Errorf("required fields are missing: %s", strings.Join(missing, ", "))
	}
	for k := range item {
		if !allowed[k] {
			notAllowed = append(notAllowed, k)
		}
	}
	if len(notAllowed) > 0 {
		sort.Strings(notAllowed)
		return f, false, fmt.Errorf("fields not allowed in a generic finding: %s", strings.Join(notAllowed, ", "))
	}
	if boolField(item, "is_mitigated") || boolField(item, "false_p") {
		return f, false, nil
	}
	sev := str(item, "severity")
	s, ok := findings.ParseSeverity(sev)
	if !ok {
		return f, false, fmt.Errorf("severity %q is not Info, Low, Medium, High or Critical", sev)
	}
	f = findings.Finding{
		Title:       str(item, "title"),
		Severity:    s,
		Description: reportio.Paragraphs(str(item, "description"), reportio.Section("Impact", str(item, "impact")), reportio.Section("Steps to reproduce", str(item, "steps_to_reproduce"))),
		Mitigation:  str(item, "mitigation"),
		RuleID:      str(item, "vuln_id_from_tool"),
		UniqueID:    str(item, "unique_id_from_tool"),
		Tool:        tool,
		Component:   findings.Component{Name: str(item, "component_name"), Version: str(item, "component_version")},
		KEV:         boolField(item, "known_exploited"),
	}
	if f.Title == "" {
		return f, false, fmt.Errorf("title is empty")
	}
	f.References = reportio.URLs(str(item, "references"))
	if v := str(item, "fix_version"); v != "" {
		f.FixedVersions = []string{v}
	}
	if c := str(item, "cve"); c != "" {
		f.VulnerabilityIDs = append(f.VulnerabilityIDs, c)
	}
	f.VulnerabilityIDs = append(f.VulnerabilityIDs, strList(item["vulnerability_ids"], "vulnerability_id")...)
	if n, ok := findings.ParseCWE(str(item, "cwe")); ok {
		f.CWEs = append(f.CWEs, n)
	}
	f.CWEs = append(f.CWEs, reportio.CWEs(strList(item["cwes"], "cwe"))...)
	f.CVSS = findings.CVSS{V3Vector: str(item, "cvssv3"), V3Score: num(item, "cvssv3_score"), V4Vector: str(item, "cvssv4"), V4Score: num(item, "cvssv4_score")}
	f.EPSS = findings.EPSS{Score: prob(num(item, "epss_score")), Percentile: prob(num(item, "epss_percentile"))}
	if p := str(item, "file_path"); p != "" {
		line, _ := strconv.Atoi(str(item, "line"))
		f.Locations = append(f.Locations, findings.Location{File: p, Line: line})
	}
	if raw, ok := item["endpoints"]; ok {
		locs, err := endpoints(raw)
		if err != nil {
			return f, false, err
		}
		f.Locations = append(f.Locations, locs...)
	}
	f.Normalize()
	return f, true, nil
}

// str reads a field as text whatever its JSON type ("N/A", 79, "79").
func str(item map[string]json.RawMessage, k string) string {
	raw, ok := item[k]
	if !ok {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.TrimSpace(s)
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

func num(item map[string]json.RawMessage, k string) *float64 {
	s := str(item, k)
	if s == "" {
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil // "N/A" and the like: no value
	}
	return &v
}

func prob(v *float64) *float64 {
	if v == nil || !(*v >= 0 && *v <= 1) { // false for NaN too
		return nil
	}
	return v
}

func boolField(item map[string]json.RawMessage, k string) bool {
	var b bool
	if json.Unmarshal(item[k], &b) == nil {
		return b
	}
	return strings.HasPrefix(strings.ToLower(str(item, k)), "t")
}

// strList reads a list of strings or of objects holding the string in key.
func strList(raw json.RawMessage, key string) []string {
	if len(raw) == 0 {
		return nil
	}
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		return nil
	}
	var out []string
	for _, it := range items {
		var s string
		if json.Unmarshal(it, &s) == nil {
			out = append(out, s)
			continue
		}
		var n json.Number
		if json.Unmarshal(it, &n) == nil {
			out = append(out, n.String())
			continue
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(it, &m) == nil {
			out = append(out, str(m, key))
		}
	}
	return out
}

func endpoints(raw json.RawMessage) ([]findings.Location, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("endpoints must be an array: %w", err)
	}
	var out []findings.Location
	for _, it := range items {
		var s string
		if json.Unmarshal(it, &s) == nil {
			l, err := urlLocation(s)
			if err != nil {
				return nil, err
			}
			out = append(out, l)
			continue
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(it, &m); err != nil {
			return nil, fmt.Errorf("endpoint is neither a URL nor an object")
		}
		l := findings.Location{Host: str(m, "host"), Protocol: str(m, "protocol"), Path: str(m, "path")}
		l.Port, _ = strconv.Atoi(str(m, "port"))
		if l.Host != "" && l.Protocol != "" {
			u := url.URL{Scheme: l.Protocol, Host: l.Host, Path: l.Path}
			if l.Port != 0 {
				u.Host += ":" + strconv.Itoa(l.Port)
			}
			if p := l.Path; p != "" && !strings.HasPrefix(p, "/") {
				u.Path = "/" + p
			}
			l.URL = u.String()
		}
		out = append(out, l)
	}
	return out, nil
}

// urlLocation reads a URL, or a bare host as DefectDojo does ("//host").
func urlLocation(s string) (findings.Location, error) {
	s = strings.TrimSpace(s)
	full := s
	if !strings.Contains(s, "://") {
		full = "//" + s
	}
	u, err := url.Parse(full)
	if err != nil || u.Host == "" {
		return findings.Location{}, fmt.Errorf("endpoint %q is not a URL or host", s)
	}
	l := findings.Location{Host: u.Hostname(), Protocol: u.Scheme, Path: u.EscapedPath()}
	if strings.Contains(s, "://") {
		l.URL = s
	}
	l.Port, _ = reportio.URLPort(u)
	return l, nil
}

// ParseCSV reads a generic findings CSV file. Rows are merged by
// severity, title and description, so the findings are emitted at the end.
func ParseCSV(r io.Reader, name string, emit func(findings.Finding) error) error {
	c, err := reportio.NewCSVReader(r, name)
	if err != nil || c.Header == nil {
		return err // no header: an empty report
	}
	for _, col := range []string{"Title", "Severity", "Description", "Date"} {
		if !c.Has(col) {
			return c.NotReportHeader(col, "required column %q is missing: not a generic findings CSV", col)
		}
	}
	var merged reportio.Ordered[string, *findings.Finding]
	err = c.Each(func() error {
		if isTrue(c.Get("IsMitigated")) || isTrue(c.Get("FalsePositive")) {
			return nil // not an open issue
		}
		sev := findings.Info // DefectDojo: anything but the five words is Info
		if s, ok := findings.ParseSeverity(c.Get("Severity")); ok && slices.Contains([]string{"info", "low", "medium", "high", "critical"}, strings.ToLower(c.Get("Severity"))) {
			sev = s
		}
		title, desc := c.Get("Title"), c.Get("Description")
		if title == "" {
			return c.Errorf("Title", reportio.NotReportf("empty title"))
		}
		f := findings.Finding{
			Title:       title,
			Severity:    sev,
			Description: reportio.Paragraphs(desc, reportio.Section("Impact", c.Get("Impact"))),
			Mitigation:  c.Get("Mitigation"),
			References:  reportio.URLs(c.Get("References")),
		}
		for _, id := range []string{c.Get("CVE"), c.Get("Vulnerability Id")} {
			if id != "" {
				f.VulnerabilityIDs = append(f.VulnerabilityIDs, id)
			}
		}
		if n, ok := findings.ParseCWE(c.Get("CweId")); ok {
			f.CWEs = append(f.CWEs, n)
		}
		f.CWEs = append(f.CWEs, findings.CWEsIn(c.Get("CweIds"))...)
		for _, s := range strings.FieldsFunc(c.Get("CweIds"), func(r rune) bool { return r == ',' || r == ' ' }) {
			if n, err := strconv.Atoi(s); err == nil {
				f.CWEs = append(f.CWEs, n)
			}
		}
		f.CVSS.V3Vector = c.Get("CVSSV3")
		f.CVSS.V4Vector = c.Get("CVSSV4")
		f.CVSS.V4Score = findings.ParseScore(c.Get("CVSSV4_score"))
		f.EPSS.Score = prob(parseFloat(c.Get("epss_score")))
		f.EPSS.Percentile = prob(parseFloat(c.Get("epss_percentile")))
		f.KEV = isTrue(c.Get("known_exploited"))
		if v := c.Get("fix_version"); v != "" {
			f.FixedVersions = []string{v}
		}
		if u := c.Get("Url"); u != "" {
			l, err := urlLocation(u)
			if err != nil {
				return c.Errorf("Url", err)
			}
			f.Locations = []findings.Location{l}
		}
		key := string(sev) + "\x00" + title + "\x00" + desc
		if prev, ok := merged.Get(key); ok {
			prev.Locations = append(prev.Locations, f.Locations...)
			prev.VulnerabilityIDs = append(prev.VulnerabilityIDs, f.VulnerabilityIDs...)
			prev.CWEs = append(prev.CWEs, f.CWEs...)
			return nil
		}
		merged.Set(key, &f)
		return nil
	})
	if err != nil {
		return err
	}
	return merged.Each(func(_ string, f *findings.Finding) error {
		f.Normalize()
		return emit(*f)
	})
}

func parseFloat(s string) *float64 {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return nil
	}
	return &v
}

// isTrue reads DefectDojo's CSV booleans: anything starting with t.
func isTrue(s string) bool { return strings.HasPrefix(strings.ToLower(strings.TrimSpace(s)), "t") }
