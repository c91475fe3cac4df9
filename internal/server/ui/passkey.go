package ui

import (
	"encoding/json"
	"net"
	"net/http"
	"net/url"

	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/identity/accounts"
	"github.com/rampart-security/rampart/internal/server/web"
)

// passkeyRoutes are WebAuthn registration (signed in) and passkey sign-in
// (public). The ceremonies are accounts' use cases; the browser side is in
// static/app.js.
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

// relyingParty is the WebAuthn relying party of the origin the browser is
// on: the browser binds every credential to it, so a forged Host header
// cannot make a credential for one site work on another.
func (h *handler) relyingParty(r *http.Request) accounts.RelyingParty {
	name := r.Host
	if hn, _, err := net.SplitHostPort(r.Host); err == nil {
		name = hn
	}
	scheme := "http"
	if r.TLS != nil || h.SecureCookies {
		scheme = "https"
	}
	return accounts.RelyingParty{ID: name, Origin: scheme + "://" + r.Host}
}

// writeJSON answers a passkey call: these are fetch() calls from app.js,
// so their errors are problem+json, not the error page.
func (h *handler) writeJSON(w http.ResponseWriter, r *http.Request, v any, err error) error {
	if err != nil {
		web.WriteError(w, r, h.Log, err)
		return nil
	}
	web.WriteJSON(w, http.StatusOK, v)
	return nil
}

func (h *handler) passkeyRegisterBegin(w http.ResponseWriter, r *http.Request) error {
	c, err := h.Accounts.BeginPasskeyRegistration(r.Context(), h.relyingParty(r))
	return h.writeJSON(w, r, c, err)
}

func (h *handler) passkeyRegisterFinish(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	err := h.Accounts.FinishPasskeyRegistration(r.Context(), h.relyingParty(r), q.Get("id"), q.Get("name"), r.Body)
	return h.writeJSON(w, r, map[string]string{"redirect": "/account?flash=" + url.QueryEscape("Passkey added.")}, err)
}

func (h *handler) passkeyDelete(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	return replyFlash(w, r, "/account", "Passkey removed.", h.Accounts.DeletePasskey(r.Context(), id))
}

// formExpired answers a public passkey call whose pre-session CSRF token
// does not match (true when it did).
func formExpired(w http.ResponseWriter, r *http.Request) bool {
	if checkPreCSRF(r) {
		return false
	}
	web.WriteProblem(w, r, http.StatusForbidden, "your sign-in form expired; reload the page")
	return true
}

func (h *handler) passkeyLoginBegin(w http.ResponseWriter, r *http.Request) error {
	if formExpired(w, r) {
		return nil
	}
	c, err := h.Accounts.BeginPasskeySignIn(r.Context(), h.relyingParty(r))
	return h.writeJSON(w, r, c, err)
}

// passkeyLoginFinish signs in with a discoverable passkey
// (accounts.FinishPasskeySignIn: throttled per address, audited).
func (h *handler) passkeyLoginFinish(w http.ResponseWriter, r *http.Request) error {
	if formExpired(w, r) {
		return nil
	}
	in, err := h.Accounts.FinishPasskeySignIn(r.Context(), h.relyingParty(r), web.AccountClient(r), r.URL.Query().Get("id"), r.Body)
	return h.passkeySignedIn(w, r, in, "/", err)
}

// passkeySignedIn sets the session cookie and tells the page where to go
// next; a throttled client also gets Retry-After.
func (h *handler) passkeySignedIn(w http.ResponseWriter, r *http.Request, in accounts.SignedIn, next string, err error) error {
	web.SetRetryAfter(w, err)
	if err == nil {
		web.SetSessionCookie(w, in.Cookie, h.SecureCookies, h.Store.SessionAbsoluteLifetime())
	}
	return h.writeJSON(w, r, map[string]string{"redirect": next}, err)
}

// secondStepCookie binds the passkey second step to the browser that gave
// the right password.
const secondStepCookie = "rampart_2fa"

// passkeySecondStep renders "confirm with your passkey" after a correct
// password for an account whose second factor is a passkey.
func (h *handler) passkeySecondStep(w http.ResponseWriter, r *http.Request, userID int64, next string) error {
	c, name, err := h.Accounts.BeginPasskeySecondStep(r.Context(), h.relyingParty(r), userID, next)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: secondStepCookie, Value: c.ID, Path: "/login", HttpOnly: true, Secure: h.SecureCookies,
		SameSite: http.SameSiteStrictMode, MaxAge: int(accounts.CeremonyTTL.Seconds())})
	optJSON, _ := json.Marshal(c.Options)
	h.render(w, r, http.StatusOK, "login_passkey", view{Title: "Confirm with your passkey", CSRF: h.preCSRF(w, r),
		Data: map[string]string{"Options": string(optJSON), "Name": name}})
	return nil
}

// passkeySecondFinish verifies the passkey assertion of the second step
// and starts a two-factor session.
func (h *handler) passkeySecondFinish(w http.ResponseWriter, r *http.Request) error {
	if formExpired(w, r) {
		return nil
	}
	c, err := r.Cookie(secondStepCookie)
	if err != nil {
		web.WriteError(w, r, h.Log, accounts.ErrBadCredentials)
		return nil
	}
	http.SetCookie(w, &http.Cookie{Name: secondStepCookie, Value: "", Path: "/login", HttpOnly: true, Secure: h.SecureCookies, MaxAge: -1})
	in, next, err := h.Accounts.FinishPasskeySecondStep(r.Context(), h.relyingParty(r), web.AccountClient(r), c.Value, r.Body)
	return h.passkeySignedIn(w, r, in, localPath(next), err)
}
