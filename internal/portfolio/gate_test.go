package portfolio_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/policy"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
)

const sastPolicy = `rampart: policy/v1
rules:
  - id: no-new-high-sast
    on: finding
    when: finding.new && severity_at_least(finding.severity, "high")
    message: "new {{ finding.rule_id }} at {{ finding.file }}"
`

func TestGateInPlatform(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
		clock := func() time.Time { return now }
		g := portfolio.NewGate(st, portfolio.NewVulns(st, nil), nil, clock)

		p := inventory.Product{Name: "Cam", Criticality: 3, Exposure: inventory.ExposureInternet}
		if err := st.CreateProduct(ctx, &p); err != nil {
			t.Fatal(err)
		}
		r1 := inventory.Release{ProductID: p.ID, Version: "1.0", Status: inventory.StatusShipped}
		r2 := inventory.Release{ProductID: p.ID, Version: "1.1", Status: inventory.StatusDevelopment}
		for _, r := range []*inventory.Release{&r1, &r2} {
			if err := st.CreateRelease(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		importReport(t, st, r1.ID, "sast", sarif("semgrep", [3]any{"sqli", "db/a.go", 10}))
		importReport(t, st, r2.ID, "sast", sarif("semgrep", [3]any{"sqli", "db/a.go", 10}, [3]any{"sqli2", "db/b.go", 20}))

		// No stored policy: the default applies (its SAST rule needs new high static findings).
		v, err := g.Evaluate(ctx, r2.ID, "api")
		if err != nil {
			t.Fatal(err)
		}
		if v.PolicyScope != "default" || v.Passed || len(v.Violations) != 1 || v.Violations[0].Subject != "semgrep sqli2 at db/b.go:20" {
			t.Fatalf("default gate = %+v", v)
		}

		// A product policy: invalid ones are refused with the position.
		if _, _, err := g.SavePolicy(ctx, p.ID, "rampart: policy/v1\nrules:\n  - {id: x, on: finding, when: finding.nope}\n", "", "alice"); fault.KindOf(err) != fault.KindInvalid {
			t.Fatalf("invalid policy: %v", err)
		}
		pv, created, err := g.SavePolicy(ctx, p.ID, sastPolicy, "first", "alice")
		if err != nil || !created || pv.Version != 1 {
			t.Fatalf("save: %+v %v %v", pv, created, err)
		}
		if pv, created, _ = g.SavePolicy(ctx, p.ID, sastPolicy, "again", "alice"); created || pv.Version != 1 {
			t.Errorf("same policy saved again: %+v %v", pv, created)
		}
		if _, scope, _ := g.PolicyOf(ctx, p.ID); scope != "product" {
			t.Errorf("scope = %s", scope)
		}
		// Release 1 has no earlier release: everything is new.
		v1, err := g.Evaluate(ctx, r1.ID, "api")
		if err != nil {
			t.Fatal(err)
		}
		if v1.PolicyScope != "product" || v1.PolicyVersion != 1 || len(v1.Violations) != 1 || v1.Violations[0].Message != "new sqli at db/a.go" {
			t.Errorf("release 1 gate = %+v", v1)
		}

		// An exception: requested by bob, not approvable by bob, approved by carol.
		e, err := g.RequestException(ctx, portfolio.ExceptionRequest{ProductID: p.ID, Rule: "no-new-high-sast", Match: policy.Match{Path: "db/b.go"},
			Reason: "parameterised in 1.2", Expires: "2026-06-30"}, "bob")
		if err != nil || e.Status != "requested" {
			t.Fatalf("request: %+v %v", e, err)
		}
		for _, bad := range []portfolio.ExceptionRequest{
			{ProductID: p.ID, Rule: "r", Reason: "x", Expires: "2026-07-01"},
			{ProductID: p.ID, Rule: "r", Match: policy.Match{ID: "x"}, Reason: "x", Expires: "2026-05-01"},
			{ProductID: p.ID, Rule: "r", Match: policy.Match{ID: "x"}, Reason: "x", Expires: "2030-01-01"},
			{ProductID: p.ID, Rule: "r", Match: policy.Match{ID: "x"}, Expires: "2026-07-01"},
		} {
			if _, err := g.RequestException(ctx, bad, "bob"); fault.KindOf(err) != fault.KindInvalid {
				t.Errorf("request %+v: %v", bad, err)
			}
		}
		// Still only requested: the gate fails.
		if v, _ := g.Evaluate(ctx, r2.ID, "api"); v.Passed {
			t.Error("a requested exception excepted a violation")
		}
		if _, err := g.DecideException(ctx, p.ID, e.ID, true, "bob"); fault.KindOf(err) != fault.KindForbidden {
			t.Fatalf("self-approval: %v", err)
		}
		e, err = g.DecideException(ctx, p.ID, e.ID, true, "carol")
		if err != nil || e.Status != "approved" || e.DecidedBy != "carol" {
			t.Fatalf("approve: %+v %v", e, err)
		}
		if _, err := g.DecideException(ctx, p.ID, e.ID, false, "dave"); !errors.Is(err, fault.ErrConflict) {
			t.Errorf("second decision: %v", err)
		}
		v, err = g.Evaluate(ctx, r2.ID, "scan")
		if err != nil {
			t.Fatal(err)
		}
		if !v.Passed || len(v.Violations) != 1 || !v.Violations[0].Excepted {
			t.Fatalf("with exception: %+v", v)
		}
		stored, err := st.GateResultOf(ctx, r2.ID)
		if err != nil || !stored.Passed || stored.Trigger != "scan" || stored.PolicyScope != "product" {
			t.Errorf("stored result = %+v %v", stored, err)
		}

		// After the expiry day the exception expires with an audit event and fails the gate.
		now = time.Date(2026, 7, 1, 0, 0, 1, 0, time.UTC)
		v, err = g.Evaluate(ctx, r2.ID, "api")
		if err != nil {
			t.Fatal(err)
		}
		if v.Passed || len(v.ExpiredExceptions) != 1 || v.ExpiredExceptions[0].Expires != "2026-06-30" || v.Violations[0].Excepted {
			t.Fatalf("expired: %+v", v)
		}
		if es, _ := st.Exceptions(ctx, p.ID); es[0].Status != "expired" {
			t.Errorf("status = %s", es[0].Status)
		}
		events, err := st.AuditEvents(ctx, audit.Query{Product: p.ID, Action: "policy."})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, ev := range events {
			found = found || ev.Action == "policy.exception.expire"
		}
		if !found {
			t.Errorf("no expiry audit event in %+v", events)
		}

		// The global policy applies to products without their own.
		q := inventory.Product{Name: "Hub", Criticality: 2, Exposure: inventory.ExposureLocal}
		st.CreateProduct(ctx, &q)
		if _, _, err := g.SavePolicy(ctx, 0, sastPolicy, "", "admin"); err != nil {
			t.Fatal(err)
		}
		if _, scope, _ := g.PolicyOf(ctx, q.ID); scope != "global" {
			t.Errorf("scope of Hub = %s", scope)
		}
	})
}
