package policy

import (
	"cmp"
	"container/heap"
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
	// MaxViolations bounds the violations the report keeps: 0 keeps them
	// all (`rampart gate`); n > 0 keeps only the first n in the report's
	// order (those Evaluate would list first) and counts the rest, so the
	// memory of an evaluation does not grow with the number of violations
	// (the platform's stored gate result). The verdict and the counts
	// (ViolationsTotal, ViolationsExcepted, RuleCounts, Failing) are those
	// of the unbounded evaluation either way.
	MaxViolations int
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
	// seq is the order in which the violation fired: the report's last
	// sort key, so the order is the stable order of firing.
	seq int
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
	Passed bool `json:"passed"`
	// Violations are sorted: failing before excepted, then by severity
	// (most severe first), rule id, subject, and the order in which they
	// fired. With Options.MaxViolations they are only the first of that
	// order (Truncated says whether any were left out).
	Violations        []Violation        `json:"violations"`
	ExpiredExceptions []ExpiredException `json:"expired_exceptions"`
	// ViolationsTotal counts every violation, excepted ones included, and
	// ViolationsExcepted the excepted ones, whether or not Violations
	// holds them all.
	ViolationsTotal    int `json:"-"`
	ViolationsExcepted int `json:"-"`
	// Truncated is true when Violations holds fewer than ViolationsTotal
	// (Options.MaxViolations).
	Truncated bool `json:"-"`
	// RuleCounts are the exact counts of each rule evaluated, in the
	// policy's order (rules without violations included).
	RuleCounts []RuleCount `json:"-"`
	// MaxViolations is the bound the report was evaluated with
	// (Options.MaxViolations). When it is set, the JSON form adds the
	// counts ("violations_total", "violations_excepted", "truncated",
	// "rule_counts") to the three fields of `rampart gate --format json`,
	// which an unbounded report keeps as they are.
	MaxViolations int `json:"-"`
	// Rules are the rules evaluated, for per-rule output (JUnit).
	Rules []*Rule `json:"-"`
	// Evaluated counts the subjects of each kind that were judged.
	Evaluated map[string]int `json:"-"`
}

// RuleCount is how many violations one rule had, and how many of them
// were excepted.
type RuleCount struct {
	Rule       string `json:"rule"`
	Violations int    `json:"violations"`
	Excepted   int    `json:"excepted"`
}

// Failing counts the violations that are not excepted (all of them, also
// those a truncated report left out).
func (r *Report) Failing() int {
	if r.Truncated {
		return r.ViolationsTotal - r.ViolationsExcepted
	}
	n := 0
	for i := range r.Violations {
		if !r.Violations[i].Excepted {
			n++
		}
	}
	return n
}

// Total counts all violations, also those a truncated report left out.
func (r *Report) Total() int {
	if r.Truncated {
		return r.ViolationsTotal
	}
	return len(r.Violations)
}

// RuleCount returns the counts of the rule with the given id (zero when
// the report has none for it).
func (r *Report) RuleCount(id string) RuleCount {
	for _, c := range r.RuleCounts {
		if c.Rule == id {
			return c
		}
	}
	return RuleCount{Rule: id}
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
	// max is Options.MaxViolations; with max > 0 kept holds the first max
	// violations of the report's order seen so far, as a heap whose top
	// is the last of them (the one a better violation displaces).
	max  int
	kept keptHeap
	// seq numbers the violations in the order they fire.
	seq int
	// counts are rep.RuleCounts by rule id.
	counts map[string]*RuleCount
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
		RuleCounts: make([]RuleCount, len(p.Rules)), Evaluated: map[string]int{OnRelease: 1}},
		max: max(opts.MaxViolations, 0), counts: make(map[string]*RuleCount, len(p.Rules))}
	e.rep.MaxViolations = e.max
	for i, r := range p.Rules {
		e.rep.RuleCounts[i].Rule = r.ID
		e.counts[r.ID] = &e.rep.RuleCounts[i]
	}
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
	return fireEach(e, r, act, cs, func(c *Component) Violation { return componentViolation(c, sources) })
}

