package accounts

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/identity"
)

// SSOProvider is the OpenID Connect relying party single sign-on runs
// through (identity.SSO): it builds the authorisation URL and verifies the
// provider's answer (PKCE verifier, ID token, nonce, role mapping).
type SSOProvider interface {
	AuthURL(state string, st identity.SSOStart) string
	Exchange(ctx context.Context, code string, st identity.SSOStart) (identity.SSOIdentity, error)
	LinkVerifiedEmail() bool
}

// SSOBegin is a started single sign-on: State is the OAuth state, which
// the caller also binds to the browser (a cookie), and URL the provider's
// authorisation endpoint to send the browser to.
type SSOBegin struct {
	State string
	URL   string
}

// BeginSSO starts a single sign-on: a fresh nonce and PKCE verifier kept
// server-side for CeremonyTTL under a new state, with next (a local path)
// as where the user wants to go once signed in.
func (s *Service) BeginSSO(ctx context.Context, p SSOProvider, next string) (SSOBegin, error) {
	st := identity.NewSSOStart(next)
	c, err := s.saveCeremony(ctx, 0, st, nil)
	if err != nil {
		return SSOBegin{}, err
	}
	return SSOBegin{State: c.ID, URL: p.AuthURL(c.ID, st)}, nil
}

// SSOCallback is what the provider's redirect to the callback brought:
// the state, code and error parameters, and the state the browser's
// cookie holds ("" when it has none).
type SSOCallback struct {
	State  string
	Cookie string
	Code   string
	Error  string
}

// SSORefused is a single sign-on that signed nobody in. Message is what to
// tell the user; the kind (Unwrap) is fault.ErrInvalid for a state that is
// not this browser's or no longer kept, fault.ErrUnauthenticated when the
// provider refused, fault.ErrForbidden when its answer could not be
// verified or the account may not sign in.
type SSORefused struct {
	Message string
	kind    error
}

func (e SSORefused) Error() string { return e.Message }

// Unwrap classifies it for the error table.
func (e SSORefused) Unwrap() error { return e.kind }

// FinishSSO completes a single sign-on: the state must be the one bound to
// this browser and still kept (it is consumed: a replay finds nothing),
// the provider's answer is verified (identity.SSO.Exchange), the account
// is found or provisioned by issuer and subject (email only when the
// administrator allowed it), and a session is opened, multi-factor when the
// provider says so. It returns the session and where the user wanted to
// go. Every refusal is an SSORefused, audited with its reason; the
// sign-in's record commits with the session.
func (s *Service) FinishSSO(ctx context.Context, p SSOProvider, c Client, cb SSOCallback) (SignedIn, string, error) {
	deny := func(kind error, msg, reason string) error {
		if err := audit.Record(ctx, s.store, audit.Event{Action: audit.ActionSignInFailed, Actor: "(sso)", Object: "single sign-on",
			Outcome: audit.Failed, Detail: reason}); err != nil {
			return err
		}
		return SSORefused{Message: msg, kind: kind}
	}
	if cb.State == "" || !identity.ConstantTimeEqual(cb.Cookie, cb.State) {
		return SignedIn{}, "", deny(fault.ErrInvalid, "This sign-in was not started in this browser, or it expired. Start again from the sign-in page.", "state mismatch")
	}
	data, err := s.store.TakeChallenge(ctx, cb.State, 0)
	if err != nil {
		return SignedIn{}, "", deny(fault.ErrInvalid, "This sign-in expired or was already used. Start again from the sign-in page.", "unknown state")
	}
	var st identity.SSOStart
	if err := json.Unmarshal([]byte(data), &st); err != nil {
		return SignedIn{}, "", err
	}
	if cb.Error != "" {
		return SignedIn{}, "", deny(fault.ErrUnauthenticated, "The identity provider refused the sign-in: "+cb.Error, "provider error "+cb.Error)
	}
	id, err := p.Exchange(ctx, cb.Code, st)
	if err != nil {
		s.log.WarnContext(ctx, "single sign-on refused", "err", err, "remote", c.IP)
		msg := "The identity provider's answer could not be verified."
		if errors.Is(err, identity.ErrSSONoRole) {
			msg = "You signed in, but none of your groups gives you a role in Rampart. Ask an administrator."
		}
		return SignedIn{}, "", deny(fault.ErrForbidden, msg, err.Error())
	}
	u, err := s.store.SSOUser(ctx, id, p.LinkVerifiedEmail())
	if err != nil {
		return SignedIn{}, "", deny(fault.ErrForbidden, "Your account cannot sign in with single sign-on: "+err.Error(), err.Error())
	}
	var cookie string
	err = audit.Change(ctx, s.store, func(ctx context.Context) (audit.Event, error) {
		var err error
		cookie, _, err = s.store.CreateSessionAuth(ctx, u.ID, c.IP, c.UserAgent, id.MFA)
		return audit.Event{Action: audit.ActionSignIn, Actor: u.Name, Object: "user " + u.Name, Detail: "oidc, role " + string(id.Role)}, err
	})
	if err != nil {
		return SignedIn{}, "", err
	}
	return SignedIn{Name: u.Name, Cookie: cookie}, st.Next, nil
}
