package portfolio

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/firmware"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/paging"
	"github.com/rampart-security/rampart/internal/policy"
	"github.com/rampart-security/rampart/internal/sdl"
	"github.com/rampart-security/rampart/internal/threatmodel"
)

// GateStore is the storage the gate needs: policies, approved lists and
// exceptions, the release's subjects (components, findings, checklist,
// firmware, threat model), its results and their audit records.
type GateStore interface {
	audit.AtomicLog
	ThreatReader
	Policy(ctx context.Context, productID int64, version int) (policy.PolicyVersion, error)
	SavePolicy(ctx context.Context, productID int64, source, note, actor string, now time.Time) (policy.PolicyVersion, bool, error)
	Approved(ctx context.Context, productID int64, version int) (policy.PolicyVersion, error)
	SaveApproved(ctx context.Context, productID int64, source, note, actor string, now time.Time) (policy.PolicyVersion, bool, error)
	Exceptions(ctx context.Context, productID int64) ([]policy.PolicyException, error)
	Exception(ctx context.Context, productID, id int64) (policy.PolicyException, error)
	CreateException(ctx context.Context, e *policy.PolicyException) error
	DecideException(ctx context.Context, productID, id int64, status, actor string, now time.Time) error
	ExpireExceptions(ctx context.Context, productID int64, today string) ([]policy.PolicyException, error)
	SaveGateResult(ctx context.Context, g policy.GateResult) error
	Products(ctx context.Context, after string, limit int) ([]inventory.Product, string, error)
	Release(ctx context.Context, id int64) (inventory.Release, error)
	Releases(ctx context.Context, productID int64, after string, limit int) ([]inventory.Release, string, error)
	Checklist(ctx context.Context, releaseID int64) (map[string]sdl.ChecklistItem, error)
	EachComponents(ctx context.Context, releaseID int64, batch int, fn func([]inventory.Component) error) error
	Findings(ctx context.Context, q findings.Query) ([]findings.Stored, string, error)
	LatestFirmwareAnalysis(ctx context.Context, releaseID int64) (firmware.Analysis, error)
}

// Gate evaluates the policy gate of releases in the platform: the product's
// policy (else the global one, else the built-in default) over the
// release's components, matched vulnerabilities, active findings and the
// product's latest threat model, with the product's approved exceptions.
// The previous release of the product is the baseline for `new`.
type Gate struct {
	st      GateStore
	vulns   *Vulns
	threats *threatmodel.Library
	now     func() time.Time
}

// NewGate returns the gate service.
func NewGate(st GateStore, vulns *Vulns, threats *threatmodel.Library, now func() time.Time) *Gate {
	if now == nil {
		now = time.Now
	}
	return &Gate{st: st, vulns: vulns, threats: threats, now: now}
}

// GateView is a release's gate result as the API returns it.
type GateView struct {
	ReleaseID         int64                     `json:"release_id"`
	Passed            bool                      `json:"passed"`
	Violations        []policy.Violation        `json:"violations"`
	ExpiredExceptions []policy.ExpiredException `json:"expired_exceptions"`
	// ViolationsTotal and ViolationsExcepted count every violation (and
	// the excepted ones among them); Violations holds at most
	// MaxGateViolations, the first in the report's order, and Truncated
	// says whether some were left out. RuleCounts are the exact counts per
	// rule, in the policy's order.
	ViolationsTotal    int                `json:"violations_total"`
	ViolationsExcepted int                `json:"violations_excepted"`
	Truncated          bool               `json:"truncated"`
	RuleCounts         []policy.RuleCount `json:"rule_counts"`
	PolicyScope        string             `json:"policy_scope"` // product, global or default
	PolicyVersion      int                `json:"policy_version"`
	Trigger            string             `json:"trigger"`
	EvaluatedAt        time.Time          `json:"evaluated_at"`
	// Exceptions are the product's exceptions (all statuses), for the panel.
	Exceptions []policy.PolicyException `json:"exceptions"`
}

