package accounts

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/identity"
)

// CeremonyTTL is how long a started WebAuthn ceremony (registration,
// sign-in, second step) may take before its challenge expires.
const CeremonyTTL = 5 * time.Minute

// RelyingParty is the WebAuthn relying party of one request: the RP ID
// (the host name the browser is on) and the origin. The browser binds
// every credential to them, so a forged Host header cannot make a
// credential made for one site work on another.
type RelyingParty struct {
	ID     string // host name, e.g. rampart.example.com
	Origin string // scheme://host[:port]
}

func (rp RelyingParty) webauthn() (*webauthn.WebAuthn, error) {
	return webauthn.New(&webauthn.Config{RPID: rp.ID, RPDisplayName: "Rampart", RPOrigins: []string{rp.Origin}})
}

// Ceremony is a started WebAuthn ceremony: the id its state is kept under
// for CeremonyTTL and the options the browser passes to
// navigator.credentials.
type Ceremony struct {
	ID      string `json:"id"`
	Options any    `json:"options"`
}

// SignedIn is a session opened by a passkey: the user's name and the
// session cookie's value.
type SignedIn struct {
	Name   string
	Cookie string
}

// passkeyUser adapts a Rampart user to webauthn.User. The user handle is
// the account id, which never changes and reveals nothing else.
type passkeyUser struct {
	u     identity.User
	creds []webauthn.Credential
}

func (p passkeyUser) WebAuthnID() []byte                         { return []byte(strconv.FormatInt(p.u.ID, 10)) }
func (p passkeyUser) WebAuthnName() string                       { return p.u.Name }
func (p passkeyUser) WebAuthnDisplayName() string                { return p.u.Name }
func (p passkeyUser) WebAuthnCredentials() []webauthn.Credential { return p.creds }

func (s *Service) passkeyUser(ctx context.Context, userID int64) (passkeyUser, error) {
	u, err := s.store.UserByID(ctx, userID)
	if err != nil {
		return passkeyUser{}, err
	}
	pks, err := s.store.Passkeys(ctx, userID)
	if err != nil {
		return passkeyUser{}, err
	}
	pu := passkeyUser{u: u}
	for _, pk := range pks {
		var c webauthn.Credential
		if err := json.Unmarshal([]byte(pk.Data), &c); err != nil {
			return pu, fmt.Errorf("passkey %d of user %d: %w", pk.ID, userID, err)
		}
		pu.creds = append(pu.creds, c)
	}
	return pu, nil
}

// saveCeremony keeps the ceremony's state for CeremonyTTL, bound to userID
// (0: not yet known, a sign-in), and returns it with the browser's options.
func (s *Service) saveCeremony(ctx context.Context, userID int64, state, options any) (Ceremony, error) {
	data, err := json.Marshal(state)
	if err != nil {
		return Ceremony{}, err
	}
	id, err := s.store.SaveChallenge(ctx, userID, string(data), CeremonyTTL)
	if err != nil {
		return Ceremony{}, err
	}
	return Ceremony{ID: id, Options: options}, nil
}

// takeCeremony consumes a ceremony's state (once: a replay finds nothing).
func (s *Service) takeCeremony(ctx context.Context, id string, userID int64, state any) error {
	data, err := s.store.TakeChallenge(ctx, id, userID)
	if err != nil {
		return err
	}
	return json.Unmarshal([]byte(data), state)
}

// BeginPasskeyRegistration starts registering a passkey for the signed-in
// user: a discoverable credential with user verification, excluding the
// passkeys the user has already.
func (s *Service) BeginPasskeyRegistration(ctx context.Context, rp RelyingParty) (Ceremony, error) {
	p := identity.FromContext(ctx)
	wa, err := rp.webauthn()
	if err != nil {
		return Ceremony{}, err
	}
	pu, err := s.passkeyUser(ctx, p.UserID)
	if err != nil {
		return Ceremony{}, err
	}
	var exclude []protocol.CredentialDescriptor
	for _, c := range pu.creds {
		exclude = append(exclude, c.Descriptor())
	}
	opts, sess, err := wa.BeginRegistration(pu,
		webauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirementRequired),
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{UserVerification: protocol.VerificationRequired,
			ResidentKey: protocol.ResidentKeyRequirementRequired}),
		webauthn.WithExclusions(exclude))
	if err != nil {
		return Ceremony{}, fault.Invalid("", "passkey registration: %v", err)
	}
	return s.saveCeremony(ctx, p.UserID, sess, opts)
}

