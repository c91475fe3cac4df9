package updates_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
	"github.com/rampart-security/rampart/internal/updates"
)

// The store satisfies the interfaces the update use cases declare
// (checked at compile time).
var (
	_ updates.Store      = (*store.Store)(nil)
	_ updates.FleetStore = (*store.Store)(nil)
)

// TestChangesCommitWithTheirRecord: a repository's creation, a root
// rotation, a publish, a rollout start and a rollout change write their
// audit record in the change's transaction.
// When the record cannot be written the change is rolled back; otherwise
// both are there, the record naming the actor and source in ctx.
func TestChangesCommitWithTheirRecord(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		st := &storetest.FailingAudit{Store: s}
		p := inventory.Product{Name: "Gateway"}
		if err := st.CreateProduct(context.Background(), &p); err != nil {
			t.Fatal(err)
		}
		ctx := audit.WithSource(identity.WithPrincipal(context.Background(), &identity.Principal{Name: "ed"}), "192.0.2.9")
		svc, fleet := updates.New(st, sealer(t), nil), updates.NewFleet(st, nil)
		st.Fail = true
		if _, err := svc.Init(ctx, updates.InitRequest{Slug: "gw", ProductID: p.ID}); !errors.Is(err, storetest.ErrAudit) {
			t.Fatalf("init without an audit log: %v, want the audit error", err)
		}
		if _, err := st.UpdateRepo(ctx, "gw"); !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("init rolled back: repository lookup %v, want not found", err)
		}
		st.Fail = false
		initRes, err := svc.Init(ctx, updates.InitRequest{Slug: "gw", ProductID: p.ID})
		if err != nil {
			t.Fatal(err)
		}
		repo, err := st.UpdateRepo(ctx, "gw")
		if err != nil {
			t.Fatal(err)
		}
		newest := func() audit.Event {
			t.Helper()
			evs, err := st.AuditEvents(ctx, audit.Query{Limit: 1})
			if err != nil || len(evs) != 1 {
				t.Fatalf("audit events: %v %d", err, len(evs))
			}
			return evs[0]
		}
		want := func(action, object string) {
			t.Helper()
			e := newest()
			if e.Action != action || e.Object != object || e.ProductID != p.ID || e.Actor != "ed" || e.Source != "192.0.2.9" || e.Outcome != audit.OK || e.Detail != "" {
				t.Errorf("record: %+v, want %s %q of product %d by ed from 192.0.2.9", e, action, object, p.ID)
			}
		}
		want(updates.ActionInit, "repository gw, root threshold 1")

		rot := updates.RotateRequest{Slug: "gw", OldKeys: initRes.RootKeys}
		st.Fail = true
		if _, err := svc.RotateRoot(ctx, rot); !errors.Is(err, storetest.ErrAudit) {
			t.Fatalf("rotate-root without an audit log: %v, want the audit error", err)
		}
		if m, err := st.UpdateMeta(ctx, repo.ID, updates.RoleRoot, 0); err != nil || m.Version != 1 {
			t.Fatalf("rotate-root rolled back: root version %d %v, want 1", m.Version, err)
		}
		st.Fail = false
		if _, err := svc.RotateRoot(ctx, rot); err != nil {
			t.Fatal(err)
		}
		want(updates.ActionRotateRoot, "repository gw root version 2 (online keys rotated: false)")

		req := updates.PublishRequest{ProductID: p.ID, Name: "gw-2.0.img", Content: []byte("image 2.0"), Version: "2.0"}

		st.Fail = true
		if _, err := svc.Publish(ctx, req); !errors.Is(err, storetest.ErrAudit) {
			t.Fatalf("publish without an audit log: %v, want the audit error", err)
		}
		if ts, err := st.UpdateTargets(ctx, repo.ID); err != nil || len(ts) != 0 {
			t.Fatalf("publish rolled back: targets %+v %v", ts, err)
		}
		if m, err := st.UpdateMeta(ctx, repo.ID, updates.RoleTargets, 0); err != nil || m.Version != 1 {
			t.Fatalf("publish rolled back: targets metadata version %d %v, want 1", m.Version, err)
		}
		st.Fail = false
		tg, err := svc.Publish(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		want(updates.ActionPublish, "target gw-2.0.img sha256 "+tg.SHA256)

		rr := updates.RolloutRequest{Target: "gw-2.0.img", Percent: 10, Groups: []string{"beta"}}
		st.Fail = true
		if _, err := fleet.StartRollout(ctx, p.ID, rr, "ed"); !errors.Is(err, storetest.ErrAudit) {
			t.Fatalf("rollout without an audit log: %v, want the audit error", err)
		}
		if ros, err := fleet.Rollouts(ctx, p.ID); err != nil || len(ros) != 0 {
			t.Fatalf("rollout start rolled back: %+v %v", ros, err)
		}
		st.Fail = false
		ro, err := fleet.StartRollout(ctx, p.ID, rr, "ed")
		if err != nil {
			t.Fatal(err)
		}
		want(updates.ActionRolloutStart, fmt.Sprintf("rollout %d of gw-2.0.img to 10%% [beta]", ro.ID))

		st.Fail = true
		if _, err := fleet.ChangeRollout(ctx, p.ID, ro.ID, updates.RolloutChange{State: updates.RolloutPaused}); !errors.Is(err, storetest.ErrAudit) {
			t.Fatalf("rollout change without an audit log: %v, want the audit error", err)
		}
		if got, err := st.Rollout(ctx, p.ID, ro.ID); err != nil || got.State != updates.RolloutActive {
			t.Fatalf("rollout change rolled back: %+v %v", got, err)
		}
		st.Fail = false
		if _, err := fleet.ChangeRollout(ctx, p.ID, ro.ID, updates.RolloutChange{State: updates.RolloutPaused}); err != nil {
			t.Fatal(err)
		}
		want(updates.ActionRolloutChange, fmt.Sprintf("rollout %d: paused 10%%", ro.ID))
		if got, _ := st.Rollout(ctx, p.ID, ro.ID); got.State != updates.RolloutPaused {
			t.Errorf("rollout after the change: %s, want paused", got.State)
		}
	})
}
