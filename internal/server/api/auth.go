package api

import (
	"net/http"
	"time"

	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/identity/accounts"
	"github.com/rampart-security/rampart/internal/server/web"
)

// authRoutes are sign-in, tokens and users.
func (h handler) authRoutes() []web.Route {
	return []web.Route{
		{Method: "POST", Pattern: "/api/v1/auth/login", Public: true, Do: h.login},
		{Method: "POST", Pattern: "/api/v1/auth/logout", Need: identity.RoleViewer, Scope: identity.ScopeAccount, SessionOnly: true, WithoutMFA: true, Do: h.logout},
		{Method: "POST", Pattern: "/api/v1/auth/logout-everywhere", Need: identity.RoleViewer, Scope: identity.ScopeAccount, SessionOnly: true, WithoutMFA: true, Do: h.logoutEverywhere},
		{Method: "GET", Pattern: "/api/v1/me", Need: identity.RoleViewer, Scope: identity.ScopeAccount, WithoutMFA: true, Do: h.me},
		{Method: "PUT", Pattern: "/api/v1/me/password", Need: identity.RoleViewer, Scope: identity.ScopeAccount, SessionOnly: true, WithoutMFA: true, Do: h.changePassword},
		{Method: "GET", Pattern: "/api/v1/tokens", Need: identity.RoleViewer, Scope: identity.ScopeAccount, Do: h.listTokens},
		{Method: "POST", Pattern: "/api/v1/tokens", Need: identity.RoleViewer, Scope: identity.ScopeAccount, Do: h.createToken},
		{Method: "DELETE", Pattern: "/api/v1/tokens/{id}", Need: identity.RoleViewer, Scope: identity.ScopeAccount, Do: h.revokeToken},
	}
}

type loginInput struct {
	Name     string `json:"name"`
	Password string `json:"password"`
	TOTP     string `json:"totp,omitempty"`
}

func (h handler) login(w http.ResponseWriter, r *http.Request) error {
	var in loginInput
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	cookie, csrf, err := h.Accounts.SignIn(r.Context(), web.AccountClient(r), in.Name, in.Password, in.TOTP)
	if err != nil {
		web.SetRetryAfter(w, err)
		h.Log.Warn("sign-in failed", "user", in.Name, "remote", web.ClientIP(r), "reason", err.Error())
		return err
	}
	web.SetSessionCookie(w, cookie, h.SecureCookies, h.Store.SessionAbsoluteLifetime())
	h.Log.Info("signed in", "user", in.Name, "remote", web.ClientIP(r))
	web.WriteJSON(w, http.StatusOK, map[string]string{"csrf_token": csrf})
	return nil
}

func (h handler) logout(w http.ResponseWriter, r *http.Request) error {
	if err := h.Accounts.SignOut(r.Context()); err != nil {
		return err
	}
	if identity.FromContext(r.Context()).Via == "session" {
		web.SetSessionCookie(w, "", h.SecureCookies, -time.Second)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h handler) logoutEverywhere(w http.ResponseWriter, r *http.Request) error {
	n, err := h.Accounts.SignOutEverywhere(r.Context())
	if err != nil {
		return err
	}
	web.SetSessionCookie(w, "", h.SecureCookies, -time.Second)
	web.WriteJSON(w, http.StatusOK, map[string]int64{"sessions_ended": n})
	return nil
}

type passwordInput struct {
	Current      string `json:"current_password"`
	New          string `json:"new_password"`
	KeepPasskeys bool   `json:"keep_passkeys"`
	RevokeTokens bool   `json:"revoke_tokens"`
}

func (h handler) changePassword(w http.ResponseWriter, r *http.Request) error {
	var in passwordInput
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	err := h.Accounts.ChangePassword(r.Context(), web.AccountClient(r), in.Current, in.New, accounts.PasswordChangeOptions{KeepPasskeys: in.KeepPasskeys, RevokeTokens: in.RevokeTokens})
	web.SetRetryAfter(w, err)
	return noContent(w, err)
}

func (h handler) listTokens(w http.ResponseWriter, r *http.Request) error {
	toks, err := h.Store.APITokens(r.Context(), identity.FromContext(r.Context()).UserID)
	return reply(w, http.StatusOK, newPage(toks, ""), err)
}

type tokenInput struct {
	Name    string `json:"name"`
	Expires string `json:"expires"` // Go duration, e.g. 720h; empty: 90 days
	// Scopes, space-separated (empty: "*", all the owner's rights).
	Scopes string `json:"scopes"`
	// ProductID restricts the token to one product (0: any).
	ProductID int64 `json:"product_id"`
}

func (h handler) createToken(w http.ResponseWriter, r *http.Request) error {
	var in tokenInput
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	plain, tok, err := h.Accounts.CreateToken(r.Context(), in.Name, in.Expires, in.Scopes, in.ProductID)
	if err != nil {
		return err
	}
	h.Log.Info("api token created", "user", identity.FromContext(r.Context()).Name, "token_id", tok.ID, "prefix", tok.Prefix)
	web.WriteJSON(w, http.StatusCreated, map[string]any{"token": plain, "info": tok})
	return nil
}

func (h handler) revokeToken(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	return noContent(w, h.Accounts.RevokeToken(r.Context(), id))
}

func (h handler) listUsers(w http.ResponseWriter, r *http.Request) error {
	users, err := h.Store.Users(r.Context())
	return reply(w, http.StatusOK, newPage(users, ""), err)
}

type userInput struct {
	Name     string        `json:"name"`
	Role     identity.Role `json:"role"`
	Password string        `json:"password"`
	// ProductsOnly: product access only through product roles (default
	// false: the global role applies to every product).
	ProductsOnly bool `json:"products_only"`
}

func (h handler) createUser(w http.ResponseWriter, r *http.Request) error {
	var in userInput
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	u, err := h.Accounts.CreateUser(r.Context(), in.Name, in.Role, in.Password, in.ProductsOnly)
	if err != nil {
		return err
	}
	h.Log.Info("user created", "by", identity.FromContext(r.Context()).Name, "user", u.Name, "role", u.Role)
	web.WriteJSON(w, http.StatusCreated, u)
	return nil
}
