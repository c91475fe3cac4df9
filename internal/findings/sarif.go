package findings

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/rampart-security/rampart/internal/sarif"
)

// SARIFLevel maps a severity to a SARIF result level.
func SARIFLevel(s Severity) sarif.Level {
	switch s {
	case Critical, High:
		return sarif.Error
	case Medium:
		return sarif.Warning
	case Low:
		return sarif.Note
	}
	return sarif.None
}

// SecuritySeverity is GitHub's numeric security-severity for a severity, ""
// for info and unknown.
func SecuritySeverity(s Severity) string {
	switch s {
	case Critical:
		return "9.5"
	case High:
		return "8.0"
	case Medium:
		return "5.5"
	case Low:
		return "2.0"
	}
	return ""
}

// WriteSARIF writes findings as a SARIF 2.1.0 log (one run, tool
// "Rampart"), for GitHub code scanning and other SARIF consumers. Rules are
// the findings' rule ids (or vulnerability ids) in the order they first
// occur; the Rampart fingerprint is the result's fingerprint, so consumers
// de-duplicate across uploads the same way Rampart does.
func WriteSARIF(w io.Writer, fs []Finding) error {
	run := sarif.Run{Tool: sarif.Tool{Name: "Rampart"}, Results: make([]sarif.Result, 0, len(fs))}
	seen := map[string]bool{}
	for i := range fs {
		f := &fs[i]
		rule := sarifRuleID(f)
		if !seen[rule] {
			seen[rule] = true
			run.Rules = append(run.Rules, sarifRule(rule, f))
		}
		run.Results = append(run.Results, sarifResult(rule, f))
	}
	return sarif.Write(w, run)
}

func sarifRuleID(f *Finding) string {
	switch {
	case f.RuleID != "":
		return f.RuleID
	case len(f.VulnerabilityIDs) > 0:
		return f.VulnerabilityIDs[0]
	}
	return "finding"
}

// sarifRule is the rule of the first finding with that rule id.
func sarifRule(id string, f *Finding) sarif.Rule {
	tags := []string{"security"}
	for _, c := range f.CWEs {
		tags = append(tags, "external/cwe/cwe-"+strconv.Itoa(c))
	}
	r := sarif.Rule{ID: id, Name: f.Title, ShortDescription: f.Title, HelpMarkdown: f.Mitigation, Tags: tags}
	score := f.CVSS.V4Score
	if score == nil {
		score = f.CVSS.V3Score
	}
	if score != nil {
		r.Properties = map[string]any{"security-severity": strconv.FormatFloat(*score, 'f', 1, 64)}
	}
	return r
}

func sarifResult(rule string, f *Finding) sarif.Result {
	msg := f.Title
	if f.Component.Name != "" {
		msg += fmt.Sprintf(" in %s %s", f.Component.Name, f.Component.Version)
	}
	if len(f.VulnerabilityIDs) > 0 {
		msg += " (" + strings.Join(f.VulnerabilityIDs, ", ") + ")"
	}
	res := sarif.Result{RuleID: rule, Level: SARIFLevel(f.Severity), Message: msg,
		PartialFingerprints: map[string]string{"rampart/v1": f.Fingerprint}}
	for _, l := range f.Locations {
		uri := l.File
		if uri == "" {
			uri = l.URL
		}
		if uri == "" && l.Host != "" {
			uri = fmt.Sprintf("%s:%d%s", l.Host, l.Port, l.Path)
		}
		if uri == "" {
			continue
		}
		loc := sarif.Location{URI: uri}
		if l.Line > 0 {
			loc.StartLine, loc.EndLine = l.Line, l.Line
		}
		res.Locations = append(res.Locations, loc)
	}
	if len(res.Locations) == 0 && f.Component.PURL != "" {
		res.Locations = append(res.Locations, sarif.Location{URI: f.Component.PURL})
	}
	return res
}