// rule runs one rule that is not a component rule on its subjects of in.
func (e *Evaluation) rule(r *Rule, in *Input) error {
	act := &activation{name: r.On, release: &e.rel}
	switch r.On {
	case OnVuln:
		return fireEach(e, r, act, in.Vulns, func(v *Vuln) Violation { return vulnViolation(v, in.Sources) })
	case OnFinding:
		return fireEach(e, r, act, in.Findings, findingViolation)
	case OnThreat:
		return fireEach(e, r, act, in.Threats, func(t *Threat) Violation { return threatViolation(t, in.Sources) })
	case OnFirmware:
		return fireEach(e, r, act, in.Firmware, func(f *FirmwareIssue) Violation { return firmwareViolation(f, in.Sources) })
	case OnRelease:
		act.subject = &e.rel
		return e.fire(r, act, func() Violation { return releaseViolation(&e.rel, in.Sources) })
	case OnBinary:
		return fireEach(e, r, act, in.Binaries, func(b *Binary) Violation { return binaryViolation(b, in.Sources) })
	}
	return nil
}

// fireEach runs rule r on each subject of subjects, in order, with act
// naming it; violation builds the violation of the subject it fires on.
// It stops at the first error.
func fireEach[T any](e *Evaluation, r *Rule, act *activation, subjects []T, violation func(*T) Violation) error {
	for i := range subjects {
		x := &subjects[i]
		act.subject = x
		if err := e.fire(r, act, func() Violation { return violation(x) }); err != nil {
			return err
		}
	}
	return nil
}

// finish counts the other subjects and sorts the violations (the
// exceptions were applied as they fired).
func (e *Evaluation) finish(in *Input) *Report {
	rep := e.rep
	rep.Evaluated[OnVuln], rep.Evaluated[OnFinding], rep.Evaluated[OnThreat] = len(in.Vulns), len(in.Findings), len(in.Threats)
	rep.Evaluated[OnFirmware], rep.Evaluated[OnBinary] = len(in.Firmware), len(in.Binaries)
	if e.max > 0 {
		rep.Violations = append(rep.Violations[:0], e.kept...)
		e.kept = nil
		rep.Truncated = rep.ViolationsTotal > len(rep.Violations)
	}
	vs := rep.Violations
	sort.Slice(vs, func(i, j int) bool { return compareViolations(&vs[i], &vs[j]) < 0 })
	rep.Passed = rep.Failing() == 0 && len(rep.ExpiredExceptions) == 0
	return rep
}

// compareViolations is the report's order: failing before excepted, most
// severe first, then rule id, subject and the order of firing (so the
// order is total, and a bounded report keeps exactly the first of it).
func compareViolations(a, b *Violation) int {
	if a.Excepted != b.Excepted {
		if !a.Excepted {
			return -1
		}
		return 1
	}
	if c := cmp.Compare(SeverityRank(b.Severity), SeverityRank(a.Severity)); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Rule, b.Rule); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Subject, b.Subject); c != 0 {
		return c
	}
	return cmp.Compare(a.seq, b.seq)
}

// keptHeap is a max-heap in the report's order: its top is the violation
// that sorts last among the kept ones.
type keptHeap []Violation

func (h keptHeap) Len() int           { return len(h) }
func (h keptHeap) Less(i, j int) bool { return compareViolations(&h[i], &h[j]) > 0 }
func (h keptHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *keptHeap) Push(x any)        { *h = append(*h, x.(Violation)) }
func (h *keptHeap) Pop() any {
	old := *h
	v := old[len(old)-1]
	*h = old[:len(old)-1]
	return v
}

// fire runs rule r on the subject of act; when it fires, the violation is
// excepted by the first exception in force that covers it, counted, and
// kept (all of them, or with a bound only while it is among the first
// of the report's order; its message is rendered only then).
func (e *Evaluation) fire(r *Rule, act *activation, mk func() Violation) error {
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
	v.seq = e.seq
	e.seq++
	for _, x := range e.active {
		if x.covers(&v) {
			v.Excepted, v.Exception = true, x
			break
		}
	}
	rc := e.counts[r.ID]
	rc.Violations++
	e.rep.ViolationsTotal++
	if v.Excepted {
		rc.Excepted++
		e.rep.ViolationsExcepted++
	}
	switch {
	case e.max == 0:
		v.Message = r.render(act)
		e.rep.Violations = append(e.rep.Violations, v)
	case len(e.kept) < e.max:
		v.Message = r.render(act)
		heap.Push(&e.kept, v)
	case compareViolations(&v, &e.kept[0]) < 0:
		v.Message = r.render(act)
		e.kept[0] = v
		heap.Fix(&e.kept, 0)
	}
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