// effectivePolicy returns the product's policy, the global one or the default.
func (g *Gate) effectivePolicy(ctx context.Context, productID int64) (*policy.Policy, string, int, error) {
	v, scope, err := g.PolicyOf(ctx, productID)
	if err != nil {
		return nil, "", 0, err
	}
	if scope == "default" {
		return policy.Default(), "default", 0, nil
	}
	p, err := policy.Parse([]byte(v.Source), fmt.Sprintf("%s-policy-v%d.yaml", scope, v.Version))
	if err != nil {
		return nil, "", 0, fmt.Errorf("stored policy: %w", err)
	}
	return p, scope, v.Version, nil
}

// Evaluate judges a release now, stores the result and returns it; trigger
// says why (api, sbom, scan, threatmodel, firmware). Approved exceptions
// past their expiry are marked expired with an audit event.
func (g *Gate) Evaluate(ctx context.Context, releaseID int64, trigger string) (*GateView, error) {
	return g.evaluate(ctx, releaseID, trigger, true)
}

// evaluate is Evaluate; with keep false it returns no view (nil, nil on
// success), so the violations are not held while the result is saved.
func (g *Gate) evaluate(ctx context.Context, releaseID int64, trigger string, keep bool) (*GateView, error) {
	rel, err := g.st.Release(ctx, releaseID)
	if err != nil {
		return nil, err
	}
	now := g.now()
	if _, err := g.ExpireExceptions(ctx, rel.ProductID); err != nil {
		return nil, err
	}
	pol, scope, version, err := g.effectivePolicy(ctx, rel.ProductID)
	if err != nil {
		return nil, err
	}
	approved, err := g.effectiveApproved(ctx, rel.ProductID)
	if err != nil {
		return nil, err
	}
	in, err := g.input(ctx, releaseID, rel.ProductID, approved)
	if err != nil {
		return nil, err
	}
	in.Release.Product, in.Release.Version = rel.ProductName, rel.Version
	in.Release.ApprovedLicenses = approved.Licenses
	items, err := g.st.Checklist(ctx, releaseID)
	if err != nil {
		return nil, err
	}
	in.Release.Checklist = sdl.Checklist(items)
	// The baseline (the previous release) and the release's components are
	// read from the store in batches: a release of a million components is
	// never held whole, only its fingerprints (policy.Baseline) and the
	// violations.
	var base *policy.Baseline
	if prev, ok, err := g.previousRelease(ctx, rel.ProductID, releaseID); err != nil {
		return nil, err
	} else if ok {
		prevIn, err := g.input(ctx, prev, rel.ProductID, approved)
		if err != nil {
			return nil, err
		}
		prevIn.Threats = nil // one model per product: threats compare with the model's history, not releases
		base = policy.NewBaseline(prevIn)
		if err := g.eachComponents(ctx, prev, approved, func(cs []policy.Component) error { base.AddComponents(cs); return nil }); err != nil {
			return nil, err
		}
		base.Apply(in)
		for i := range in.Threats {
			in.Threats[i].New = true
		}
	}
	excs, err := g.st.Exceptions(ctx, rel.ProductID)
	if err != nil {
		return nil, err
	}
	var active []policy.Exception
	for _, e := range excs {
		if e.Status != "approved" && e.Status != "expired" {
			continue
		}
		active = append(active, policy.Exception{Rule: e.Rule, Match: policy.Match{ID: e.MatchID, Component: e.MatchComponent, Path: e.MatchPath},
			Reason: e.Reason, Approver: e.DecidedBy, Expires: e.Expires, Source: fmt.Sprintf("exception %d", e.ID)})
	}
	ev := policy.NewEvaluation(pol, in.Release, policy.Options{Exceptions: active, Now: now, MaxViolations: gateMaxViolations})
	err = g.eachComponents(ctx, releaseID, approved, func(cs []policy.Component) error {
		if base != nil {
			base.ApplyComponents(cs)
		}
		return ev.AddComponents(cs, in.Sources)
	})
	if ee := (*policy.EvalError)(nil); errors.As(err, &ee) {
		return nil, fault.Unprocessable(err)
	}
	if err != nil {
		return nil, err
	}
	rep, err := ev.Finish(in)
	if err != nil {
		return nil, fault.Unprocessable(err)
	}
	// The stored text holds at most MaxGateViolations violations (with
	// the counts of all of them), so its size does not grow with the
	// release; a caller that does not want the view lets the violations go
	// before the text is written.
	text, err := policy.JSONString(rep)
	if err != nil {
		return nil, err
	}
	res := policy.GateResult{ReleaseID: releaseID, Passed: rep.Passed, Failing: rep.Failing(), PolicyScope: scope, PolicyVersion: version,
		Trigger: trigger, Result: text, EvaluatedAt: now.UTC()}
	view := &GateView{ReleaseID: releaseID, Passed: rep.Passed, Violations: rep.Violations, ExpiredExceptions: rep.ExpiredExceptions,
		ViolationsTotal: rep.ViolationsTotal, ViolationsExcepted: rep.ViolationsExcepted, Truncated: rep.Truncated, RuleCounts: rep.RuleCounts,
		PolicyScope: scope, PolicyVersion: version, Trigger: trigger, EvaluatedAt: res.EvaluatedAt, Exceptions: excs}
	if !keep {
		view = nil
	}
	if err := g.st.SaveGateResult(ctx, res); err != nil {
		return nil, err
	}
	return view, nil
}

