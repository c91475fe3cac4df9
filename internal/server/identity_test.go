package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/server"
	"github.com/rampart-security/rampart/internal/store"
)

func enrolTOTP(t *testing.T, st *store.Store, name string) (secret string, recovery []string) {
	t.Helper()
	ctx := context.Background()
	u, err := st.UserByName(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	key, err := identity.NewTOTPKey(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetTOTPPending(ctx, u.ID, key.Secret()); err != nil {
		t.Fatal(err)
	}
	plain, hashes := identity.NewRecoveryCodes()
	// Confirmed with an old step, so the current code is still unused.
	if err := st.EnableTOTP(ctx, u.ID, key.Secret(), 1, hashes); err != nil {
		t.Fatal(err)
	}
	return key.Secret(), plain
}

func TestTOTPSignIn(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		secret, recovery := enrolTOTP(t, e.store, "vic")
		if r, _ := e.login(t, "", "vic", e.password, ""); r.StatusCode != 401 {
			t.Errorf("password only, TOTP on: %d, want 401", r.StatusCode)
		}
		if r, _ := e.login(t, "", "vic", e.password, "000000"); r.StatusCode != 401 {
			t.Errorf("wrong code: %d", r.StatusCode)
		}
		code, _ := identity.TOTPCodeAt(secret, time.Now(), otp.DigitsSix, otp.AlgorithmSHA1)
		if r, s := e.login(t, "", "vic", e.password, code); r.StatusCode != 200 || s == nil {
			t.Fatalf("right code: %d", r.StatusCode)
		}
		if r, _ := e.login(t, "", "vic", e.password, code); r.StatusCode != 401 {
			t.Errorf("replayed code: %d, want 401", r.StatusCode)
		}
		if r, _ := e.login(t, "", "vic", e.password, strings.ToUpper(recovery[0])); r.StatusCode != 200 {
			t.Errorf("recovery code: %d", r.StatusCode)
		}
		if r, _ := e.login(t, "", "vic", e.password, recovery[0]); r.StatusCode != 401 {
			t.Errorf("recovery code reused: %d, want 401", r.StatusCode)
		}
		if r, _ := e.login(t, "", "vic", "wrong password entirely", recovery[1]); r.StatusCode != 401 {
			t.Errorf("recovery code with wrong password: %d", r.StatusCode)
		}
		events, _ := e.store.AuditEvents(context.Background(), audit.Query{Actor: "vic"})
		var ok, failed, used int
		for _, ev := range events {
			switch ev.Action {
			case audit.ActionSignIn:
				ok++
			case audit.ActionSignInFailed:
				failed++
			case audit.ActionRecoveryUsed:
				used++
			}
		}
		if ok != 2 || failed != 5 || used != 1 {
			t.Errorf("audit: %d sign-ins, %d failures, %d recovery uses; want 2, 5, 1", ok, failed, used)
		}
	})
}

// TestThrottleSharedAndLock: failure counters live in the database, so a
// second server on the same database sees them; after 100 consecutive
// failures the account locks until an administrator re-enables it.
func TestThrottleSharedAndLock(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		other := httptest.NewServer(server.New(server.Config{}, e.store, slog.New(slog.NewTextHandler(io.Discard, nil))).Handler())
		defer other.Close()
		for range 6 {
			e.login(t, "", "ed", "not the password", "")
		}
		r, _ := e.login(t, other.URL, "ed", e.password, "")
		if r.StatusCode != 429 || r.Header.Get("Retry-After") == "" {
			t.Errorf("second server after 6 failures: %d Retry-After %q, want 429", r.StatusCode, r.Header.Get("Retry-After"))
		}
		// Unknown users are throttled the same way (no enumeration).
		for range 6 {
			e.login(t, "", "nobody-here", "not the password", "")
		}
		if r, _ := e.login(t, "", "nobody-here", "x", ""); r.StatusCode != 429 {
			t.Errorf("unknown user after 6 failures: %d, want 429 like a real one", r.StatusCode)
		}
		// Lock: 100 consecutive failures (set directly; waiting out the
		// back-off would take hours).
		if _, err := e.store.DB().Exec(q(e.store, `UPDATE auth_failures SET failures = 100, until = '2000-01-01T00:00:00.000000Z' WHERE key = 'user:ed'`)); err != nil {
			t.Fatal(err)
		}
		r, _ = e.login(t, "", "ed", e.password, "")
		var prob struct{ Detail string }
		json.NewDecoder(r.Body).Decode(&prob)
		if r.StatusCode != 429 {
			t.Fatalf("locked account with the right password: %d", r.StatusCode)
		}
		ed, _ := e.store.UserByName(context.Background(), "ed")
		enable := false
		if resp := e.call(t, "admin", "PATCH", fmt.Sprintf("/api/v1/users/%d", ed.ID), map[string]any{"disabled": enable}, nil); resp.StatusCode != 200 {
			t.Fatalf("admin unlock: %d", resp.StatusCode)
		}
		if r, _ := e.login(t, "", "ed", e.password, ""); r.StatusCode != 200 {
			t.Errorf("after unlock: %d", r.StatusCode)
		}
	})
}

