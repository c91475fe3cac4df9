package policy

import (
	"fmt"
	"maps"
	"sort"
	"strconv"
	"strings"
	"time"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"
)

// Input is everything a gate judges. Build it with the From* adapters.
type Input struct {
	Components []Component
	Vulns      []Vuln
	Findings   []Finding
	Threats    []Threat
	Firmware   []FirmwareIssue
	Binaries   []Binary
	Release    Release
	// Sources name the input files per subject kind, for report locations
	// (e.g. the SBOM file for component and vuln violations).
	Sources map[string]string
}

// ChecklistItems are the SDL release-checklist activities every `release`
// carries (false when not recorded).
var ChecklistItems = []string{"threat_model_reviewed", "code_review", "static_analysis", "penetration_test"}

// Options tune one evaluation.
type Options struct {
	Exceptions []Exception
	// Now decides which exceptions have expired (an exception is valid
	// through its expiry day, UTC). Zero means time.Now().
	Now time.Time
}

// Violation is one rule firing on one subject.
type Violation struct {
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	Subject  string `json:"subject"`
	Message  string `json:"message"`
	Excepted bool   `json:"excepted"`

	On          string     `json:"-"`
	Description string     `json:"-"`
	Exception   *Exception `json:"-"` // the exception that covers it
	File        string     `json:"-"` // where the subject is, for SARIF
	Line        int        `json:"-"`
	Fingerprint string     `json:"-"` // stable id of the violation

	// match keys for exceptions
	ids       []string
	component string
	path      string
}

// Scope is the narrowest exception match that covers this violation: its
// first id (vulnerability, rule id, kind, threat or component), its
// component without version (so an upgrade that keeps the problem stays
// excepted) and its path. The platform offers it when an exception is
// requested from a violation.
func (v Violation) Scope() Match {
	m := Match{Component: purlBase(v.component), Path: v.path}
	for _, id := range v.ids {
		if id != "" {
			m.ID = id
			break
		}
	}
	if m.ID == m.Component || m.ID == v.component {
		m.ID = "" // a component subject: the component is the scope
	}
	if v.On == OnBinary {
		m.ID = "" // the path is the binary
	}
	return m
}

// ExpiredException is an exception past its expiry date: it excepts
// nothing and fails the gate until it is renewed or removed.
type ExpiredException struct {
	Rule    string `json:"rule"`
	Match   Match  `json:"match"`
	Expires string `json:"expires"`
	Source  string `json:"-"`
}

// Report is a gate's result; its JSON form is the `rampart gate --format
// json` contract.
type Report struct {
	Passed            bool               `json:"passed"`
	Violations        []Violation        `json:"violations"`
	ExpiredExceptions []ExpiredException `json:"expired_exceptions"`
	// Rules are the rules evaluated, for per-rule output (JUnit).
	Rules []*Rule `json:"-"`
	// Evaluated counts the subjects of each kind that were judged.
	Evaluated map[string]int `json:"-"`
}

// Failing counts the violations that are not excepted.
func (r *Report) Failing() int {
	n := 0
	for i := range r.Violations {
		if !r.Violations[i].Excepted {
			n++
		}
	}
	return n
}

// EvalError is a rule that failed at run time on a subject (e.g. an index
// out of range); it names the rule's file and line and the subject.
type EvalError struct {
	Rule    *Rule
	Subject string
	Err     error
}

func (e *EvalError) Error() string {
	return fmt.Sprintf("%s: rule %s on %s: %v", e.Rule.Source, e.Rule.ID, e.Subject, e.Err)
}

func (e *EvalError) Unwrap() error { return e.Err }

// Evaluate runs every rule of the policy on the input's subjects and
// applies the exceptions. It is a pure function of its arguments.
func Evaluate(p *Policy, in *Input, opts Options) (*Report, error) {
	e := NewEvaluation(p, in.Release, opts)
	for _, r := range p.Rules {
		var err error
		if r.On == OnComponent {
			err = e.components(r, in.Components, in.Sources)
		} else {
			err = e.rule(r, in)
		}
		if err != nil {
			return nil, err
		}
	}
	e.rep.Evaluated[OnComponent] = len(in.Components)
	return e.finish(in), nil
}

// Evaluation is Evaluate with the components given in batches, for a
// release too large to hold in memory at once (the platform's gate reads
// them from the store page by page): NewEvaluation, AddComponents for
// each batch (with `new` already set), then Finish with the other
// subjects. The report is the one Evaluate returns for the same subjects,
// except that a rule failing at run time on a component may be reported
// before a rule listed earlier that fails on another kind of subject.
type Evaluation struct {
	p   *Policy
	rel Release
	rep *Report
	// active are the exceptions in force.
	active []*Exception
}