// ExpireExceptions marks approved exceptions of a product (0: every
// product) past their expiry day as expired, each with an event
// (policy.exception.expired) and an audit event (policy.exception.expire).
// Evaluate runs it first; the background jobs run it for every product so
// an exception expires on its day even when nothing is uploaded.
func (g *Gate) ExpireExceptions(ctx context.Context, productID int64) ([]policy.PolicyException, error) {
	now := g.now()
	expired, err := g.st.ExpireExceptions(ctx, productID, now.UTC().Format(time.DateOnly))
	if err != nil {
		return nil, err
	}
	for _, e := range expired {
		if err := audit.Record(ctx, g.st, audit.Event{At: now, Actor: "system", Source: "gate", Action: "policy.exception.expire",
			Object: fmt.Sprintf("exception:%d", e.ID), ProductID: e.ProductID, Outcome: "success",
			Detail: fmt.Sprintf("rule %s, expired %s", e.Rule, e.Expires)}); err != nil {
			return nil, err
		}
	}
	return expired, nil
}

// OnChange re-evaluates a release after an import; errors are returned for
// the caller to log (the import itself has succeeded).
func (g *Gate) OnChange(ctx context.Context, releaseID int64, trigger string) error {
	_, err := g.evaluate(ctx, releaseID, trigger, false)
	return err
}

// OnProductChange re-evaluates every release of a product (a new threat
// model version, a new policy).
func (g *Gate) OnProductChange(ctx context.Context, productID int64, trigger string) error {
	for r, err := range g.releases(ctx, productID) {
		if err != nil {
			return err
		}
		if err := g.OnChange(ctx, r.ID, trigger); err != nil {
			return err
		}
	}
	return nil
}

// releases yields every release of the product.
func (g *Gate) releases(ctx context.Context, productID int64) iter.Seq2[inventory.Release, error] {
	return paging.All(func(after string) ([]inventory.Release, string, error) {
		return g.st.Releases(ctx, productID, after, 0)
	})
}

// OnScopeChange re-evaluates the releases a newly saved policy or approved
// list (what: "policy" or "approved") affects: the product's releases, or,
// for the global scope (productID 0), those of every product; a new
// global policy skips products that have a policy of their own, since it
// does not apply to them. The stored gate results then match what the
// release pages and GET …/gate show.
func (g *Gate) OnScopeChange(ctx context.Context, productID int64, what string) error {
	if productID != 0 {
		return g.OnProductChange(ctx, productID, what)
	}
	products := paging.All(func(after string) ([]inventory.Product, string, error) { return g.st.Products(ctx, after, 0) })
	for p, err := range products {
		if err != nil {
			return err
		}
		if what == "policy" {
			if _, err := g.st.Policy(ctx, p.ID, 0); err == nil {
				continue
			} else if !errors.Is(err, fault.ErrNotFound) {
				return err
			}
		}
		if err := g.OnProductChange(ctx, p.ID, what); err != nil {
			return err
		}
	}
	return nil
}

func (g *Gate) previousRelease(ctx context.Context, productID, releaseID int64) (int64, bool, error) {
	var prev int64
	for r, err := range g.releases(ctx, productID) {
		if err != nil {
			return 0, false, err
		}
		if r.ID < releaseID && r.ID > prev {
			prev = r.ID
		}
	}
	return prev, prev != 0, nil
}

