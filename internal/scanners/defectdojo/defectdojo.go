// Package defectdojo reads DefectDojo's findings export: the JSON pages of
// its API v2 findings list (GET /api/v2/findings/, optionally with
// ?prefetch=endpoints), so a team moving to Rampart keeps its triage.
//
// Input: one page ({"count", "next", "previous", "results": [...],
// "prefetch": {...}}), a JSON array of pages, pages written one after the
// other (as `for page …; do curl …; done > export.json` produces), or a
// plain array of finding objects.
//
// Mapping of one DefectDojo finding to one Rampart finding:
//   - title, severity (Critical…Info), description (plus impact, steps to
//     reproduce and severity justification), mitigation, references;
//   - CWE (cwe), vulnerability ids (vulnerability_ids[].vulnerability_id,
//     the older "cve"), CVSS v3 vector and score, EPSS score/percentile;
//   - component_name/component_version; file_path/line; endpoints (objects,
//     or ids resolved through the page's prefetch.endpoints); DefectDojo's
//     id as the unique id;
//   - date (discovered) as first seen;
//   - status, as the finding's recorded triage: false_p → false positive;
//     risk_accepted → risk accepted, until the earliest expiration_date of
//     its accepted_risks (none: no expiry); out_of_scope → false positive
//     ("out of scope"); duplicate → duplicate; is_mitigated or inactive →
//     fixed (closed); active and verified → confirmed; otherwise open;
//   - notes (entry, author, date) appended to the description.
package defectdojo

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/scanners/reportio"
)

// Name is the registry name.
const Name = "defectdojo-export"

// Format describes the DefectDojo findings export to the registry.
var Format = reportio.Format{
	Name:        Name,
	Aliases:     []string{"defectdojo-findings", "dojo-export"},
	Description: "DefectDojo findings export (API v2 /findings/ JSON pages), with status, risk acceptance and notes",
	DetectRule:  `JSON whose "results" (or top-level array) holds objects with DefectDojo's finding keys "false_p", "is_mitigated" or "numerical_severity"`,
	Detect:      Detect,
	Parse:       Parse,
}

// Detect reports whether h is a DefectDojo findings export.
func Detect(h *reportio.Head) bool {
	k := h.JSON()
	if k == nil {
		return false
	}
	for _, p := range []string{"results[]", "[].results[]", "[]"} {
		if k.HasPath(p+".false_p") || k.HasPath(p+".is_mitigated") || k.HasPath(p+".numerical_severity") {
			return true
		}
	}
	return false
}

type endpoint struct {
	Protocol string `json:"protocol"`
	Host     string `json:"host"`
	Port     *int   `json:"port"`
	Path     string `json:"path"`
	Query    string `json:"query"`
	Fragment string `json:"fragment"`
}

func (e endpoint) location() findings.Location {
	l := findings.Location{Host: e.Host, Protocol: strings.ToLower(e.Protocol), Path: e.Path}
	if e.Port != nil {
		l.Port = *e.Port
	}
	if e.Protocol != "" && e.Host != "" {
		u := url.URL{Scheme: l.Protocol, Host: e.Host, Path: e.Path, RawQuery: e.Query, Fragment: e.Fragment}
		if e.Port != nil && !((l.Protocol == "https" && *e.Port == 443) || (l.Protocol == "http" && *e.Port == 80)) {
			u.Host = e.Host + ":" + strconv.Itoa(*e.Port)
		}
		if u.Path != "" && !strings.HasPrefix(u.Path, "/") {
			u.Path = "/" + u.Path
		}
		l.URL = u.String()
	}
	return l
}

type note struct {
	Entry  string          `json:"entry"`
	Author json.RawMessage `json:"author"`
	Date   string          `json:"date"`
}