func q(s *store.Store, query string) string {
	if s.Engine() != store.Postgres {
		return query
	}
	return query // no placeholders in the statements used here
}

func TestTokenScopesAndProductRestriction(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		a, b := e.storeProduct(t, "Alpha"), e.storeProduct(t, "Beta")
		relB := e.storeRelease(t, b.ID, "1")
		ed, _ := e.store.UserByName(ctx, "ed")
		tok, info, err := e.store.CreateScopedToken(ctx, ed.ID, "ci", time.Hour, []identity.Scope{identity.ScopeSBOMWrite, identity.ScopeProductsRead}, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		e.tokens["ci"] = tok
		var list struct {
			Items []inventory.Product `json:"items"`
		}
		if r := e.call(t, "ci", "GET", "/api/v1/products", nil, &list); r.StatusCode != 200 || len(list.Items) != 1 || list.Items[0].ID != b.ID {
			t.Errorf("product-restricted token lists %d %+v, want only Beta", r.StatusCode, list.Items)
		}
		if r := e.call(t, "ci", "GET", fmt.Sprintf("/api/v1/products/%d", a.ID), nil, nil); r.StatusCode != 404 {
			t.Errorf("other product: %d, want 404", r.StatusCode)
		}
		if r := e.call(t, "ci", "POST", fmt.Sprintf("/api/v1/releases/%d/sbom", relB.ID), gatewaySBOM(t), nil); r.StatusCode != 200 {
			t.Errorf("sbom:write on its product: %d", r.StatusCode)
		}
		if r := e.call(t, "ci", "GET", fmt.Sprintf("/api/v1/releases/%d/sbom", relB.ID), nil, nil); r.StatusCode != 403 {
			t.Errorf("sbom:read without the scope: %d, want 403", r.StatusCode)
		}
		if r := e.call(t, "ci", "POST", "/api/v1/tokens", map[string]string{"name": "escalate"}, nil); r.StatusCode != 403 {
			t.Errorf("scoped token creating tokens: %d, want 403", r.StatusCode)
		}
		// A product-restricted token cannot use server administration,
		// even an admin's with the admin scope.
		alice, _ := e.store.UserByName(ctx, "alice")
		adm, _, _ := e.store.CreateScopedToken(ctx, alice.ID, "scoped-admin", time.Hour, []identity.Scope{identity.ScopeAdmin}, b.ID)
		e.tokens["scoped-admin"] = adm
		if r := e.call(t, "scoped-admin", "GET", "/api/v1/users", nil, nil); r.StatusCode != 403 {
			t.Errorf("product-restricted admin token on /users: %d, want 403", r.StatusCode)
		}
		if r := e.call(t, "scoped-admin", "GET", fmt.Sprintf("/api/v1/products/%d/members", b.ID), nil, nil); r.StatusCode != 200 {
			t.Errorf("product-restricted admin token on its product's members: %d", r.StatusCode)
		}
		// Listed with scopes, product and last use; revocable.
		var toks struct {
			Items []identity.APIToken `json:"items"`
		}
		s := e.loginOK(t, "ed")
		r := e.do(t, s, "GET", "/api/v1/tokens", nil)
		json.NewDecoder(r.Body).Decode(&toks)
		var found *identity.APIToken
		for i := range toks.Items {
			if toks.Items[i].ID == info.ID {
				found = &toks.Items[i]
			}
		}
		if found == nil || found.ProductID != b.ID || len(found.Scopes) != 2 || found.LastUsedAt == nil {
			t.Fatalf("token listing: %+v", found)
		}
		if r := e.do(t, s, "DELETE", fmt.Sprintf("/api/v1/tokens/%d", info.ID), nil); r.StatusCode != 204 {
			t.Fatalf("revoke: %d", r.StatusCode)
		}
		if r := e.call(t, "ci", "GET", "/api/v1/products", nil, nil); r.StatusCode != 401 {
			t.Errorf("revoked token: %d", r.StatusCode)
		}
		// The SBOM import was audited with the product and the token that acted.
		evs, _ := e.store.AuditEvents(ctx, audit.Query{Action: audit.ActionSBOMImport})
		if len(evs) != 1 || evs[0].ProductID != b.ID || !strings.HasPrefix(evs[0].Actor, "ed (token ") {
			t.Errorf("sbom import audit: %+v", evs)
		}
	})
}