// input gathers a release's subjects from the store but its components
// (eachComponents reads those in batches): vulnerability matches, active findings, the latest
// firmware analysis (issues and binaries) and the product's threat model.
func (g *Gate) input(ctx context.Context, releaseID, productID int64, approved *policy.Approved) (*policy.Input, error) {
	in := &policy.Input{Sources: map[string]string{}}
	if g.vulns != nil {
		// MatchRelease reads the components in batches; an empty release
		// matches nothing.
		matches, _, err := g.vulns.MatchRelease(ctx, releaseID)
		if err != nil {
			return nil, err
		}
		in.Vulns = policy.FromMatches(matches, approved)
	}
	fa, err := g.st.LatestFirmwareAnalysis(ctx, releaseID)
	switch {
	case errors.Is(err, fault.ErrNotFound):
	case err != nil:
		return nil, err
	default:
		in.Firmware, in.Binaries = firmwareSubjects(fa.Result)
		in.Sources[policy.OnFirmware], in.Sources[policy.OnBinary] = fa.FileName, fa.FileName
	}
	active := paging.All(func(after string) ([]findings.Stored, string, error) {
		return g.st.Findings(ctx, findings.Query{ReleaseID: releaseID, Status: "active", After: after, Limit: paging.Max})
	})
	for f, err := range active {
		if err != nil {
			return nil, err
		}
		in.Findings = append(in.Findings, policy.FromFinding(&f.Finding, f.Scope))
	}
	if g.threats != nil {
		tv, err := ProductThreats(ctx, g.st, g.threats, productID, 0)
		switch {
		case errors.Is(err, fault.ErrNotFound):
		case err != nil:
			return nil, err
		default:
			in.Threats = policy.FromThreats(tv.Result)
		}
	}
	return in, nil
}

// eachComponents calls fn with the release's components as gate subjects
// (with the approved list), read from the store gateBatch at a time; fn
// may keep nothing of the batch, which is reused.
func (g *Gate) eachComponents(ctx context.Context, releaseID int64, approved *policy.Approved, fn func([]policy.Component) error) error {
	var buf []policy.Component
	return g.st.EachComponents(ctx, releaseID, gateBatch, func(b []inventory.Component) error {
		buf = buf[:0]
		for i := range b {
			buf = append(buf, policy.FromComponent(&b[i], approved))
		}
		return fn(buf)
	})
}

// gateBatch is how many components the gate reads at a time.
var gateBatch = 2000

// MaxGateViolations is how many violations the platform's gate keeps in
// a release's stored (and returned) result: the first in the report's
// order, i.e. failing before excepted and the most severe first, next to
// the exact counts of all of them, total and per rule. One bound for the
// whole result rather than one per rule: the kept list is then exactly
// the first entries of what `rampart gate` prints for the same inputs,
// its size does not grow with the number of rules in a policy, and a
// rule left out of the list still shows its count. 1,000 violations are
// ~400 KB of JSON and far more than the release page lists usefully;
// the default policy's copyleft rule gives ~140,000 on a 640,000-package
// SBOM, ~250 MB while judged and a ~55 MB stored text before the bound
// (docs/performance.md). `rampart gate` keeps every violation.
const MaxGateViolations = 1000

// gateMaxViolations is MaxGateViolations, changed by tests.
var gateMaxViolations = MaxGateViolations

// firmwareSubjects converts a stored firmware analysis into the gate's
// firmware and binary subjects (as `rampart gate --firmware` reads the
// JSON of `rampart firmware analyze`).
func firmwareSubjects(res *firmware.Result) ([]policy.FirmwareIssue, []policy.Binary) {
	if res == nil {
		return nil, nil
	}
	issues := make([]policy.FirmwareIssue, 0, len(res.Issues))
	for _, is := range res.Issues {
		issues = append(issues, policy.FirmwareIssue{Kind: string(is.Kind), Severity: strings.ToLower(string(is.Severity)), Path: is.Path, Detail: is.Detail,
			Account: is.Account, Port: int64(is.Port), New: true})
	}
	bins := make([]policy.Binary, 0, len(res.Binaries))
	for _, b := range res.Binaries {
		relro := strings.ToLower(b.RELRO)
		if relro != "partial" && relro != "full" {
			relro = "none"
		}
		bins = append(bins, policy.Binary{Path: b.Path, NX: b.NX, PIE: b.PIE, RELRO: relro, Canary: b.Canary, Fortify: b.Fortify, Stripped: b.Stripped, New: true})
	}
	return issues, bins
}