// NewEvaluation starts an evaluation of the release rel under p.
func NewEvaluation(p *Policy, rel Release, opts Options) *Evaluation {
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	today := now.UTC().Format(time.DateOnly)
	if rel.Checklist == nil {
		rel.Checklist = map[string]bool{}
	} else {
		rel.Checklist = maps.Clone(rel.Checklist)
	}
	for _, k := range ChecklistItems {
		if _, ok := rel.Checklist[k]; !ok {
			rel.Checklist[k] = false
		}
	}
	e := &Evaluation{p: p, rel: rel, rep: &Report{Violations: []Violation{}, ExpiredExceptions: []ExpiredException{}, Rules: p.Rules,
		Evaluated: map[string]int{OnRelease: 1}}}
	for i := range opts.Exceptions {
		x := &opts.Exceptions[i]
		if x.Expires < today {
			e.rep.ExpiredExceptions = append(e.rep.ExpiredExceptions, ExpiredException{Rule: x.Rule, Match: x.Match, Expires: x.Expires, Source: x.Source})
			continue
		}
		e.active = append(e.active, x)
	}
	return e
}

// AddComponents judges one batch of components with every component rule.
// sources name the input files (as Input.Sources) for the violations'
// locations. The evaluation keeps only the violations, not the batch.
func (e *Evaluation) AddComponents(cs []Component, sources map[string]string) error {
	for _, r := range e.p.Rules {
		if r.On != OnComponent {
			continue
		}
		if err := e.components(r, cs, sources); err != nil {
			return err
		}
	}
	e.rep.Evaluated[OnComponent] += len(cs)
	return nil
}

// Finish judges the subjects of in other than its components (which must
// have been given to AddComponents), applies the exceptions and returns
// the report.
func (e *Evaluation) Finish(in *Input) (*Report, error) {
	for _, r := range e.p.Rules {
		if r.On == OnComponent {
			continue
		}
		if err := e.rule(r, in); err != nil {
			return nil, err
		}
	}
	return e.finish(in), nil
}

func (e *Evaluation) components(r *Rule, cs []Component, sources map[string]string) error {
	act := &activation{name: r.On, release: &e.rel}
	for i := range cs {
		c := &cs[i]
		act.subject = c
		if err := fire(e.rep, r, act, func() Violation { return componentViolation(c, sources) }); err != nil {
			return err
		}
	}
	return nil
}

// rule runs one rule that is not a component rule on its subjects of in.
func (e *Evaluation) rule(r *Rule, in *Input) error {
	act := &activation{name: r.On, release: &e.rel}
	var err error
	switch r.On {
	case OnVuln:
		for i := range in.Vulns {
			v := &in.Vulns[i]
			act.subject = v
			if err = fire(e.rep, r, act, func() Violation { return vulnViolation(v, in.Sources) }); err != nil {
				break
			}
		}
	case OnFinding:
		for i := range in.Findings {
			f := &in.Findings[i]
			act.subject = f
			if err = fire(e.rep, r, act, func() Violation { return findingViolation(f) }); err != nil {
				break
			}
		}
	case OnThreat:
		for i := range in.Threats {
			t := &in.Threats[i]
			act.subject = t
			if err = fire(e.rep, r, act, func() Violation { return threatViolation(t, in.Sources) }); err != nil {
				break
			}
		}
	case OnFirmware:
		for i := range in.Firmware {
			f := &in.Firmware[i]
			act.subject = f
			if err = fire(e.rep, r, act, func() Violation { return firmwareViolation(f, in.Sources) }); err != nil {
				break
			}
		}
	case OnRelease:
		act.subject = &e.rel
		err = fire(e.rep, r, act, func() Violation { return releaseViolation(&e.rel, in.Sources) })
	case OnBinary:
		for i := range in.Binaries {
			b := &in.Binaries[i]
			act.subject = b
			if err = fire(e.rep, r, act, func() Violation { return binaryViolation(b, in.Sources) }); err != nil {
				break
			}
		}
	}
	return err
}

