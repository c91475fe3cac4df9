package findings

import (
	"fmt"
	"io"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"
)

// SARIFRule describes one rule of a SARIF run (a policy rule, a check).
type SARIFRule struct {
	ID          string
	Name        string
	Description string
	Help        string // markdown
	Severity    Severity
	Source      string // where the rule is defined, e.g. "policy.yaml:12"
}

// SARIFResult is one result of a SARIF run. Excepted results carry a SARIF
// suppression (kind "external", status "accepted") with the justification,
// so code-scanning UIs show them as dismissed rather than open.
type SARIFResult struct {
	RuleID        string
	Severity      Severity
	Message       string
	File          string // artifact URI; "" leaves the result without location
	Line          int
	Fingerprint   string
	Suppressed    bool
	Justification string
}

// WriteSARIFRun writes one SARIF 2.1.0 run of a tool with explicit rules
// and results (general form of WriteSARIF, for gates and checks whose
// rules are not findings).
func WriteSARIFRun(w io.Writer, tool, version string, rules []SARIFRule, results []SARIFResult) error {
	run := sarif.NewRunWithInformationURI(tool, "https://github.com/rampart-security/rampart")
	if version != "" {
		run.Tool.Driver.WithVersion(version)
	}
	for _, r := range rules {
		props := sarif.NewPropertyBag()
		props.Add("tags", []string{"security", "policy"})
		props.Add("problem.severity", sarifLevel(r.Severity))
		if r.Source != "" {
			props.Add("source", r.Source)
		}
		if s := securitySeverity(r.Severity); s != "" {
			props.Add("security-severity", s)
		}
		name := r.Name
		if name == "" {
			name = r.ID
		}
		desc := r.Description
		if desc == "" {
			desc = r.ID
		}
		rule := run.AddRule(r.ID).WithName(name).WithDescription(desc).WithProperties(props)
		if r.Help != "" {
			rule.WithMarkdownHelp(r.Help)
		}
	}
	for _, res := range results {
		if run.GetRuleIndex(res.RuleID) < 0 {
			run.AddRule(res.RuleID).WithDescription(res.RuleID)
		}
		out := run.CreateResultForRule(res.RuleID).WithLevel(sarifLevel(res.Severity)).WithMessage(sarif.NewTextMessage(res.Message))
		if res.Fingerprint != "" {
			out.WithPartialFingerprints(map[string]string{"rampart/v1": res.Fingerprint})
		}
		if res.File != "" {
			pl := sarif.NewPhysicalLocation().WithArtifactLocation(sarif.NewSimpleArtifactLocation(res.File))
			if res.Line > 0 {
				pl.WithRegion(sarif.NewSimpleRegion(res.Line, res.Line))
			}
			out.AddLocation(sarif.NewLocationWithPhysicalLocation(pl))
		}
		if res.Suppressed {
			out.AddSuppression(sarif.NewSuppression().WithKind("external").WithStatus("accepted").WithJustification(res.Justification))
		}
	}
	rep := sarif.NewReport()
	rep.AddRun(run)
	if err := rep.Validate(); err != nil {
		return fmt.Errorf("SARIF output: %w", err)
	}
	return rep.PrettyWrite(w)
}

// securitySeverity is GitHub's numeric security-severity for a level.
func securitySeverity(s Severity) string {
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
