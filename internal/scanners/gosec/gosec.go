// Package gosec parses gosec JSON reports (`gosec -fmt=json`): one
// finding per entry of "Issues", streamed. Severity HIGH/MEDIUM/LOW as
// written; rule id (G101…), CWE, file and line (the first line of a
// "79-81" range), the AI autofix (gosec ≥ 2.16 "autofix") as mitigation.
// Issues gosec did not count as found are skipped: those carrying
// suppressions (#nosec or excluded rules, written with -track-suppressions)
// and those marked "nosec": true (#nosec issues written with -show-ignored;
// gosec's analyzer sets nosec only there, and leaves them out of
// Stats.found).
package gosec

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/scanners/reportio"
)

// Name is the format's registry name.
const Name = "gosec"

// Format describes the gosec JSON report (Go) to the registry.
var Format = reportio.Format{
	Name:        Name,
	Description: "gosec JSON report (Go)",
	DetectRule:  `JSON object with an "Issues" key and "Stats" or "Golang errors" keys, or issues with "rule_id" and "details"`,
	Detect:      Detect,
	Parse:       Parse,
}

// Detect reports whether head is a gosec JSON report.
func Detect(h *reportio.Head) bool {
	return h.Start() == '{' && h.JSON().Has("Issues") &&
		(h.JSON().Has("Golang errors") || h.JSON().Has("Stats") || (h.JSON().Has("rule_id") && h.JSON().Has("details")))
}

type issue struct {
	Severity   string `json:"severity"`
	Confidence string `json:"confidence"`
	CWE        struct {
		ID  string `json:"id"`
		URL string `json:"url"`
	} `json:"cwe"`
	RuleID       string `json:"rule_id"`
	Details      string `json:"details"`
	File         string `json:"file"`
	Code         string `json:"code"`
	Line         string `json:"line"`
	NoSec        bool   `json:"nosec"`
	Autofix      string `json:"autofix"`
	Suppressions []struct {
		Kind string `json:"kind"`
	} `json:"suppressions"`
}

// Parse streams the findings of a gosec JSON report. A report with no
// issues, no file analysed (Stats.files 0) and errors in "Golang errors"
// is refused: gosec could not load the code, so the scan did not run, and
// importing it as an empty report would close every open finding.
func Parse(r io.Reader, name string, emit func(findings.Finding) error) error {
	dec := reportio.NewJSONDecoder(r, name)
	if empty, err := dec.BeginObject("gosec report must be a JSON object"); err != nil || empty {
		return err
	}
	known, issues := false, 0
	var stats *struct {
		Files int `json:"files"`
	}
	var golangErrors map[string]any // file → [{line, column, error}]
	err := dec.Object(func(key string) error {
		switch key {
		case "Issues":
			known = true
			return reportio.DecodeElements(dec, "Issues", func(is issue) error {
				if is.RuleID == "" {
					return dec.Errorf(reportio.ErrNotReport, "issue without rule_id")
				}
				issues++
				if len(is.Suppressions) > 0 || is.NoSec {
					return nil // suppressed in the source or the configuration
				}
				return emit(is.finding())
			})
		case "Stats":
			return dec.Decode(&stats, "Stats")
		case "Golang errors":
			return dec.Decode(&golangErrors, "Golang errors")
		}
		return dec.Skip()
	})
	if err := dec.Known(known, err, `no "Issues": not a gosec report`); err != nil {
		return err
	}
	if issues == 0 && stats != nil && stats.Files == 0 && len(golangErrors) > 0 {
		files := make([]string, 0, len(golangErrors))
		for f := range golangErrors {
			files = append(files, f)
		}
		sort.Strings(files)
		first := files[0]
		if list, ok := golangErrors[first].([]any); ok && len(list) > 0 {
			if e, ok := list[0].(map[string]any); ok {
				if msg, ok := e["error"].(string); ok {
					first += ": " + msg
				}
			}
		}
		return &reportio.ParseError{File: name, Offset: dec.Offset(), Field: "Golang errors",
			Err: fmt.Errorf("gosec analysed no file and reported %d with errors (the scan did not run; importing it would close every open finding), first %s", len(files), first)}
	}
	return nil
}

func (is issue) finding() findings.Finding {
	line, _, _ := strings.Cut(is.Line, "-")
	n, _ := strconv.Atoi(strings.TrimSpace(line))
	f := findings.Finding{
		Title:       is.Details,
		Severity:    findings.SeverityOrInfo(is.Severity),
		RuleID:      is.RuleID,
		Description: strings.TrimSpace(is.Details + "\n\nConfidence: " + strings.ToLower(is.Confidence) + "\n\n" + is.Code),
		Locations:   []findings.Location{{File: is.File, Line: n}},
		References:  []string{is.CWE.URL},
		Mitigation:  is.Autofix,
	}
	if c, ok := findings.ParseCWE(is.CWE.ID); ok {
		f.CWEs = []int{c}
	}
	f.Normalize()
	return f
}
