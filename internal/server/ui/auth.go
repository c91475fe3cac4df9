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
	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/identity/accounts"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/server/web"
)

func (h *handler) loginForm(w http.ResponseWriter, r *http.Request) error {
	if identity.FromContext(r.Context()) != nil {
		http.Redirect(w, r, localPath(r.URL.Query().Get("next")), http.StatusSeeOther)
		return nil
	}
	h.render(w, r, http.StatusOK, "login", view{Title: "Sign in", CSRF: h.preCSRF(w, r),
		Data: map[string]string{"Next": localPath(r.URL.Query().Get("next")), "SSO": ssoFlag(h.SSO != nil)}})
	return nil
}

func (h *handler) login(w http.ResponseWriter, r *http.Request) error {
	next := localPath(r.PostFormValue("next"))
	data := map[string]string{"Next": next, "Name": r.PostFormValue("name"), "SSO": ssoFlag(h.SSO != nil)}
	if !checkPreCSRF(r) {
		h.render(w, r, http.StatusForbidden, "login", view{Title: "Sign in", CSRF: h.preCSRF(w, r), Error: "Your sign-in form expired. Please try again.", Data: data})
		return nil
	}
	cookie, _, err := h.Accounts.SignInWithPasskeyStep(r.Context(), web.AccountClient(r), r.PostFormValue("name"), r.PostFormValue("password"), r.PostFormValue("totp"))
	var step accounts.PasskeyStep
	if errors.As(err, &step) {
		return h.passkeySecondStep(w, r, step.UserID, next)
	}
	if err != nil {
		var tma accounts.TooManyAttempts
		if errors.As(err, &tma) {
			w.Header().Set("Retry-After", tma.RetryAfter())
		}
		h.Log.Warn("sign-in failed", "user", r.PostFormValue("name"), "remote", web.ClientIP(r), "reason", err.Error())
		h.render(w, r, web.Status(err), "login", view{Title: "Sign in", CSRF: h.preCSRF(w, r), Error: err.Error(), Data: data})
		return nil
	}
	web.SetSessionCookie(w, cookie, h.SecureCookies, h.Store.SessionAbsoluteLifetime())
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

func (h *handler) logout(w http.ResponseWriter, r *http.Request) error {
	p := identity.FromContext(r.Context())
	if err := audit.Change(r.Context(), h.Store, func(ctx context.Context) (audit.Event, error) {
		return audit.Event{Action: audit.ActionSignOut, Object: "user " + p.Name}, h.Store.DeleteSession(ctx, p.SessionHash)
	}); err != nil {
		h.Log.ErrorContext(r.Context(), "sign out", "user", p.Name, "err", err)
	}
	web.SetSessionCookie(w, "", h.SecureCookies, -time.Second)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

func (h *handler) setupForm(w http.ResponseWriter, r *http.Request) error {
	h.tokenForm(w, r, "setup", "Create the first administrator", view{Title: "Setup link not valid",
		Error: "This setup link was already used or has expired. Restart `rampart serve` on an empty database for a new one, or ask an administrator."})
	return nil
}

// tokenForm renders the form of a one-time link (purpose "setup" or
// "invite", also the template's name) with its token, or the invalid page
// when the token was used or has expired.
func (h *handler) tokenForm(w http.ResponseWriter, r *http.Request, purpose, title string, invalid view) {
	tok := r.URL.Query().Get("token")
	if !h.Store.ValidSetupToken(r.Context(), tok, purpose) {
		h.render(w, r, http.StatusNotFound, "error", invalid)
		return
	}
	h.render(w, r, http.StatusOK, purpose, view{Title: title, CSRF: h.preCSRF(w, r), Data: map[string]string{"Token": tok}})
}

// newPassword hashes the password chosen (and typed again in "confirm")
// for the user name; rejected says why the form cannot take it.
func newPassword(r *http.Request, name, pw string) (hash, rejected string, err error) {
	if pw != r.PostFormValue("confirm") {
		return "", "The two passwords differ.", nil
	}
	if err := identity.CheckPassword(pw, name); err != nil {
		return "", err.Error(), nil
	}
	hash, err = identity.HashPasswordContext(r.Context(), pw)
	return hash, "", err
}

// tokenAccountForm is the posted form of a one-time link that creates an
// account (purpose "setup" or "invite", also the template's name): the
// token, the user name and password, and fail, which renders the form
// again with a message.
type tokenAccountForm struct {
	token, name, password string
	fail                  func(status int, msg string)
}

// readTokenAccountForm reads the form posted to the one-time link of
// purpose; ok is false when the form expired (the form is shown again).
func (h *handler) readTokenAccountForm(w http.ResponseWriter, r *http.Request, purpose, title string) (f tokenAccountForm, ok bool) {
	f.token = r.PostFormValue("token")
	f.name, f.password = strings.TrimSpace(r.PostFormValue("name")), r.PostFormValue("password")
	data := map[string]string{"Token": f.token, "Name": f.name}
	f.fail = func(status int, msg string) {
		h.render(w, r, status, purpose, view{Title: title, CSRF: h.preCSRF(w, r), Error: msg, Data: data})
	}
	if !checkPreCSRF(r) {
		f.fail(http.StatusForbidden, "Your form expired. Please try again.")
		return f, false
	}
	return f, true
}

// passwordHash is newPassword for the form; a rejected password is shown
// with the form again and ok is false.
func (f tokenAccountForm) passwordHash(r *http.Request) (hash string, ok bool, err error) {
	hash, rejected, err := newPassword(r, f.name, f.password)
	if err != nil || rejected == "" {
		return hash, err == nil, err
	}
	f.fail(http.StatusBadRequest, rejected)
	return "", false, nil
}

// startSession signs the user in with a new session and sends the browser
// to the start page.
func (h *handler) startSession(w http.ResponseWriter, r *http.Request, userID int64) error {
	cookie, _, err := h.Store.CreateSession(r.Context(), userID, web.ClientIP(r), r.UserAgent())
	if err != nil {
		return err
	}
	web.SetSessionCookie(w, cookie, h.SecureCookies, h.Store.SessionAbsoluteLifetime())
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}

func (h *handler) setup(w http.ResponseWriter, r *http.Request) error {
	f, ok := h.readTokenAccountForm(w, r, "setup", "Create the first administrator")
	if !ok {
		return nil
	}
	tok, name, fail := f.token, f.name, f.fail
	hash, ok, err := f.passwordHash(r)
	if !ok {
		return err
	}
	u := identity.User{Name: name, Role: identity.RoleAdmin, PasswordHash: hash}
	if name == "" {
		fail(http.StatusBadRequest, "Choose a user name.")
		return nil
	}
	if err := audit.Change(r.Context(), h.Store, func(ctx context.Context) (audit.Event, error) {
		err := h.Store.CompleteSetup(ctx, tok, &u)
		return audit.Event{Action: audit.ActionSetup, Actor: name, Object: "user " + name, Detail: "role admin"}, err
	}); err != nil {
		fail(web.Status(err), err.Error())
		return nil
	}
	h.Log.Info("first administrator created", "user", name, "remote", web.ClientIP(r))
	return h.startSession(w, r, u.ID)
}

type accountData struct {
	Tokens        []identity.APIToken
	NewToken      string
	Sessions      []identity.Session
	Scopes        []identity.Scope
	Products      []inventory.Product
	TOTP          bool
	PendingSecret string
	RecoveryLeft  int
	RecoveryCodes []string
	MFARequired   bool
	MinPassword   int
	Passkeys      []identity.Passkey
}

func (h *handler) account(w http.ResponseWriter, r *http.Request) error {
	v := view{}
	if r.URL.Query().Get("mfa") == "required" {
		v.Error = "An administrator requires a second factor for your account. Set up an authenticator app below to continue."
	}
	if r.URL.Query().Get("reauth") == "required" {
		v.Error = "Confirm it is you first: enter your password (or a code from your authenticator app) below, then try again."
	}
	v.Flash = r.URL.Query().Get("flash")
	return h.renderAccount(w, r, v, accountData{})
}

func (h *handler) renderAccount(w http.ResponseWriter, r *http.Request, v view, d accountData) error {
	ctx := r.Context()
	p := identity.FromContext(ctx)
	var err error
	if d.Tokens, err = h.Store.APITokens(ctx, p.UserID); err != nil {
		return err
	}
	if d.Sessions, err = h.Store.Sessions(ctx, p.UserID, p.SessionHash); err != nil {
		return err
	}
	u, err := h.Store.UserByID(ctx, p.UserID)
	if err != nil {
		return err
	}
	d.TOTP = u.TOTPSecret != ""
	if d.Passkeys, err = h.Store.Passkeys(ctx, p.UserID); err != nil {
		return err
	}
	d.MinPassword = identity.MinPasswordLength
	if u.MFA {
		d.MinPassword = identity.MinPasswordLengthMFA
	}
	if d.RecoveryLeft, err = h.Store.RecoveryCodesLeft(ctx, p.UserID); err != nil {
		return err
	}
	d.Scopes = identity.Scopes
	if d.Products, _, err = h.Store.ProductsIn(ctx, web.ReadableProducts(r), "", 200); err != nil {
		return err
	}
	v.Title, v.Nav, v.Data = "Account", "account", d
	status := http.StatusOK
	if v.Error != "" && r.Method == http.MethodPost {
		status = http.StatusBadRequest
	}
	h.render(w, r, status, "account", v)
	return nil
}

func (h *handler) createToken(w http.ResponseWriter, r *http.Request) error {
	_ = r.ParseForm()
	pid, _ := strconv.ParseInt(r.PostFormValue("product"), 10, 64)
	plain, tok, err := h.Accounts.CreateToken(r.Context(), r.PostFormValue("name"), r.PostFormValue("expires"), strings.Join(r.PostForm["scope"], " "), pid)
	if err != nil {
		return h.renderAccount(w, r, view{Error: err.Error()}, accountData{})
	}
	h.Log.Info("api token created", "user", identity.FromContext(r.Context()).Name, "token_id", tok.ID, "prefix", tok.Prefix)
	return h.renderAccount(w, r, view{}, accountData{NewToken: plain})
}

func (h *handler) revokeToken(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	if err := audit.Change(r.Context(), h.Store, func(ctx context.Context) (audit.Event, error) {
		err := h.Store.RevokeAPIToken(ctx, identity.FromContext(r.Context()).UserID, id)
		return audit.Event{Action: audit.ActionTokenRevoke, Object: fmt.Sprintf("token %d", id)}, err
	}); err != nil {
		return err
	}
	http.Redirect(w, r, "/account?flash="+url.QueryEscape("Token revoked."), http.StatusSeeOther)
	return nil
}

func (h *handler) changePassword(w http.ResponseWriter, r *http.Request) error {
	if r.PostFormValue("new_password") != r.PostFormValue("confirm") {
		return h.renderAccount(w, r, view{Error: "The two new passwords differ."}, accountData{})
	}
	if err := h.Accounts.ChangePassword(r.Context(), web.AccountClient(r), r.PostFormValue("current_password"), r.PostFormValue("new_password"),
		accounts.PasswordChangeOptions{KeepPasskeys: r.PostFormValue("keep_passkeys") == "on", RevokeTokens: r.PostFormValue("revoke_tokens") == "on"}); err != nil {
		return h.renderAccount(w, r, view{Error: "Password not changed: " + err.Error()}, accountData{})
	}
	http.Redirect(w, r, "/account?flash="+url.QueryEscape("Password changed. Your other sessions were signed out."), http.StatusSeeOther)
	return nil
}

func (h *handler) signOutOthers(w http.ResponseWriter, r *http.Request) error {
	p := identity.FromContext(r.Context())
	var n int64
	if err := audit.Change(r.Context(), h.Store, func(ctx context.Context) (audit.Event, error) {
		var err error
		n, err = h.Store.DeleteUserSessions(ctx, p.UserID, p.SessionHash)
		return audit.Event{Action: audit.ActionSignOutAll, Object: "user " + p.Name, Detail: fmt.Sprintf("%d other sessions ended", n)}, err
	}); err != nil {
		return err
	}
	http.Redirect(w, r, "/account?flash="+url.QueryEscape(fmt.Sprintf("Signed out %d other sessions.", n)), http.StatusSeeOther)
	return nil
}

func (h *handler) signOutEverywhere(w http.ResponseWriter, r *http.Request) error {
	if _, err := h.Accounts.SignOutEverywhere(r.Context()); err != nil {
		return err
	}
	web.SetSessionCookie(w, "", h.SecureCookies, -time.Second)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

func (h *handler) totpStart(w http.ResponseWriter, r *http.Request) error {
	p := identity.FromContext(r.Context())
	key, err := identity.NewTOTPKey(p.Name)
	if err != nil {
		return err
	}
	if err := h.Store.SetTOTPPending(r.Context(), p.UserID, key.Secret()); err != nil {
		return err
	}
	return h.renderAccount(w, r, view{}, accountData{PendingSecret: key.Secret()})
}

// totpQR serves the pending secret's QR code as a PNG (an image URL keeps
// the CSP strict; the secret never appears in a URL).
func (h *handler) totpQR(w http.ResponseWriter, r *http.Request) error {
	p := identity.FromContext(r.Context())
	sec, err := h.Store.TOTPPending(r.Context(), p.UserID)
	if err != nil || sec == "" {
		http.NotFound(w, r)
		return nil
	}
	png, err := identity.TOTPQR(sec, p.Name, 220)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/png")
	w.Write(png)
	return nil
}

func (h *handler) totpConfirm(w http.ResponseWriter, r *http.Request) error {
	p := identity.FromContext(r.Context())
	sec, err := h.Store.TOTPPending(r.Context(), p.UserID)
	if err != nil || sec == "" {
		return h.renderAccount(w, r, view{Error: "No enrolment in progress; start again."}, accountData{})
	}
	step, ok := identity.TOTPMatch(sec, r.PostFormValue("code"), time.Now())
	if !ok {
		return h.renderAccount(w, r, view{Error: "That code does not match. Check the time on your phone and enter the current 6-digit code."}, accountData{PendingSecret: sec})
	}
	plain, hashes := identity.NewRecoveryCodes()
	if err := audit.Change(r.Context(), h.Store, func(ctx context.Context) (audit.Event, error) {
		err := h.Store.EnableTOTP(ctx, p.UserID, sec, step, hashes)
		return audit.Event{Action: audit.ActionMFAEnable, Object: "user " + p.Name, Detail: "TOTP authenticator"}, err
	}); err != nil {
		return err
	}
	if err := h.Store.MarkSessionMFA(r.Context(), p.SessionHash); err != nil {
		return err
	}
	p.MFA = true
	return h.renderAccount(w, r, view{Flash: "Two-factor authentication is on."}, accountData{RecoveryCodes: plain})
}

func (h *handler) totpDisable(w http.ResponseWriter, r *http.Request) error {
	p := identity.FromContext(r.Context())
	u, err := h.Store.UserByID(r.Context(), p.UserID)
	if err != nil {
		return err
	}
	if !identity.VerifyPassword(u.PasswordHash, r.PostFormValue("password")) {
		return h.renderAccount(w, r, view{Error: "Wrong password: two-factor authentication is still on."}, accountData{})
	}
	if err := audit.Change(r.Context(), h.Store, func(ctx context.Context) (audit.Event, error) {
		err := h.Store.DisableTOTP(ctx, p.UserID)
		return audit.Event{Action: audit.ActionMFADisable, Object: "user " + p.Name, Detail: "TOTP authenticator"}, err
	}); err != nil {
		return err
	}
	http.Redirect(w, r, "/account?flash="+url.QueryEscape("Two-factor authentication is off."), http.StatusSeeOther)
	return nil
}

func (h *handler) recoveryCodes(w http.ResponseWriter, r *http.Request) error {
	p := identity.FromContext(r.Context())
	if u, err := h.Store.UserByID(r.Context(), p.UserID); err != nil || u.TOTPSecret == "" {
		return h.renderAccount(w, r, view{Error: "Turn on two-factor authentication first."}, accountData{})
	}
	plain, hashes := identity.NewRecoveryCodes()
	if err := audit.Change(r.Context(), h.Store, func(ctx context.Context) (audit.Event, error) {
		err := h.Store.ReplaceRecoveryCodes(ctx, p.UserID, hashes)
		return audit.Event{Action: audit.ActionRecoveryRegen, Object: "user " + p.Name}, err
	}); err != nil {
		return err
	}
	return h.renderAccount(w, r, view{Flash: "New recovery codes: the old ones no longer work."}, accountData{RecoveryCodes: plain})
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
func (h *handler) reauth(w http.ResponseWriter, r *http.Request) error {
	err := h.Accounts.Reauthenticate(r.Context(), accounts.Client{IP: web.ClientIP(r)}, r.PostFormValue("password"), r.PostFormValue("code"))
	switch {
	case errors.Is(err, accounts.ErrNotConfirmed):
		return h.renderAccount(w, r, view{Error: "That password or code is not right."}, accountData{})
	case fault.KindOf(err) == fault.KindTooMany: // throttled, or no hashing slot
		return h.renderAccount(w, r, view{Error: err.Error()}, accountData{})
	case err != nil:
		return err
	}
	http.Redirect(w, r, "/account?flash="+url.QueryEscape("Confirmed. For five minutes you can change your second factors and passkeys."), http.StatusSeeOther)
	return nil
}