type finding struct {
	ID               json.Number       `json:"id"`
	Title            string            `json:"title"`
	Date             string            `json:"date"`
	CWE              *int              `json:"cwe"`
	CVE              string            `json:"cve"`
	VulnerabilityIDs []json.RawMessage `json:"vulnerability_ids"`
	CVSSv3           string            `json:"cvssv3"`
	CVSSv3Score      *float64          `json:"cvssv3_score"`
	EPSSScore        *float64          `json:"epss_score"`
	EPSSPercentile   *float64          `json:"epss_percentile"`
	Severity         string            `json:"severity"`
	Description      string            `json:"description"`
	Mitigation       string            `json:"mitigation"`
	Impact           string            `json:"impact"`
	Steps            string            `json:"steps_to_reproduce"`
	Justification    string            `json:"severity_justification"`
	References       string            `json:"references"`
	Active           *bool             `json:"active"`
	Verified         bool              `json:"verified"`
	FalseP           bool              `json:"false_p"`
	Duplicate        bool              `json:"duplicate"`
	DuplicateFinding *int64            `json:"duplicate_finding"`
	OutOfScope       bool              `json:"out_of_scope"`
	RiskAccepted     bool              `json:"risk_accepted"`
	UnderReview      bool              `json:"under_review"`
	IsMitigated      bool              `json:"is_mitigated"`
	Mitigated        string            `json:"mitigated"`
	FilePath         string            `json:"file_path"`
	Line             *int              `json:"line"`
	ComponentName    string            `json:"component_name"`
	ComponentVersion string            `json:"component_version"`
	UniqueIDFromTool string            `json:"unique_id_from_tool"`
	VulnIDFromTool   string            `json:"vuln_id_from_tool"`
	Endpoints        []json.RawMessage `json:"endpoints"`
	Notes            []note            `json:"notes"`
	Tags             []string          `json:"tags"`
	AcceptedRisks    []struct {
		Name           string          `json:"name"`
		ExpirationDate string          `json:"expiration_date"`
		Owner          json.RawMessage `json:"owner"`
		Decision       string          `json:"decision"`
		DecisionDetail string          `json:"decision_details"`
	} `json:"accepted_risks"`
}

type page struct {
	Results  []json.RawMessage `json:"results"`
	Prefetch struct {
		Endpoints map[string]endpoint `json:"endpoints"`
	} `json:"prefetch"`
}

// Parse streams the findings of a DefectDojo findings export.
func Parse(r io.Reader, name string, emit func(findings.Finding) error) error {
	dec := reportio.NewJSONDecoder(r, name)
	for values := 0; ; values++ {
		delim, empty, err := dec.Begin()
		if err != nil {
			return err
		}
		if empty {
			return nil // end of input (or an empty one)
		}
		switch delim {
		case '{':
			if err := parseObject(dec, name, emit); err != nil {
				return err
			}
		case '[':
			for dec.More() {
				var raw json.RawMessage
				if err := dec.Decode(&raw, "[]"); err != nil {
					return err
				}
				if err := parseRaw(raw, dec, name, emit); err != nil {
					return err
				}
			}
			if err := dec.End(); err != nil {
				return err
			}
		}
	}
}

// parseObject reads a page (or one finding) whose '{' was just read.
func parseObject(dec *reportio.JSONDecoder, name string, emit func(findings.Finding) error) error {
	var p page
	var single map[string]json.RawMessage
	known := false
	err := dec.Object(func(key string) error {
		switch key {
		case "results":
			known = true
			return dec.Decode(&p.Results, "results")
		case "prefetch":
			return dec.Decode(&p.Prefetch, "prefetch")
		case "count", "next", "previous":
			known = true
			return dec.Skip()
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw, key); err != nil {
			return err
		}
		if single == nil {
			single = map[string]json.RawMessage{}
		}
		single[key] = raw
		return nil
	})
	if err != nil {
		return err
	}
	if !known {
		if _, ok := single["title"]; ok {
			b, _ := json.Marshal(single)
			return emitFinding(b, nil, dec, name, emit)
		}
		return reportio.NotReport(name, dec.Offset(), `no "results": not a DefectDojo findings export`)
	}
	return emitPage(p, dec, name, emit)
}

