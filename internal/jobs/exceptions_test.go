package jobs

import (
	"context"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/policy"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
)

// TestGateExceptionsExpire: an approved gate exception past its expiry day
// becomes expired on the next tick, with one event and one audit event,
// even though nothing re-evaluated the gate; one still valid, or only
// requested, is left alone, and a second tick changes nothing.
func TestGateExceptionsExpire(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		p := inventory.Product{Name: "Lock"}
		if err := st.CreateProduct(ctx, &p); err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
		mk := func(expires, status string) int64 {
			e := policy.PolicyException{ProductID: p.ID, Rule: "no-kev", MatchID: "CVE-2024-1", Reason: "r", Expires: expires, Status: "requested", RequestedBy: "ed", RequestedAt: now.AddDate(0, -1, 0)}
			if err := st.CreateException(ctx, &e); err != nil {
				t.Fatal(err)
			}
			if status != "requested" {
				if err := st.DecideException(ctx, p.ID, e.ID, status, "alice", now.AddDate(0, -1, 0)); err != nil {
					t.Fatal(err)
				}
			}
			return e.ID
		}
		past, today, requested := mk("2026-12-01", "approved"), mk("2026-12-02", "approved"), mk("2026-11-01", "requested")
		r := New(Config{}, st, quiet())
		r.SetClock(func() time.Time { return now })
		for tick := range 2 {
			if err := r.Tick(ctx); err != nil {
				t.Fatal(err)
			}
			for id, want := range map[int64]string{past: "expired", today: "approved", requested: "requested"} {
				if e, err := st.Exception(ctx, p.ID, id); err != nil || e.Status != want {
					t.Errorf("tick %d: exception %d = %q %v, want %s", tick, id, e.Status, err, want)
				}
			}
			evs, err := st.Events(ctx, 50, nil)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, e := range evs {
				if e.Kind == "policy.exception.expired" {
					n++
					if e.ProductID != p.ID || e.Title != "Gate exception for no-kev expired on 2026-12-01" {
						t.Errorf("event %+v", e)
					}
				}
			}
			audits, err := st.AuditEvents(ctx, audit.Query{Action: "policy.exception.expire", Limit: -1})
			if n != 1 || err != nil || len(audits) != 1 {
				t.Errorf("tick %d: %d events, %d audit events (%v), want 1 each", tick, n, len(audits), err)
			}
			now = now.Add(2 * time.Minute) // past the job's lease
		}
	})
}
