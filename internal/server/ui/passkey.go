package ui

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/identity/accounts"
	"github.com/rampart-security/rampart/internal/server/web"
)

// passkeyRoutes are WebAuthn registration (signed in) and passkey sign-in
// (public). The browser side is in static/app.js.
func (h *handler) passkeyRoutes() []web.Route {
	return []web.Route{
		{Method: "POST", Pattern: "/account/passkeys/begin", Need: identity.RoleViewer, SessionOnly: true, Reauth: true, WithoutMFA: true, Do: h.passkeyRegisterBegin},
		{Method: "POST", Pattern: "/account/passkeys/finish", Need: identity.RoleViewer, SessionOnly: true, Reauth: true, WithoutMFA: true, Do: h.passkeyRegisterFinish},
		{Method: "POST", Pattern: "/account/passkeys/{id}/delete", Need: identity.RoleViewer, SessionOnly: true, Reauth: true, WithoutMFA: true, Do: h.passkeyDelete},
		{Method: "POST", Pattern: "/login/passkey/begin", Public: true, Do: h.passkeyLoginBegin},
		{Method: "POST", Pattern: "/login/passkey/finish", Public: true, Do: h.passkeyLoginFinish},
		{Method: "POST", Pattern: "/login/passkey/second", Public: true, Do: h.passkeySecondFinish},
	}
}

const ceremonyTTL = 5 * time.Minute

// relyingParty configures WebAuthn for the origin the browser is on. The
// browser binds every credential to that origin and RP ID, so a forged
// Host header cannot make a credential for one site work on another.
func (h *handler) relyingParty(r *http.Request) (*webauthn.WebAuthn, error) {
	host := r.Host
	name := host
	if hn, _, err := net.SplitHostPort(host); err == nil {
		name = hn
	}
	scheme := "http"
	if r.TLS != nil || h.SecureCookies {
		scheme = "https"
	}
	return webauthn.New(&webauthn.Config{RPID: name, RPDisplayName: "Rampart", RPOrigins: []string{scheme + "://" + host}})
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

func (h *handler) loadPasskeyUser(r *http.Request, userID int64) (passkeyUser, error) {
	u, err := h.Store.UserByID(r.Context(), userID)
	if err != nil {
		return passkeyUser{}, err
	}
	pks, err := h.Store.Passkeys(r.Context(), userID)
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

type ceremony struct {
	ID      string `json:"id"`
	Options any    `json:"options"`
}

func (h *handler) saveCeremony(w http.ResponseWriter, r *http.Request, userID int64, sess *webauthn.SessionData, options any) error {
	data, err := json.Marshal(sess)
	if err != nil {
		return err
	}
	id, err := h.Store.SaveChallenge(r.Context(), userID, string(data), ceremonyTTL)
	if err != nil {
		web.WriteError(w, r, h.Log, err)
		return nil
	}
	web.WriteJSON(w, http.StatusOK, ceremony{ID: id, Options: options})
	return nil
}

func (h *handler) takeCeremony(r *http.Request, userID int64) (webauthn.SessionData, error) {
	var sess webauthn.SessionData
	data, err := h.Store.TakeChallenge(r.Context(), r.URL.Query().Get("id"), userID)
	if err != nil {
		return sess, err
	}
	return sess, json.Unmarshal([]byte(data), &sess)
}

// registrationParty is the relying party of this request and the signed-in
// user with the passkeys already registered.
func (h *handler) registrationParty(r *http.Request, userID int64) (*webauthn.WebAuthn, passkeyUser, error) {
	rp, err := h.relyingParty(r)
	if err != nil {
		return nil, passkeyUser{}, err
	}
	pu, err := h.loadPasskeyUser(r, userID)
	return rp, pu, err
}

func (h *handler) passkeyRegisterBegin(w http.ResponseWriter, r *http.Request) error {
	p := identity.FromContext(r.Context())
	rp, pu, err := h.registrationParty(r, p.UserID)
	if err != nil {
		web.WriteError(w, r, h.Log, err)
		return nil
	}
	var exclude []protocol.CredentialDescriptor
	for _, c := range pu.creds {
		exclude = append(exclude, c.Descriptor())
	}
	opts, sess, err := rp.BeginRegistration(pu,
		webauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirementRequired),
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{UserVerification: protocol.VerificationRequired,
			ResidentKey: protocol.ResidentKeyRequirementRequired}),
		webauthn.WithExclusions(exclude))
	if err != nil {
		web.WriteError(w, r, h.Log, fault.Invalid("", "passkey registration: %v", err))
		return nil
	}
	return h.saveCeremony(w, r, p.UserID, sess, opts)
}

