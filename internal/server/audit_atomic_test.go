package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/store"
)

// TestIdentityChangesRolledBackWithoutAudit: every identity, admin and
// account change commits in one transaction with its audit record, so when
// the record cannot be written the change does not happen either (before,
// the change stayed and the hash-chained log silently missed it).
func TestIdentityChangesRolledBackWithoutAudit(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		st := e.store
		p := e.storeProduct(t, "Gateway")
		ed, err := st.UserByName(ctx, "ed")
		if err != nil {
			t.Fatal(err)
		}
		alice, _ := st.UserByName(ctx, "alice")
		if err := st.SetMember(ctx, p.ID, ed.ID, identity.ProductRole("viewer")); err != nil {
			t.Fatal(err)
		}
		sess := e.loginOK(t, "alice")
		toks, _ := st.APITokens(ctx, alice.ID)
		count := func(q string, args ...any) int {
			var n int
			if st.Engine() == store.Postgres {
				q = strings.Replace(q, "?", "$1", 1)
			}
			if err := st.DB().QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		sessionsBefore := count(`SELECT COUNT(*) FROM sessions WHERE user_id = ?`, alice.ID)
		invitesBefore := count(`SELECT COUNT(*) FROM setup_tokens`)
		hashBefore := alice.PasswordHash

		// The audit log cannot be appended to.
		if _, err := st.DB().ExecContext(ctx, `ALTER TABLE audit_log RENAME TO audit_log_away`); err != nil {
			t.Fatal(err)
		}
		restored := false
		restore := func() {
			if !restored {
				restored = true
				if _, err := st.DB().ExecContext(ctx, `ALTER TABLE audit_log_away RENAME TO audit_log`); err != nil {
					t.Fatal(err)
				}
			}
		}
		defer restore()

		type req struct {
			method, path string
			body         any
			session      bool
		}
		for _, r := range []req{
			{"POST", "/api/v1/users", map[string]any{"name": "mallory", "role": "admin", "password": "a long and unusual passphrase 7"}, false},
			{"PATCH", fmt.Sprintf("/api/v1/users/%d", ed.ID), map[string]any{"disabled": true}, false},
			{"POST", "/api/v1/invitations", map[string]any{"role": "admin"}, false},
			{"PUT", "/api/v1/settings/security", map[string]any{"require_mfa": "all"}, false},
			{"PUT", fmt.Sprintf("/api/v1/products/%d/members/%d", p.ID, ed.ID), map[string]any{"role": "owner"}, false},
			{"DELETE", fmt.Sprintf("/api/v1/products/%d/members/%d", p.ID, ed.ID), nil, false},
			{"POST", "/api/v1/tokens", map[string]any{"name": "ci", "expires": "30m"}, false},
			{"DELETE", fmt.Sprintf("/api/v1/tokens/%d", toks[0].ID), nil, false},
			{"PUT", "/api/v1/me/password", map[string]any{"current_password": e.password, "new_password": "another long unusual passphrase 8"}, true},
			{"POST", "/api/v1/auth/logout-everywhere", nil, true},
			{"POST", "/api/v1/auth/logout", nil, true},
		} {
			var code int
			if r.session {
				resp := e.do(t, sess, r.method, r.path, r.body)
				resp.Body.Close()
				code = resp.StatusCode
			} else {
				code = e.call(t, "admin", r.method, r.path, r.body, nil).StatusCode
			}
			if code < 500 {
				t.Errorf("%s %s without an audit log: %d, want a 5xx", r.method, r.path, code)
			}
		}
		restore()

		if _, err := st.UserByName(ctx, "mallory"); err == nil {
			t.Error("user created without its audit record")
		}
		if u, _ := st.UserByID(ctx, ed.ID); u.Disabled {
			t.Error("user disabled without its audit record")
		}
		if n := count(`SELECT COUNT(*) FROM setup_tokens`); n != invitesBefore {
			t.Errorf("invitation created without its audit record (%d → %d)", invitesBefore, n)
		}
		if v, _ := st.Setting(ctx, "require_mfa"); v == "all" {
			t.Error("setting changed without its audit record")
		}
		if ms, _ := st.Members(ctx, p.ID, ed.ID); len(ms) != 1 || string(ms[0].Role) != "viewer" {
			t.Errorf("membership changed without its audit record: %+v", ms)
		}
		if after, _ := st.APITokens(ctx, alice.ID); len(after) != len(toks) || after[0].Revoked {
			t.Errorf("tokens changed without an audit record: %d → %d", len(toks), len(after))
		}
		if u, _ := st.UserByID(ctx, alice.ID); u.PasswordHash != hashBefore {
			t.Error("password changed without its audit record")
		}
		if n := count(`SELECT COUNT(*) FROM sessions WHERE user_id = ?`, alice.ID); n != sessionsBefore {
			t.Errorf("sessions ended without an audit record (%d → %d)", sessionsBefore, n)
		}
		// With the log back, a change and its record land together.
		if code := e.call(t, "admin", "PUT", "/api/v1/settings/security", map[string]any{"require_mfa": "admin"}, nil).StatusCode; code != http.StatusOK {
			t.Fatalf("settings: %d", code)
		}
		if n, _, err := st.VerifyAudit(ctx); err != nil || n == 0 {
			t.Errorf("verify: %d %v", n, err)
		}
	})
}
