package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/store"
)

// bearer sends a request with a bearer token and returns status and body.
func (e *env) bearer(t *testing.T, tok, method, path, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, e.url+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

// Defect 1: a product-restricted, short-lived token minted an unrestricted,
// never-expiring one that read /api/v1/users and outlived its parent.
func TestTokenMintsOnlySubsetsOfItself(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		alice, _ := e.store.UserByName(ctx, "alice")
		p := inventory.Product{Name: "Gateway"}
		if err := e.store.CreateProduct(ctx, &p); err != nil {
			t.Fatal(err)
		}
		parent, ptok, err := e.store.CreateToken(ctx, store.TokenRequest{UserID: alice.ID, Name: "ci", Expires: time.Hour,
			Scopes: []identity.Scope{identity.ScopeAll}, ProductID: p.ID})
		if err != nil {
			t.Fatal(err)
		}
		for _, body := range []string{
			`{"name":"x","scopes":"*","expires":"never"}`,                       // never expires
			`{"name":"x","scopes":"*","expires":"720h"}`,                        // outlives the parent
			fmt.Sprintf(`{"name":"x","expires":"30m","product_id":%d}`, p.ID+1), // another product
		} {
			if code, out := e.bearer(t, parent, "POST", "/api/v1/tokens", body); code != http.StatusBadRequest {
				t.Errorf("restricted 1h token minted %s: %d %s", body, code, out)
			}
		}
		if code, _ := e.bearer(t, parent, "POST", "/api/v1/products", `{"name":"Mine"}`); code != http.StatusForbidden {
			t.Errorf("restricted token created a product: %d", code)
		}
		// A child within the parent's bounds inherits the restriction and
		// expires no later than the parent.
		code, out := e.bearer(t, parent, "POST", "/api/v1/tokens", `{"name":"child","scopes":"*"}`)
		if code != http.StatusCreated {
			t.Fatalf("child within bounds: %d %s", code, out)
		}
		var created struct {
			Token string `json:"token"`
		}
		_ = json.Unmarshal([]byte(out), &created)
		child := created.Token
		toks, _ := e.store.APITokens(ctx, alice.ID)
		var info store.APIToken
		for _, x := range toks {
			if x.Name == "child" {
				info = x
			}
		}
		if info.ProductID != p.ID || info.ParentID != ptok.ID || info.ExpiresAt == nil || info.ExpiresAt.After(*ptok.ExpiresAt) {
			t.Errorf("child token: %+v (parent %+v)", info, ptok)
		}
		if code, _ := e.bearer(t, child, "GET", "/api/v1/users", ""); code != http.StatusForbidden {
			t.Errorf("child of a restricted token listed users: %d", code)
		}
		if code, _ := e.bearer(t, child, "GET", fmt.Sprintf("/api/v1/products/%d", p.ID), ""); code != http.StatusOK {
			t.Errorf("child on its product: %d", code)
		}
		// A scoped token cannot mint a "*" token or one with other scopes.
		scoped, _, _ := e.store.CreateToken(ctx, store.TokenRequest{UserID: alice.ID, Name: "acct", Expires: time.Hour,
			Scopes: []identity.Scope{identity.ScopeAccount}})
		for _, sc := range []string{"*", "admin", "account admin"} {
			if code, out := e.bearer(t, scoped, "POST", "/api/v1/tokens", `{"name":"x","expires":"30m","scopes":"`+sc+`"}`); code != http.StatusBadRequest {
				t.Errorf("account-scoped token minted %q: %d %s", sc, code, out)
			}
		}
		// Revoking the parent kills the child.
		if r := e.do(t, e.loginOK(t, "alice"), "DELETE", fmt.Sprintf("/api/v1/tokens/%d", ptok.ID), nil); r.StatusCode != http.StatusNoContent {
			t.Fatalf("revoke parent: %d", r.StatusCode)
		}
		if code, _ := e.bearer(t, child, "GET", fmt.Sprintf("/api/v1/products/%d", p.ID), ""); code != http.StatusUnauthorized {
			t.Errorf("child survived revoking its parent: %d", code)
		}
		// A token manages only itself and its descendants.
		if code, _ := e.bearer(t, scoped, "DELETE", fmt.Sprintf("/api/v1/tokens/%d", ptok.ID+100), ""); code != http.StatusNotFound {
			t.Errorf("token revoked an unrelated token: %d", code)
		}
	})
}

// Defect 1: tokens reached /account/* (and registered a passkey) and the
// password route.
func TestTokensNeverReachAccountRoutes(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		for _, rt := range []struct{ method, path, body string }{
			{"POST", "/account/passkeys/begin", ""},
			{"POST", "/account/totp", ""},
			{"POST", "/account/recovery-codes", ""},
			{"POST", "/account/password", ""},
			{"POST", "/account/tokens", ""},
			{"GET", "/account", ""},
			{"PUT", "/api/v1/me/password", `{"current_password":"correct horse battery staple","new_password":"another long passphrase here"}`},
			{"POST", "/api/v1/auth/logout-everywhere", ""},
		} {
			if code, out := e.bearer(t, e.tokens["admin"], rt.method, rt.path, rt.body); code != http.StatusForbidden {
				t.Errorf("'*' token on %s %s: %d %.200s", rt.method, rt.path, code, out)
			}
		}
	})
}