// ApprovedView is the approved-component list in effect for a product:
// the global list and the product's own (nil when not set), and the
// merged YAML the gate uses (usable as `rampart gate --approved`).
type ApprovedView struct {
	Global    *policy.PolicyVersion `json:"global"`
	Product   *policy.PolicyVersion `json:"product,omitempty"`
	Effective string                `json:"effective"`
}

// ApprovedOf returns the global list and, for productID > 0, the
// product's list and their merge.
func (g *Gate) ApprovedOf(ctx context.Context, productID int64) (ApprovedView, *policy.Approved, error) {
	var v ApprovedView
	var lists []*policy.Approved
	scopes := []int64{0}
	if productID != 0 {
		scopes = append(scopes, productID)
	}
	for _, id := range scopes {
		pv, err := g.st.Approved(ctx, id, 0)
		if errors.Is(err, fault.ErrNotFound) {
			continue
		}
		if err != nil {
			return v, nil, err
		}
		a, err := policy.ParseApproved([]byte(pv.Source), fmt.Sprintf("approved-%d-v%d.yaml", id, pv.Version))
		if err != nil {
			return v, nil, fmt.Errorf("stored approved list: %w", err)
		}
		lists = append(lists, a)
		if id == 0 {
			v.Global = &pv
		} else {
			v.Product = &pv
		}
	}
	merged := policy.MergeApproved(lists...)
	y, err := merged.YAML()
	if err != nil {
		return v, nil, err
	}
	v.Effective = string(y)
	return v, merged, nil
}

func (g *Gate) effectiveApproved(ctx context.Context, productID int64) (*policy.Approved, error) {
	_, a, err := g.ApprovedOf(ctx, productID)
	return a, err
}

// SaveApproved validates and stores a new version of a product's approved
// components and licences (productID 0: the global list); a new version
// and its audit record (policy.approved.save) commit together.
func (g *Gate) SaveApproved(ctx context.Context, productID int64, source, note, actor string) (policy.PolicyVersion, bool, error) {
	if err := checkSource("approved", source, "empty list: send the YAML (approved: [{purl, versions, reason}], licenses: [SPDX ids])", "approved.yaml", policy.ParseApproved); err != nil {
		return policy.PolicyVersion{}, false, err
	}
	return g.saveVersion(ctx, g.st.SaveApproved, "policy.approved.save", "approved", productID, source, note, actor)
}

// SavePolicy validates (compiles) and stores a new version of a product's
// policy (productID 0: the global policy); a new version and its audit
// record (policy.save) commit together.
func (g *Gate) SavePolicy(ctx context.Context, productID int64, source, note, actor string) (policy.PolicyVersion, bool, error) {
	if err := checkSource("policy", source, "empty policy: send the policy YAML (rampart: policy/v1)", "policy.yaml", policy.Parse); err != nil {
		return policy.PolicyVersion{}, false, err
	}
	return g.saveVersion(ctx, g.st.SavePolicy, "policy.save", "policy", productID, source, note, actor)
}

// saveVersion stores source as the next version of the scope's policy or
// approved list (what) with save and, when a version was created, records
// it as action ("what:product:vN", the source's SHA-256) in the same
// transaction; the body unchanged is no new version and no record.
func (g *Gate) saveVersion(ctx context.Context, save func(ctx context.Context, productID int64, source, note, actor string, now time.Time) (policy.PolicyVersion, bool, error),
	action, what string, productID int64, source, note, actor string) (policy.PolicyVersion, bool, error) {
	var v policy.PolicyVersion
	var created bool
	err := g.st.Atomic(ctx, func(ctx context.Context) error {
		var err error
		if v, created, err = save(ctx, productID, source, note, actor, g.now()); err != nil || !created {
			return err
		}
		return audit.Record(ctx, g.st, audit.Event{Action: action, Object: fmt.Sprintf("%s:%d:v%d", what, productID, v.Version), ProductID: productID, Detail: v.SHA256})
	})
	if err != nil {
		return policy.PolicyVersion{}, false, err
	}
	return v, created, nil
}

