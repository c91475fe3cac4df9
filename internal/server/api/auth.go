package api

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/server/web"
	"github.com/rampart-security/rampart/internal/store"
)

// SignIn checks a name, password and (when the account has one) TOTP code
// or recovery code, with throttling per account and per source address
// shared through the database, and on success starts a session. It is
// shared by the API login and the UI sign-in form. Unknown users, wrong
// passwords and wrong codes get the same error and take the same time.
func SignIn(r *http.Request, st *store.Store, pol identity.SignInPolicy, name, password, code string) (cookie, csrf string, err error) {
	return signIn(r, st, pol, name, password, code, false)
}

// PasskeyStep is returned by SignInWithPasskeyStep when the password was
// right and the account's second factor is a passkey: the browser must
// now present it (the UI's second step). UserID names the account.
type PasskeyStep struct{ UserID int64 }

func (PasskeyStep) Error() string { return "confirm the sign-in with your passkey" }

// SignInWithPasskeyStep is SignIn for browsers, which can complete a
// passkey second factor: instead of failing it returns PasskeyStep.
func SignInWithPasskeyStep(r *http.Request, st *store.Store, pol identity.SignInPolicy, name, password, code string) (cookie, csrf string, err error) {
	return signIn(r, st, pol, name, password, code, true)
}

func signIn(r *http.Request, st *store.Store, pol identity.SignInPolicy, name, password, code string, passkeyStep bool) (cookie, csrf string, err error) {
	ctx := r.Context()
	ip := web.ClientIP(r)
	name = truncateName(name)
	keys := pol.Keys(name, ip)
	// The attempt is charged before the password is checked, atomically:
	// parallel guesses cannot all pass one read of the counters.
	att, err := st.BeginAttempt(ctx, keys)
	if err != nil {
		return "", "", err
	}
	if att.Locked {
		recordSignIn(ctx, st, name, audit.Failed, "account locked")
		return "", "", TooManyAttempts{Wait: pol.MaxDelay, Locked: true}
	}
	if !att.Allowed() {
		return "", "", TooManyAttempts{Wait: att.Wait}
	}
	u, uerr := st.UserByName(ctx, name)
	ok := false
	if uerr == nil && !u.Disabled {
		ok, err = identity.VerifyPasswordContext(ctx, u.PasswordHash, password)
	} else {
		err = identity.EqualizeTimingContext(ctx, password)
	}
	if err != nil { // no hashing slot: the attempt was not evaluated
		_ = st.EndAttempt(ctx, refundAll(keys))
		return "", "", err
	}
	reason := "wrong user name or password"
	switch {
	case ok && u.TOTPSecret != "":
		ok, reason = checkSecondFactor(r, st, u, code)
	case ok && u.MFA: // passkeys are the second factor
		if passkeyStep {
			_ = st.EndAttempt(ctx, keys)
			return "", "", PasskeyStep{UserID: u.ID}
		}
		ok, reason = false, "second factor (passkey) needs a browser"
	}
	if !ok {
		_ = st.FailAttempt(ctx, keys, att)
		recordSignIn(ctx, st, name, audit.Failed, reason)
		if n := att.Failures[identity.AccountKey(name)]; pol.LockAfter > 0 && n == pol.LockAfter {
			_ = audit.Record(ctx, st, audit.Event{Action: audit.ActionLocked, Actor: name, Object: "user " + name, Outcome: audit.Failed,
				Detail: fmt.Sprintf("%d consecutive failed sign-ins", n)})
		}
		return "", "", ErrBadCredentials
	}
	_ = st.EndAttempt(ctx, keys)
	cookie, csrf, err = st.CreateSessionAuth(ctx, u.ID, ip, r.UserAgent(), u.TOTPSecret != "")
	if err == nil {
		recordSignIn(ctx, st, u.Name, audit.OK, "")
	}
	return cookie, csrf, err
}

// refundAll gives an unevaluated attempt's charge back on every key.
func refundAll(keys []identity.AttemptKey) []identity.AttemptKey {
	out := append([]identity.AttemptKey(nil), keys...)
	for i := range out {
		out[i].Refund = true
	}
	return out
}

