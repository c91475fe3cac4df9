package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/server"
)

// Defect 1: a product-restricted, short-lived token minted an unrestricted,
// never-expiring one that read /api/v1/users and outlived its parent.
func TestTokenMintsOnlySubsetsOfItself(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		alice, _ := e.store.UserByName(ctx, "alice")
		p := e.storeProduct(t, "Gateway")
		parent, ptok, err := e.store.CreateToken(ctx, identity.TokenRequest{UserID: alice.ID, Name: "ci", Expires: time.Hour,
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
		var info identity.APIToken
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
		scoped, _, _ := e.store.CreateToken(ctx, identity.TokenRequest{UserID: alice.ID, Name: "acct", Expires: time.Hour,
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

// loginFrom signs in through srvURL claiming source ip in X-Forwarded-For.
func loginFrom(t *testing.T, srvURL, ip, name, password string) int {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"name": name, "password": password})
	req, _ := http.NewRequest("POST", srvURL+"/api/v1/auth/login", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	if ip != "" {
		req.Header.Set("X-Forwarded-For", ip)
	}
	resp, _ := send(t, nil, req)
	return resp.StatusCode
}

func proxiedServer(t *testing.T, e *env) string {
	srv := server.New(server.Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}},
		e.store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts.URL
}

// Defect 3: 50 parallel wrong passwords were all evaluated (the policy
// allows 5 free ones): the throttle decision was a read before the check.
func TestParallelSignInsAreThrottledAtomically(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		codes := make(chan int, 50)
		var wg sync.WaitGroup
		for range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes <- loginFrom(t, e.url, "", "ed", "not the password at all")
			}()
		}
		wg.Wait()
		close(codes)
		count := map[int]int{}
		for c := range codes {
			count[c]++
		}
		// At most FreeAttempts+1 guesses are evaluated (the one that starts
		// the back-off); every other answer is 429.
		if limit := identity.DefaultSignInPolicy.FreeAttempts + 1; count[401] > limit || count[401] == 0 || count[401]+count[429] != 50 {
			t.Errorf("50 parallel wrong passwords: %v, want at most %d evaluated (401) and the rest 429", count, limit)
		}
	})
}

// Defect 9: six wrong passwords from anywhere made the right one answer 429
// for everyone; behind a proxy the per-address back-off became global.
func TestOneSourceCannotLockOutAnother(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		url := proxiedServer(t, e)
		for range 12 {
			loginFrom(t, url, "203.0.113.5", "ed", "not the password at all")
		}
		if c := loginFrom(t, url, "203.0.113.5", "ed", e.password); c != http.StatusTooManyRequests {
			t.Errorf("attacker's own source after 12 failures: %d, want 429", c)
		}
		if c := loginFrom(t, url, "198.51.100.7", "ed", e.password); c != http.StatusOK {
			t.Errorf("owner from another source after an attacker's 12 failures: %d, want 200", c)
		}
		// The per-account ceiling still applies over all sources.
		if _, err := e.store.DB().Exec(`UPDATE auth_failures SET failures = 100 WHERE key = 'user:vic'`); err != nil {
			t.Fatal(err)
		}
		if _, err := e.store.DB().Exec(`INSERT INTO auth_failures (key, failures, until) VALUES ('user:vic', 100, '2000-01-01T00:00:00.000000Z')`); err != nil && !strings.Contains(err.Error(), "UNIQUE") && !strings.Contains(err.Error(), "duplicate") {
			t.Fatal(err)
		}
		if c := loginFrom(t, url, "198.51.100.8", "vic", e.password); c != http.StatusTooManyRequests {
			t.Errorf("account at the 100-failure ceiling: %d, want 429 (locked)", c)
		}
	})
}

// Without a trusted proxy, X-Forwarded-For is the client's own claim and
// is ignored: rotating it does not escape the throttle.
func TestForwardedForIgnoredWithoutTrustedProxy(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		for i := range 8 {
			loginFrom(t, e.url, fmt.Sprintf("192.0.2.%d", i+1), "ed", "not the password at all")
		}
		if c := loginFrom(t, e.url, "192.0.2.99", "ed", e.password); c != http.StatusTooManyRequests {
			t.Errorf("rotating X-Forwarded-For escaped the throttle: %d", c)
		}
	})
}

// Defect 10: PUT /api/v1/me/password was an unthrottled oracle whose error
// said whether the current password was right.
func TestPasswordChangeIsNoOracle(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		s := e.loginOK(t, "ed")
		problem := func(r *http.Response) (int, string) {
			var p struct{ Field, Detail string }
			json.NewDecoder(r.Body).Decode(&p)
			return r.StatusCode, p.Field
		}
		// A weak new password is refused before the current one is looked
		// at: the same answer whether the current one is right or not.
		for _, cur := range []string{e.password, "wrong guess number one"} {
			if code, field := problem(e.do(t, s, "PUT", "/api/v1/me/password", map[string]string{"current_password": cur, "new_password": "short"})); code != 400 || field != "new_password" {
				t.Errorf("weak new password with current %q: %d %s", cur, code, field)
			}
		}
		// Wrong guesses are throttled like sign-ins.
		var last int
		for i := range 8 {
			last, _ = problem(e.do(t, s, "PUT", "/api/v1/me/password", map[string]string{"current_password": fmt.Sprintf("wrong guess %d of many", i), "new_password": "a long and fresh passphrase"}))
		}
		if last != http.StatusTooManyRequests {
			t.Errorf("8 wrong current passwords: last answer %d, want 429", last)
		}
	})
}