func parseRaw(raw json.RawMessage, dec *reportio.JSONDecoder, name string, emit func(findings.Finding) error) error {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(raw, &probe); err != nil {
		return dec.Errorf(reportio.ErrNotReport, "array element is not an object")
	}
	if _, ok := probe["results"]; ok {
		var p page
		if err := json.Unmarshal(raw, &p); err != nil {
			return dec.Errorf(err, "page")
		}
		return emitPage(p, dec, name, emit)
	}
	return emitFinding(raw, nil, dec, name, emit)
}

func emitPage(p page, dec *reportio.JSONDecoder, name string, emit func(findings.Finding) error) error {
	for _, raw := range p.Results {
		if err := emitFinding(raw, p.Prefetch.Endpoints, dec, name, emit); err != nil {
			return err
		}
	}
	return nil
}

func emitFinding(raw json.RawMessage, prefetched map[string]endpoint, dec *reportio.JSONDecoder, name string, emit func(findings.Finding) error) error {
	var d finding
	if err := json.Unmarshal(raw, &d); err != nil {
		return dec.Errorf(err, "finding")
	}
	if strings.TrimSpace(d.Title) == "" {
		return dec.Errorf(reportio.ErrNotReport, "finding %s has no title: not a DefectDojo finding", d.ID)
	}
	f := findings.Finding{
		Title:       d.Title,
		Severity:    findings.SeverityOrInfo(d.Severity),
		RuleID:      d.VulnIDFromTool,
		UniqueID:    firstNonEmpty(d.UniqueIDFromTool, "defectdojo:"+d.ID.String()),
		Component:   findings.Component{Name: d.ComponentName, Version: d.ComponentVersion},
		Mitigation:  d.Mitigation,
		References:  reportio.URLs(d.References),
		Description: d.Description,
	}
	if strings.EqualFold(d.Severity, "informational") {
		f.Severity = findings.Info
	}
	for _, extra := range []struct{ head, text string }{{"Impact", d.Impact}, {"Steps to reproduce", d.Steps}, {"Severity justification", d.Justification}} {
		if t := strings.TrimSpace(extra.text); t != "" {
			f.Description += "\n\n" + extra.head + ":\n" + t
		}
	}
	if d.CWE != nil && *d.CWE > 0 {
		f.CWEs = []int{*d.CWE}
	}
	if d.CVE != "" {
		f.VulnerabilityIDs = append(f.VulnerabilityIDs, d.CVE)
	}
	for _, v := range d.VulnerabilityIDs {
		var o struct {
			ID string `json:"vulnerability_id"`
		}
		var s string
		switch {
		case json.Unmarshal(v, &o) == nil && o.ID != "":
			f.VulnerabilityIDs = append(f.VulnerabilityIDs, o.ID)
		case json.Unmarshal(v, &s) == nil && s != "":
			f.VulnerabilityIDs = append(f.VulnerabilityIDs, s)
		}
	}
	if strings.HasPrefix(d.CVSSv3, "CVSS:3") {
		f.CVSS.V3Vector = d.CVSSv3
	}
	f.CVSS.V3Score = d.CVSSv3Score
	f.EPSS.Score, f.EPSS.Percentile = d.EPSSScore, d.EPSSPercentile
	if d.FilePath != "" {
		l := findings.Location{File: d.FilePath}
		if d.Line != nil {
			l.Line = *d.Line
		}
		f.Locations = append(f.Locations, l)
	}
	var unresolved []string
	for _, raw := range d.Endpoints {
		var id json.Number
		var e endpoint
		var s string
		switch {
		case json.Unmarshal(raw, &id) == nil:
			if pe, ok := prefetched[id.String()]; ok {
				f.Locations = append(f.Locations, pe.location())
			} else {
				unresolved = append(unresolved, id.String())
			}
		case json.Unmarshal(raw, &s) == nil && s != "":
			if u, err := url.Parse(s); err == nil && u.Host != "" {
				l := findings.Location{URL: s, Host: u.Hostname(), Protocol: u.Scheme, Path: u.Path}
				l.Port, _ = strconv.Atoi(u.Port())
				f.Locations = append(f.Locations, l)
			} else {
				f.Locations = append(f.Locations, findings.Location{Host: s})
			}
		case json.Unmarshal(raw, &e) == nil && e.Host != "":
			f.Locations = append(f.Locations, e.location())
		}
	}
	if len(unresolved) > 0 {
		f.Description += "\n\nDefectDojo endpoints " + strings.Join(unresolved, ", ") + " (export with ?prefetch=endpoints to keep their hosts)."
	}
	if t, ok := parseDate(d.Date); ok {
		f.FirstSeen = &t
	}
	if len(d.Notes) > 0 {
		var sb strings.Builder
		sb.WriteString("\n\nDefectDojo notes:")
		for _, n := range d.Notes {
			fmt.Fprintf(&sb, "\n- %s %s: %s", strings.TrimSpace(d8(n.Date)), author(n.Author), strings.TrimSpace(n.Entry))
		}
		f.Description += sb.String()
	}
	if len(d.Tags) > 0 {
		f.Description += "\n\nDefectDojo tags: " + strings.Join(d.Tags, ", ")
	}
	f.Triage = triage(d)
	f.Normalize()
	return emit(f)
}

