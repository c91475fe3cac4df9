package findings

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"
)

// sarifLevel maps a severity to a SARIF result level.
func sarifLevel(s Severity) string {
	switch s {
	case Critical, High:
		return "error"
	case Medium:
		return "warning"
	case Low:
		return "note"
	}
	return "none"
}

// WriteSARIF writes findings as a SARIF 2.1.0 log (one run, tool
// "Rampart"), for GitHub code scanning and other SARIF consumers. Rules are
// the findings' rule ids (or vulnerability ids); the Rampart fingerprint is
// the result's fingerprint, so consumers de-duplicate across uploads the
// same way Rampart does.
func WriteSARIF(w io.Writer, fs []Finding) error {
	run := sarif.NewRunWithInformationURI("Rampart", "https://github.com/rampart-security/rampart")
	for _, f := range fs {
		rule := f.RuleID
		if rule == "" && len(f.VulnerabilityIDs) > 0 {
			rule = f.VulnerabilityIDs[0]
		}
		if rule == "" {
			rule = "finding"
		}
		if run.GetRuleIndex(rule) < 0 {
			props := sarif.NewPropertyBag()
			tags := []string{"security"}
			for _, c := range f.CWEs {
				tags = append(tags, "external/cwe/cwe-"+strconv.Itoa(c))
			}
			props.Add("tags", tags)
			if score := f.CVSS.V4Score; score != nil {
				props.Add("security-severity", strconv.FormatFloat(*score, 'f', 1, 64))
			} else if score := f.CVSS.V3Score; score != nil {
				props.Add("security-severity", strconv.FormatFloat(*score, 'f', 1, 64))
			}
			r := run.AddRule(rule).WithName(f.Title).WithDescription(f.Title).WithProperties(props)
			if f.Mitigation != "" {
				r.WithMarkdownHelp(f.Mitigation)
			}
		}
		msg := f.Title
		if f.Component.Name != "" {
			msg += fmt.Sprintf(" in %s %s", f.Component.Name, f.Component.Version)
		}
		if len(f.VulnerabilityIDs) > 0 {
			msg += " (" + strings.Join(f.VulnerabilityIDs, ", ") + ")"
		}
		res := run.CreateResultForRule(rule).WithLevel(sarifLevel(f.Severity)).WithMessage(sarif.NewTextMessage(msg)).
			WithPartialFingerprints(map[string]string{"rampart/v1": f.Fingerprint}) // AddPartialFingerprint panics on a nil map in go-sarif v3.3.1
		for _, l := range f.Locations {
			uri, line := l.File, l.Line
			if uri == "" {
				uri = l.URL
			}
			if uri == "" && l.Host != "" {
				uri = fmt.Sprintf("%s:%d%s", l.Host, l.Port, l.Path)
			}
			if uri == "" {
				continue
			}
			pl := sarif.NewPhysicalLocation().WithArtifactLocation(sarif.NewSimpleArtifactLocation(uri))
			if line > 0 {
				pl.WithRegion(sarif.NewSimpleRegion(line, line))
			}
			res.AddLocation(sarif.NewLocationWithPhysicalLocation(pl))
		}
		if len(res.Locations) == 0 && f.Component.PURL != "" {
			res.AddLocation(sarif.NewLocationWithPhysicalLocation(sarif.NewPhysicalLocation().
				WithArtifactLocation(sarif.NewSimpleArtifactLocation(f.Component.PURL))))
		}
	}
	rep := sarif.NewReport()
	rep.AddRun(run)
	if err := rep.Validate(); err != nil {
		return fmt.Errorf("SARIF output: %w", err)
	}
	return rep.PrettyWrite(w)
}