func (h *handler) passkeyRegisterFinish(w http.ResponseWriter, r *http.Request) error {
	p := identity.FromContext(r.Context())
	sess, err := h.takeCeremony(r, p.UserID)
	if err != nil {
		web.WriteError(w, r, h.Log, err)
		return nil
	}
	rp, pu, err := h.registrationParty(r, p.UserID)
	if err != nil {
		web.WriteError(w, r, h.Log, err)
		return nil
	}
	cred, err := rp.FinishRegistration(pu, sess, r)
	if err != nil {
		web.WriteError(w, r, h.Log, fault.Invalid("", "passkey registration failed: %v", err))
		return nil
	}
	data, _ := json.Marshal(cred)
	pk := identity.Passkey{UserID: p.UserID, Credential: base64.RawURLEncoding.EncodeToString(cred.ID), Name: r.URL.Query().Get("name"), Data: string(data)}
	if err := audit.Change(r.Context(), h.Store, func(ctx context.Context) (audit.Event, error) {
		err := h.Store.AddPasskey(ctx, &pk)
		return audit.Event{Action: audit.ActionPasskeyAdd, Object: "user " + p.Name, Detail: fmt.Sprintf("passkey %d %s", pk.ID, pk.Name)}, err
	}); err != nil {
		web.WriteError(w, r, h.Log, err)
		return nil
	}
	if err := h.Store.MarkSessionMFA(r.Context(), p.SessionHash); err != nil {
		web.WriteError(w, r, h.Log, err)
		return nil
	}
	web.WriteJSON(w, http.StatusOK, map[string]string{"redirect": "/account?flash=" + url.QueryEscape("Passkey added.")})
	return nil
}

func (h *handler) passkeyDelete(w http.ResponseWriter, r *http.Request) error {
	p := identity.FromContext(r.Context())
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	if err := audit.Change(r.Context(), h.Store, func(ctx context.Context) (audit.Event, error) {
		err := h.Store.DeletePasskey(ctx, p.UserID, id)
		return audit.Event{Action: audit.ActionPasskeyRemove, Object: "user " + p.Name, Detail: fmt.Sprintf("passkey %d", id)}, err
	}); err != nil {
		return err
	}
	http.Redirect(w, r, "/account?flash="+url.QueryEscape("Passkey removed."), http.StatusSeeOther)
	return nil
}

func (h *handler) passkeyLoginBegin(w http.ResponseWriter, r *http.Request) error {
	if !checkPreCSRF(r) {
		web.WriteProblem(w, r, http.StatusForbidden, "your sign-in form expired; reload the page")
		return nil
	}
	rp, err := h.relyingParty(r)
	if err != nil {
		web.WriteError(w, r, h.Log, err)
		return nil
	}
	opts, sess, err := rp.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		web.WriteError(w, r, h.Log, fault.Invalid("", "passkey sign-in: %v", err))
		return nil
	}
	return h.saveCeremony(w, r, 0, sess, opts)
}

