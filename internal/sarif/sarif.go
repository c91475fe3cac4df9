// Package sarif writes SARIF 2.1.0 logs. It is the only package that knows
// the SARIF object model (github.com/owenrumney/go-sarif): the producers
// (findings export, policy gates, vulnerability matches, threat-model checks)
// describe one run with the plain types below and Write turns it into a
// schema-validated log.
//
// Write keeps the order of rules and results it is given and adds no
// timestamps, so the same run always gives the same bytes (the golden-file
// tests of the producers rely on it).
package sarif

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"

	gosarif "github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"
)

// InformationURI is Rampart's home page, the tool's informationUri.
const InformationURI = "https://github.com/rampart-security/rampart"

// Level is a result's SARIF level.
type Level string

// The SARIF levels.
const (
	Error   Level = "error"
	Warning Level = "warning"
	Note    Level = "note"
	None    Level = "none"
)

// Run is one SARIF run: the tool, its rules and its results.
type Run struct {
	Tool    Tool
	Rules   []Rule
	Results []Result
}

// Tool names the driver of a run.
type Tool struct {
	Name           string
	Version        string // "" leaves the version out
	InformationURI string // "" means InformationURI
}

// Rule is one reportingDescriptor of the driver. Empty fields are left out.
type Rule struct {
	ID               string
	Name             string
	ShortDescription string
	FullDescription  string
	Help             string // help.text
	HelpMarkdown     string // help.markdown
	HelpURI          string
	DefaultLevel     Level // defaultConfiguration.level
	Tags             []string
	Properties       map[string]any // e.g. "security-severity"
}

// Result is one result of a run. RuleID must name one of the run's rules.
type Result struct {
	RuleID              string
	Level               Level
	Message             string
	Locations           []Location
	PartialFingerprints map[string]string
	Suppression         *Suppression
	Properties          map[string]any
}

// Location is a physical location (an artifact URI and an optional region)
// with an optional logical location (the model element a threat is about).
type Location struct {
	URI         string
	StartLine   int // 0 leaves the region out
	EndLine     int
	StartColumn int
	Logical     *LogicalLocation
}

// LogicalLocation names a program or model construct.
type LogicalLocation struct {
	Name               string
	Kind               string
	FullyQualifiedName string
}

// Suppression marks a result as dismissed (kind "external", status
// "accepted" for an exception or a decision recorded outside the code).
type Suppression struct {
	Kind          string
	Status        string
	Justification string
}

// Write writes run as a SARIF 2.1.0 log with one run, validated against the
// SARIF schema, indented and ending in a newline. A rule id declared twice
// or a result whose rule is not declared is an error.
func Write(w io.Writer, run Run) error {
	rep, err := build(run)
	if err != nil {
		return err
	}
	if err := rep.Validate(); err != nil {
		return fmt.Errorf("SARIF output of %s: %w", run.Tool.Name, err)
	}
	var buf bytes.Buffer
	if err := rep.PrettyWrite(&buf); err != nil {
		return fmt.Errorf("SARIF output of %s: %w", run.Tool.Name, err)
	}
	buf.WriteByte('\n')
	_, err = w.Write(buf.Bytes())
	return err
}

// Validate checks a SARIF log as Write writes it (a golden file, a
// command's output) against the SARIF 2.1.0 schema. The log is decoded into
// the SARIF object model and must encode back to the same JSON, so the
// schema check of the model is a check of the bytes: a field the model does
// not know, or a log that leaves out arrays Write always writes, is an
// error too.
func Validate(data []byte) error {
	var want any
	if err := json.Unmarshal(data, &want); err != nil {
		return fmt.Errorf("SARIF: %w", err)
	}
	rep, err := gosarif.FromBytes(data, gosarif.WithStrictValidation())
	if err != nil {
		return fmt.Errorf("SARIF: %w", err)
	}
	if rep.Version != "2.1.0" {
		return fmt.Errorf("SARIF: version %q, want 2.1.0", rep.Version)
	}
	again, err := json.Marshal(rep)
	if err != nil {
		return fmt.Errorf("SARIF: %w", err)
	}
	var got any
	if err := json.Unmarshal(again, &got); err != nil {
		return fmt.Errorf("SARIF: %w", err)
	}
	if !reflect.DeepEqual(want, got) {
		return fmt.Errorf("SARIF: the log does not survive decoding into the SARIF object model (unknown fields or missing arrays)")
	}
	if err := rep.Validate(); err != nil {
		return fmt.Errorf("SARIF: %w", err)
	}
	return nil
}

