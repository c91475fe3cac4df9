package ui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

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
		web.SetRetryAfter(w, err)
		h.Log.Warn("sign-in failed", "user", r.PostFormValue("name"), "remote", web.ClientIP(r), "reason", err.Error())
		h.render(w, r, web.Status(err), "login", view{Title: "Sign in", CSRF: h.preCSRF(w, r), Error: err.Error(), Data: data})
		return nil
	}
	web.SetSessionCookie(w, cookie, h.SecureCookies, h.Store.SessionAbsoluteLifetime())
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

func (h *handler) logout(w http.ResponseWriter, r *http.Request) error {
	if err := h.Accounts.SignOut(r.Context()); err != nil {
		h.Log.ErrorContext(r.Context(), "sign out", "user", identity.FromContext(r.Context()).Name, "err", err)
	}
	web.SetSessionCookie(w, "", h.SecureCookies, -time.Second)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

func (h *handler) setupForm(w http.ResponseWriter, r *http.Request) error {
	h.linkForm(w, r, accounts.LinkSetup, "Create the first administrator", view{Title: "Setup link not valid",
		Error: "This setup link was already used or has expired. Restart `rampart serve` on an empty database for a new one, or ask an administrator."})
	return nil
}

// linkForm renders the form of a one-time link (purpose "setup" or
// "invite", also the template's name) with its token, or the invalid page
// when the token was used or has expired.
func (h *handler) linkForm(w http.ResponseWriter, r *http.Request, purpose, title string, invalid view) {
	tok := r.URL.Query().Get("token")
	if !h.Accounts.ValidLink(r.Context(), tok, purpose) {
		h.render(w, r, http.StatusNotFound, "error", invalid)
		return
	}
	h.render(w, r, http.StatusOK, purpose, view{Title: title, CSRF: h.preCSRF(w, r), Data: map[string]string{"Token": tok}})
}

// linkCreate completes a one-time link's form (purpose "setup" or
// "invite") with create, which makes the user and returns the session
// cookie; the browser then goes to the start page. A form error renders
// the form again with what to do.
func (h *handler) linkCreate(w http.ResponseWriter, r *http.Request, purpose, title string,
	create func(ctx context.Context, c accounts.Client, token, name, password string) (string, error)) error {
	tok := r.PostFormValue("token")
	name, pw := strings.TrimSpace(r.PostFormValue("name")), r.PostFormValue("password")
	fail := func(status int, msg string) error {
		h.render(w, r, status, purpose, view{Title: title, CSRF: h.preCSRF(w, r), Error: msg, Data: map[string]string{"Token": tok, "Name": name}})
		return nil
	}
	switch {
	case !checkPreCSRF(r):
		return fail(http.StatusForbidden, "Your form expired. Please try again.")
	case name == "":
		return fail(http.StatusBadRequest, "Choose a user name.")
	case pw != r.PostFormValue("confirm"):
		return fail(http.StatusBadRequest, "The two passwords differ.")
	}
	cookie, err := create(r.Context(), web.AccountClient(r), tok, name, pw)
	switch {
	case fault.FieldOf(err) == "password":
		return fail(http.StatusBadRequest, err.Error())
	case errors.Is(err, fault.ErrConflict) && purpose == accounts.LinkInvite:
		return fail(http.StatusConflict, "That user name is taken; choose another.")
	case fault.KindOf(err) != fault.KindInternal:
		return fail(web.Status(err), err.Error())
	case err != nil:
		return err
	}
	web.SetSessionCookie(w, cookie, h.SecureCookies, h.Store.SessionAbsoluteLifetime())
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}

func (h *handler) setup(w http.ResponseWriter, r *http.Request) error {
	return h.linkCreate(w, r, accounts.LinkSetup, "Create the first administrator", h.Accounts.CompleteSetup)
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
	TokenForm     tokenForm // the new-token form's input, kept on a refusal
}

// tokenForm is what was typed into the new-token form.
type tokenForm struct {
	Name, Expires string
	Product       int64
	Scopes        map[string]bool
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
	in := tokenForm{Name: r.PostFormValue("name"), Expires: r.PostFormValue("expires"), Scopes: map[string]bool{}}
	for _, sc := range r.PostForm["scope"] {
		in.Scopes[sc] = true
	}
	pid, err := formNumber(r, "product")
	if err != nil {
		return h.renderAccount(w, r, view{Error: err.Error()}, accountData{TokenForm: in})
	}
	in.Product = pid
	plain, tok, err := h.Accounts.CreateToken(r.Context(), in.Name, in.Expires, strings.Join(r.PostForm["scope"], " "), pid)
	if err != nil {
		return h.renderAccount(w, r, view{Error: err.Error()}, accountData{TokenForm: in})
	}
	h.Log.Info("api token created", "user", identity.FromContext(r.Context()).Name, "token_id", tok.ID, "prefix", tok.Prefix)
	return h.renderAccount(w, r, view{}, accountData{NewToken: plain})
}

func (h *handler) revokeToken(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	return replyFlash(w, r, "/account", "Token revoked.", h.Accounts.RevokeToken(r.Context(), id))
}

func (h *handler) changePassword(w http.ResponseWriter, r *http.Request) error {
	if r.PostFormValue("new_password") != r.PostFormValue("confirm") {
		return h.renderAccount(w, r, view{Error: "The two new passwords differ."}, accountData{})
	}
	if err := h.Accounts.ChangePassword(r.Context(), web.AccountClient(r), r.PostFormValue("current_password"), r.PostFormValue("new_password"),
		accounts.PasswordChangeOptions{KeepPasskeys: r.PostFormValue("keep_passkeys") == "on", RevokeTokens: r.PostFormValue("revoke_tokens") == "on"}); err != nil {
		return h.renderAccount(w, r, view{Error: "Password not changed: " + err.Error()}, accountData{})
	}
	redirectFlash(w, r, "/account", "Password changed. Your other sessions were signed out.")
	return nil
}

func (h *handler) signOutOthers(w http.ResponseWriter, r *http.Request) error {
	n, err := h.Accounts.SignOutOthers(r.Context())
	return replyFlash(w, r, "/account", fmt.Sprintf("Signed out %d other sessions.", n), err)
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
	secret, err := h.Accounts.StartTOTP(r.Context())
	if err != nil {
		return err
	}
	return h.renderAccount(w, r, view{}, accountData{PendingSecret: secret})
}

// totpQR serves the pending secret's QR code as a PNG (an image URL keeps
// the CSP strict; the secret never appears in a URL).
func (h *handler) totpQR(w http.ResponseWriter, r *http.Request) error {
	png, err := h.Accounts.PendingTOTPQR(r.Context(), 220)
	if errors.Is(err, accounts.ErrNoEnrolment) {
		http.NotFound(w, r)
		return nil
	}
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/png")
	w.Write(png)
	return nil
}

func (h *handler) totpConfirm(w http.ResponseWriter, r *http.Request) error {
	codes, err := h.Accounts.ConfirmTOTP(r.Context(), r.PostFormValue("code"))
	switch {
	case errors.Is(err, accounts.ErrNoEnrolment):
		return h.renderAccount(w, r, view{Error: "No enrolment in progress; start again."}, accountData{})
	case errors.Is(err, accounts.ErrCodeMismatch):
		sec, err := h.Accounts.PendingTOTP(r.Context())
		if err != nil {
			return err
		}
		return h.renderAccount(w, r, view{Error: "That code does not match. Check the time on your phone and enter the current 6-digit code."}, accountData{PendingSecret: sec})
	case err != nil:
		return err
	}
	return h.renderAccount(w, r, view{Flash: "Two-factor authentication is on."}, accountData{RecoveryCodes: codes})
}

func (h *handler) totpDisable(w http.ResponseWriter, r *http.Request) error {
	err := h.Accounts.DisableTOTP(r.Context(), r.PostFormValue("password"))
	if errors.Is(err, accounts.ErrWrongPassword) {
		return h.renderAccount(w, r, view{Error: "Wrong password: two-factor authentication is still on."}, accountData{})
	}
	return replyFlash(w, r, "/account", "Two-factor authentication is off.", err)
}

func (h *handler) recoveryCodes(w http.ResponseWriter, r *http.Request) error {
	codes, err := h.Accounts.NewRecoveryCodes(r.Context())
	if errors.Is(err, accounts.ErrNoTOTP) {
		return h.renderAccount(w, r, view{Error: "Turn on two-factor authentication first."}, accountData{})
	}
	if err != nil {
		return err
	}
	return h.renderAccount(w, r, view{Flash: "New recovery codes: the old ones no longer work."}, accountData{RecoveryCodes: codes})
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
	redirectFlash(w, r, "/account", "Confirmed. For five minutes you can change your second factors and passkeys.")
	return nil
}
