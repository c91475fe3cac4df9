package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/store"
)

// oneFindingSARIF is a minimal SARIF report with one finding.
const oneFindingSARIF = `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"CodeQL","rules":[{"id":"r1"}]}},
	"results":[{"ruleId":"r1","level":"error","message":{"text":"SQL injection"},
	"locations":[{"physicalLocation":{"artifactLocation":{"uri":"src/a.c"},"region":{"startLine":3}}}]}]}]}`

// findingOn imports one SARIF finding into a new release of product pid
// and returns its id.
func findingOn(t *testing.T, st *store.Store, pid int64) int64 {
	t.Helper()
	rel := inventory.Release{ProductID: pid, Version: "1.0"}
	if err := st.CreateRelease(context.Background(), &rel); err != nil {
		t.Fatal(err)
	}
	return importOneFinding(t, st, rel.ID)
}

// importOneFinding imports oneFindingSARIF into the release and returns
// the finding's id.
func importOneFinding(t *testing.T, st *store.Store, releaseID int64) int64 {
	t.Helper()
	ctx := context.Background()
	if _, err := portfolio.ImportScan(ctx, st, portfolio.ScanRequest{ReleaseID: releaseID, FileName: "a.sarif", Report: strings.NewReader(oneFindingSARIF)}); err != nil {
		t.Fatal(err)
	}
	fs, _, err := st.Findings(ctx, findings.Query{ReleaseID: releaseID, Limit: 10})
	if err != nil || len(fs) != 1 {
		t.Fatalf("fixture finding: %d %v", len(fs), err)
	}
	return fs[0].ID
}

func lastEvent(t *testing.T, st *store.Store, action string) audit.Event {
	t.Helper()
	evs, err := st.AuditEvents(context.Background(), audit.Query{Action: action, Limit: 1})
	if err != nil || len(evs) == 0 {
		t.Fatalf("no %s audit event (%v)", action, err)
	}
	return evs[0]
}

// Issue 11 (low): a risk acceptance names a real, enabled approver other
// than the requester who may approve on the product, and lasts no longer
// than the product's maximum (a product setting, API and UI; a year by
// default).
func TestRiskAcceptanceApproverAndProductMaximum(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		a := e.storeProduct(t, "Alpha")
		fid := findingOn(t, e.store, a.ID)
		olga := e.userWithToken(t, "olga", a.ID, identity.ProductOwner)
		gone := identity.User{Name: "gone", Role: identity.RoleAdmin, PasswordHash: "x"}
		if err := e.store.CreateUser(ctx, &gone); err != nil {
			t.Fatal(err)
		}
		disabled := true
		if err := e.store.UpdateUser(ctx, gone.ID, identity.UserUpdate{Disabled: &disabled}); err != nil {
			t.Fatal(err)
		}
		until := func(days int) string { return time.Now().AddDate(0, 0, days).Format("2006-01-02") }
		accept := func(approver string, days int) *http.Response {
			return e.call(t, "editor", "POST", "/api/v1/findings/triage", map[string]any{"ids": []int64{fid}, "status": "risk_accepted",
				"reason": "not reachable", "accepted_until": until(days), "approver": approver}, nil)
		}
		if r := accept("gone", 30); r.StatusCode != 400 {
			t.Errorf("disabled approver: %d, want 400", r.StatusCode)
		}
		if r := accept("olga", 300); r.StatusCode != 200 {
			t.Fatalf("owner approving 300 days under the default maximum: %d", r.StatusCode)
		}

		// The maximum is the owner's to set, not an editor's.
		path := fmt.Sprintf("/api/v1/products/%d/risk-acceptance", a.ID)
		if r := e.call(t, "editor", "PUT", path, map[string]int{"max_days": 366}, nil); r.StatusCode != 403 {
			t.Errorf("editor setting the maximum: %d, want 403", r.StatusCode)
		}
		if r := e.call(t, "olga", "PUT", path, map[string]int{"max_days": 400}, nil); r.StatusCode != 400 {
			t.Errorf("maximum beyond a year: %d, want 400", r.StatusCode)
		}
		if r := e.call(t, "olga", "PUT", path, map[string]int{"max_days": 30}, nil); r.StatusCode != 200 {
			t.Fatalf("owner setting 30 days: %d", r.StatusCode)
		}
		var got struct {
			MaxDays       int `json:"max_days"`
			EffectiveDays int `json:"effective_days"`
		}
		if e.call(t, "viewer", "GET", path, nil, &got); got.MaxDays != 30 || got.EffectiveDays != 30 {
			t.Errorf("GET %s: %+v", path, got)
		}
		ev := lastEvent(t, e.store, audit.ActionMaxAcceptance)
		if ev.ProductID != a.ID || ev.Detail != "max_days 0 -> 30" || !strings.HasPrefix(ev.Actor, "olga (token ") {
			t.Errorf("maximum change audit: %+v", ev)
		}
		if r := accept("olga", 60); r.StatusCode != 400 || !strings.Contains(readBody(r), "30 days") {
			t.Errorf("60 days over a 30-day maximum: %d, want 400 naming the maximum", r.StatusCode)
		}
		if r := accept("olga", 30); r.StatusCode != 200 {
			t.Errorf("30 days at the maximum: %d", r.StatusCode)
		}

		// The UI form: the owner sets it, an editor may not.
		post := func(s *session, days string) *http.Response {
			return e.postForm(t, s, fmt.Sprintf("/products/%d/risk-acceptance", a.ID), url.Values{"max_days": {days}})
		}
		if r := post(e.loginOK(t, "ed"), "300"); r.StatusCode != 403 {
			t.Errorf("editor's form: %d, want 403", r.StatusCode)
		}
		admin := e.loginOK(t, "alice")
		if r := post(admin, "14"); r.StatusCode != http.StatusSeeOther || !strings.Contains(r.Header.Get("Location"), "flash=") {
			t.Errorf("admin's form: %d %s", r.StatusCode, r.Header.Get("Location"))
		}
		if d, _ := e.store.ProductMaxAcceptance(ctx, a.ID); d != 14 {
			t.Errorf("after the form: %d days, want 14", d)
		}
		if r := post(admin, "999"); r.StatusCode != http.StatusSeeOther || !strings.Contains(r.Header.Get("Location"), "error=") {
			t.Errorf("form beyond a year: %d %s", r.StatusCode, r.Header.Get("Location"))
		}
		page := e.do(t, admin, "GET", fmt.Sprintf("/products/%d", a.ID), nil)
		if body := readBody(page); !strings.Contains(body, "at most <strong>14 days</strong>") || !strings.Contains(body, `id="risk-acceptance"`) {
			t.Errorf("product page does not show the 14-day maximum and its form")
		}
		_ = olga
	})
}

