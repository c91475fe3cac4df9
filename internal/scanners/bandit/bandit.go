// Package bandit parses Bandit JSON reports (`bandit -f json`): one
// finding per entry of "results", streamed. Severity HIGH/MEDIUM/LOW as
// written; rule id is the test id (B101…), CWE from issue_cwe (Bandit ≥
// 1.7.5), file and line, the more_info link as reference.
package bandit

import (
	"io"
	"strings"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/scanners/reportio"
)

// Name is the format's registry name.
const Name = "bandit"

// Format describes the Bandit JSON report (Python) to the registry.
var Format = reportio.Format{
	Name:        Name,
	Description: "Bandit JSON report (Python)",
	DetectRule:  `JSON object with "generated_at" and "metrics" keys and Bandit's "CONFIDENCE.HIGH" metric or a "test_id" key`,
	Detect:      Detect,
	Parse:       Parse,
}

// Detect reports whether head is a Bandit JSON report.
func Detect(h *reportio.Head) bool {
	return h.Start() == '{' && h.JSON().Has("generated_at") && h.JSON().Has("metrics") &&
		(h.JSON().Has("CONFIDENCE.HIGH") || h.JSON().Has("test_id"))
}

type result struct {
	Code            string `json:"code"`
	Filename        string `json:"filename"`
	IssueConfidence string `json:"issue_confidence"`
	IssueSeverity   string `json:"issue_severity"`
	IssueText       string `json:"issue_text"`
	IssueCWE        struct {
		ID   int    `json:"id"`
		Link string `json:"link"`
	} `json:"issue_cwe"`
	LineNumber int    `json:"line_number"`
	MoreInfo   string `json:"more_info"`
	TestID     string `json:"test_id"`
	TestName   string `json:"test_name"`
}

// Parse streams the findings of a Bandit JSON report.
func Parse(r io.Reader, name string, emit func(findings.Finding) error) error {
	dec := reportio.NewJSONDecoder(r, name)
	if empty, err := dec.BeginObject("Bandit report must be a JSON object"); err != nil || empty {
		return err
	}
	known, results := false, 0
	var errs []struct {
		Filename string `json:"filename"`
		Reason   string `json:"reason"`
	}
	var errsAt int64
	err := dec.Object(func(key string) error {
		switch key {
		case "errors": // files Bandit could not scan: {"filename", "reason"}
			errsAt = dec.Offset()
			return dec.Decode(&errs, "errors")
		case "results":
			known = true
			return reportio.DecodeElements(dec, "results", func(res result) error {
				results++
				return emitResult(dec, res, emit)
			})
		}
		return dec.Skip()
	})
	if err := dec.Known(known, err, `no "results": not a Bandit report`); err != nil {
		return err
	}
	if results == 0 && len(errs) > 0 {
		// Every file Bandit could read was clean, and it could not scan
		// the ones listed: a run that failed on its targets (a wrong
		// Python version, a path that is not source) looks so, and
		// importing it would close every finding of the scope.
		return reportio.IncompleteAt(name, errsAt, "errors", "Bandit reported no result and could not scan %d files, the first %s: %s",
			len(errs), errs[0].Filename, reportio.Clip(strings.TrimSpace(errs[0].Reason), 200))
	}
	return nil
}

// emitResult converts one entry of "results".
func emitResult(dec *reportio.JSONDecoder, res result, emit func(findings.Finding) error) error {
	if res.TestID == "" {
		return dec.Errorf(reportio.ErrNotReport, "result without test_id")
	}
	f := findings.Finding{
		Title:       res.IssueText,
		Severity:    findings.SeverityOrInfo(res.IssueSeverity),
		RuleID:      res.TestID,
		Description: strings.TrimSpace(res.IssueText + "\n\nTest: " + res.TestName + ", confidence " + strings.ToLower(res.IssueConfidence) + "\n\n" + res.Code),
		Locations:   []findings.Location{{File: res.Filename, Line: res.LineNumber}},
		References:  []string{res.MoreInfo, res.IssueCWE.Link},
	}
	if res.IssueCWE.ID > 0 {
		f.CWEs = []int{res.IssueCWE.ID}
	}
	f.Normalize()
	return emit(f)
}
