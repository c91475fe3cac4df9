package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
)

func TestSessionExpiryAndDisable(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		u := identity.User{Name: "ann", Role: identity.RoleViewer, PasswordHash: "x"}
		if err := s.CreateUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
		// Absolute expiry: a session created with a 1 ms lifetime is gone.
		s.SetSessionLifetimes(time.Hour, time.Millisecond)
		short, _, _ := s.CreateSession(ctx, u.ID, "", "")
		time.Sleep(5 * time.Millisecond)
		if _, err := s.SessionPrincipal(ctx, short); !errors.Is(err, fault.ErrNotFound) {
			t.Errorf("session past its absolute expiry: %v", err)
		}
		// Idle expiry: last_seen older than the idle lifetime ends it.
		s.SetSessionLifetimes(time.Minute, time.Hour)
		idle, _, _ := s.CreateSession(ctx, u.ID, "", "")
		if _, err := s.DB().Exec(`UPDATE sessions SET last_seen = '2000-01-01T00:00:00.000000Z'`); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SessionPrincipal(ctx, idle); !errors.Is(err, fault.ErrNotFound) {
			t.Errorf("idle session: %v", err)
		}
		// Disabling ends sessions; the sessions' MFA flag is carried.
		live, _, _ := s.CreateSessionAuth(ctx, u.ID, "", "", true)
		if p, err := s.SessionPrincipal(ctx, live); err != nil || !p.MFA {
			t.Fatalf("two-factor session: %+v %v", p, err)
		}
		yes := true
		if err := s.UpdateUser(ctx, u.ID, identity.UserUpdate{Disabled: &yes}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SessionPrincipal(ctx, live); !errors.Is(err, fault.ErrNotFound) {
			t.Errorf("session of a disabled user: %v", err)
		}
	})
}

func TestMembershipsAndVisibility(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		u := identity.User{Name: "olga", Role: identity.RoleViewer, ProductsOnly: true, PasswordHash: "x"}
		if err := s.CreateUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
		a := createProduct(t, s, "A")
		createProduct(t, s, "B")
		if err := s.SetMember(ctx, a.ID, u.ID, identity.ProductOwner); err != nil {
			t.Fatal(err)
		}
		if err := s.SetMember(ctx, a.ID, u.ID, "superuser"); err == nil {
			t.Error("unknown product role accepted")
		}
		if err := s.SetMember(ctx, 9999, u.ID, identity.ProductViewer); !errors.Is(err, fault.ErrNotFound) {
			t.Errorf("membership of a missing product: %v", err)
		}
		plain, _, _ := s.CreateSession(ctx, u.ID, "", "")
		p, err := s.SessionPrincipal(ctx, plain)
		if err != nil || p.AllProducts || p.Products[a.ID] != identity.ProductOwner {
			t.Fatalf("principal %+v %v", p, err)
		}
		ids, all := p.VisibleProducts(identity.PermRead)
		list, _, err := s.ProductsIn(ctx, ids, "", 10)
		if all || err != nil || len(list) != 1 || list[0].Name != "A" {
			t.Errorf("visible products: %v %+v %v", all, list, err)
		}
		ms, _ := s.Members(ctx, a.ID, 0)
		if len(ms) != 1 || ms[0].UserName != "olga" {
			t.Errorf("members: %+v", ms)
		}
		if err := s.RemoveMember(ctx, a.ID, u.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.RemoveMember(ctx, a.ID, u.ID); !errors.Is(err, fault.ErrNotFound) {
			t.Errorf("second removal: %v", err)
		}
		// SSO accounts never take over local ones.
		idp := func(sub, name string, role identity.Role) identity.SSOIdentity {
			return identity.SSOIdentity{Issuer: "https://idp.example", Subject: sub, Name: name, Role: role}
		}
		if _, err := s.SSOUser(ctx, idp("o", "olga", identity.RoleAdmin), false); !errors.Is(err, fault.ErrConflict) {
			t.Errorf("SSO takeover of a local account: %v", err)
		}
		sso, err := s.SSOUser(ctx, idp("s", "sam", identity.RoleEditor), false)
		if err != nil || sso.Role != identity.RoleEditor {
			t.Fatalf("SSO user: %+v %v", sso, err)
		}
		if sso, _ = s.SSOUser(ctx, idp("s", "sam", identity.RoleViewer), false); sso.Role != identity.RoleViewer {
			t.Errorf("SSO role sync: %s", sso.Role)
		}
	})
}