func build(in Run) (*gosarif.Report, error) {
	uri := in.Tool.InformationURI
	if uri == "" {
		uri = InformationURI
	}
	run := gosarif.NewRunWithInformationURI(in.Tool.Name, uri)
	if in.Tool.Version != "" {
		run.Tool.Driver.WithVersion(in.Tool.Version)
	}
	index := make(map[string]int, len(in.Rules))
	for i, r := range in.Rules {
		if r.ID == "" {
			return nil, fmt.Errorf("SARIF output of %s: rule %d has no id", in.Tool.Name, i)
		}
		if _, dup := index[r.ID]; dup {
			return nil, fmt.Errorf("SARIF output of %s: rule %q declared twice", in.Tool.Name, r.ID)
		}
		index[r.ID] = i
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, rule(r))
	}
	for i := range in.Results {
		res := &in.Results[i]
		ri, ok := index[res.RuleID]
		if !ok {
			return nil, fmt.Errorf("SARIF output of %s: result %d: rule %q is not declared", in.Tool.Name, i, res.RuleID)
		}
		run.AddResult(result(res, ri))
	}
	rep := gosarif.NewReport()
	rep.AddRun(run)
	return rep, nil
}

func rule(r Rule) *gosarif.ReportingDescriptor {
	out := gosarif.NewRule(r.ID)
	if r.Name != "" {
		out.WithName(r.Name)
	}
	if r.ShortDescription != "" {
		out.WithShortDescription(gosarif.NewMultiformatMessageString().WithText(r.ShortDescription))
	}
	if r.FullDescription != "" {
		out.WithFullDescription(gosarif.NewMultiformatMessageString().WithText(r.FullDescription))
	}
	if r.Help != "" || r.HelpMarkdown != "" {
		help := gosarif.NewMultiformatMessageString()
		text := r.Help
		if text == "" {
			text = r.HelpMarkdown // help.text is required once help is present
		}
		help.WithText(text)
		if r.HelpMarkdown != "" {
			help.WithMarkdown(r.HelpMarkdown)
		}
		out.WithHelp(help)
	}
	if r.HelpURI != "" {
		out.WithHelpURI(r.HelpURI)
	}
	if r.DefaultLevel != "" {
		out.WithDefaultConfiguration(gosarif.NewReportingConfiguration().WithLevel(string(r.DefaultLevel)))
	}
	if props := properties(r.Tags, r.Properties); props != nil {
		out.WithProperties(props)
	}
	return out
}

func result(r *Result, ruleIndex int) *gosarif.Result {
	out := gosarif.NewRuleResult(r.RuleID).WithRuleIndex(ruleIndex).WithLevel(string(r.Level)).
		WithMessage(gosarif.NewTextMessage(r.Message))
	if len(r.PartialFingerprints) > 0 {
		out.WithPartialFingerprints(r.PartialFingerprints)
	}
	for _, l := range r.Locations {
		out.AddLocation(location(l))
	}
	if s := r.Suppression; s != nil {
		sup := gosarif.NewSuppression().WithKind(s.Kind)
		if s.Status != "" {
			sup.WithStatus(s.Status)
		}
		if s.Justification != "" {
			sup.WithJustification(s.Justification)
		}
		out.AddSuppression(sup)
	}
	if props := properties(nil, r.Properties); props != nil {
		out.WithProperties(props)
	}
	return out
}

func location(l Location) *gosarif.Location {
	out := gosarif.NewLocation()
	if l.URI != "" {
		pl := gosarif.NewPhysicalLocation().WithArtifactLocation(gosarif.NewSimpleArtifactLocation(l.URI))
		if l.StartLine > 0 {
			region := gosarif.NewRegion().WithStartLine(l.StartLine)
			if l.EndLine > 0 {
				region.WithEndLine(l.EndLine)
			}
			if l.StartColumn > 0 {
				region.WithStartColumn(l.StartColumn)
			}
			pl.WithRegion(region)
		}
		out.WithPhysicalLocation(pl)
	}
	if ll := l.Logical; ll != nil {
		lo := gosarif.NewLogicalLocation()
		if ll.Name != "" {
			lo.WithName(ll.Name)
		}
		if ll.Kind != "" {
			lo.WithKind(ll.Kind)
		}
		if ll.FullyQualifiedName != "" {
			lo.WithFullyQualifiedName(ll.FullyQualifiedName)
		}
		out.AddLogicalLocation(lo)
	}
	return out
}

// properties is the property bag of tags and values, nil when both are empty.
func properties(tags []string, values map[string]any) *gosarif.PropertyBag {
	if len(tags) == 0 && len(values) == 0 {
		return nil
	}
	bag := gosarif.NewPropertyBag()
	for k, v := range values {
		bag.Add(k, v)
	}
	if len(tags) > 0 {
		bag.WithTags(tags)
	}
	return bag
}