func TestPasswordChangeAndSignOutEverywhere(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		s1, s2 := e.loginOK(t, "vic"), e.loginOK(t, "vic")
		if r := e.do(t, s1, "PUT", "/api/v1/me/password", map[string]string{"current_password": e.password, "new_password": "1qaz2wsx3edc4rfv"}); r.StatusCode != 400 {
			t.Errorf("short-list password: %d", r.StatusCode)
		}
		if r := e.do(t, s1, "PUT", "/api/v1/me/password", map[string]string{"current_password": "wrong", "new_password": "a long enough new passphrase"}); r.StatusCode != 400 {
			t.Errorf("wrong current password: %d", r.StatusCode)
		}
		if r := e.do(t, s1, "PUT", "/api/v1/me/password", map[string]string{"current_password": e.password, "new_password": "a long enough new passphrase"}); r.StatusCode != 204 {
			t.Fatalf("change: %d", r.StatusCode)
		}
		if r := e.do(t, s1, "GET", "/api/v1/me", nil); r.StatusCode != 200 {
			t.Errorf("the changing session: %d, want kept", r.StatusCode)
		}
		if r := e.do(t, s2, "GET", "/api/v1/me", nil); r.StatusCode != 401 {
			t.Errorf("other session after password change: %d, want 401", r.StatusCode)
		}
		r, s3 := e.login(t, "", "vic", "a long enough new passphrase", "")
		if r.StatusCode != 200 {
			t.Fatalf("new password: %d", r.StatusCode)
		}
		if r := e.do(t, s3, "POST", "/api/v1/auth/logout-everywhere", nil); r.StatusCode != 200 {
			t.Fatalf("logout everywhere: %d", r.StatusCode)
		}
		for i, s := range []*session{s1, s3} {
			if r := e.do(t, s, "GET", "/api/v1/me", nil); r.StatusCode != 401 {
				t.Errorf("session %d after sign-out everywhere: %d", i, r.StatusCode)
			}
		}
	})
}

func TestRequireMFA(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		if r := e.call(t, "admin", "PUT", "/api/v1/settings/security", map[string]string{"require_mfa": "editor, bogus"}, nil); r.StatusCode != 400 {
			t.Errorf("bad setting: %d", r.StatusCode)
		}
		if r := e.call(t, "admin", "PUT", "/api/v1/settings/security", map[string]string{"require_mfa": "editor"}, nil); r.StatusCode != 200 {
			t.Fatalf("setting: %d", r.StatusCode)
		}
		s := e.loginOK(t, "ed")
		if r := e.do(t, s, "GET", "/api/v1/products", nil); r.StatusCode != 403 {
			t.Errorf("editor without MFA: %d, want 403", r.StatusCode)
		}
		if r := e.do(t, s, "GET", "/api/v1/me", nil); r.StatusCode != 200 {
			t.Errorf("account route without MFA: %d", r.StatusCode)
		}
		if r := e.do(t, e.loginOK(t, "vic"), "GET", "/api/v1/products", nil); r.StatusCode != 200 {
			t.Errorf("viewer (not required): %d", r.StatusCode)
		}
		secret, _ := enrolTOTP(t, e.store, "ed")
		code, _ := identity.TOTPCodeAt(secret, time.Now(), otp.DigitsSix, otp.AlgorithmSHA1)
		_, s = e.login(t, "", "ed", e.password, code)
		if r := e.do(t, s, "GET", "/api/v1/products", nil); r.StatusCode != 200 {
			t.Errorf("editor with MFA: %d", r.StatusCode)
		}
	})
}