// triage maps DefectDojo's status flags to the finding's recorded state.
func triage(d finding) *findings.Triage {
	active := d.Active == nil || *d.Active
	switch {
	case d.FalseP:
		return &findings.Triage{Status: findings.StatusFalsePositive, Reason: "false positive in DefectDojo"}
	case d.RiskAccepted:
		t := &findings.Triage{Status: findings.StatusRiskAccepted, Reason: "risk accepted in DefectDojo"}
		var names []string
		for _, ra := range d.AcceptedRisks {
			if ra.Name != "" {
				names = append(names, ra.Name)
			}
			if ra.DecisionDetail != "" {
				names = append(names, ra.DecisionDetail)
			}
			if exp, ok := parseDate(ra.ExpirationDate); ok && (t.AcceptedUntil == nil || exp.Before(*t.AcceptedUntil)) {
				t.AcceptedUntil = &exp
				t.AcceptedBy = author(ra.Owner)
			}
		}
		if len(names) > 0 {
			t.Reason += " (" + strings.Join(names, "; ") + ")"
		}
		if t.AcceptedUntil == nil {
			t.Reason += ", without expiry"
		}
		return t
	case d.OutOfScope:
		return &findings.Triage{Status: findings.StatusFalsePositive, Reason: "out of scope in DefectDojo"}
	case d.Duplicate:
		r := "duplicate in DefectDojo"
		if d.DuplicateFinding != nil {
			r += fmt.Sprintf(" of finding %d", *d.DuplicateFinding)
		}
		return &findings.Triage{Status: findings.StatusDuplicate, Reason: r}
	case d.IsMitigated || !active:
		r := "mitigated in DefectDojo"
		if !d.IsMitigated {
			r = "inactive in DefectDojo"
		}
		if m := d8(d.Mitigated); m != "" {
			r += " on " + m
		}
		return &findings.Triage{Status: findings.StatusFixed, Reason: r}
	case d.Verified:
		return &findings.Triage{Status: findings.StatusConfirmed, Reason: "verified in DefectDojo"}
	}
	return nil
}

func parseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// d8 is the date part of a DefectDojo timestamp.
func d8(s string) string {
	if t, ok := parseDate(s); ok {
		return t.Format("2006-01-02")
	}
	return s
}

// author names a user given as an id, a name or a {username} object.
func author(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var u struct {
		Username  string `json:"username"`
		FirstName string `json:"first_name"`
		LastName  string `json:"last_name"`
	}
	if json.Unmarshal(raw, &u) == nil && u.Username != "" {
		return u.Username
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return "user " + n.String()
	}
	return ""
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if strings.TrimSpace(x) != "" && x != "defectdojo:" {
			return x
		}
	}
	return ""
}
