package accounts_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/identity/accounts"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
)

// The relying party and the store are what single sign-on needs.
var (
	_ accounts.SSOProvider = (*identity.SSO)(nil)
	_ accounts.Store       = (*store.Store)(nil)
)

// fakeProvider stands in for identity.SSO: it remembers the start it sent
// the browser off with and the one it was asked to verify, and answers
// with id or err.
type fakeProvider struct {
	sent, verified identity.SSOStart
	code           string
	id             identity.SSOIdentity
	err            error
}

func (p *fakeProvider) AuthURL(state string, st identity.SSOStart) string {
	p.sent = st
	return "https://idp.example/auth?state=" + state
}

func (p *fakeProvider) Exchange(_ context.Context, code string, st identity.SSOStart) (identity.SSOIdentity, error) {
	p.verified, p.code = st, code
	return p.id, p.err
}

func (p *fakeProvider) LinkVerifiedEmail() bool { return false }

// TestSingleSignOn drives single sign-on through the service on every
// engine with a fake provider: the state must be the browser's and is
// used once, the provider verifies the start that was begun, the account
// is provisioned by issuer and subject, the session and its record commit
// together, and each refusal is an SSORefused of its kind, audited once.
func TestSingleSignOn(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		as := &storetest.FailingAudit{Store: st}
		svc := accounts.New(as, identity.DefaultSignInPolicy, 0, nil)
		ctx := audit.WithSource(context.Background(), "192.0.2.4")
		client := accounts.Client{IP: "192.0.2.4", UserAgent: "test"}
		p := &fakeProvider{id: identity.SSOIdentity{Issuer: "https://idp.example", Subject: "u-1", Name: "sam", Role: identity.RoleEditor, MFA: true}}
		newest := func() audit.Event {
			t.Helper()
			evs, err := st.AuditEvents(context.Background(), audit.Query{Limit: 1})
			if err != nil || len(evs) != 1 {
				t.Fatalf("audit events: %v %d", err, len(evs))
			}
			return evs[0]
		}
		begin := func() accounts.SSOBegin {
			t.Helper()
			b, err := svc.BeginSSO(ctx, p, "/search")
			if err != nil || b.State == "" || b.URL != "https://idp.example/auth?state="+b.State || p.sent.Nonce == "" || p.sent.Verifier == "" {
				t.Fatalf("begin: %+v %+v %v", b, p.sent, err)
			}
			return b
		}
		refused := func(cb accounts.SSOCallback, kind error, message, reason string) {
			t.Helper()
			_, _, err := svc.FinishSSO(ctx, p, client, cb)
			var r accounts.SSORefused
			if !errors.As(err, &r) || !errors.Is(err, kind) || !strings.Contains(r.Message, message) {
				t.Fatalf("%+v: %v, want SSORefused %v saying %q", cb, err, kind, message)
			}
			e := newest()
			if e.Action != audit.ActionSignInFailed || e.Actor != "(sso)" || e.Object != "single sign-on" || e.Outcome != audit.Failed ||
				!strings.Contains(e.Detail, reason) || e.Source != "192.0.2.4" {
				t.Errorf("refusal record: %+v, want %q", e, reason)
			}
		}

		b := begin()
		in, next, err := svc.FinishSSO(ctx, p, client, accounts.SSOCallback{State: b.State, Cookie: b.State, Code: "c0de"})
		if err != nil || in.Name != "sam" || next != "/search" {
			t.Fatalf("sign-in: %+v %q %v", in, next, err)
		}
		if p.verified != p.sent || p.code != "c0de" {
			t.Errorf("provider verified %+v (code %q), want the start it was sent with %+v", p.verified, p.code, p.sent)
		}
		pr, err := st.SessionPrincipal(context.Background(), in.Cookie)
		if err != nil || pr.Name != "sam" || pr.Role != identity.RoleEditor || !pr.MFA {
			t.Fatalf("session: %+v %v", pr, err)
		}
		if e := newest(); e.Action != audit.ActionSignIn || e.Actor != "sam" || e.Object != "user sam" || e.Detail != "oidc, role editor" ||
			e.Outcome != audit.OK || e.Source != "192.0.2.4" {
			t.Errorf("sign-in record: %+v", e)
		}
		// The state is used once.
		refused(accounts.SSOCallback{State: b.State, Cookie: b.State, Code: "c0de"}, fault.ErrInvalid, "already used", "unknown state")

		// A state this browser does not hold is refused and stays usable
		// by the browser that does.
		b = begin()
		refused(accounts.SSOCallback{State: b.State, Cookie: "other", Code: "c0de"}, fault.ErrInvalid, "not started in this browser", "state mismatch")
		refused(accounts.SSOCallback{State: b.State, Code: "c0de"}, fault.ErrInvalid, "not started in this browser", "state mismatch")
		refused(accounts.SSOCallback{}, fault.ErrInvalid, "not started in this browser", "state mismatch")
		if _, _, err := svc.FinishSSO(ctx, p, client, accounts.SSOCallback{State: b.State, Cookie: b.State}); err != nil {
			t.Fatalf("the browser's own state after a forged one: %v", err)
		}

		b = begin()
		refused(accounts.SSOCallback{State: b.State, Cookie: b.State, Error: "access_denied"}, fault.ErrUnauthenticated, "refused the sign-in: access_denied", "provider error access_denied")

		p.err = fmt.Errorf("OIDC: %w", identity.ErrSSONoRole)
		b = begin()
		refused(accounts.SSOCallback{State: b.State, Cookie: b.State}, fault.ErrForbidden, "none of your groups", p.err.Error())
		p.err = errors.New("OIDC ID token: nonce does not match this sign-in")
		b = begin()
		refused(accounts.SSOCallback{State: b.State, Cookie: b.State}, fault.ErrForbidden, "could not be verified", p.err.Error())
		p.err = nil

		// Another subject naming a local account does not take it over.
		newUser(t, st, "alice")
		p.id = identity.SSOIdentity{Issuer: "https://idp.example", Subject: "u-2", Name: "alice", Role: identity.RoleAdmin}
		b = begin()
		refused(accounts.SSOCallback{State: b.State, Cookie: b.State}, fault.ErrForbidden, "cannot sign in with single sign-on: ", "an account with this name exists")

		// When the sign-in cannot be recorded no session opens.
		p.id = identity.SSOIdentity{Issuer: "https://idp.example", Subject: "u-1", Name: "sam", Role: identity.RoleEditor}
		sam, err := st.UserByName(context.Background(), "sam")
		if err != nil {
			t.Fatal(err)
		}
		before, _ := st.Sessions(context.Background(), sam.ID, "")
		b = begin()
		as.Fail = true
		if _, _, err := svc.FinishSSO(ctx, p, client, accounts.SSOCallback{State: b.State, Cookie: b.State}); !errors.Is(err, storetest.ErrAudit) {
			t.Fatalf("sign-in without an audit log: %v, want the audit error", err)
		}
		if after, _ := st.Sessions(context.Background(), sam.ID, ""); len(after) != len(before) {
			t.Errorf("sessions of sam: %d, then %d after an unrecorded sign-in", len(before), len(after))
		}
		// Nor does a refusal that cannot be recorded pass as a refusal.
		b = begin()
		if _, _, err := svc.FinishSSO(ctx, p, client, accounts.SSOCallback{State: b.State, Cookie: "other"}); !errors.Is(err, storetest.ErrAudit) {
			t.Fatalf("refusal without an audit log: %v, want the audit error", err)
		}
	})
}
