package accounts_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pquerna/otp"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/identity/accounts"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
)

// signedIn opens a session for u and returns a context acting as it.
func signedIn(t *testing.T, st *store.Store, u identity.User) context.Context {
	t.Helper()
	ctx := context.Background()
	plain, _, err := st.CreateSession(ctx, u.ID, "192.0.2.7", "test")
	if err != nil {
		t.Fatal(err)
	}
	p, err := st.SessionPrincipal(ctx, plain)
	if err != nil {
		t.Fatal(err)
	}
	return identity.WithPrincipal(ctx, p)
}

// lastAction is the action of the newest audit event.
func lastAction(t *testing.T, st *store.Store) string {
	t.Helper()
	ev, err := st.AuditEvents(context.Background(), audit.Query{Limit: 1})
	if err != nil || len(ev) == 0 {
		t.Fatalf("audit events: %v (%d)", err, len(ev))
	}
	return ev[0].Action
}

// TestTOTPEnrolment walks TOTP enrolment through the service on every
// engine: a code that does not match changes nothing, the right code turns
// TOTP on with ten recovery codes and marks the session multi-factor, new
// recovery codes need TOTP, and turning it off needs the password.
func TestTOTPEnrolment(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		clk := &clock{t: time.Date(2030, 1, 1, 9, 0, 0, 0, time.UTC)}
		svc := accounts.New(st, identity.DefaultSignInPolicy, 0, clk.Now)
		u := newUser(t, st, "carol")
		ctx := signedIn(t, st, u)

		if _, err := svc.ConfirmTOTP(ctx, "123456"); !errors.Is(err, accounts.ErrNoEnrolment) {
			t.Fatalf("confirm before start: %v, want ErrNoEnrolment", err)
		}
		if _, err := svc.PendingTOTPQR(ctx, 100); !errors.Is(err, accounts.ErrNoEnrolment) {
			t.Fatalf("QR before start: %v, want ErrNoEnrolment", err)
		}
		if _, err := svc.NewRecoveryCodes(ctx); !errors.Is(err, accounts.ErrNoTOTP) {
			t.Fatalf("recovery codes without TOTP: %v, want ErrNoTOTP", err)
		}
		secret, err := svc.StartTOTP(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if png, err := svc.PendingTOTPQR(ctx, 100); err != nil || len(png) < 8 || string(png[1:4]) != "PNG" {
			t.Fatalf("QR of the pending secret: %d bytes, %v", len(png), err)
		}
		code, err := identity.TOTPCodeAt(secret, clk.Now(), otp.DigitsSix, otp.AlgorithmSHA1)
		if err != nil {
			t.Fatal(err)
		}
		wrong := "000000"
		if wrong == code {
			wrong = "111111"
		}
		if _, err := svc.ConfirmTOTP(ctx, wrong); !errors.Is(err, accounts.ErrCodeMismatch) || fault.FieldOf(err) != "code" {
			t.Fatalf("wrong code: %v, want ErrCodeMismatch on code", err)
		}
		if got, _ := svc.PendingTOTP(ctx); got != secret {
			t.Fatal("a wrong code dropped the pending secret")
		}
		codes, err := svc.ConfirmTOTP(ctx, code)
		if err != nil {
			t.Fatalf("right code: %v", err)
		}
		if len(codes) != 10 || !identity.FromContext(ctx).MFA {
			t.Fatalf("after confirming: %d recovery codes, session MFA %v; want 10, true", len(codes), identity.FromContext(ctx).MFA)
		}
		if got, _ := st.UserByID(ctx, u.ID); got.TOTPSecret != secret {
			t.Fatal("TOTP secret not stored")
		}
		if a := lastAction(t, st); a != audit.ActionMFAEnable {
			t.Errorf("audit: %s, want %s", a, audit.ActionMFAEnable)
		}
		again, err := svc.NewRecoveryCodes(ctx)
		if err != nil || len(again) != 10 || again[0] == codes[0] {
			t.Fatalf("new recovery codes: %d, %v", len(again), err)
		}
		if err := svc.DisableTOTP(ctx, "not the password"); !errors.Is(err, accounts.ErrWrongPassword) {
			t.Fatalf("disable with a wrong password: %v, want ErrWrongPassword", err)
		}
		if err := svc.DisableTOTP(ctx, password); err != nil {
			t.Fatal(err)
		}
		if got, _ := st.UserByID(ctx, u.ID); got.TOTPSecret != "" {
			t.Fatal("TOTP still on after disabling")
		}
		if a := lastAction(t, st); a != audit.ActionMFADisable {
			t.Errorf("audit: %s, want %s", a, audit.ActionMFADisable)
		}
	})
}

// TestOneTimeLinks: the setup link creates the first administrator once,
// after checking the name and the password rules; an invitation creates a
// user with its role, and a taken name is a conflict that leaves the
// invitation usable.
func TestOneTimeLinks(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		svc := accounts.New(st, identity.DefaultSignInPolicy, 0, nil)
		from := accounts.Client{IP: "192.0.2.7", UserAgent: "test"}
		const strong = "tangerine kettle orbit 41" // not on the blocklist
		setup, err := st.CreateSetupToken(ctx, accounts.LinkSetup, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if !svc.ValidLink(ctx, setup, accounts.LinkSetup) || svc.ValidLink(ctx, setup, accounts.LinkInvite) {
			t.Fatal("setup link: valid for the wrong purpose, or not for its own")
		}
		if _, err := svc.CompleteSetup(ctx, from, setup, "  ", password); !errors.Is(err, accounts.ErrNoName) {
			t.Fatalf("blank name: %v, want ErrNoName", err)
		}
		if _, err := svc.CompleteSetup(ctx, from, setup, "admin", "short"); fault.FieldOf(err) != "password" {
			t.Fatalf("weak password: %v, want an invalid password", err)
		}
		cookie, err := svc.CompleteSetup(ctx, from, setup, "admin", strong)
		if err != nil || cookie == "" {
			t.Fatalf("setup: %q, %v", cookie, err)
		}
		if p, err := st.SessionPrincipal(ctx, cookie); err != nil || p.Name != "admin" || p.Role != identity.RoleAdmin {
			t.Fatalf("setup session: %+v, %v", p, err)
		}
		if svc.ValidLink(ctx, setup, accounts.LinkSetup) {
			t.Fatal("setup link still valid after use")
		}
		if _, err := svc.CompleteSetup(ctx, from, setup, "admin2", strong); err == nil {
			t.Fatal("setup link used twice")
		}
		newUser(t, st, "dave")
		invite, err := st.CreateInvite(ctx, identity.RoleEditor, "admin", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.AcceptInvite(ctx, from, invite, "dave", strong); !errors.Is(err, fault.ErrConflict) {
			t.Fatalf("taken name: %v, want a conflict", err)
		}
		cookie, err = svc.AcceptInvite(ctx, from, invite, "erin", strong)
		if err != nil {
			t.Fatalf("invitation after a taken name: %v", err)
		}
		if p, err := st.SessionPrincipal(ctx, cookie); err != nil || p.Name != "erin" || p.Role != identity.RoleEditor {
			t.Fatalf("invited session: %+v, %v", p, err)
		}
		if a := lastAction(t, st); a != audit.ActionUserCreate {
			t.Errorf("audit: %s, want %s", a, audit.ActionUserCreate)
		}
	})
}
