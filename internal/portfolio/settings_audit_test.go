package portfolio_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/incident"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/policy"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/sdl"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
)

// TestChangesAndTheirRecordsCommitTogether: each use case that changes a
// policy, an approved list, an exception, the SDL record or a product
// setting writes its audit record in the change's transaction: with the
// audit log unwritable the change fails and nothing changes; with the log
// back the change and exactly one record land together. The record's
// actor, source and outcome are audit.Record's defaults (the principal in
// ctx, naming the token; the request's address), so the API and the UI,
// which both call these, write the same record.
func TestChangesAndTheirRecordsCommitTogether(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
		g := portfolio.NewGate(st, portfolio.NewVulns(st, nil), nil, func() time.Time { return now })
		ctx := identity.WithPrincipal(context.Background(), &identity.Principal{Name: "carol", Via: "token", TokenID: 7, TokenName: "ci"})
		ctx = audit.WithSource(ctx, "192.0.2.1")
		p := inventory.Product{Name: "Cam"}
		if err := st.CreateProduct(ctx, &p); err != nil {
			t.Fatal(err)
		}
		rel := inventory.Release{ProductID: p.ID, Version: "1.0"}
		if err := st.CreateRelease(ctx, &rel); err != nil {
			t.Fatal(err)
		}
		// Two requested exceptions for the decisions, stored without a record.
		var pending [2]policy.PolicyException
		for i := range pending {
			pending[i] = policy.PolicyException{ProductID: p.ID, Rule: fmt.Sprintf("rule-%d", i), MatchID: "CVE-1", Reason: "r", Expires: "2026-07-01",
				Status: "requested", RequestedBy: "bob", RequestedAt: now}
			if err := st.CreateException(ctx, &pending[i]); err != nil {
				t.Fatal(err)
			}
		}
		const approvedList = "licenses: [MIT]\n"
		sha := func(s string) string { sum := sha256.Sum256([]byte(s)); return hex.EncodeToString(sum[:]) }
		exceptions := func(ctx context.Context) (any, error) { return st.Exceptions(ctx, p.ID) }
		object := func(format string, id int64) string { return fmt.Sprintf(format, id) }
		product := fmt.Sprintf("product %d", p.ID)

		// Each case changes something and returns the record it should
		// have written; state reads what it changes.
		cases := []struct {
			name   string
			change func(ctx context.Context) (audit.Event, error)
			state  func(ctx context.Context) (any, error)
		}{
			{"policy", func(ctx context.Context) (audit.Event, error) {
				v, _, err := g.SavePolicy(ctx, p.ID, sastPolicy, "first", "carol")
				return audit.Event{Action: "policy.save", Object: object("policy:%d:v1", p.ID), Detail: sha(sastPolicy)}, notCreated(v.Version, err)
			}, func(ctx context.Context) (any, error) { return st.PolicyVersions(ctx, p.ID) }},
			{"approved", func(ctx context.Context) (audit.Event, error) {
				v, _, err := g.SaveApproved(ctx, p.ID, approvedList, "", "carol")
				return audit.Event{Action: "policy.approved.save", Object: object("approved:%d:v1", p.ID), Detail: sha(approvedList)}, notCreated(v.Version, err)
			}, func(ctx context.Context) (any, error) { return st.ApprovedVersions(ctx, p.ID) }},
			{"exception request", func(ctx context.Context) (audit.Event, error) {
				e, err := g.RequestException(ctx, portfolio.ExceptionRequest{ProductID: p.ID, Rule: "no-new-high-sast", Match: policy.Match{Path: "db/b.go"},
					Reason: "false positive", Expires: "2026-06-30"}, "carol")
				return audit.Event{Action: "policy.exception.request", Object: object("exception:%d", e.ID), Detail: "rule no-new-high-sast until 2026-06-30: false positive"}, err
			}, exceptions},
			{"exception approve", func(ctx context.Context) (audit.Event, error) {
				_, err := g.DecideException(ctx, p.ID, pending[0].ID, true, "carol")
				return audit.Event{Action: "policy.exception.approve", Object: object("exception:%d", pending[0].ID), Detail: "rule rule-0 requested by bob"}, err
			}, exceptions},
			{"exception reject", func(ctx context.Context) (audit.Event, error) {
				_, err := g.DecideException(ctx, p.ID, pending[1].ID, false, "carol")
				return audit.Event{Action: "policy.exception.reject", Object: object("exception:%d", pending[1].ID), Detail: "rule rule-1 requested by bob"}, err
			}, exceptions},
			{"checklist", func(ctx context.Context) (audit.Event, error) {
				err := portfolio.SetChecklist(ctx, st, rel.ID, map[string]sdl.ChecklistItem{"threat_model_reviewed": {Done: true, Evidence: "https://wiki.example/review"}, "code_review": {}}, "carol", now)
				return audit.Event{Action: "sdl.checklist.set", Object: object("release:%d", rel.ID), Detail: "[code_review=false threat_model_reviewed=true]"}, err
			}, func(ctx context.Context) (any, error) { return st.Checklist(ctx, rel.ID) }},
			{"samm", func(ctx context.Context) (audit.Event, error) {
				a, err := portfolio.AddSAMMAssessment(ctx, st, p.ID, map[string]float64{"G-SM-A": 3}, "first", "carol", now)
				return audit.Event{Action: "sdl.samm.assess", Object: object("samm:%d", a.ID), Detail: fmt.Sprintf("overall %.2f", a.Scores.Overall)}, err
			}, func(ctx context.Context) (any, error) { return st.SAMMAssessments(ctx, p.ID) }},
			{"dedup", func(ctx context.Context) (audit.Event, error) {
				err := portfolio.SetDedup(ctx, st, p.ID, []string{"vulnerability", "component"})
				return audit.Event{Action: "product.dedup", Object: product, Detail: "vulnerability,component"}, err
			}, func(ctx context.Context) (any, error) { return st.ProductDedup(ctx, p.ID) }},
			{"sla", func(ctx context.Context) (audit.Event, error) {
				err := portfolio.SetSLA(ctx, st, p.ID, findings.SLAPolicy{Critical: 3, High: 14, Medium: 60, Low: 90, Info: 365})
				return audit.Event{Action: audit.ActionSLAChange, Object: product,
					Detail: "from critical 7d, high 30d, medium 90d, low 120d, info 0d to critical 3d, high 14d, medium 60d, low 90d, info 365d"}, err
			}, func(ctx context.Context) (any, error) { return st.ProductSLA(ctx, p.ID) }},
			{"incident settings", func(ctx context.Context) (audit.Event, error) {
				ps, err := portfolio.SetIncidentSettings(ctx, st, p.ID, incident.ProductSettings{Manufacturer: " Northwind ", Contact: "psirt@example.com",
					MemberStates: []string{"de", "FR", "DE"}, AlertEmails: []string{"team@example.com"}})
				if err == nil && (ps.Manufacturer != "Northwind" || fmt.Sprint(ps.MemberStates) != "[DE FR]") {
					t.Errorf("settings not normalised: %+v", ps)
				}
				return audit.Event{Action: "product.incident_settings", Object: product,
					Detail: `manufacturer "Northwind"; contact "psirt@example.com"; member states DE,FR; alert emails team@example.com`}, err
			}, func(ctx context.Context) (any, error) { return st.ProductIncidentSettings(ctx, p.ID) }},
			{"maximum acceptance", func(ctx context.Context) (audit.Event, error) {
				_, err := portfolio.SetMaxAcceptance(ctx, st, p.ID, 90)
				return audit.Event{Action: audit.ActionMaxAcceptance, Object: product, Detail: "max_days 0 -> 90"}, err
			}, func(ctx context.Context) (any, error) { return st.ProductMaxAcceptance(ctx, p.ID) }},
		}

		before := make([]string, len(cases))
		for i, c := range cases {
			before[i] = stateOf(t, ctx, c.state)
		}
		// The audit log cannot be appended to: every change fails and
		// leaves nothing behind.
		if _, err := st.DB().ExecContext(ctx, `ALTER TABLE audit_log RENAME TO audit_log_away`); err != nil {
			t.Fatal(err)
		}
		for i, c := range cases {
			if _, err := c.change(ctx); err == nil {
				t.Errorf("%s: changed without its audit record", c.name)
			} else if fault.KindOf(err) != fault.KindInternal {
				t.Errorf("%s: %v, want the audit log's (internal) error", c.name, err)
			}
			if got := stateOf(t, ctx, c.state); got != before[i] {
				t.Errorf("%s: the failed change stayed: %s, was %s", c.name, got, before[i])
			}
		}
		if _, err := st.DB().ExecContext(ctx, `ALTER TABLE audit_log_away RENAME TO audit_log`); err != nil {
			t.Fatal(err)
		}
		// With the log back, each change and its one record land together.
		for i, c := range cases {
			want, err := c.change(ctx)
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
				continue
			}
			if got := stateOf(t, ctx, c.state); got == before[i] {
				t.Errorf("%s: nothing changed", c.name)
			}
			evs, err := st.AuditEvents(ctx, audit.Query{Action: want.Action, Limit: -1})
			if err != nil || len(evs) != 1 {
				t.Errorf("%s: %d %s records (%v), want 1", c.name, len(evs), want.Action, err)
				continue
			}
			got := evs[0]
			want.Actor, want.Source, want.Outcome, want.ProductID = "carol (token 7 ci)", "192.0.2.1", audit.OK, p.ID
			got.Seq, got.At, got.PrevHash, got.Hash = 0, time.Time{}, "", ""
			if got != want {
				t.Errorf("%s: record\n got %+v\nwant %+v", c.name, got, want)
			}
		}
		if n, _, err := st.VerifyAudit(ctx); err != nil || n != int64(len(cases)) {
			t.Errorf("verify: %d records %v, want %d", n, err, len(cases))
		}
		// Saving the same policy again is no new version and no record.
		if _, created, err := g.SavePolicy(ctx, p.ID, sastPolicy, "again", "carol"); err != nil || created {
			t.Errorf("same policy again: created %v %v", created, err)
		}
		if evs, _ := st.AuditEvents(ctx, audit.Query{Action: "policy.save", Limit: -1}); len(evs) != 1 {
			t.Errorf("policy.save records after an unchanged save: %d, want 1", len(evs))
		}
	})
}

// notCreated turns a save that did not create version 1 into an error.
func notCreated(version int, err error) error {
	if err == nil && version != 1 {
		return fmt.Errorf("version %d, want 1", version)
	}
	return err
}

// stateOf renders what state reads, failing the test on an error.
func stateOf(t *testing.T, ctx context.Context, state func(ctx context.Context) (any, error)) string {
	t.Helper()
	v, err := state(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%+v", v)
}
