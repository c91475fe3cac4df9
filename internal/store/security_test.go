package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
)

// Defect 2: two server starts printed two setup links, and the first still
// created another administrator after the second completed setup.
func TestSetupLinkOneAtATime(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		first, err := s.CreateSetupToken(ctx, "setup", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		second, err := s.CreateSetupToken(ctx, "setup", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if s.ValidSetupToken(ctx, first, "setup") {
			t.Error("the first link still works after a second was issued")
		}
		if !s.ValidSetupToken(ctx, second, "setup") {
			t.Fatal("the newest link does not work")
		}
		if got := scalar(t, s, `SELECT hash FROM setup_tokens WHERE purpose = 'setup'`); got == second || strings.Contains(got, second) || got != identity.HashSecret(second) {
			t.Errorf("setup link stored as %q, want only its hash", got)
		}
		a := identity.User{Name: "root", Role: identity.RoleAdmin, PasswordHash: "x"}
		if err := s.CompleteSetup(ctx, first, &a); err == nil {
			t.Fatal("a replaced link created an administrator")
		}
		if err := s.CompleteSetup(ctx, second, &a); err != nil {
			t.Fatal(err)
		}
		// Once an administrator exists, no link is issued or accepted.
		if _, err := s.CreateSetupToken(ctx, "setup", time.Hour); err == nil {
			t.Error("a setup link was issued although an administrator exists")
		}
		b := identity.User{Name: "mallory", Role: identity.RoleAdmin, PasswordHash: "x"}
		if err := s.CompleteSetup(ctx, second, &b); err == nil {
			t.Error("setup link reused")
		}
		if n := scalar(t, s, `SELECT COUNT(*) FROM users WHERE role = 'admin'`); n != "1" {
			t.Errorf("%s administrators, want 1", n)
		}
	})
}

func TestSetupLinkExpires(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		link, err := s.CreateSetupToken(ctx, "setup", time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
		a := identity.User{Name: "root", Role: identity.RoleAdmin, PasswordHash: "x"}
		if s.ValidSetupToken(ctx, link, "setup") || s.CompleteSetup(ctx, link, &a) == nil {
			t.Error("an expired setup link works")
		}
		if store.SetupLinkLifetime > time.Hour {
			t.Errorf("setup links live %s, at most 1h", store.SetupLinkLifetime)
		}
	})
}

func scalar(t *testing.T, s *store.Store, query string) string {
	t.Helper()
	var v string
	if err := s.DB().QueryRowContext(context.Background(), query).Scan(&v); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return v
}

// Defect 5: SSO accounts were linked by name; now by (issuer, sub), and by
// email only when verified and enabled.
func TestSSOLinksBySubjectOnly(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		iss := "https://idp.example"
		sam, err := s.SSOUser(ctx, identity.SSOIdentity{Issuer: iss, Subject: "1", Name: "sam", Role: identity.RoleEditor}, false)
		if err != nil {
			t.Fatal(err)
		}
		again, err := s.SSOUser(ctx, identity.SSOIdentity{Issuer: iss, Subject: "1", Name: "renamed", Role: identity.RoleViewer}, false)
		if err != nil || again.ID != sam.ID || again.Role != identity.RoleViewer {
			t.Fatalf("same subject: %+v %v", again, err)
		}
		for _, id := range []identity.SSOIdentity{
			{Issuer: iss, Subject: "2", Name: "sam", Role: identity.RoleAdmin},                                     // name of another SSO account
			{Issuer: "https://other.example", Subject: "1", Name: "sam", Role: identity.RoleAdmin},                 // same sub, other issuer
			{Issuer: iss, Subject: "3", Name: "sam", Email: "sam", EmailVerified: false, Role: identity.RoleAdmin}, // unverified email
		} {
			if u, err := s.SSOUser(ctx, id, true); err == nil && u.ID == sam.ID {
				t.Errorf("%+v took over sam", id)
			}
		}
		if _, err := s.SSOUser(ctx, identity.SSOIdentity{Issuer: iss, Subject: "4", Email: "sam", EmailVerified: true, Role: identity.RoleEditor}, false); err == nil {
			t.Error("verified email linked although email linking is off")
		}
		u, err := s.SSOUser(ctx, identity.SSOIdentity{Issuer: iss, Subject: "4", Email: "sam", EmailVerified: true, Role: identity.RoleEditor}, true)
		if err != nil || u.ID != sam.ID {
			t.Errorf("verified email with linking on: %+v %v", u, err)
		}
	})
}

// Defect 11: audit text truncation split UTF-8, so offline verification of
// the exported log failed.
func TestAuditTruncationKeepsUTF8(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if err := audit.Record(ctx, s, audit.Event{Action: "test.utf8", Actor: strings.Repeat("é", 150), Object: strings.Repeat("€", 300), Detail: strings.Repeat("ü", 1500)}); err != nil {
			t.Fatal(err)
		}
		evs, err := s.AuditEvents(ctx, audit.Query{Action: "test.utf8"})
		if err != nil || len(evs) != 1 {
			t.Fatalf("%d events, %v", len(evs), err)
		}
		for _, f := range []string{evs[0].Actor, evs[0].Object, evs[0].Detail} {
			if !utf8.ValidString(f) {
				t.Errorf("stored field is not valid UTF-8: ...%q", f[len(f)-3:])
			}
		}
		if _, _, err := s.VerifyAudit(ctx); err != nil {
			t.Errorf("verify after truncation: %v", err)
		}
	})
}

// Defect 11: invitations could be accepted twice on PostgreSQL (a SELECT
// then an UPDATE); the claim is one atomic UPDATE.
func TestInvitationClaimedOnce(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		link, err := s.CreateInvite(ctx, identity.RoleAdmin, "alice", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		errs := make(chan error, 8)
		for i := range 8 {
			go func() {
				u := identity.User{Name: fmt.Sprintf("joiner-%d", i), PasswordHash: "x"}
				errs <- s.AcceptInvite(ctx, link, &u)
			}()
		}
		ok := 0
		for range 8 {
			if <-errs == nil {
				ok++
			}
		}
		if ok != 1 {
			t.Errorf("one invitation accepted %d times", ok)
		}
	})
}
