package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rampart-security/rampart/internal/browsertest"
	"github.com/rampart-security/rampart/internal/incident"
	"github.com/rampart-security/rampart/internal/inventory"
)

// TestBrowserIncident: the incident list shows the report clocks; on the
// incident page a late early warning is marked late, a phase change and a
// submission are saved and appear in the timeline.
func TestBrowserIncident(t *testing.T) {
	env := newEnv(t, "sqlite")
	ctx := browsertest.New(t)
	p := inventory.Product{Name: "Gateway"}
	if err := env.store.CreateProduct(context.Background(), &p); err != nil {
		t.Fatal(err)
	}
	aware := time.Now().UTC().Add(-30 * time.Hour)
	inc, err := incident.New(env.store, time.Now, incident.Options{}).Open(context.Background(), incident.OpenInput{Kind: incident.KindVulnerability,
		Title: "RCE in the gateway web server", Severity: "critical", Products: []int64{p.ID}, Vulnerability: "CVE-2026-1111", AwareAt: &aware})
	if err != nil {
		t.Fatal(err)
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	do := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			t.Fatalf("%s (at %s): %v", step, loc, err)
		}
	}
	do("sign in", chromedp.Navigate(env.url+"/incidents"), chromedp.WaitVisible(chromedp.ID("signin")),
		chromedp.SendKeys(chromedp.ID("name"), "alice"), chromedp.SendKeys(chromedp.ID("password"), env.password),
		chromedp.Click(chromedp.ID("signin")), chromedp.WaitVisible(chromedp.ID("incidents-table")))
	browsertest.Screenshot(t, ctx, "incidents")
	row := text("#incidents-table tbody tr")
	if !strings.Contains(row, "RCE in the gateway web server") || !strings.Contains(row, "late") || !strings.Contains(row, "overdue by") {
		t.Errorf("incident row: %q", row)
	}
	do("open incident", chromedp.Click(chromedp.CSS(`#incidents-table a[href="/incidents/`+itoa(inc.ID)+`"]`)), chromedp.WaitVisible(chromedp.ID("clocks")))
	if s := text("#clock-early_warning .status"); s != "late" {
		t.Errorf("early warning status %q, want late", s)
	}
	if s := text("#clock-notification .due"); !strings.Contains(s, aware.Add(72*time.Hour).Format("2006-01-02 15:04")) {
		t.Errorf("notification due %q", s)
	}
	do("change phase", chromedp.SetValue(chromedp.ID("phase-select"), "containment"), chromedp.Click(chromedp.ID("save-incident")),
		chromedp.WaitVisible(chromedp.ID("flash")))
	if s := text("#phase"); s != "containment" {
		t.Errorf("phase %q after saving", s)
	}
	do("record submission", chromedp.SendKeys(chromedp.CSS(`#clock-notification input[name=reference]`), "SRP-2026-0042"),
		chromedp.Click(chromedp.CSS(`#clock-notification button[type=submit]`)))
	// The previous step's flash is still on the page until the post returns:
	// wait for the new page's status instead of for any flash (queries
	// during the navigation fail and are retried).
	status := ""
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && status != "submitted_on_time"; {
		if s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#clock-notification .status"), chromedp.NodeVisible)); err == nil {
			status = s
		}
		time.Sleep(100 * time.Millisecond)
	}
	if status != "submitted_on_time" {
		t.Errorf("notification status %q", status)
	}
	browsertest.Screenshot(t, ctx, "incident")
	tl := text("#timeline")
	if !strings.Contains(tl, "phase detection → containment") || !strings.Contains(tl, "SRP-2026-0042") {
		t.Errorf("timeline %q", tl)
	}
}

// TestBrowserIntakeForm: an anonymous researcher files a report on /report
// (HTML in the title stays text) and follows the private status link; an
// exploited report about a known product is triaged into an incident.
func TestBrowserIntakeForm(t *testing.T) {
	env := newEnv(t, "sqlite")
	ctx := browsertest.New(t)
	p := inventory.Product{Name: "Gateway"}
	if err := env.store.CreateProduct(context.Background(), &p); err != nil {
		t.Fatal(err)
	}
	do := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			t.Fatalf("%s (at %s): %v", step, loc, err)
		}
	}
	title := `<b id="injected">bold</b> command injection`
	do("fill report", chromedp.Navigate(env.url+"/report"), chromedp.WaitVisible(chromedp.ID("intake-form")),
		chromedp.SendKeys(chromedp.ID("title"), title), chromedp.SendKeys(chromedp.ID("product"), "Gateway"),
		chromedp.SendKeys(chromedp.ID("description"), "POST /cgi-bin/admin with host=;id"), chromedp.Click(chromedp.ID("exploited")),
		chromedp.Click(chromedp.ID("send-report")), chromedp.WaitVisible(chromedp.ID("receipt")))
	browsertest.Screenshot(t, ctx, "intake-receipt")
	tracking, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("tracking")))
	if err != nil || !strings.HasPrefix(tracking, "RPT-") {
		t.Fatalf("tracking id %q %v", tracking, err)
	}
	do("status link", chromedp.Click(chromedp.ID("status-link")), chromedp.WaitVisible(chromedp.ID("intake-status")))
	status, _ := chromedp.Run(ctx, chromedp.Text(chromedp.ID("intake-status")))
	if status != "triaged" {
		t.Errorf("status %q, want triaged", status)
	}
	page, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
	n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#injected").length`))
	if n != 0 || !strings.Contains(page, `<b id="injected">bold</b>`) {
		t.Errorf("title rendered as HTML (%d injected elements) or lost: %q", n, page)
	}
	list, err := env.store.Incidents(context.Background(), incident.Filter{})
	if err != nil || len(list) != 1 || list[0].AwareSignal != "intake" {
		t.Errorf("incidents %+v %v", list, err)
	}
}