// Issue 11 (low): SLA and assignee changes are audited, naming the token
// that acted.
func TestSLAAndAssigneeChangesAudited(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		a := e.storeProduct(t, "Alpha")
		fid := findingOn(t, e.store, a.ID)
		if r := e.call(t, "editor", "PUT", fmt.Sprintf("/api/v1/products/%d/sla", a.ID), map[string]int{"critical": 3, "high": 14, "medium": 60, "low": 90}, nil); r.StatusCode != 200 {
			t.Fatalf("PUT sla: %d", r.StatusCode)
		}
		ev := lastEvent(t, e.store, audit.ActionSLAChange)
		if ev.ProductID != a.ID || !strings.HasPrefix(ev.Actor, "ed (token ") ||
			ev.Detail != "from critical 7d, high 30d, medium 90d, low 120d, info 0d to critical 3d, high 14d, medium 60d, low 90d, info 0d" {
			t.Errorf("SLA audit: %+v", ev)
		}
		if r := e.call(t, "editor", "POST", "/api/v1/findings/triage", map[string]any{"ids": []int64{fid}, "assignee": "bob"}, nil); r.StatusCode != 200 {
			t.Fatalf("assign: %d", r.StatusCode)
		}
		ev = lastEvent(t, e.store, "finding.assign")
		if ev.ProductID != a.ID || !strings.HasPrefix(ev.Actor, "ed (token ") || !strings.Contains(ev.Detail, `assignee "bob"`) {
			t.Errorf("assignment audit: %+v", ev)
		}
	})
}

