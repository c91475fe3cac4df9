package threatmodel

import (
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"cel.dev/cel-go/cel"
)

// Threat is one threat found by a rule (or identified by hand in the model).
type Threat struct {
	ID          string   `json:"id"`
	Rule        string   `json:"rule"`
	Title       string   `json:"title"`
	STRIDE      string   `json:"stride"`
	Severity    string   `json:"severity"`
	Likelihood  string   `json:"likelihood,omitempty"`
	Impact      string   `json:"impact,omitempty"`
	Target      string   `json:"target"`
	TargetName  string   `json:"target_name,omitempty"`
	TargetKind  string   `json:"target_kind,omitempty"` // element type, "flow" or "model"
	Why         string   `json:"why"`
	CWE         []string `json:"cwe"`
	CAPEC       []string `json:"capec"`
	ETSI        []string `json:"etsi"`
	Mitigations []string `json:"mitigations"`
	Status      string   `json:"status"`
	Reason      string   `json:"reason,omitempty"`
	Owner       string   `json:"owner,omitempty"`
	// Controls are the ids of the model's mitigations linked to the threat.
	Controls []string `json:"controls,omitempty"`
	Manual   bool     `json:"manual,omitempty"`
	// Assumed lists the unstated attributes the threat depends on (the
	// rules assumed their unsafe answer; see stated.go).
	Assumed []Assumed `json:"assumed,omitempty"`
}

// Open reports whether the threat still needs work.
func (t *Threat) Open() bool { return t.Status == StatusOpen }

// Result is the outcome of checking a model.
type Result struct {
	Model    string   `json:"model"`
	Elements int      `json:"elements"`
	Flows    int      `json:"flows"`
	Threats  []Threat `json:"threats"`
	// Warnings: decisions naming threats no rule found, rules that failed
	// to evaluate on some target.
	Warnings []string `json:"warnings,omitempty"`
	// Completeness scores how much of what the rules read the model states.
	Completeness *Completeness `json:"completeness,omitempty"`
}

// SeverityRank orders severities: critical 4 … info 0; unknown -1.
func SeverityRank(s string) int {
	switch s {
	case "critical":
		return 4
	case "high":
		return 3
	case "medium":
		return 2
	case "low":
		return 1
	case "info":
		return 0
	}
	return -1
}

// ThreatID is the stable id of the threat rule finds on target: it depends
// only on the rule id and the target's id, never on positions in the file.
func ThreatID(rule, target string) string { return rule + "@" + target }

// parallelThreshold is the number of elements plus flows from which Check
// spreads the evaluation over the available CPUs.
const parallelThreshold = 512

// CheckOptions tunes one check.
type CheckOptions struct {
	Disable []string // rule ids (prefix* allowed) to skip for this check
}

// Check evaluates every rule on the model and returns its threats, sorted by
// severity then id, with the model's decisions (mitigated, accepted, not
// applicable) applied.
func (l *Library) Check(m *Model, opts ...CheckOptions) *Result {
	var disable []string
	disable = append(disable, m.Rules.Disable...)
	for _, o := range opts {
		disable = append(disable, o.Disable...)
	}
	f := buildFacts(m)
	res := &Result{Model: modelName(m), Elements: len(m.Elements), Flows: len(m.Flows)}
	failed := map[string]string{}

	var elemRules, flowRules, modelRules []*Rule
	for _, r := range l.rules {
		if disabled(disable, r.ID) {
			continue
		}
		switch {
		case slices.Contains(r.AppliesTo, TargetFlow):
			flowRules = append(flowRules, r)
		case slices.Contains(r.AppliesTo, TargetModel):
			modelRules = append(modelRules, r)
		default:
			elemRules = append(elemRules, r)
		}
	}
	type batch struct {
		threats []Threat
		failed  map[string]string
	}
	emit := func(b *batch, r *Rule, act cel.Activation, target, name, kind string) {
		ok, err := r.matches(act)
		if err != nil {
			if _, seen := b.failed[r.ID]; !seen {
				b.failed[r.ID] = fmt.Sprintf("rule %s could not be evaluated on %s: %v", r.ID, target, err)
			}
			return
		}
		if ok {
			b.threats = append(b.threats, newThreat(r, act, target, name, kind))
		}
	}
	// Targets 0..len(elements)-1 are elements, the rest flows.
	run := func(b *batch, from, to int) {
		for ti := from; ti < to; ti++ {
			if ti < len(m.Elements) {
				e := &m.Elements[ti]
				if e.OutOfScope {
					continue
				}
				for _, r := range elemRules {
					if slices.Contains(r.AppliesTo, TargetElement) || slices.Contains(r.AppliesTo, e.Type) {
						emit(b, r, f.elemActs[ti], e.ID, e.Name, e.Type)
					}
				}
				continue
			}
			fi := ti - len(m.Elements)
			fl := &m.Flows[fi]
			if fl.OutOfScope || f.flowActs[fi] == nil {
				continue
			}
			for _, r := range flowRules {
				emit(b, r, f.flowActs[fi], fl.ID, flowName(m, fl), TargetFlow)
			}
		}
	}
	total := len(m.Elements) + len(m.Flows)
	workers := 1
	if total >= parallelThreshold {
		workers = min(runtime.GOMAXPROCS(0), 8)
	}
	batches := make([]batch, workers+1)
	for i := range batches {
		batches[i].failed = map[string]string{}
	}
	modelID := modelTarget(m)
	for _, r := range modelRules {
		emit(&batches[workers], r, f.modelAct, modelID, modelName(m), TargetModel)
	}
	var wg sync.WaitGroup
	chunk := (total + workers - 1) / workers
	for w := 0; w < workers; w++ {
		lo, hi := w*chunk, min((w+1)*chunk, total)
		if lo >= hi {
			continue
		}
		wg.Go(func() { run(&batches[w], lo, hi) })
	}
	wg.Wait()
	for i := range batches {
		res.Threats = append(res.Threats, batches[i].threats...)
		for id, msg := range batches[i].failed {
			if _, seen := failed[id]; !seen {
				failed[id] = msg
			}
		}
	}
	for _, w := range failed {
		res.Warnings = append(res.Warnings, w)
	}
	flowIndex := make(map[string]int, len(m.Flows))
	for i := range m.Flows {
		if _, dup := flowIndex[m.Flows[i].ID]; !dup {
			flowIndex[m.Flows[i].ID] = i
		}
	}
	for i := range res.Threats {
		l.assumptions(m, f, flowIndex, &res.Threats[i])
	}
	res.Completeness = completeness(m, f, res.Threats)
	applyDecisions(m, res)
	sort.SliceStable(res.Threats, func(i, j int) bool {
		a, b := &res.Threats[i], &res.Threats[j]
		if ra, rb := SeverityRank(a.Severity), SeverityRank(b.Severity); ra != rb {
			return ra > rb
		}
		return a.ID < b.ID
	})
	sort.Strings(res.Warnings)
	return res
}