// checkSecondFactor accepts a current TOTP code used for the first time,
// or an unused recovery code.
func checkSecondFactor(r *http.Request, st *store.Store, u identity.User, code string) (bool, string) {
	code = strings.TrimSpace(code)
	if code == "" {
		return false, "second factor missing"
	}
	if step, ok := identity.TOTPMatch(u.TOTPSecret, code, time.Now()); ok {
		fresh, err := st.UseTOTPStep(r.Context(), u.ID, step)
		if err != nil || !fresh {
			return false, "TOTP code replayed"
		}
		return true, ""
	}
	if len(code) > 6 {
		used, err := st.UseRecoveryCode(r.Context(), u.ID, identity.HashRecoveryCode(code))
		if err == nil && used {
			_ = audit.Record(r.Context(), st, audit.Event{Action: audit.ActionRecoveryUsed, Actor: u.Name, Object: "user " + u.Name})
			return true, ""
		}
	}
	return false, "wrong second factor"
}

func recordSignIn(ctx context.Context, st *store.Store, name, outcome, reason string) {
	action := audit.ActionSignIn
	if outcome != audit.OK {
		action = audit.ActionSignInFailed
	}
	_ = audit.Record(ctx, st, audit.Event{Action: action, Actor: truncateName(name), Object: "user " + truncateName(name), Outcome: outcome, Detail: reason})
}

// truncateName bounds an anonymous user name (before any lookup or write)
// to 100 bytes without splitting a UTF-8 sequence.
func truncateName(s string) string {
	if len(s) <= 100 {
		return s
	}
	s = s[:100]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// ErrBadCredentials is the one answer for unknown users and wrong passwords.
var ErrBadCredentials = badCredentials{}

type badCredentials struct{}

func (badCredentials) Error() string {
	return "wrong user name, password or authentication code"
}
func (badCredentials) HTTPStatus() int { return http.StatusUnauthorized }

// TooManyAttempts is returned while sign-in is throttled or the account is
// locked (Locked: until an administrator unlocks it).
type TooManyAttempts struct {
	Wait   time.Duration
	Locked bool
}

func (e TooManyAttempts) Error() string {
	if e.Locked {
		return "too many failed sign-ins: this account is locked; an administrator must unlock it"
	}
	return fmt.Sprintf("too many failed sign-ins; try again in %s", e.Wait.Round(time.Second))
}
func (TooManyAttempts) HTTPStatus() int { return http.StatusTooManyRequests }

// RetryAfter is the Retry-After header value in whole seconds.
func (e TooManyAttempts) RetryAfter() string {
	return strconv.Itoa(int(math.Ceil(e.Wait.Seconds())))
}

// SetSessionCookie sets the session cookie: HttpOnly, SameSite=Lax, Secure under TLS.
func SetSessionCookie(w http.ResponseWriter, value string, secure bool, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{Name: web.SessionCookie, Value: value, Path: "/", HttpOnly: true, Secure: secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int(maxAge.Seconds())})
}

// authRoutes are sign-in, tokens and users.
func (h handler) authRoutes() []web.Route {
	return []web.Route{
		{Method: "POST", Pattern: "/api/v1/auth/login", Public: true, Handler: h.login},
		{Method: "POST", Pattern: "/api/v1/auth/logout", Need: identity.RoleViewer, Scope: identity.ScopeAccount, SessionOnly: true, WithoutMFA: true, Handler: h.logout},
		{Method: "POST", Pattern: "/api/v1/auth/logout-everywhere", Need: identity.RoleViewer, Scope: identity.ScopeAccount, SessionOnly: true, WithoutMFA: true, Handler: h.logoutEverywhere},
		{Method: "GET", Pattern: "/api/v1/me", Need: identity.RoleViewer, Scope: identity.ScopeAccount, WithoutMFA: true, Handler: h.me},
		{Method: "PUT", Pattern: "/api/v1/me/password", Need: identity.RoleViewer, Scope: identity.ScopeAccount, SessionOnly: true, WithoutMFA: true, Handler: h.changePassword},
		{Method: "GET", Pattern: "/api/v1/tokens", Need: identity.RoleViewer, Scope: identity.ScopeAccount, Handler: h.listTokens},
		{Method: "POST", Pattern: "/api/v1/tokens", Need: identity.RoleViewer, Scope: identity.ScopeAccount, Handler: h.createToken},
		{Method: "DELETE", Pattern: "/api/v1/tokens/{id}", Need: identity.RoleViewer, Scope: identity.ScopeAccount, Handler: h.revokeToken},
	}
}

type loginInput struct {
	Name     string `json:"name"`
	Password string `json:"password"`
	TOTP     string `json:"totp,omitempty"`
}

