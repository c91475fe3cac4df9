package portfolio_test

import (
	"context"
	"errors"
	"testing"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
)

// TestCreateProductOwnedAndAudited: the creator owns the product they
// create, the creation is audited in the same transaction, and a refused
// creation (a taken name) leaves no record and no membership; releases and
// product deletion are audited the same way.
func TestCreateProductOwnedAndAudited(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		u := identity.User{Name: "olga", Role: identity.RoleEditor, PasswordHash: "x"}
		if err := st.CreateUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
		actx := identity.WithPrincipal(ctx, &identity.Principal{UserID: u.ID, Name: u.Name, Role: u.Role, Via: "session"})
		events := func() []audit.Event {
			t.Helper()
			ev, err := st.AuditEvents(ctx, audit.Query{Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			return ev
		}
		p := inventory.Product{Name: "Gateway"}
		if err := portfolio.CreateProduct(actx, st, &p); err != nil {
			t.Fatal(err)
		}
		if roles, err := st.Memberships(ctx, u.ID); err != nil || roles[p.ID] != identity.ProductOwner {
			t.Fatalf("creator's role on the new product: %v, %v; want owner", roles, err)
		}
		if ev := events(); len(ev) != 1 || ev[0].Action != audit.ActionProductCreate || ev[0].Actor != "olga" || ev[0].ProductID != p.ID {
			t.Fatalf("audit after create: %+v", ev)
		}
		dup := inventory.Product{Name: "Gateway"}
		if err := portfolio.CreateProduct(actx, st, &dup); !errors.Is(err, fault.ErrConflict) {
			t.Fatalf("taken name: %v, want a conflict", err)
		}
		if ev := events(); len(ev) != 1 {
			t.Fatalf("a refused creation was audited: %d events", len(ev))
		}
		rel := inventory.Release{ProductID: p.ID, Version: "1.0"}
		if err := portfolio.CreateRelease(actx, st, &rel); err != nil {
			t.Fatal(err)
		}
		if err := portfolio.CreateRelease(actx, st, &inventory.Release{ProductID: p.ID, Version: ""}); fault.FieldOf(err) != "version" {
			t.Fatalf("release without a version: %v", err)
		}
		if err := portfolio.DeleteProduct(actx, st, p.ID); err != nil {
			t.Fatal(err)
		}
		if err := portfolio.DeleteProduct(actx, st, p.ID); !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("deleting it twice: %v, want not found", err)
		}
		ev := events()
		if len(ev) != 3 || ev[0].Action != audit.ActionProductDelete || ev[1].Action != audit.ActionReleaseCreate {
			t.Fatalf("audit after release and delete: %+v", ev)
		}
	})
}
