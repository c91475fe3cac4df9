package server_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/attacksession"
	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/store/storetest"
	"github.com/rampart-security/rampart/internal/threatmodel"
)

// guest is an attack-session participant who joined with a link: its
// cookie and CSRF token, nothing else.
type guest struct {
	cookie, csrf string
}

// do sends a request as the guest (no redirects followed) and decodes JSON.
func (g guest) do(t *testing.T, e *env, method, path string, body any, out any) *http.Response {
	t.Helper()
	req := e.request(t, method, path, body)
	req.AddCookie(&http.Cookie{Name: "rampart_participant", Value: g.cookie})
	if g.csrf != "" {
		req.Header.Set("X-CSRF-Token", g.csrf)
	}
	resp, data := send(t, noRedirect, req)
	if out != nil && len(data) > 0 && strings.Contains(resp.Header.Get("Content-Type"), "json") {
		decodeAnswer(t, method, path, data, out)
	}
	return resp
}

// joinAPI spends a join link through the API and returns the guest.
func joinAPI(t *testing.T, e *env, token, name string) (guest, *http.Response) {
	t.Helper()
	var out struct {
		CSRF string `json:"csrf"`
	}
	resp := e.call(t, "", "POST", "/api/v1/attack-sessions/join", map[string]string{"token": token, "name": name}, &out)
	for _, c := range resp.Cookies() {
		if c.Name == "rampart_participant" {
			if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
				t.Errorf("participant cookie: %+v", c)
			}
			return guest{cookie: c.Value, csrf: out.CSRF}, resp
		}
	}
	return guest{}, resp
}

func TestAttackSessionAPI(t *testing.T) {
	for _, eng := range storetest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) { testAttackSessionAPI(t, eng.Name) })
	}
}