// Issue 11 (low): every failed authorisation of a signed-in caller is
// audited (authz.denied) with the route and reason, naming the token when
// a token acted: guard denials (role, scope, session-only, product),
// re-authentication, CSRF, and a handler's own refusal.
func TestFailedAuthorisationsAudited(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		a, b := inventory.Product{Name: "Alpha"}, inventory.Product{Name: "Beta"}
		for _, p := range []*inventory.Product{&a, &b} {
			if err := e.store.CreateProduct(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
		fid := findingOn(t, e.store, a.ID)
		e.userWithToken(t, "otto", b.ID, identity.ProductOwner)
		pia := e.userWithToken(t, "pia", a.ID, identity.ProductViewer)
		if err := e.store.SetMember(ctx, b.ID, pia.ID, identity.ProductOwner); err != nil {
			t.Fatal(err)
		}
		alice, _ := e.store.UserByName(ctx, "alice")
		scoped, tok, err := e.store.CreateToken(ctx, identity.TokenRequest{UserID: alice.ID, Name: "reader", Expires: time.Hour, Scopes: []identity.Scope{identity.ScopeFindingsRead}})
		if err != nil {
			t.Fatal(err)
		}
		e.tokens["scoped"] = scoped
		ed := e.loginOK(t, "ed")
		type want struct{ actor, object, detail string }
		cases := []struct {
			name string
			do   func() int
			want want
		}{
			{"role", func() int { return e.call(t, "viewer", "GET", "/api/v1/users", nil, nil).StatusCode },
				want{"vic (token ", "GET /api/v1/users", "403 your role viewer"}},
			{"scope", func() int {
				return e.call(t, "scoped", "PUT", fmt.Sprintf("/api/v1/products/%d/sla", a.ID), map[string]int{"critical": 1}, nil).StatusCode
			}, want{fmt.Sprintf("alice (token %d reader)", tok.ID), "PUT /api/v1/products/{id}/sla", "403 this API token lacks the scope"}},
			{"session-only", func() int { code, _ := e.bearer(t, e.tokens["admin"], "GET", "/account", ""); return code },
				want{"alice (token ", "GET /account", "403 API tokens cannot use this route"}},
			{"another product", func() int {
				return e.call(t, "otto", "GET", fmt.Sprintf("/api/v1/products/%d", a.ID), nil, nil).StatusCode
			},
				want{"otto (token ", "GET /api/v1/products/{id}", "404 not found"}},
			{"handler", func() int {
				return e.call(t, "pia", "POST", "/api/v1/findings/triage", map[string]any{"ids": []int64{fid}, "assignee": "x"}, nil).StatusCode
			}, want{"pia (token ", "POST /api/v1/findings/triage", "403 refused by the handler"}},
			{"csrf", func() int {
				req := e.request(t, "POST", "/api/v1/auth/logout", nil)
				req.AddCookie(ed.cookie)
				resp, _ := send(t, nil, req)
				return resp.StatusCode
			}, want{"ed", "POST /api/v1/auth/logout", "403 missing or invalid CSRF token"}},
			{"re-authentication", func() int {
				if _, err := e.store.DB().Exec(`UPDATE sessions SET auth_at = '2000-01-01T00:00:00.000000Z'`); err != nil {
					t.Fatal(err)
				}
				return e.do(t, ed, "POST", "/account/recovery-codes", nil).StatusCode
			}, want{"ed", "POST /account/recovery-codes", "403 re-authentication required"}},
		}
		for _, c := range cases {
			code := c.do()
			if code != 403 && code != 404 && code != 200 { // the UI re-authentication answer ends on the account page
				t.Errorf("%s: %d, want a refusal", c.name, code)
			}
			ev := lastEvent(t, e.store, audit.ActionDenied)
			if !strings.HasPrefix(ev.Actor, c.want.actor) || ev.Object != c.want.object || !strings.HasPrefix(ev.Detail, c.want.detail) ||
				ev.Outcome != audit.Failed || ev.Source == "" {
				t.Errorf("%s: audit event %+v, want actor %q, object %q, detail %q…", c.name, ev, c.want.actor, c.want.object, c.want.detail)
			}
			if c.name == "another product" && ev.ProductID != 0 {
				t.Errorf("the denial names the product the caller may not see: %+v", ev)
			}
		}
		// Anonymous callers are not audited (they could fill the log).
		n := len(must(e.store.AuditEvents(ctx, audit.Query{Action: audit.ActionDenied, Limit: -1})))
		e.call(t, "", "GET", "/api/v1/users", nil, nil)
		if m := len(must(e.store.AuditEvents(ctx, audit.Query{Action: audit.ActionDenied, Limit: -1}))); m != n {
			t.Errorf("an anonymous 401 was audited: %d → %d events", n, m)
		}
	})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
