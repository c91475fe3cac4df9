package ui

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/identity/accounts"
	"github.com/rampart-security/rampart/internal/server/web"
)

// ssoRoutes are OpenID Connect single sign-on (authorisation code flow with
// PKCE, state bound to the browser by a cookie, nonce checked).
func (h *handler) ssoRoutes() []web.Route {
	return []web.Route{
		{Method: "GET", Pattern: "/login/sso", Public: true, Do: h.ssoStart},
		{Method: "GET", Pattern: "/login/sso/callback", Public: true, Do: h.ssoCallback},
	}
}

const ssoCookie = "rampart_sso"

func (h *handler) ssoStart(w http.ResponseWriter, r *http.Request) error {
	if h.SSO == nil {
		h.render(w, r, http.StatusNotFound, "error", view{Title: "Single sign-on is off", Error: "This server has no single sign-on provider configured."})
		return nil
	}
	st := identity.NewSSOStart(localPath(r.URL.Query().Get("next")))
	data, _ := json.Marshal(st)
	state, err := h.Store.SaveChallenge(r.Context(), 0, string(data), accounts.CeremonyTTL)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: ssoCookie, Value: state, Path: "/login/sso", HttpOnly: true, Secure: h.SecureCookies,
		SameSite: http.SameSiteLaxMode, MaxAge: int(accounts.CeremonyTTL.Seconds())})
	http.Redirect(w, r, h.SSO.AuthURL(state, st), http.StatusFound)
	return nil
}

func (h *handler) ssoCallback(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	deny := func(status int, msg, reason string) {
		h.audit(r, audit.Event{Action: audit.ActionSignInFailed, Actor: "(sso)", Object: "single sign-on", Outcome: audit.Failed, Detail: reason})
		h.render(w, r, status, "error", view{Title: "Single sign-on failed", Error: msg})
	}
	if h.SSO == nil {
		h.render(w, r, http.StatusNotFound, "error", view{Title: "Single sign-on is off", Error: "This server has no single sign-on provider configured."})
		return nil
	}
	http.SetCookie(w, &http.Cookie{Name: ssoCookie, Value: "", Path: "/login/sso", HttpOnly: true, Secure: h.SecureCookies, MaxAge: -1})
	state := r.URL.Query().Get("state")
	c, err := r.Cookie(ssoCookie)
	if err != nil || state == "" || !identity.ConstantTimeEqual(c.Value, state) {
		deny(http.StatusBadRequest, "This sign-in was not started in this browser, or it expired. Start again from the sign-in page.", "state mismatch")
		return nil
	}
	data, err := h.Store.TakeChallenge(ctx, state, 0)
	if err != nil {
		deny(http.StatusBadRequest, "This sign-in expired or was already used. Start again from the sign-in page.", "unknown state")
		return nil
	}
	var st identity.SSOStart
	if err := json.Unmarshal([]byte(data), &st); err != nil {
		return err
	}
	if e := r.URL.Query().Get("error"); e != "" {
		deny(http.StatusUnauthorized, "The identity provider refused the sign-in: "+e, "provider error "+e)
		return nil
	}
	id, err := h.SSO.Exchange(ctx, r.URL.Query().Get("code"), st)
	if err != nil {
		h.Log.Warn("single sign-on refused", "err", err, "remote", web.ClientIP(r))
		msg := "The identity provider's answer could not be verified."
		if errors.Is(err, identity.ErrSSONoRole) {
			msg = "You signed in, but none of your groups gives you a role in Rampart. Ask an administrator."
		}
		deny(http.StatusForbidden, msg, err.Error())
		return nil
	}
	u, err := h.Store.SSOUser(ctx, id, h.SSO.LinkVerifiedEmail())
	if err != nil {
		deny(http.StatusForbidden, "Your account cannot sign in with single sign-on: "+err.Error(), err.Error())
		return nil
	}
	cookie, _, err := h.Store.CreateSessionAuth(ctx, u.ID, web.ClientIP(r), r.UserAgent(), id.MFA)
	if err != nil {
		return err
	}
	h.audit(r, audit.Event{Action: audit.ActionSignIn, Actor: u.Name, Object: "user " + u.Name, Detail: "oidc, role " + string(id.Role)})
	web.SetSessionCookie(w, cookie, h.SecureCookies, h.Store.SessionAbsoluteLifetime())
	http.Redirect(w, r, localPath(st.Next), http.StatusSeeOther)
	return nil
}