func newThreat(r *Rule, act cel.Activation, target, name, kind string) Threat {
	t := Threat{
		ID: ThreatID(r.ID, target), Rule: r.ID, Title: r.Title, STRIDE: r.STRIDE,
		Severity: r.Severity, Likelihood: r.Likelihood, Impact: r.Impact,
		Target: target, TargetName: name, TargetKind: kind,
		Why:         r.explain(act),
		CWE:         nonNil(r.cweIDs),
		CAPEC:       nonNil(r.capecIDs),
		ETSI:        nonNil(r.ETSI),
		Mitigations: r.mitigationTexts(act),
		Status:      StatusOpen,
	}
	return t
}

func prefixed(p string, ids []int) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		out = append(out, fmt.Sprintf("%s%d", p, id))
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return slices.Clone(s)
}

func modelName(m *Model) string {
	if m.Title != "" {
		return m.Title
	}
	return m.ID
}

func modelTarget(m *Model) string {
	if m.ID != "" {
		return m.ID
	}
	return "model"
}

func flowName(m *Model, f *Flow) string {
	if f.Name != "" {
		return f.Name
	}
	from, to := f.From, f.To
	if e := m.Element(f.From); e != nil {
		from = e.Name
	}
	if e := m.Element(f.To); e != nil {
		to = e.Name
	}
	return from + " → " + to
}

// matchID reports whether pattern (a threat id, possibly with "*" for any
// rule or target part) matches id.
func matchID(pattern, id string) bool {
	if pattern == id {
		return true
	}
	if !strings.Contains(pattern, "*") {
		return false
	}
	pr, pt, _ := strings.Cut(pattern, "@")
	ir, it, _ := strings.Cut(id, "@")
	return globPart(pr, ir) && globPart(pt, it)
}

func globPart(p, s string) bool {
	if p == "*" || p == s {
		return true
	}
	if strings.HasSuffix(p, "*") {
		return strings.HasPrefix(s, strings.TrimSuffix(p, "*"))
	}
	return false
}