// finish counts the other subjects, applies the exceptions and sorts.
func (e *Evaluation) finish(in *Input) *Report {
	rep := e.rep
	rep.Evaluated[OnVuln], rep.Evaluated[OnFinding], rep.Evaluated[OnThreat] = len(in.Vulns), len(in.Findings), len(in.Threats)
	rep.Evaluated[OnFirmware], rep.Evaluated[OnBinary] = len(in.Firmware), len(in.Binaries)
	for i := range rep.Violations {
		v := &rep.Violations[i]
		for _, x := range e.active {
			if x.covers(v) {
				v.Excepted, v.Exception = true, x
				break
			}
		}
	}
	sort.SliceStable(rep.Violations, func(i, j int) bool {
		a, b := &rep.Violations[i], &rep.Violations[j]
		if a.Excepted != b.Excepted {
			return !a.Excepted
		}
		if ra, rb := SeverityRank(a.Severity), SeverityRank(b.Severity); ra != rb {
			return ra > rb
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		return a.Subject < b.Subject
	})
	rep.Passed = rep.Failing() == 0 && len(rep.ExpiredExceptions) == 0
	return rep
}

func fire(rep *Report, r *Rule, act *activation, mk func() Violation) error {
	out, _, err := r.prg.Eval(act)
	if err != nil {
		v := mk()
		return &EvalError{Rule: r, Subject: v.Subject, Err: err}
	}
	if b, ok := out.(types.Bool); !ok || !bool(b) {
		return nil
	}
	v := mk()
	v.Rule, v.Severity, v.On, v.Description = r.ID, r.Severity, r.On, r.Description
	v.Message = r.render(act)
	rep.Violations = append(rep.Violations, v)
	return nil
}

// render interpolates the message; a placeholder that fails to evaluate
// shows as <error: …> rather than hiding the violation.
func (r *Rule) render(act *activation) string {
	var b strings.Builder
	for _, p := range r.msg {
		if p.prg == nil {
			b.WriteString(p.text)
			continue
		}
		v, _, err := p.prg.Eval(act)
		if err != nil {
			b.WriteString("<error: " + err.Error() + ">")
			continue
		}
		b.WriteString(valueString(v))
	}
	return b.String()
}

func valueString(v ref.Val) string {
	switch x := v.(type) {
	case types.String:
		return string(x)
	case types.Double:
		return strconv.FormatFloat(float64(x), 'f', -1, 64)
	case types.Int:
		return strconv.FormatInt(int64(x), 10)
	case types.Bool:
		return strconv.FormatBool(bool(x))
	case traits.Lister:
		n, _ := x.Size().Value().(int64)
		parts := make([]string, 0, n)
		for i := int64(0); i < n; i++ {
			parts = append(parts, valueString(x.Get(types.Int(i))))
		}
		return strings.Join(parts, ", ")
	}
	return fmt.Sprint(v.Value())
}

func componentID(c *Component) string {
	if c.PURL != "" {
		return c.PURL
	}
	if c.Version != "" {
		return c.Name + "@" + c.Version
	}
	return c.Name
}

func vulnViolation(v *Vuln, src map[string]string) Violation {
	cid := componentID(&v.Component)
	return Violation{Subject: v.ID + " in " + cid, File: src[OnVuln], Fingerprint: VulnKey(v),
		ids: append([]string{v.ID}, v.Aliases...), component: cid}
}

func findingViolation(f *Finding) Violation {
	subj := f.RuleID
	if subj == "" && len(f.VulnerabilityIDs) > 0 {
		subj = f.VulnerabilityIDs[0]
	}
	if subj == "" {
		subj = f.Title
	}
	if f.Tool != "" {
		subj = f.Tool + " " + subj
	}
	switch {
	case f.File != "" && f.Line > 0:
		subj += fmt.Sprintf(" at %s:%d", f.File, f.Line)
	case f.File != "":
		subj += " at " + f.File
	case f.URL != "":
		subj += " at " + f.URL
	case f.Component != "":
		subj += " in " + f.Component
	}
	ids := append([]string{f.RuleID, f.Fingerprint}, f.VulnerabilityIDs...)
	path := f.File
	if path == "" {
		path = f.URL
	}
	return Violation{Subject: subj, File: f.File, Line: int(f.Line), Fingerprint: f.Fingerprint, ids: ids, component: f.Component, path: path}
}

func componentViolation(c *Component, src map[string]string) Violation {
	cid := componentID(c)
	return Violation{Subject: cid, File: src[OnComponent], Fingerprint: ComponentKey(c), ids: []string{cid, c.Name}, component: cid}
}

func threatViolation(t *Threat, src map[string]string) Violation {
	return Violation{Subject: t.ID, File: src[OnThreat], Fingerprint: t.ID, ids: []string{t.ID, t.Rule}, path: t.Target}
}

func firmwareViolation(f *FirmwareIssue, src map[string]string) Violation {
	subj := f.Kind
	if f.Path != "" {
		subj += " at " + f.Path
	}
	if f.Account != "" {
		subj += " (" + f.Account + ")"
	} else if f.Port != 0 {
		subj += fmt.Sprintf(" (port %d)", f.Port)
	}
	return Violation{Subject: subj, File: firstNonEmpty(f.Path, src[OnFirmware]), Fingerprint: FirmwareKey(f), ids: []string{f.Kind, f.Account}, path: f.Path}
}

func binaryViolation(b *Binary, src map[string]string) Violation {
	return Violation{Subject: b.Path, File: firstNonEmpty(b.Path, src[OnBinary]), Fingerprint: "binary|" + b.Path, ids: []string{b.Path}, path: b.Path}
}

func releaseViolation(r *Release, src map[string]string) Violation {
	subj := strings.TrimSpace(r.Product + " " + r.Version)
	if subj == "" {
		subj = "release"
	}
	return Violation{Subject: subj, File: firstNonEmpty(src[OnComponent], src[OnFinding], src[OnThreat], src[OnFirmware]), Fingerprint: "release|" + r.Version,
		ids: []string{firstNonEmpty(r.Version, "release")}, component: r.Product}
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