func testAttackSessionAPI(t *testing.T, engine string) {
	e := newEnv(t, engine)
	p, other := e.newProduct(t, "Plug"), e.newProduct(t, "Other")
	base := fmt.Sprintf("/api/v1/products/%d", p.ID)
	var prob struct{ Detail, Field string }
	if r := e.call(t, "editor", "POST", base+"/attack-sessions", map[string]any{"title": "x", "minutes": 30}, &prob); r.StatusCode != 409 {
		t.Errorf("start without a model: %d %+v", r.StatusCode, prob)
	}
	e.putTemplateModel(t, p.ID, "smart-home")
	e.putTemplateModel(t, other.ID, "smart-home")
	if r := e.call(t, "viewer", "POST", base+"/attack-sessions", map[string]any{"title": "x", "minutes": 30}, nil); r.StatusCode != 403 {
		t.Errorf("viewer starts a session: %d", r.StatusCode)
	}
	if r := e.call(t, "editor", "POST", base+"/attack-sessions", map[string]any{"title": "x", "minutes": 0}, &prob); r.StatusCode != 400 || prob.Field != "minutes" {
		t.Errorf("0 minutes: %d %+v", r.StatusCode, prob)
	}
	var sess, sess2, otherSess attacksession.Session
	if r := e.call(t, "editor", "POST", base+"/attack-sessions", map[string]any{"title": "Attack the plug", "minutes": 30}, &sess); r.StatusCode != 201 || sess.ModelVersion != 1 {
		t.Fatalf("start: %d %+v", r.StatusCode, sess)
	}
	e.call(t, "editor", "POST", base+"/attack-sessions", map[string]any{"title": "Second", "minutes": 30}, &sess2)
	e.call(t, "editor", "POST", fmt.Sprintf("/api/v1/products/%d/attack-sessions", other.ID), map[string]any{"title": "Other's", "minutes": 30}, &otherSess)
	sb := fmt.Sprintf("%s/attack-sessions/%d", base, sess.ID)
	var list struct{ Items []attacksession.Session }
	if e.call(t, "viewer", "GET", base+"/attack-sessions", nil, &list); len(list.Items) != 2 || list.Items[0].ID != sess2.ID {
		t.Errorf("list: %+v", list.Items)
	}

	// One-time links: only the facilitator makes them, each works once.
	if r := e.call(t, "viewer", "POST", sb+"/links", map[string]string{"label": "Dana"}, nil); r.StatusCode != 403 {
		t.Errorf("viewer makes a link: %d", r.StatusCode)
	}
	var link struct {
		Token, Path string
		Link        attacksession.Link
	}
	if r := e.call(t, "editor", "POST", sb+"/links", map[string]string{"label": "Dana from design"}, &link); r.StatusCode != 201 || !strings.HasPrefix(link.Token, "rja_") || link.Path != "/attack-sessions/join/"+link.Token {
		t.Fatalf("link: %d %+v", r.StatusCode, link)
	}
	dana, r := joinAPI(t, e, link.Token, "Dana")
	if r.StatusCode != 201 || dana.cookie == "" || dana.csrf == "" {
		t.Fatalf("join: %d %+v", r.StatusCode, dana)
	}
	if _, r := joinAPI(t, e, link.Token, "Eve"); r.StatusCode != 404 {
		t.Errorf("second use of a link: %d", r.StatusCode)
	}
	if _, r := joinAPI(t, e, "rja_guessed", "Eve"); r.StatusCode != 404 {
		t.Errorf("made-up link: %d", r.StatusCode)
	}

	// The guest: ideas and votes in its own session.
	var idea, vicIdea attacksession.Idea
	if r := dana.do(t, e, "POST", sb+"/ideas", map[string]string{"target": "plug", "text": "Read the flash over UART", "stride": "I"}, &idea); r.StatusCode != 201 || idea.Author != "Dana" || idea.STRIDE != "information_disclosure" {
		t.Fatalf("guest idea: %d %+v", r.StatusCode, idea)
	}
	if r := dana.do(t, e, "POST", sb+"/ideas", map[string]string{"target": "toaster", "text": "x", "stride": "S"}, &prob); r.StatusCode != 400 || prob.Field != "target" {
		t.Errorf("unknown target: %d %+v", r.StatusCode, prob)
	}
	if r := dana.do(t, e, "POST", sb+"/ideas", map[string]string{"target": "plug", "text": "x", "stride": "Sneaky"}, &prob); r.StatusCode != 400 || prob.Field != "stride" {
		t.Errorf("bad stride: %d %+v", r.StatusCode, prob)
	}
	if r := (guest{cookie: dana.cookie}).do(t, e, "POST", sb+"/ideas", map[string]string{"target": "plug", "text": "x", "stride": "S"}, nil); r.StatusCode != 403 {
		t.Errorf("guest POST without its CSRF token: %d", r.StatusCode)
	}
	if r := e.call(t, "viewer", "POST", sb+"/ideas", map[string]string{"target": "user-app", "text": "Replay the pairing code", "stride": "Spoofing"}, &vicIdea); r.StatusCode != 201 || vicIdea.Author != "vic" {
		t.Fatalf("viewer idea: %d %+v", r.StatusCode, vicIdea)
	}
	var voted attacksession.Idea
	if r := e.call(t, "viewer", "POST", fmt.Sprintf("%s/ideas/%d/vote", sb, idea.ID), nil, &voted); r.StatusCode != 200 || voted.Votes != 1 {
		t.Errorf("viewer vote: %d %+v", r.StatusCode, voted)
	}
	if r := dana.do(t, e, "POST", fmt.Sprintf("%s/ideas/%d/vote", sb, idea.ID), nil, &voted); r.StatusCode != 200 || voted.Votes != 2 {
		t.Errorf("guest vote: %d %+v", r.StatusCode, voted)
	}
	var view attacksession.View
	if r := dana.do(t, e, "GET", sb, nil, &view); r.StatusCode != 200 || len(view.Ideas) != 2 || len(view.Links) != 0 || !view.Open {
		t.Errorf("guest view: %d ideas %d links %d", r.StatusCode, len(view.Ideas), len(view.Links))
	}
	if e.call(t, "editor", "GET", sb, nil, &view); len(view.Links) != 1 || view.Links[0].UsedAt == nil {
		t.Errorf("facilitator's links: %+v", view.Links)
	}

	// Join-link scope: the cookie reaches that one session's participant
	// routes and nothing else — not the product, its threats, the session
	// list, the summary, the facilitator's routes, another session of the
	// product, another product's session, or any page.
	mine := fmt.Sprintf("/products/%d/attack-sessions/%d", p.ID, sess.ID)
	for _, c := range []struct{ method, path string }{
		{"GET", base}, {"GET", base + "/threats"}, {"GET", base + "/threatmodel"}, {"GET", base + "/attack-sessions"},
		{"GET", "/api/v1/products"}, {"GET", "/api/v1/me"}, {"GET", "/api/v1/findings"},
		{"GET", sb + "/summary.md"}, {"POST", sb + "/end"}, {"POST", sb + "/links"},
		{"POST", fmt.Sprintf("%s/ideas/%d/merge", sb, idea.ID)}, {"POST", fmt.Sprintf("%s/ideas/%d/reject", sb, idea.ID)},
		{"GET", fmt.Sprintf("%s/attack-sessions/%d", base, sess2.ID)},
		{"POST", fmt.Sprintf("%s/attack-sessions/%d/ideas", base, sess2.ID)},
		{"GET", fmt.Sprintf("/api/v1/products/%d/attack-sessions/%d", other.ID, otherSess.ID)},
		{"GET", fmt.Sprintf("/api/v1/products/%d/attack-sessions/%d", other.ID, sess.ID)}, // its session through another product
		{"GET", fmt.Sprintf("/products/%d", p.ID)}, {"GET", fmt.Sprintf("/products/%d/threatmodel", p.ID)},
		{"GET", fmt.Sprintf("/products/%d/attack-sessions", p.ID)}, {"GET", "/"},
		{"GET", fmt.Sprintf("/products/%d/attack-sessions/%d", p.ID, sess2.ID)},
		{"POST", mine + "/end"}, {"POST", mine + "/links"}, {"POST", fmt.Sprintf("%s/ideas/%d/decide", mine, idea.ID)},
	} {
		r := dana.do(t, e, c.method, c.path, map[string]string{"target": "plug", "text": "x", "stride": "S", "owner": "x", "reason": "x"}, nil)
		denied := r.StatusCode == 401 || r.StatusCode == 403 || r.StatusCode == 404 ||
			r.StatusCode == 303 && strings.HasPrefix(r.Header.Get("Location"), "/login")
		if !denied {
			t.Errorf("guest cookie on %s %s: %d, want it refused", c.method, c.path, r.StatusCode)
		}
	}
	for _, path := range []string{mine, mine + "/live"} {
		if r := dana.do(t, e, "GET", path, nil, nil); r.StatusCode != 200 {
			t.Errorf("guest on its session page %s: %d", path, r.StatusCode)
		}
	}
	// An API token of a reader of another product does not reach it either.
	if r := e.call(t, "viewer", "GET", fmt.Sprintf("/api/v1/products/%d/attack-sessions/%d", other.ID, sess.ID), nil, nil); r.StatusCode != 404 {
		t.Errorf("session through another product's path: %d", r.StatusCode)
	}

	// The facilitator merges one idea into a tracked threat and rejects the other.
	if r := e.call(t, "viewer", "POST", fmt.Sprintf("%s/ideas/%d/merge", sb, idea.ID), map[string]string{"owner": "vic"}, nil); r.StatusCode != 403 {
		t.Errorf("viewer merges: %d", r.StatusCode)
	}
	if r := e.call(t, "editor", "POST", fmt.Sprintf("%s/ideas/%d/merge", sb, idea.ID), map[string]string{"status": "accepted", "owner": "ed"}, &prob); r.StatusCode != 400 || prob.Field != "status" {
		t.Errorf("merge as accepted: %d %+v", r.StatusCode, prob)
	}
	var merged attacksession.Idea
	if r := e.call(t, "editor", "POST", fmt.Sprintf("%s/ideas/%d/merge", sb, idea.ID), map[string]string{"owner": "ed", "status": "in_progress", "severity": "high"}, &merged); r.StatusCode != 200 || merged.ThreatID == "" {
		t.Fatalf("merge: %d %+v", r.StatusCode, merged)
	}
	if r := e.call(t, "editor", "POST", fmt.Sprintf("%s/ideas/%d/merge", sb, idea.ID), map[string]string{"owner": "ed"}, nil); r.StatusCode != 409 {
		t.Errorf("merge twice: %d", r.StatusCode)
	}
	if r := e.call(t, "editor", "POST", fmt.Sprintf("%s/ideas/%d/reject", sb, vicIdea.ID), map[string]string{"reason": ""}, &prob); r.StatusCode != 400 || prob.Field != "reason" {
		t.Errorf("reject without a reason: %d %+v", r.StatusCode, prob)
	}
	if r := e.call(t, "editor", "POST", fmt.Sprintf("%s/ideas/%d/reject", sb, vicIdea.ID), map[string]string{"reason": "pairing codes are single use"}, nil); r.StatusCode != 200 {
		t.Errorf("reject: %d", r.StatusCode)
	}
	var threats struct {
		ModelVersion int                  `json:"model_version"`
		Threats      []threatmodel.Threat `json:"threats"`
	}
	e.call(t, "viewer", "GET", base+"/threats", nil, &threats)
	found := false
	for _, th := range threats.Threats {
		if th.ID == merged.ThreatID {
			found = th.Owner == "ed" && th.Status == "in_progress" && th.Target == "plug" && th.Severity == "high" && th.Manual
			if !found {
				t.Errorf("merged threat: %+v", th)
			}
		}
	}
	if !found || threats.ModelVersion != 2 {
		t.Errorf("threat %s in model version %d: %v", merged.ThreatID, threats.ModelVersion, found)
	}

	// Summary and end.
	r = e.call(t, "viewer", "GET", sb+"/summary.md", nil, nil)
	md, _ := io.ReadAll(r.Body)
	if r.StatusCode != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/markdown") {
		t.Errorf("summary.md: %d %s", r.StatusCode, r.Header.Get("Content-Type"))
	}
	for _, want := range []string{"# Attack session: Attack the plug", "## Participants (3)", "Dana (guest, joined with a link)", "`" + merged.ThreatID + "`", "pairing codes are single use"} {
		if !bytes.Contains(md, []byte(want)) {
			t.Errorf("summary.md lacks %q:\n%s", want, md)
		}
	}
	if r := e.call(t, "viewer", "POST", sb+"/end", nil, nil); r.StatusCode != 403 {
		t.Errorf("viewer ends: %d", r.StatusCode)
	}
	if r := e.call(t, "editor", "POST", sb+"/end", nil, nil); r.StatusCode != 200 {
		t.Errorf("end: %d", r.StatusCode)
	}
	if r := dana.do(t, e, "POST", sb+"/ideas", map[string]string{"target": "plug", "text": "late", "stride": "D"}, &prob); r.StatusCode != 409 {
		t.Errorf("idea after the end: %d %+v", r.StatusCode, prob)
	}
	if r := dana.do(t, e, "GET", sb, nil, &view); r.StatusCode != 200 || view.Open || view.Timeline[len(view.Timeline)-1].Kind != "ended" {
		t.Errorf("ended session, as the guest: %d open %v", r.StatusCode, view.Open)
	}
	// Every facilitator action is in the audit log.
	evs, err := e.store.AuditEvents(context.Background(), audit.Query{Action: "attack_session.", Product: p.ID, Limit: -1})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, ev := range evs {
		actions = append([]string{ev.Action}, actions...)
	}
	if got := strings.Join(actions, " "); got != "attack_session.start attack_session.start attack_session.link attack_session.join attack_session.merge attack_session.reject attack_session.end" {
		t.Errorf("audit: %s", got)
	}
}