// TestFindingsScopedAndAudited: scan imports and risk acceptances are
// audited with their product; a user limited to another product sees none
// of the findings and cannot triage them.
func TestFindingsScopedAndAudited(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		a, b := e.storeProduct(t, "Alpha"), e.storeProduct(t, "Beta")
		rel := e.storeRelease(t, a.ID, "1")
		if r := e.call(t, "editor", "POST", fmt.Sprintf("/api/v1/releases/%d/scans?filename=a.sarif", rel.ID), []byte(oneFindingSARIF), nil); r.StatusCode != 200 && r.StatusCode != 201 {
			t.Fatalf("scan import: %d", r.StatusCode)
		}
		var list struct {
			Items []struct {
				ID int64 `json:"id"`
			} `json:"items"`
		}
		e.call(t, "viewer", "GET", "/api/v1/findings", nil, &list)
		if len(list.Items) != 1 {
			t.Fatalf("findings visible to a global viewer: %d", len(list.Items))
		}
		fid := list.Items[0].ID

		// otto owns only Beta.
		otto := identity.User{Name: "otto", Role: identity.RoleViewer, ProductsOnly: true, PasswordHash: "x"}
		e.store.CreateUser(ctx, &otto)
		e.store.SetMember(ctx, b.ID, otto.ID, identity.ProductOwner)
		tok, _, _ := e.store.CreateAPIToken(ctx, otto.ID, "t", time.Hour)
		e.tokens["otto"] = tok
		var none struct {
			Items []json.RawMessage `json:"items"`
		}
		e.call(t, "otto", "GET", "/api/v1/findings", nil, &none)
		if len(none.Items) != 0 {
			t.Errorf("other product's owner lists %d findings", len(none.Items))
		}
		if r := e.call(t, "otto", "GET", fmt.Sprintf("/api/v1/findings/%d", fid), nil, nil); r.StatusCode != 404 {
			t.Errorf("other product's finding: %d, want 404", r.StatusCode)
		}
		accept := map[string]any{"ids": []int64{fid}, "status": "risk_accepted", "reason": "mitigated by network isolation",
			"accepted_until": time.Now().AddDate(0, 3, 0).Format("2006-01-02"), "approver": "alice"}
		if r := e.call(t, "otto", "POST", "/api/v1/findings/triage", accept, nil); r.StatusCode != 404 {
			t.Errorf("other product's owner triaging: %d, want 404", r.StatusCode)
		}
		if r := e.call(t, "viewer", "POST", "/api/v1/findings/triage", accept, nil); r.StatusCode != 403 {
			t.Errorf("global viewer triaging: %d, want 403", r.StatusCode)
		}
		// The approver is a real user other than the requester who may
		// approve on the product, and the acceptance ends within a year.
		for name, change := range map[string]map[string]any{
			"unknown approver":      {"approver": "ciso"},
			"self-approval":         {"approver": "ed"},
			"approver without role": {"approver": "vic"},
			"more than a year":      {"accepted_until": time.Now().AddDate(2, 0, 0).Format("2006-01-02")},
		} {
			bad := map[string]any{}
			for k, v := range accept {
				bad[k] = v
			}
			for k, v := range change {
				bad[k] = v
			}
			if r := e.call(t, "editor", "POST", "/api/v1/findings/triage", bad, nil); r.StatusCode != 400 {
				t.Errorf("%s: %d, want 400", name, r.StatusCode)
			}
		}
		if r := e.call(t, "editor", "POST", "/api/v1/findings/triage", accept, nil); r.StatusCode != 200 {
			t.Fatalf("editor accepting the risk: %d", r.StatusCode)
		}
		for _, action := range []string{"scan.import", "finding.risk_accepted"} {
			evs, _ := e.store.AuditEvents(ctx, audit.Query{Action: action})
			if len(evs) != 1 || evs[0].ProductID != a.ID || !strings.HasPrefix(evs[0].Actor, "ed (token ") {
				t.Errorf("%s audit: %+v", action, evs)
			}
		}
		if n, _, err := e.store.VerifyAudit(ctx); err != nil || n < 2 {
			t.Errorf("audit chain: %d %v", n, err)
		}
	})
}