func (h handler) login(w http.ResponseWriter, r *http.Request) {
	var in loginInput
	if err := web.DecodeJSON(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	cookie, csrf, err := SignIn(r, h.Store, h.SignIn, in.Name, in.Password, in.TOTP)
	if err != nil {
		var tma TooManyAttempts
		if errors.As(err, &tma) {
			w.Header().Set("Retry-After", tma.RetryAfter())
		}
		h.Log.Warn("sign-in failed", "user", in.Name, "remote", web.ClientIP(r), "reason", err.Error())
		h.fail(w, r, err)
		return
	}
	SetSessionCookie(w, cookie, h.SecureCookies, h.Store.SessionAbsoluteLifetime())
	h.Log.Info("signed in", "user", in.Name, "remote", web.ClientIP(r))
	web.WriteJSON(w, http.StatusOK, map[string]string{"csrf_token": csrf})
}

func (h handler) logout(w http.ResponseWriter, r *http.Request) {
	p := identity.FromContext(r.Context())
	if p.Via == "session" {
		if err := audit.Change(r.Context(), h.Store, func(ctx context.Context) (audit.Event, error) {
			return audit.Event{Action: audit.ActionSignOut, Object: "user " + p.Name}, h.Store.DeleteSession(ctx, p.SessionHash)
		}); err != nil {
			h.fail(w, r, err)
			return
		}
		SetSessionCookie(w, "", h.SecureCookies, -time.Second)
	}
	w.WriteHeader(http.StatusNoContent)
}

// SignOutEverywhere ends every session of the principal's user, including
// the current one.
func SignOutEverywhere(r *http.Request, st *store.Store) (int64, error) {
	p := identity.FromContext(r.Context())
	var n int64
	err := audit.Change(r.Context(), st, func(ctx context.Context) (audit.Event, error) {
		var err error
		n, err = st.DeleteUserSessions(ctx, p.UserID, "")
		return audit.Event{Action: audit.ActionSignOutAll, Object: "user " + p.Name, Detail: fmt.Sprintf("%d sessions ended", n)}, err
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

func (h handler) logoutEverywhere(w http.ResponseWriter, r *http.Request) {
	n, err := SignOutEverywhere(r, h.Store)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	SetSessionCookie(w, "", h.SecureCookies, -time.Second)
	web.WriteJSON(w, http.StatusOK, map[string]int64{"sessions_ended": n})
}

// ChangePassword checks the new password against the policy first, then
// the current password under the sign-in throttle (so the route is no
// password oracle: a weak new password is refused without evaluating the
// current one, and a wrong current one gets the sign-in's answer), stores
// the new hash and ends every other session of the user.
// Every other session ends; the user's passkeys are removed unless
// opt.KeepPasskeys (a passkey an attacker registered must not survive), and
// with opt.RevokeTokens every API token is revoked.
func ChangePassword(r *http.Request, st *store.Store, pol identity.SignInPolicy, current, next string, opt PasswordChangeOptions) error {
	ctx := r.Context()
	p := identity.FromContext(ctx)
	u, err := st.UserByID(ctx, p.UserID)
	if err != nil {
		return err
	}
	// 8 characters suffice when every password sign-in also needs a second
	// factor (a TOTP code or a passkey).
	if err := identity.CheckPasswordFor(next, u.Name, u.TOTPSecret != "" || u.MFA && opt.KeepPasskeys); err != nil {
		return fault.Invalid("new_password", "%v", err)
	}
	keys := pol.Keys(u.Name, web.ClientIP(r))
	att, err := st.BeginAttempt(ctx, keys)
	if err != nil {
		return err
	}
	if att.Locked {
		return TooManyAttempts{Wait: pol.MaxDelay, Locked: true}
	}
	if !att.Allowed() {
		return TooManyAttempts{Wait: att.Wait}
	}
	ok, err := identity.VerifyPasswordContext(ctx, u.PasswordHash, current)
	if err != nil {
		_ = st.EndAttempt(ctx, refundAll(keys))
		return err
	}
	if !ok {
		_ = st.FailAttempt(ctx, keys, att)
		_ = audit.Record(ctx, st, audit.Event{Action: audit.ActionPasswordChange, Object: "user " + u.Name, Outcome: audit.Failed, Detail: "wrong current password"})
		return fault.Invalid("current_password", "password not changed: check your current password")
	}
	_ = st.EndAttempt(ctx, keys)
	hash, err := identity.HashPasswordContext(ctx, next)
	if err != nil {
		return err
	}
	// The new password, the sessions, passkeys and tokens it ends and the
	// audit record commit together.
	return audit.Change(ctx, st, func(ctx context.Context) (audit.Event, error) {
		if err := st.SetPassword(ctx, u.ID, hash, p.SessionHash); err != nil {
			return audit.Event{}, err
		}
		detail := "other sessions ended"
		if !opt.KeepPasskeys {
			n, err := st.DeleteUserPasskeys(ctx, u.ID)
			if err != nil {
				return audit.Event{}, err
			}
			detail += fmt.Sprintf("; %d passkeys removed", n)
		}
		if opt.RevokeTokens {
			n, err := st.RevokeUserTokens(ctx, u.ID)
			if err != nil {
				return audit.Event{}, err
			}
			detail += fmt.Sprintf("; %d API tokens revoked", n)
		}
		return audit.Event{Action: audit.ActionPasswordChange, Object: "user " + u.Name, Detail: detail}, nil
	})
}

// PasswordChangeOptions are the choices offered with a password change.
type PasswordChangeOptions struct {
	KeepPasskeys bool // keep registered passkeys (default: remove them)
	RevokeTokens bool // revoke every API token too
}

type passwordInput struct {
	Current      string `json:"current_password"`
	New          string `json:"new_password"`
	KeepPasskeys bool   `json:"keep_passkeys"`
	RevokeTokens bool   `json:"revoke_tokens"`
}

func (h handler) changePassword(w http.ResponseWriter, r *http.Request) {
	var in passwordInput
	if err := web.DecodeJSON(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := ChangePassword(r, h.Store, h.SignIn, in.Current, in.New, PasswordChangeOptions{KeepPasskeys: in.KeepPasskeys, RevokeTokens: in.RevokeTokens}); err != nil {
		var tma TooManyAttempts
		if errors.As(err, &tma) {
			w.Header().Set("Retry-After", tma.RetryAfter())
		}
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h handler) listTokens(w http.ResponseWriter, r *http.Request) {
	toks, err := h.Store.APITokens(r.Context(), identity.FromContext(r.Context()).UserID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, newPage(toks, ""))
}

type tokenInput struct {
	Name    string `json:"name"`
	Expires string `json:"expires"` // Go duration, e.g. 720h; empty: 90 days
	// Scopes, space-separated (empty: "*", all the owner's rights).
	Scopes string `json:"scopes"`
	// ProductID restricts the token to one product (0: any).
	ProductID int64 `json:"product_id"`
}

// CreateToken validates and issues a token for the principal: scopes must
// be known, a product restriction must name a product the principal can
// read, the lifetime must not exceed maxLife, and a token creating a token
// can only create a subset of itself (identity.CheckChildToken); the child
// records its parent and dies with it. Shared by the API and the UI.
func CreateToken(r *http.Request, st *store.Store, maxLife time.Duration, name, expires, scopes string, productID int64) (string, store.APIToken, error) {
	p := identity.FromContext(r.Context())
	exp, err := ParseExpiry(expires, maxLife)
	if err != nil {
		return "", store.APIToken{}, err
	}
	sc, err := identity.ParseScopes(scopes)
	if err != nil {
		return "", store.APIToken{}, fault.Invalid("scopes", "%v", err)
	}
	expiresAt := time.Now().Add(exp)
	if p.Via == "token" {
		if productID == 0 {
			productID = p.TokenProduct // a restricted token's children inherit the restriction
		}
		if strings.TrimSpace(expires) == "" && !p.TokenExpires.IsZero() && expiresAt.After(p.TokenExpires) {
			expiresAt = p.TokenExpires // the default lifetime is cut to the parent's
		}
	}
	if err := p.CheckChildToken(identity.ChildToken{Scopes: sc, ProductID: productID, ExpiresAt: expiresAt}); err != nil {
		return "", store.APIToken{}, err
	}
	if productID != 0 && !p.Can(productID, identity.PermRead) {
		return "", store.APIToken{}, fault.Invalid("product_id", "product %d: not found or not yours", productID)
	}
	req := store.TokenRequest{UserID: p.UserID, Name: name, ExpiresAt: expiresAt, Scopes: sc, ProductID: productID}
	if p.Via == "token" {
		req.ParentID = p.TokenID
	}
	var plain string
	var tok store.APIToken
	err = audit.Change(r.Context(), st, func(ctx context.Context) (audit.Event, error) {
		var err error
		plain, tok, err = st.CreateToken(ctx, req)
		if err != nil {
			return audit.Event{}, err
		}
		e := audit.Event{Action: audit.ActionTokenCreate, Object: fmt.Sprintf("token %d %s (%s…)", tok.ID, tok.Name, tok.Prefix),
			ProductID: productID, Detail: "scopes " + identity.JoinScopes(sc)}
		if req.ParentID != 0 {
			e.Detail += fmt.Sprintf("; created by token %d", req.ParentID)
		}
		return e, nil
	})
	if err != nil {
		return "", store.APIToken{}, err
	}
	return plain, tok, nil
}

// ParseExpiry parses a token lifetime: empty means the 90-day default (cut
// to maxLife), and no lifetime may exceed maxLife (0: the default maximum,
// identity.DefaultMaxTokenLifetime). "never" is refused: every token expires.
func ParseExpiry(s string, maxLife time.Duration) (time.Duration, error) {
	if maxLife <= 0 {
		maxLife = identity.DefaultMaxTokenLifetime
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return min(90*24*time.Hour, maxLife), nil
	}
	d, err := time.ParseDuration(s)
	if s == "never" || err == nil && d > maxLife {
		return 0, fault.Invalid("expires", "%q: tokens live at most %s on this server; give a shorter lifetime such as 720h", s, maxLife)
	}
	if err != nil || d <= 0 {
		return 0, fault.Invalid("expires", "%q is not a positive duration such as 720h", s)
	}
	return d, nil
}

func (h handler) createToken(w http.ResponseWriter, r *http.Request) {
	var in tokenInput
	if err := web.DecodeJSON(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	plain, tok, err := CreateToken(r, h.Store, h.MaxTokenLifetime, in.Name, in.Expires, in.Scopes, in.ProductID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.Log.Info("api token created", "user", identity.FromContext(r.Context()).Name, "token_id", tok.ID, "prefix", tok.Prefix)
	web.WriteJSON(w, http.StatusCreated, map[string]any{"token": plain, "info": tok})
}

func (h handler) revokeToken(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p := identity.FromContext(r.Context())
	if p.Via == "token" {
		// A token manages only itself and the tokens it created.
		if ok, err := h.Store.TokenDescends(r.Context(), id, p.TokenID); err != nil || !ok {
			h.fail(w, r, fault.NotFound("token %d: not found among this token and the tokens it created", id))
			return
		}
	}
	if err := audit.Change(r.Context(), h.Store, func(ctx context.Context) (audit.Event, error) {
		return audit.Event{Action: audit.ActionTokenRevoke, Object: fmt.Sprintf("token %d", id)}, h.Store.RevokeAPIToken(ctx, p.UserID, id)
	}); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h handler) listUsers(w http.ResponseWriter, r *http.Request) {
	users, err := h.Store.Users(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, newPage(users, ""))
}

type userInput struct {
	Name     string        `json:"name"`
	Role     identity.Role `json:"role"`
	Password string        `json:"password"`
	// ProductsOnly: product access only through product roles (default
	// false: the global role applies to every product).
	ProductsOnly bool `json:"products_only"`
}

// CreateUser checks the password policy, hashes and stores a new user.
func CreateUser(r *http.Request, st *store.Store, name string, role identity.Role, password string, productsOnly bool) (identity.User, error) {
	u := identity.User{Name: name, Role: role, ProductsOnly: productsOnly}
	if !role.Valid() {
		return u, &store.ValidationError{Field: "role", Message: "must be admin, editor or viewer"}
	}
	if err := identity.CheckPassword(password, name); err != nil {
		return u, &store.ValidationError{Field: "password", Message: err.Error()}
	}
	hash, err := identity.HashPasswordContext(r.Context(), password)
	if err != nil {
		return u, err
	}
	u.PasswordHash = hash
	err = audit.Change(r.Context(), st, func(ctx context.Context) (audit.Event, error) {
		return audit.Event{Action: audit.ActionUserCreate, Object: "user " + u.Name, Detail: "role " + string(u.Role)}, st.CreateUser(ctx, &u)
	})
	return u, err
}

func (h handler) createUser(w http.ResponseWriter, r *http.Request) {
	var in userInput
	if err := web.DecodeJSON(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	u, err := CreateUser(r, h.Store, in.Name, in.Role, in.Password, in.ProductsOnly)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.Log.Info("user created", "by", identity.FromContext(r.Context()).Name, "user", u.Name, "role", u.Role)
	web.WriteJSON(w, http.StatusCreated, u)
}