// FinishPasskeyRegistration verifies the browser's attestation (body) for
// the ceremony and stores the passkey under name, audited; the session
// that registered it counts as multi-factor from now on.
func (s *Service) FinishPasskeyRegistration(ctx context.Context, rp RelyingParty, ceremonyID, name string, body io.Reader) error {
	p := identity.FromContext(ctx)
	var sess webauthn.SessionData
	if err := s.takeCeremony(ctx, ceremonyID, p.UserID, &sess); err != nil {
		return err
	}
	wa, err := rp.webauthn()
	if err != nil {
		return err
	}
	pu, err := s.passkeyUser(ctx, p.UserID)
	if err != nil {
		return err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBody(body)
	if err != nil {
		return fault.Invalid("", "passkey registration failed: %v", err)
	}
	cred, err := wa.CreateCredential(pu, sess, parsed)
	if err != nil {
		return fault.Invalid("", "passkey registration failed: %v", err)
	}
	data, _ := json.Marshal(cred)
	pk := identity.Passkey{UserID: p.UserID, Credential: base64.RawURLEncoding.EncodeToString(cred.ID), Name: name, Data: string(data)}
	if err := audit.Change(ctx, s.store, func(ctx context.Context) (audit.Event, error) {
		err := s.store.AddPasskey(ctx, &pk)
		return audit.Event{Action: audit.ActionPasskeyAdd, Object: "user " + p.Name, Detail: fmt.Sprintf("passkey %d %s", pk.ID, pk.Name)}, err
	}); err != nil {
		return err
	}
	return s.store.MarkSessionMFA(ctx, p.SessionHash)
}

// DeletePasskey removes one of the signed-in user's passkeys, audited.
func (s *Service) DeletePasskey(ctx context.Context, id int64) error {
	p := identity.FromContext(ctx)
	return audit.Change(ctx, s.store, func(ctx context.Context) (audit.Event, error) {
		err := s.store.DeletePasskey(ctx, p.UserID, id)
		return audit.Event{Action: audit.ActionPasskeyRemove, Object: "user " + p.Name, Detail: fmt.Sprintf("passkey %d", id)}, err
	})
}

// BeginPasskeySignIn starts a sign-in with a discoverable credential and
// user verification: the browser offers the user's passkeys for this site.
func (s *Service) BeginPasskeySignIn(ctx context.Context, rp RelyingParty) (Ceremony, error) {
	wa, err := rp.webauthn()
	if err != nil {
		return Ceremony{}, err
	}
	opts, sess, err := wa.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return Ceremony{}, fault.Invalid("", "passkey sign-in: %v", err)
	}
	return s.saveCeremony(ctx, 0, sess, opts)
}

// FinishPasskeySignIn verifies a discoverable-credential assertion (body)
// with user verification (possession and PIN or biometric: multi-factor on
// its own), records the new sign count and opens a multi-factor session.
// Failures count against the client's address like failed passwords, and
// while that address is throttled it gets TooManyAttempts without a check.
// Every failure is the one ErrBadCredentials, audited with its reason.
func (s *Service) FinishPasskeySignIn(ctx context.Context, rp RelyingParty, c Client, ceremonyID string, body io.Reader) (SignedIn, error) {
	ipKey := "ip:" + c.IP
	if _, until, err := s.store.Failures(ctx, ipKey); err == nil && until.After(s.now()) {
		return SignedIn{}, TooManyAttempts{Wait: until.Sub(s.now())}
	}
	fail := func(reason string) error {
		if _, err := s.store.RecordFailure(ctx, ipKey, s.policy.AddressDelay); err != nil {
			s.log.ErrorContext(ctx, "record failed passkey sign-in", "err", err)
		}
		s.audit(ctx, audit.Event{Action: audit.ActionSignInFailed, Actor: "(passkey)", Object: "passkey", Outcome: audit.Failed, Detail: reason})
		return ErrBadCredentials
	}
	var sess webauthn.SessionData
	if err := s.takeCeremony(ctx, ceremonyID, 0, &sess); err != nil {
		return SignedIn{}, fail("unknown or expired ceremony")
	}
	wa, err := rp.webauthn()
	if err != nil {
		return SignedIn{}, err
	}
	var who passkeyUser
	handler := func(rawID, userHandle []byte) (webauthn.User, error) {
		id, err := strconv.ParseInt(string(userHandle), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("user handle: %w", err)
		}
		pu, err := s.passkeyUser(ctx, id)
		if err != nil {
			return nil, err
		}
		if pu.u.Disabled {
			return nil, fmt.Errorf("user %d is disabled", id)
		}
		who = pu
		return pu, nil
	}
	parsed, err := protocol.ParseCredentialRequestResponseBody(body)
	if err != nil {
		return SignedIn{}, fail(err.Error())
	}
	_, cred, err := wa.ValidatePasskeyLogin(handler, sess, parsed)
	if err != nil {
		return SignedIn{}, fail(err.Error())
	}
	cookie, err := s.openPasskeySession(ctx, c, who.u.ID, cred)
	if err != nil {
		return SignedIn{}, err
	}
	if err := s.store.ClearFailures(ctx, identity.AccountKey(who.u.Name)); err != nil {
		s.log.WarnContext(ctx, "clear failed sign-ins", "user", who.u.ID, "err", err)
	}
	s.audit(ctx, audit.Event{Action: audit.ActionSignIn, Actor: who.u.Name, Object: "user " + who.u.Name, Detail: "passkey"})
	return SignedIn{Name: who.u.Name, Cookie: cookie}, nil
}

