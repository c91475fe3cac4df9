package ui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/inventory"
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
		Data: map[string]string{"Next": localPath(r.URL.Query().Get("next")), "SSO": ssoFlag(h.SSO != nil)}})
}

func (h *handler) login(w http.ResponseWriter, r *http.Request) {
	next := localPath(r.PostFormValue("next"))
	data := map[string]string{"Next": next, "Name": r.PostFormValue("name"), "SSO": ssoFlag(h.SSO != nil)}
	if !checkPreCSRF(r) {
		h.render(w, r, http.StatusForbidden, "login", view{Title: "Sign in", CSRF: h.preCSRF(w, r), Error: "Your sign-in form expired. Please try again.", Data: data})
		return
	}
	cookie, _, err := api.SignInWithPasskeyStep(r, h.Store, h.SignIn, r.PostFormValue("name"), r.PostFormValue("password"), r.PostFormValue("totp"))
	var step api.PasskeyStep
	if errors.As(err, &step) {
		h.passkeySecondStep(w, r, step.UserID, next)
		return
	}
	if err != nil {
		var tma api.TooManyAttempts
		if errors.As(err, &tma) {
			w.Header().Set("Retry-After", tma.RetryAfter())
		}
		h.Log.Warn("sign-in failed", "user", r.PostFormValue("name"), "remote", web.ClientIP(r), "reason", err.Error())
		h.render(w, r, web.Status(err), "login", view{Title: "Sign in", CSRF: h.preCSRF(w, r), Error: err.Error(), Data: data})
		return
	}
	api.SetSessionCookie(w, cookie, h.SecureCookies, h.Store.SessionAbsoluteLifetime())
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (h *handler) logout(w http.ResponseWriter, r *http.Request) {
	p := identity.FromContext(r.Context())
	if err := audit.Change(r.Context(), h.Store, func(ctx context.Context) (audit.Event, error) {
		return audit.Event{Action: audit.ActionSignOut, Object: "user " + p.Name}, h.Store.DeleteSession(ctx, p.SessionHash)
	}); err != nil {
		h.Log.ErrorContext(r.Context(), "sign out", "user", p.Name, "err", err)
	}
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
	hash, err := identity.HashPasswordContext(r.Context(), pw)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	u := identity.User{Name: name, Role: identity.RoleAdmin, PasswordHash: hash}
	if name == "" {
		fail(http.StatusBadRequest, "Choose a user name.")
		return
	}
	if err := audit.Change(r.Context(), h.Store, func(ctx context.Context) (audit.Event, error) {
		err := h.Store.CompleteSetup(ctx, tok, &u)
		return audit.Event{Action: audit.ActionSetup, Actor: name, Object: "user " + name, Detail: "role admin"}, err
	}); err != nil {
		fail(web.Status(err), err.Error())
		return
	}
	h.Log.Info("first administrator created", "user", name, "remote", web.ClientIP(r))
	cookie, _, err := h.Store.CreateSession(r.Context(), u.ID, web.ClientIP(r), r.UserAgent())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	api.SetSessionCookie(w, cookie, h.SecureCookies, h.Store.SessionAbsoluteLifetime())
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

type accountData struct {
	Tokens        []store.APIToken
	NewToken      string
	Sessions      []store.Session
	Scopes        []identity.Scope
	Products      []inventory.Product
	TOTP          bool
	PendingSecret string
	RecoveryLeft  int
	RecoveryCodes []string
	MFARequired   bool
	MinPassword   int
	Passkeys      []store.Passkey
}

func (h *handler) account(w http.ResponseWriter, r *http.Request) {
	v := view{}
	if r.URL.Query().Get("mfa") == "required" {
		v.Error = "An administrator requires a second factor for your account. Set up an authenticator app below to continue."
	}
	if r.URL.Query().Get("reauth") == "required" {
		v.Error = "Confirm it is you first: enter your password (or a code from your authenticator app) below, then try again."
	}
	v.Flash = r.URL.Query().Get("flash")
	h.renderAccount(w, r, v, accountData{})
}

func (h *handler) renderAccount(w http.ResponseWriter, r *http.Request, v view, d accountData) {
	ctx := r.Context()
	p := identity.FromContext(ctx)
	var err error
	if d.Tokens, err = h.Store.APITokens(ctx, p.UserID); err != nil {
		h.fail(w, r, err)
		return
	}
	if d.Sessions, err = h.Store.Sessions(ctx, p.UserID, p.SessionHash); err != nil {
		h.fail(w, r, err)
		return
	}
	u, err := h.Store.UserByID(ctx, p.UserID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d.TOTP = u.TOTPSecret != ""
	if d.Passkeys, err = h.Store.Passkeys(ctx, p.UserID); err != nil {
		h.fail(w, r, err)
		return
	}
	d.MinPassword = identity.MinPasswordLength
	if u.MFA {
		d.MinPassword = identity.MinPasswordLengthMFA
	}
	if d.RecoveryLeft, err = h.Store.RecoveryCodesLeft(ctx, p.UserID); err != nil {
		h.fail(w, r, err)
		return
	}
	d.Scopes = identity.Scopes
	d.Products, _, _ = h.Store.ProductsIn(ctx, web.ReadableProducts(r), "", 200)
	v.Title, v.Nav, v.Data = "Account", "account", d
	status := http.StatusOK
	if v.Error != "" && r.Method == http.MethodPost {
		status = http.StatusBadRequest
	}
	h.render(w, r, status, "account", v)
}

func (h *handler) createToken(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	pid, _ := strconv.ParseInt(r.PostFormValue("product"), 10, 64)
	plain, tok, err := api.CreateToken(r, h.Store, h.MaxTokenLifetime, r.PostFormValue("name"), r.PostFormValue("expires"), strings.Join(r.PostForm["scope"], " "), pid)
	if err != nil {
		h.renderAccount(w, r, view{Error: err.Error()}, accountData{})
		return
	}
	h.Log.Info("api token created", "user", identity.FromContext(r.Context()).Name, "token_id", tok.ID, "prefix", tok.Prefix)
	h.renderAccount(w, r, view{}, accountData{NewToken: plain})
}

func (h *handler) revokeToken(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := audit.Change(r.Context(), h.Store, func(ctx context.Context) (audit.Event, error) {
		err := h.Store.RevokeAPIToken(ctx, identity.FromContext(r.Context()).UserID, id)
		return audit.Event{Action: audit.ActionTokenRevoke, Object: fmt.Sprintf("token %d", id)}, err
	}); err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/account?flash="+url.QueryEscape("Token revoked."), http.StatusSeeOther)
}

func (h *handler) changePassword(w http.ResponseWriter, r *http.Request) {
	if r.PostFormValue("new_password") != r.PostFormValue("confirm") {
		h.renderAccount(w, r, view{Error: "The two new passwords differ."}, accountData{})
		return
	}
	if err := api.ChangePassword(r, h.Store, h.SignIn, r.PostFormValue("current_password"), r.PostFormValue("new_password"),
		api.PasswordChangeOptions{KeepPasskeys: r.PostFormValue("keep_passkeys") == "on", RevokeTokens: r.PostFormValue("revoke_tokens") == "on"}); err != nil {
		h.renderAccount(w, r, view{Error: "Password not changed: " + err.Error()}, accountData{})
		return
	}
	http.Redirect(w, r, "/account?flash="+url.QueryEscape("Password changed. Your other sessions were signed out."), http.StatusSeeOther)
}

func (h *handler) signOutOthers(w http.ResponseWriter, r *http.Request) {
	p := identity.FromContext(r.Context())
	var n int64
	if err := audit.Change(r.Context(), h.Store, func(ctx context.Context) (audit.Event, error) {
		var err error
		n, err = h.Store.DeleteUserSessions(ctx, p.UserID, p.SessionHash)
		return audit.Event{Action: audit.ActionSignOutAll, Object: "user " + p.Name, Detail: fmt.Sprintf("%d other sessions ended", n)}, err
	}); err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/account?flash="+url.QueryEscape(fmt.Sprintf("Signed out %d other sessions.", n)), http.StatusSeeOther)
}

func (h *handler) signOutEverywhere(w http.ResponseWriter, r *http.Request) {
	if _, err := api.SignOutEverywhere(r, h.Store); err != nil {
		h.fail(w, r, err)
		return
	}
	api.SetSessionCookie(w, "", h.SecureCookies, -time.Second)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func (h *handler) totpStart(w http.ResponseWriter, r *http.Request) {
	p := identity.FromContext(r.Context())
	key, err := identity.NewTOTPKey(p.Name)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.Store.SetTOTPPending(r.Context(), p.UserID, key.Secret()); err != nil {
		h.fail(w, r, err)
		return
	}
	h.renderAccount(w, r, view{}, accountData{PendingSecret: key.Secret()})
}

// totpQR serves the pending secret's QR code as a PNG (an image URL keeps
// the CSP strict; the secret never appears in a URL).
func (h *handler) totpQR(w http.ResponseWriter, r *http.Request) {
	p := identity.FromContext(r.Context())
	sec, err := h.Store.TOTPPending(r.Context(), p.UserID)
	if err != nil || sec == "" {
		http.NotFound(w, r)
		return
	}
	png, err := identity.TOTPQR(sec, p.Name, 220)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Write(png)
}

func (h *handler) totpConfirm(w http.ResponseWriter, r *http.Request) {
	p := identity.FromContext(r.Context())
	sec, err := h.Store.TOTPPending(r.Context(), p.UserID)
	if err != nil || sec == "" {
		h.renderAccount(w, r, view{Error: "No enrolment in progress; start again."}, accountData{})
		return
	}
	step, ok := identity.TOTPMatch(sec, r.PostFormValue("code"), time.Now())
	if !ok {
		h.renderAccount(w, r, view{Error: "That code does not match. Check the time on your phone and enter the current 6-digit code."}, accountData{PendingSecret: sec})
		return
	}
	plain, hashes := identity.NewRecoveryCodes()
	if err := audit.Change(r.Context(), h.Store, func(ctx context.Context) (audit.Event, error) {
		err := h.Store.EnableTOTP(ctx, p.UserID, sec, step, hashes)
		return audit.Event{Action: audit.ActionMFAEnable, Object: "user " + p.Name, Detail: "TOTP authenticator"}, err
	}); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.Store.MarkSessionMFA(r.Context(), p.SessionHash); err != nil {
		h.fail(w, r, err)
		return
	}
	p.MFA = true
	h.renderAccount(w, r, view{Flash: "Two-factor authentication is on."}, accountData{RecoveryCodes: plain})
}

func (h *handler) totpDisable(w http.ResponseWriter, r *http.Request) {
	p := identity.FromContext(r.Context())
	u, err := h.Store.UserByID(r.Context(), p.UserID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !identity.VerifyPassword(u.PasswordHash, r.PostFormValue("password")) {
		h.renderAccount(w, r, view{Error: "Wrong password: two-factor authentication is still on."}, accountData{})
		return
	}
	if err := audit.Change(r.Context(), h.Store, func(ctx context.Context) (audit.Event, error) {
		err := h.Store.DisableTOTP(ctx, p.UserID)
		return audit.Event{Action: audit.ActionMFADisable, Object: "user " + p.Name, Detail: "TOTP authenticator"}, err
	}); err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/account?flash="+url.QueryEscape("Two-factor authentication is off."), http.StatusSeeOther)
}

func (h *handler) recoveryCodes(w http.ResponseWriter, r *http.Request) {
	p := identity.FromContext(r.Context())
	if u, err := h.Store.UserByID(r.Context(), p.UserID); err != nil || u.TOTPSecret == "" {
		h.renderAccount(w, r, view{Error: "Turn on two-factor authentication first."}, accountData{})
		return
	}
	plain, hashes := identity.NewRecoveryCodes()
	if err := audit.Change(r.Context(), h.Store, func(ctx context.Context) (audit.Event, error) {
		err := h.Store.ReplaceRecoveryCodes(ctx, p.UserID, hashes)
		return audit.Event{Action: audit.ActionRecoveryRegen, Object: "user " + p.Name}, err
	}); err != nil {
		h.fail(w, r, err)
		return
	}
	h.renderAccount(w, r, view{Flash: "New recovery codes: the old ones no longer work."}, accountData{RecoveryCodes: plain})
}

func ssoFlag(on bool) string {
	if on {
		return "on"
	}
	return ""
}

// reauth lets a session prove who it is again (its password, under the
// sign-in throttle, or a current TOTP code), opening the five-minute
// window in which second factors and passkeys may change.
func (h *handler) reauth(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p := identity.FromContext(ctx)
	u, err := h.Store.UserByID(ctx, p.UserID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ok := false
	if code := strings.TrimSpace(r.PostFormValue("code")); code != "" && u.TOTPSecret != "" {
		if step, match := identity.TOTPMatch(u.TOTPSecret, code, time.Now()); match {
			ok, _ = h.Store.UseTOTPStep(ctx, u.ID, step)
		}
	} else {
		keys := h.SignIn.Keys(u.Name, web.ClientIP(r))
		att, err := h.Store.BeginAttempt(ctx, keys)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if !att.Allowed() {
			h.renderAccount(w, r, view{Error: api.TooManyAttempts{Wait: att.Wait, Locked: att.Locked}.Error()}, accountData{})
			return
		}
		if ok, err = identity.VerifyPasswordContext(ctx, u.PasswordHash, r.PostFormValue("password")); err != nil {
			h.renderAccount(w, r, view{Error: err.Error()}, accountData{})
			return
		}
		if ok {
			_ = h.Store.EndAttempt(ctx, keys)
		} else {
			_ = h.Store.FailAttempt(ctx, keys, att)
		}
	}
	if !ok {
		h.audit(r, audit.Event{Action: audit.ActionReauth, Object: "user " + p.Name, Outcome: audit.Failed, Detail: "wrong password or code"})
		h.renderAccount(w, r, view{Error: "That password or code is not right."}, accountData{})
		return
	}
	if err := h.Store.MarkSessionReauth(ctx, p.SessionHash); err != nil {
		h.fail(w, r, err)
		return
	}
	h.audit(r, audit.Event{Action: audit.ActionReauth, Object: "user " + p.Name})
	http.Redirect(w, r, "/account?flash="+url.QueryEscape("Confirmed. For five minutes you can change your second factors and passkeys."), http.StatusSeeOther)
}