// passkeyLoginFinish verifies a discoverable-credential assertion with user
// verification (possession + PIN/biometric: multi-factor on its own),
// updates the sign counter, and starts a session. Failures count against
// the source address like failed passwords.
func (h *handler) passkeyLoginFinish(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if !checkPreCSRF(r) {
		web.WriteProblem(w, r, http.StatusForbidden, "your sign-in form expired; reload the page")
		return nil
	}
	ipKey := "ip:" + web.ClientIP(r)
	if _, until, err := h.Store.Failures(ctx, ipKey); err == nil && time.Until(until) > 0 {
		e := accounts.TooManyAttempts{Wait: time.Until(until)}
		w.Header().Set("Retry-After", e.RetryAfter())
		web.WriteError(w, r, h.Log, e)
		return nil
	}
	fail := func(reason string) {
		if _, err := h.Store.RecordFailure(ctx, ipKey, h.SignIn.AddressDelay); err != nil {
			h.Log.ErrorContext(ctx, "record failed passkey sign-in", "err", err)
		}
		h.audit(r, audit.Event{Action: audit.ActionSignInFailed, Actor: "(passkey)", Object: "passkey", Outcome: audit.Failed, Detail: reason})
		web.WriteError(w, r, h.Log, accounts.ErrBadCredentials)
	}
	sess, err := h.takeCeremony(r, 0)
	if err != nil {
		fail("unknown or expired ceremony")
		return nil
	}
	rp, err := h.relyingParty(r)
	if err != nil {
		web.WriteError(w, r, h.Log, err)
		return nil
	}
	var who passkeyUser
	handler := func(rawID, userHandle []byte) (webauthn.User, error) {
		id, err := strconv.ParseInt(string(userHandle), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("user handle: %w", err)
		}
		pu, err := h.loadPasskeyUser(r, id)
		if err != nil {
			return nil, err
		}
		if pu.u.Disabled {
			return nil, fmt.Errorf("user %d is disabled", id)
		}
		who = pu
		return pu, nil
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		web.WriteError(w, r, h.Log, err)
		return nil
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	_, cred, err := rp.FinishPasskeyLogin(handler, sess, r)
	if err != nil {
		fail(err.Error())
		return nil
	}
	cookie, err := h.openPasskeySession(ctx, r, who.u.ID, cred)
	if err != nil {
		web.WriteError(w, r, h.Log, err)
		return nil
	}
	if err := h.Store.ClearFailures(ctx, identity.AccountKey(who.u.Name)); err != nil {
		h.Log.WarnContext(ctx, "clear failed sign-ins", "user", who.u.ID, "err", err)
	}
	h.passkeySignedIn(w, r, who.u.Name, cookie, "passkey", "/")
	return nil
}

// openPasskeySession records the credential's new sign count (a failure is
// only logged) and opens a multi-factor session for the user.
func (h *handler) openPasskeySession(ctx context.Context, r *http.Request, userID int64, cred *webauthn.Credential) (string, error) {
	data, _ := json.Marshal(cred)
	if err := h.Store.TouchPasskey(ctx, userID, base64.RawURLEncoding.EncodeToString(cred.ID), string(data)); err != nil {
		h.Log.WarnContext(ctx, "update passkey sign count", "user", userID, "err", err)
	}
	cookie, _, err := h.Store.CreateSessionAuth(ctx, userID, web.ClientIP(r), r.UserAgent(), true)
	return cookie, err
}

// passkeySignedIn audits the sign-in, sets the session cookie and tells the
// page where to go next.
func (h *handler) passkeySignedIn(w http.ResponseWriter, r *http.Request, name, cookie, detail, next string) {
	h.audit(r, audit.Event{Action: audit.ActionSignIn, Actor: name, Object: "user " + name, Detail: detail})
	web.SetSessionCookie(w, cookie, h.SecureCookies, h.Store.SessionAbsoluteLifetime())
	web.WriteJSON(w, http.StatusOK, map[string]string{"redirect": next})
}

// secondStepCookie binds the passkey second step to the browser that gave
// the right password.
const secondStepCookie = "rampart_2fa"

type secondStep struct {
	UserID  int64                 `json:"user_id"`
	Next    string                `json:"next"`
	Session *webauthn.SessionData `json:"session"`
}

// passkeySecondStep renders "confirm with your passkey" after a correct
// password for an account whose second factor is a passkey.
func (h *handler) passkeySecondStep(w http.ResponseWriter, r *http.Request, userID int64, next string) error {
	rp, err := h.relyingParty(r)
	if err != nil {
		return err
	}
	pu, err := h.loadPasskeyUser(r, userID)
	if err != nil {
		return err
	}
	opts, sess, err := rp.BeginLogin(pu, webauthn.WithUserVerification(protocol.VerificationPreferred))
	if err != nil {
		return err
	}
	data, _ := json.Marshal(secondStep{UserID: userID, Next: next, Session: sess})
	id, err := h.Store.SaveChallenge(r.Context(), 0, string(data), ceremonyTTL)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: secondStepCookie, Value: id, Path: "/login", HttpOnly: true, Secure: h.SecureCookies,
		SameSite: http.SameSiteStrictMode, MaxAge: int(ceremonyTTL.Seconds())})
	optJSON, _ := json.Marshal(opts)
	h.render(w, r, http.StatusOK, "login_passkey", view{Title: "Confirm with your passkey", CSRF: h.preCSRF(w, r),
		Data: map[string]string{"Options": string(optJSON), "Name": pu.u.Name}})
	return nil
}

