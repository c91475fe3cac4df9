package ui

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/server/api"
	"github.com/rampart-security/rampart/internal/server/web"
	"github.com/rampart-security/rampart/internal/store"
)

func (h *handler) loginForm(w http.ResponseWriter, r *http.Request) {
	if identity.FromContext(r.Context()) != nil {
		http.Redirect(w, r, localPath(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	h.render(w, r, http.StatusOK, "login", view{Title: "Sign in", CSRF: h.preCSRF(w, r),
		Data: map[string]string{"Next": localPath(r.URL.Query().Get("next"))}})
}

func (h *handler) login(w http.ResponseWriter, r *http.Request) {
	next := localPath(r.PostFormValue("next"))
	data := map[string]string{"Next": next, "Name": r.PostFormValue("name")}
	if !checkPreCSRF(r) {
		h.render(w, r, http.StatusForbidden, "login", view{Title: "Sign in", CSRF: h.preCSRF(w, r), Error: "Your sign-in form expired. Please try again.", Data: data})
		return
	}
	cookie, _, err := api.SignIn(r, h.Store, h.Throttle, r.PostFormValue("name"), r.PostFormValue("password"))
	if err != nil {
		var tma api.TooManyAttempts
		if errors.As(err, &tma) {
			w.Header().Set("Retry-After", tma.RetryAfter())
		}
		h.Log.Warn("sign-in failed", "user", r.PostFormValue("name"), "remote", web.ClientIP(r), "reason", err.Error())
		h.render(w, r, web.Status(err), "login", view{Title: "Sign in", CSRF: h.preCSRF(w, r), Error: err.Error(), Data: data})
		return
	}
	api.SetSessionCookie(w, cookie, h.SecureCookies, store.SessionAbsolute)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (h *handler) logout(w http.ResponseWriter, r *http.Request) {
	p := identity.FromContext(r.Context())
	_ = h.Store.DeleteSession(r.Context(), p.SessionHash)
	api.SetSessionCookie(w, "", h.SecureCookies, -time.Second)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func (h *handler) setupForm(w http.ResponseWriter, r *http.Request) {
	tok := r.URL.Query().Get("token")
	if !h.Store.ValidSetupToken(r.Context(), tok, "setup") {
		h.render(w, r, http.StatusNotFound, "error", view{Title: "Setup link not valid",
			Error: "This setup link was already used or has expired. Restart `rampart serve` on an empty database for a new one, or ask an administrator."})
		return
	}
	h.render(w, r, http.StatusOK, "setup", view{Title: "Create the first administrator", CSRF: h.preCSRF(w, r), Data: map[string]string{"Token": tok}})
}

func (h *handler) setup(w http.ResponseWriter, r *http.Request) {
	tok := r.PostFormValue("token")
	name, pw := strings.TrimSpace(r.PostFormValue("name")), r.PostFormValue("password")
	data := map[string]string{"Token": tok, "Name": name}
	fail := func(status int, msg string) {
		h.render(w, r, status, "setup", view{Title: "Create the first administrator", CSRF: h.preCSRF(w, r), Error: msg, Data: data})
	}
	if !checkPreCSRF(r) {
		fail(http.StatusForbidden, "Your form expired. Please try again.")
		return
	}
	if pw != r.PostFormValue("confirm") {
		fail(http.StatusBadRequest, "The two passwords differ.")
		return
	}
	if err := identity.CheckPassword(pw, name); err != nil {
		fail(http.StatusBadRequest, err.Error())
		return
	}
	hash, err := identity.HashPassword(pw)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	u := identity.User{Name: name, Role: identity.RoleAdmin, PasswordHash: hash}
	if name == "" {
		fail(http.StatusBadRequest, "Choose a user name.")
		return
	}
	if err := h.Store.CompleteSetup(r.Context(), tok, &u); err != nil {
		fail(web.Status(err), err.Error())
		return
	}
	h.Log.Info("first administrator created", "user", name, "remote", web.ClientIP(r))
	cookie, _, err := h.Store.CreateSession(r.Context(), u.ID, web.ClientIP(r), r.UserAgent())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	api.SetSessionCookie(w, cookie, h.SecureCookies, store.SessionAbsolute)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

type accountData struct {
	Tokens   []store.APIToken
	NewToken string
}

func (h *handler) account(w http.ResponseWriter, r *http.Request) {
	h.renderAccount(w, r, "", "")
}

func (h *handler) renderAccount(w http.ResponseWriter, r *http.Request, newToken, errMsg string) {
	toks, err := h.Store.APITokens(r.Context(), identity.FromContext(r.Context()).UserID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "account", view{Title: "Account", Nav: "account", Error: errMsg, Data: accountData{Tokens: toks, NewToken: newToken}})
}

func (h *handler) createToken(w http.ResponseWriter, r *http.Request) {
	exp, err := api.ParseExpiry(r.PostFormValue("expires"))
	if err != nil {
		h.renderAccount(w, r, "", err.Error())
		return
	}
	p := identity.FromContext(r.Context())
	plain, tok, err := h.Store.CreateAPIToken(r.Context(), p.UserID, r.PostFormValue("name"), exp)
	if err != nil {
		h.renderAccount(w, r, "", err.Error())
		return
	}
	h.Log.Info("api token created", "user", p.Name, "token_id", tok.ID, "prefix", tok.Prefix)
	h.renderAccount(w, r, plain, "")
}

func (h *handler) revokeToken(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.Store.RevokeAPIToken(r.Context(), identity.FromContext(r.Context()).UserID, id); err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/account", http.StatusSeeOther)
}
