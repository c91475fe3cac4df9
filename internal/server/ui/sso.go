package ui

import (
	"errors"
	"net/http"

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

func (h *handler) ssoOff(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusNotFound, "error", view{Title: "Single sign-on is off", Error: "This server has no single sign-on provider configured."})
}

func (h *handler) ssoStart(w http.ResponseWriter, r *http.Request) error {
	if h.SSO == nil {
		h.ssoOff(w, r)
		return nil
	}
	b, err := h.Accounts.BeginSSO(r.Context(), h.SSO, localPath(r.URL.Query().Get("next")))
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: ssoCookie, Value: b.State, Path: "/login/sso", HttpOnly: true, Secure: h.SecureCookies,
		SameSite: http.SameSiteLaxMode, MaxAge: int(accounts.CeremonyTTL.Seconds())})
	http.Redirect(w, r, b.URL, http.StatusFound)
	return nil
}

func (h *handler) ssoCallback(w http.ResponseWriter, r *http.Request) error {
	if h.SSO == nil {
		h.ssoOff(w, r)
		return nil
	}
	http.SetCookie(w, &http.Cookie{Name: ssoCookie, Value: "", Path: "/login/sso", HttpOnly: true, Secure: h.SecureCookies, MaxAge: -1})
	q := r.URL.Query()
	cb := accounts.SSOCallback{State: q.Get("state"), Code: q.Get("code"), Error: q.Get("error")}
	if c, err := r.Cookie(ssoCookie); err == nil {
		cb.Cookie = c.Value
	}
	in, next, err := h.Accounts.FinishSSO(r.Context(), h.SSO, accounts.Client{IP: web.ClientIP(r), UserAgent: r.UserAgent()}, cb)
	var refused accounts.SSORefused
	if errors.As(err, &refused) {
		h.render(w, r, web.Status(err), "error", view{Title: "Single sign-on failed", Error: refused.Message})
		return nil
	}
	if err != nil {
		return err
	}
	web.SetSessionCookie(w, in.Cookie, h.SecureCookies, h.Store.SessionAbsoluteLifetime())
	http.Redirect(w, r, localPath(next), http.StatusSeeOther)
	return nil
}