// passkeySecondFinish verifies the passkey assertion of the second step
// and starts a two-factor session.
func (h *handler) passkeySecondFinish(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if !checkPreCSRF(r) {
		web.WriteProblem(w, r, http.StatusForbidden, "your sign-in form expired; reload the page")
		return nil
	}
	c, err := r.Cookie(secondStepCookie)
	if err != nil {
		web.WriteError(w, r, h.Log, accounts.ErrBadCredentials)
		return nil
	}
	http.SetCookie(w, &http.Cookie{Name: secondStepCookie, Value: "", Path: "/login", HttpOnly: true, Secure: h.SecureCookies, MaxAge: -1})
	data, err := h.Store.TakeChallenge(ctx, c.Value, 0)
	if err != nil {
		web.WriteError(w, r, h.Log, accounts.ErrBadCredentials)
		return nil
	}
	var st secondStep
	if err := json.Unmarshal([]byte(data), &st); err != nil || st.Session == nil {
		web.WriteError(w, r, h.Log, fmt.Errorf("passkey second step state: %v", err))
		return nil
	}
	rp, err := h.relyingParty(r)
	if err != nil {
		web.WriteError(w, r, h.Log, err)
		return nil
	}
	pu, err := h.loadPasskeyUser(r, st.UserID)
	if err != nil || pu.u.Disabled {
		web.WriteError(w, r, h.Log, accounts.ErrBadCredentials)
		return nil
	}
	cred, err := rp.FinishLogin(pu, *st.Session, r)
	if err != nil {
		// Counts toward the account's lock ceiling only: no back-off that
		// another source could impose on the owner.
		if _, err := h.Store.RecordFailure(ctx, identity.AccountKey(pu.u.Name), func(int) time.Duration { return 0 }); err != nil {
			h.Log.ErrorContext(ctx, "record failed passkey second factor", "err", err)
		}
		h.audit(r, audit.Event{Action: audit.ActionSignInFailed, Actor: pu.u.Name, Object: "user " + pu.u.Name, Outcome: audit.Failed, Detail: "passkey second factor: " + err.Error()})
		web.WriteError(w, r, h.Log, accounts.ErrBadCredentials)
		return nil
	}
	cookie, err := h.openPasskeySession(ctx, r, pu.u.ID, cred)
	if err != nil {
		web.WriteError(w, r, h.Log, err)
		return nil
	}
	h.passkeySignedIn(w, r, pu.u.Name, cookie, "password and passkey", localPath(st.Next))
	return nil
}
