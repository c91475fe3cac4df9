package api

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/server/web"
	"github.com/rampart-security/rampart/internal/store"
)

// SignIn checks a name and password with throttling, and on success starts
// a session. It is shared by the API login and the UI sign-in form. Unknown
// users and wrong passwords get the same error and take the same time.
func SignIn(r *http.Request, st *store.Store, th *identity.Throttle, name, password string) (cookie, csrf string, err error) {
	ip := web.ClientIP(r)
	userKey, ipKey := "user:"+strings.ToLower(name), "ip:"+ip
	if wait := th.Wait(userKey, ipKey); wait > 0 {
		return "", "", TooManyAttempts{wait}
	}
	u, uerr := st.UserByName(r.Context(), name)
	ok := false
	if uerr == nil && !u.Disabled {
		ok = identity.VerifyPassword(u.PasswordHash, password)
	} else {
		identity.EqualizeTiming(password)
	}
	if !ok {
		th.Fail(userKey, ipKey)
		return "", "", ErrBadCredentials
	}
	th.Succeed(userKey)
	return st.CreateSession(r.Context(), u.ID, ip, r.UserAgent())
}

// ErrBadCredentials is the one answer for unknown users and wrong passwords.
var ErrBadCredentials = badCredentials{}

type badCredentials struct{}

func (badCredentials) Error() string   { return "wrong user name or password" }
func (badCredentials) HTTPStatus() int { return http.StatusUnauthorized }

// TooManyAttempts is returned while sign-in is throttled.
type TooManyAttempts struct{ Wait time.Duration }

func (e TooManyAttempts) Error() string {
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
		{Method: "POST", Pattern: "/api/v1/auth/logout", Need: identity.RoleViewer, Handler: h.logout},
		{Method: "GET", Pattern: "/api/v1/me", Need: identity.RoleViewer, Handler: h.me},
		{Method: "GET", Pattern: "/api/v1/tokens", Need: identity.RoleViewer, Handler: h.listTokens},
		{Method: "POST", Pattern: "/api/v1/tokens", Need: identity.RoleViewer, Handler: h.createToken},
		{Method: "DELETE", Pattern: "/api/v1/tokens/{id}", Need: identity.RoleViewer, Handler: h.revokeToken},
		{Method: "GET", Pattern: "/api/v1/users", Need: identity.RoleAdmin, Handler: h.listUsers},
		{Method: "POST", Pattern: "/api/v1/users", Need: identity.RoleAdmin, Handler: h.createUser},
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
	cookie, csrf, err := SignIn(r, h.Store, h.Throttle, in.Name, in.Password)
	if err != nil {
		var tma TooManyAttempts
		if errors.As(err, &tma) {
			w.Header().Set("Retry-After", tma.RetryAfter())
		}
		h.Log.Warn("sign-in failed", "user", in.Name, "remote", web.ClientIP(r), "reason", err.Error())
		h.fail(w, r, err)
		return
	}
	SetSessionCookie(w, cookie, h.SecureCookies, store.SessionAbsolute)
	h.Log.Info("signed in", "user", in.Name, "remote", web.ClientIP(r))
	web.WriteJSON(w, http.StatusOK, map[string]string{"csrf_token": csrf})
}

func (h handler) logout(w http.ResponseWriter, r *http.Request) {
	p := identity.FromContext(r.Context())
	if p.Via == "session" {
		if err := h.Store.DeleteSession(r.Context(), p.SessionHash); err != nil {
			h.fail(w, r, err)
			return
		}
		SetSessionCookie(w, "", h.SecureCookies, -time.Second)
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
}

// ParseExpiry parses a token lifetime; empty means the 90-day default and
// "never" no expiry.
func ParseExpiry(s string) (time.Duration, error) {
	switch strings.TrimSpace(s) {
	case "":
		return 90 * 24 * time.Hour, nil
	case "never":
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, &store.ValidationError{Field: "expires", Message: fmt.Sprintf("%q is not a positive duration such as 720h, or 'never'", s)}
	}
	return d, nil
}

func (h handler) createToken(w http.ResponseWriter, r *http.Request) {
	var in tokenInput
	if err := web.DecodeJSON(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	exp, err := ParseExpiry(in.Expires)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p := identity.FromContext(r.Context())
	plain, tok, err := h.Store.CreateAPIToken(r.Context(), p.UserID, in.Name, exp)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.Log.Info("api token created", "user", p.Name, "token_id", tok.ID, "prefix", tok.Prefix)
	web.WriteJSON(w, http.StatusCreated, map[string]any{"token": plain, "info": tok})
}

func (h handler) revokeToken(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.Store.RevokeAPIToken(r.Context(), identity.FromContext(r.Context()).UserID, id); err != nil {
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
}

// CreateUser checks the password policy, hashes and stores a new user.
func CreateUser(r *http.Request, st *store.Store, name string, role identity.Role, password string) (identity.User, error) {
	u := identity.User{Name: name, Role: role}
	if !role.Valid() {
		return u, &store.ValidationError{Field: "role", Message: "must be admin, editor or viewer"}
	}
	if err := identity.CheckPassword(password, name); err != nil {
		return u, &store.ValidationError{Field: "password", Message: err.Error()}
	}
	hash, err := identity.HashPassword(password)
	if err != nil {
		return u, err
	}
	u.PasswordHash = hash
	return u, st.CreateUser(r.Context(), &u)
}

func (h handler) createUser(w http.ResponseWriter, r *http.Request) {
	var in userInput
	if err := web.DecodeJSON(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	u, err := CreateUser(r, h.Store, in.Name, in.Role, in.Password)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.Log.Info("user created", "by", identity.FromContext(r.Context()).Name, "user", u.Name, "role", u.Role)
	web.WriteJSON(w, http.StatusCreated, u)
}