func applyDecisions(m *Model, res *Result) {
	mits := map[string]*Mitigation{}
	for i := range m.Mitigations {
		mits[m.Mitigations[i].ID] = &m.Mitigations[i]
	}
	used := make([]bool, len(m.Threats))
	for ti := range res.Threats {
		t := &res.Threats[ti]
		for i := range m.Mitigations {
			mt := &m.Mitigations[i]
			for _, p := range mt.Threats {
				if matchID(p, t.ID) {
					t.Controls = appendUnique(t.Controls, mt.ID)
				}
			}
		}
		// Wildcard decisions first, exact ones last: the exact id wins.
		for _, exact := range []bool{false, true} {
			for i := range m.Threats {
				d := &m.Threats[i]
				if (d.ID == t.ID) != exact || !matchID(d.ID, t.ID) {
					continue
				}
				used[i] = true
				if d.Status != "" {
					t.Status = d.Status
				}
				t.Reason, t.Owner = d.Reason, d.Owner
				for _, id := range d.Mitigations {
					t.Controls = appendUnique(t.Controls, id)
				}
				if d.Severity != "" {
					t.Severity = d.Severity
				}
			}
		}
		// A threat whose linked controls are all in place is mitigated.
		if t.Status == StatusOpen && len(t.Controls) > 0 {
			done := true
			for _, id := range t.Controls {
				mt := mits[id]
				if mt == nil || !mt.InPlace() {
					done = false
				}
			}
			if done {
				t.Status = StatusMitigated
			}
		}
	}
	for i := range m.Threats {
		d := &m.Threats[i]
		if used[i] {
			continue
		}
		if d.Title == "" {
			res.Warnings = append(res.Warnings, fmt.Sprintf("threats[%d]: decision for %q matches no threat found by the rules", i, d.ID))
			continue
		}
		t := Threat{
			ID: d.ID, Rule: "manual", Title: d.Title, STRIDE: d.STRIDE, Severity: d.Severity,
			Target: d.Target, Why: d.Description, CWE: prefixed("CWE-", d.CWE), CAPEC: []string{}, ETSI: []string{},
			Mitigations: []string{}, Status: d.Status, Reason: d.Reason, Owner: d.Owner,
			Controls: slices.Clone(d.Mitigations), Manual: true,
		}
		if t.Severity == "" {
			t.Severity = "medium"
		}
		if t.Status == "" {
			t.Status = StatusOpen
		}
		if e := m.Element(d.Target); e != nil {
			t.TargetName, t.TargetKind = e.Name, e.Type
		} else if f := m.Flow(d.Target); f != nil {
			t.TargetName, t.TargetKind = flowName(m, f), TargetFlow
		}
		if t.Why == "" {
			t.Why = d.Title
		}
		if d.Mitigation != "" {
			t.Mitigations = []string{d.Mitigation}
		}
		res.Threats = append(res.Threats, t)
	}
}

func appendUnique(s []string, v string) []string {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

// Summary counts threats by status and severity.
type Summary struct {
	Total      int            `json:"total"`
	Open       int            `json:"open"`
	BySeverity map[string]int `json:"by_severity"` // open threats
	BySTRIDE   map[string]int `json:"by_stride"`   // all threats
	ByStatus   map[string]int `json:"by_status"`
}

// Summarize counts the result's threats.
func (r *Result) Summarize() Summary {
	s := Summary{BySeverity: map[string]int{}, BySTRIDE: map[string]int{}, ByStatus: map[string]int{}}
	for _, t := range r.Threats {
		s.Total++
		s.ByStatus[t.Status]++
		s.BySTRIDE[t.STRIDE]++
		if t.Open() {
			s.Open++
			s.BySeverity[t.Severity]++
		}
	}
	return s
}

// OpenAtOrAbove returns the open threats whose severity is at least sev.
func (r *Result) OpenAtOrAbove(sev string) []Threat {
	min := SeverityRank(sev)
	var out []Threat
	for _, t := range r.Threats {
		if t.Open() && SeverityRank(t.Severity) >= min {
			out = append(out, t)
		}
	}
	return out
}

// CountByTarget returns the number of open threats per target id.
func (r *Result) CountByTarget() map[string]int {
	out := map[string]int{}
	for _, t := range r.Threats {
		if t.Open() {
			out[t.Target]++
		}
	}
	return out
}

// ProvisionStatus is the state of one ETSI EN 303 645 provision in a check.
type ProvisionStatus struct {
	Provision string   `json:"provision"`
	Open      []string `json:"open"`   // ids of open threats mapped to it
	Closed    []string `json:"closed"` // mitigated, accepted or not applicable
}

// ETSI lists the ETSI EN 303 645 provisions the result's threats map to, in
// provision order, with the open and closed threats of each: the consumer
// IoT baseline at a glance.
func (r *Result) ETSI() []ProvisionStatus {
	idx := map[string]*ProvisionStatus{}
	var out []*ProvisionStatus
	for _, t := range r.Threats {
		for _, p := range t.ETSI {
			ps := idx[p]
			if ps == nil {
				ps = &ProvisionStatus{Provision: p, Open: []string{}, Closed: []string{}}
				idx[p] = ps
				out = append(out, ps)
			}
			if t.Open() {
				ps.Open = append(ps.Open, t.ID)
			} else {
				ps.Closed = append(ps.Closed, t.ID)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return provisionLess(out[i].Provision, out[j].Provision) })
	res := make([]ProvisionStatus, len(out))
	for i, p := range out {
		res[i] = *p
	}
	return res
}

// provisionLess orders "5.1-1" < "5.1-2" < "5.10-1" < "6-1".
func provisionLess(a, b string) bool {
	pa, pb := provisionKey(a), provisionKey(b)
	for i := 0; i < len(pa) && i < len(pb); i++ {
		if pa[i] != pb[i] {
			return pa[i] < pb[i]
		}
	}
	if len(pa) != len(pb) {
		return len(pa) < len(pb)
	}
	return a < b
}

func provisionKey(s string) []int {
	var key []int
	n, in := 0, false
	for _, r := range s {
		if r >= '0' && r <= '9' {
			n, in = n*10+int(r-'0'), true
			continue
		}
		if in {
			key = append(key, n)
			n, in = 0, false
		}
	}
	if in {
		key = append(key, n)
	}
	return key
}