// Defect 6: /login?next=/%09/evil ended on another origin.
func TestSignInRedirectStaysOnOrigin(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		s := e.loginOK(t, "ed")
		for _, next := range []string{"/%09/evil.example", "/%5Cevil.example", "//evil.example", "/%0A/evil.example", "https://evil.example"} {
			req, _ := http.NewRequest("GET", e.url+"/login?next="+next, nil)
			req.AddCookie(s.cookie)
			resp, _ := send(t, noRedirect, req)
			if loc := resp.Header.Get("Location"); loc != "/" {
				t.Errorf("next=%s: redirected to %q, want /", next, loc)
			}
		}
	})
}

// Defect 4: second factors changed with a session alone. A session older
// than five minutes must re-enter its password first.
func TestSecondFactorChangesNeedRecentAuthentication(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		s := e.loginOK(t, "ed")
		// Age the session's proof of identity past the window.
		if _, err := e.store.DB().Exec(`UPDATE sessions SET auth_at = '2000-01-01T00:00:00.000000Z'`); err != nil {
			t.Fatal(err)
		}
		post := func(path, form string) *http.Response {
			req, _ := http.NewRequest("POST", e.url+path, strings.NewReader(form))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.AddCookie(s.cookie)
			req.Header.Set("X-CSRF-Token", s.csrf)
			resp, _ := send(t, noRedirect, req)
			return resp
		}
		for _, path := range []string{"/account/totp", "/account/recovery-codes", "/account/passkeys/begin", "/account/passkeys/1/delete"} {
			if r := post(path, ""); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/account?reauth=required" {
				t.Errorf("%s with a stale session: %d %s, want a redirect to re-authenticate", path, r.StatusCode, r.Header.Get("Location"))
			}
		}
		if r := post("/account/reauth", "password=wrong+password+guess"); r.StatusCode == http.StatusSeeOther {
			t.Error("re-authentication with a wrong password succeeded")
		}
		if r := post("/account/reauth", "password="+strings.ReplaceAll(e.password, " ", "+")); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("re-authentication: %d", r.StatusCode)
		}
		if r := post("/account/totp", ""); r.StatusCode != http.StatusOK {
			t.Errorf("TOTP enrolment after re-authentication: %d %s", r.StatusCode, r.Header.Get("Location"))
		}
		evs, _ := e.store.AuditEvents(context.Background(), audit.Query{Action: "auth.reauth"})
		if len(evs) != 2 {
			t.Errorf("%d re-authentication audit events, want 2 (one failed, one ok)", len(evs))
		}
	})
}

// Defect 4: an attacker's passkey survived a password change that signed
// out everywhere; the change now removes passkeys unless the user keeps
// them, and offers to revoke every API token.
func TestPasswordChangeDropsPasskeysAndOffersTokenRevocation(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		vic, _ := e.store.UserByName(ctx, "vic")
		addPasskey := func(cred string) {
			if err := e.store.AddPasskey(ctx, &identity.Passkey{UserID: vic.ID, Credential: cred, Name: "attacker's", Data: "{}"}); err != nil {
				t.Fatal(err)
			}
		}
		addPasskey("cred-1")
		cookie, csrf, err := e.store.CreateSession(ctx, vic.ID, "127.0.0.1", "test") // passkey accounts sign in with the browser
		if err != nil {
			t.Fatal(err)
		}
		s := &session{cookie: &http.Cookie{Name: "rampart_session", Value: cookie}, csrf: csrf}
		next := "a long enough new passphrase"
		if r := e.do(t, s, "PUT", "/api/v1/me/password", map[string]any{"current_password": e.password, "new_password": next, "keep_passkeys": true}); r.StatusCode != 204 {
			t.Fatalf("change keeping passkeys: %d", r.StatusCode)
		}
		if pk, _ := e.store.Passkeys(ctx, vic.ID); len(pk) != 1 {
			t.Errorf("kept passkeys: %d, want 1", len(pk))
		}
		if r := e.do(t, s, "PUT", "/api/v1/me/password", map[string]any{"current_password": next, "new_password": "yet another long passphrase", "revoke_tokens": true}); r.StatusCode != 204 {
			t.Fatalf("change: %d", r.StatusCode)
		}
		if pk, _ := e.store.Passkeys(ctx, vic.ID); len(pk) != 0 {
			t.Errorf("passkeys after a password change: %d, want 0", len(pk))
		}
		if r := e.call(t, "viewer", "GET", "/api/v1/me", nil, nil); r.StatusCode != http.StatusUnauthorized {
			t.Errorf("vic's token after a change with revoke_tokens: %d, want 401", r.StatusCode)
		}
	})
}