// secondStep is the state of a passkey second factor after a correct
// password: whose account, where to go next, and the WebAuthn session.
type secondStep struct {
	UserID  int64                 `json:"user_id"`
	Next    string                `json:"next"`
	Session *webauthn.SessionData `json:"session"`
}

// BeginPasskeySecondStep starts the passkey second factor for the account
// whose password was right (SignInWithPasskeyStep returned PasskeyStep):
// an assertion for one of that user's passkeys. It returns the ceremony
// (its id goes in a cookie bound to the browser) and the user's name.
func (s *Service) BeginPasskeySecondStep(ctx context.Context, rp RelyingParty, userID int64, next string) (Ceremony, string, error) {
	wa, err := rp.webauthn()
	if err != nil {
		return Ceremony{}, "", err
	}
	pu, err := s.passkeyUser(ctx, userID)
	if err != nil {
		return Ceremony{}, "", err
	}
	opts, sess, err := wa.BeginLogin(pu, webauthn.WithUserVerification(protocol.VerificationPreferred))
	if err != nil {
		return Ceremony{}, "", err
	}
	c, err := s.saveCeremony(ctx, 0, secondStep{UserID: userID, Next: next, Session: sess}, opts)
	return c, pu.u.Name, err
}

// FinishPasskeySecondStep verifies the second step's assertion (body) and
// opens a two-factor session; it returns where the user wanted to go. A
// wrong assertion counts toward the account's lock ceiling only (no
// back-off that another source could impose on the owner) and is audited.
func (s *Service) FinishPasskeySecondStep(ctx context.Context, rp RelyingParty, c Client, ceremonyID string, body io.Reader) (SignedIn, string, error) {
	data, err := s.store.TakeChallenge(ctx, ceremonyID, 0)
	if err != nil {
		return SignedIn{}, "", ErrBadCredentials
	}
	var st secondStep
	if err := json.Unmarshal([]byte(data), &st); err != nil || st.Session == nil {
		return SignedIn{}, "", fmt.Errorf("passkey second step state: %v", err)
	}
	wa, err := rp.webauthn()
	if err != nil {
		return SignedIn{}, "", err
	}
	pu, err := s.passkeyUser(ctx, st.UserID)
	if err != nil || pu.u.Disabled {
		return SignedIn{}, "", ErrBadCredentials
	}
	parsed, err := protocol.ParseCredentialRequestResponseBody(body)
	var cred *webauthn.Credential
	if err == nil {
		cred, err = wa.ValidateLogin(pu, *st.Session, parsed)
	}
	if err != nil {
		if _, err := s.store.RecordFailure(ctx, identity.AccountKey(pu.u.Name), func(int) time.Duration { return 0 }); err != nil {
			s.log.ErrorContext(ctx, "record failed passkey second factor", "err", err)
		}
		s.audit(ctx, audit.Event{Action: audit.ActionSignInFailed, Actor: pu.u.Name, Object: "user " + pu.u.Name, Outcome: audit.Failed, Detail: "passkey second factor: " + err.Error()})
		return SignedIn{}, "", ErrBadCredentials
	}
	cookie, err := s.openPasskeySession(ctx, c, pu.u.ID, cred)
	if err != nil {
		return SignedIn{}, "", err
	}
	s.audit(ctx, audit.Event{Action: audit.ActionSignIn, Actor: pu.u.Name, Object: "user " + pu.u.Name, Detail: "password and passkey"})
	return SignedIn{Name: pu.u.Name, Cookie: cookie}, st.Next, nil
}

// openPasskeySession records the credential's new sign count (a failure is
// only logged) and opens a multi-factor session for the user.
func (s *Service) openPasskeySession(ctx context.Context, c Client, userID int64, cred *webauthn.Credential) (string, error) {
	data, _ := json.Marshal(cred)
	if err := s.store.TouchPasskey(ctx, userID, base64.RawURLEncoding.EncodeToString(cred.ID), string(data)); err != nil {
		s.log.WarnContext(ctx, "update passkey sign count", "user", userID, "err", err)
	}
	cookie, _, err := s.store.CreateSessionAuth(ctx, userID, c.IP, c.UserAgent, true)
	return cookie, err
}