// checkSource checks the source of a new policy or approved list before it
// is stored: an empty one is invalid with the message empty, one that parse
// rejects (read as the file name) with the parser's message; field names
// the form field.
func checkSource[T any](field, source, empty, name string, parse func(data []byte, name string) (T, error)) error {
	if strings.TrimSpace(source) == "" {
		return fault.Invalid(field, "%s", empty)
	}
	if _, err := parse([]byte(source), name); err != nil {
		return fault.Invalid(field, "%v", err)
	}
	return nil
}

// PolicyOf returns the policy in effect for a product: its own, the global
// one, or the built-in default (version 0, scope "default").
func (g *Gate) PolicyOf(ctx context.Context, productID int64) (policy.PolicyVersion, string, error) {
	for _, scope := range []struct {
		id   int64
		name string
	}{{productID, "product"}, {0, "global"}} {
		v, err := g.st.Policy(ctx, scope.id, 0)
		if errors.Is(err, fault.ErrNotFound) {
			continue
		}
		return v, scope.name, err
	}
	return policy.PolicyVersion{ProductID: productID, Source: string(policy.DefaultSource())}, "default", nil
}

// ExceptionRequest is what a requester sends.
type ExceptionRequest struct {
	Rule      string       `json:"rule"`
	Match     policy.Match `json:"match"`
	Reason    string       `json:"reason"`
	Expires   string       `json:"expires"`
	ProductID int64        `json:"-"`
}

// MaxExceptionDays bounds how far ahead an exception may expire.
const MaxExceptionDays = policy.MaxExceptionDays

// RequestException validates and stores a requested exception with its
// audit record (policy.exception.request) in one transaction.
func (g *Gate) RequestException(ctx context.Context, req ExceptionRequest, actor string) (policy.PolicyException, error) {
	now := g.now().UTC()
	e := policy.PolicyException{ProductID: req.ProductID, Rule: req.Rule, MatchID: req.Match.ID, MatchComponent: req.Match.Component, MatchPath: req.Match.Path,
		Reason: req.Reason, Expires: req.Expires, Status: "requested", RequestedBy: actor, RequestedAt: now}
	if err := e.Validate(now); err != nil {
		return policy.PolicyException{}, err
	}
	err := g.st.Atomic(ctx, func(ctx context.Context) error {
		e.ID = 0 // a retried transaction creates it again
		if err := g.st.CreateException(ctx, &e); err != nil {
			return err
		}
		return audit.Record(ctx, g.st, audit.Event{Action: "policy.exception.request", Object: fmt.Sprintf("exception:%d", e.ID), ProductID: e.ProductID,
			Detail: fmt.Sprintf("rule %s until %s: %s", e.Rule, e.Expires, e.Reason)})
	})
	return e, err
}

// DecideException approves or rejects a requested exception and records
// the decision (policy.exception.approve or .reject) in one transaction.
// The requester cannot decide their own request.
func (g *Gate) DecideException(ctx context.Context, productID, id int64, approve bool, actor string) (policy.PolicyException, error) {
	status, verb := "rejected", "reject"
	if approve {
		status, verb = "approved", "approve"
	}
	var e policy.PolicyException
	err := g.st.Atomic(ctx, func(ctx context.Context) error {
		var err error
		if e, err = g.st.Exception(ctx, productID, id); err != nil {
			return err
		}
		if e.RequestedBy == actor {
			return fault.Forbidden("exception %d was requested by %s: another person must approve or reject it", id, actor)
		}
		if err := g.st.DecideException(ctx, productID, id, status, actor, g.now()); err != nil {
			return err
		}
		if e, err = g.st.Exception(ctx, productID, id); err != nil {
			return err
		}
		return audit.Record(ctx, g.st, audit.Event{Action: "policy.exception." + verb, Object: fmt.Sprintf("exception:%d", e.ID), ProductID: productID,
			Detail: fmt.Sprintf("rule %s requested by %s", e.Rule, e.RequestedBy)})
	})
	return e, err
}
