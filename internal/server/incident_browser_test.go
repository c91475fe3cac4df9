package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rampart-security/rampart/internal/browsertest"
	"github.com/rampart-security/rampart/internal/incident"
)

// TestBrowserIncident: the incident list shows the report clocks; on the
// incident page a late early warning is marked late, a phase change and a
// submission are saved and appear in the timeline.
func TestBrowserIncident(t *testing.T) {
	env := newEnv(t, "sqlite")
	p := env.storeProduct(t, "Gateway")
	aware := time.Now().UTC().Add(-30 * time.Hour)
	inc, err := incident.New(env.store, time.Now, incident.Options{}).Open(context.Background(), incident.OpenInput{Kind: incident.KindVulnerability,
		Title: "RCE in the gateway web server", Severity: "critical", Products: []int64{p.ID}, Vulnerability: "CVE-2026-1111", AwareAt: &aware})
	if err != nil {
		t.Fatal(err)
	}
	ctx, text, do := env.signedInBrowser(t, "/incidents", "incidents-table")
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
	ctx, _, do := newBrowser(t)
	env.storeProduct(t, "Gateway")
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

// TestBrowserIncidentResponseUI: a report received through the intake is
// listed on /intake and accepted into an incident; a task is added on the
// incident page; a drill shows its scorecard; a product's subscribers are
// managed on its subscribers page (a malformed address is refused).
func TestBrowserIncidentResponseUI(t *testing.T) {
	env := newEnv(t, "sqlite")
	bg := context.Background()
	p := env.storeProduct(t, "Gateway")
	svc := incident.New(env.store, time.Now, incident.Options{})
	rec, err := incident.NewIntake(svc, env.store, nil).Submit(bg, incident.IntakeInput{Title: "Path traversal in /cgi-bin/download",
		Description: "GET /cgi-bin/download?f=../../etc/shadow", Product: "Gateway", Contact: "researcher@example.org", Source: "192.0.2.7"})
	if err != nil {
		t.Fatal(err)
	}
	drill, err := svc.StartDrill(bg, "gateway-web-rce", []int64{p.ID})
	if err != nil {
		t.Fatal(err)
	}
	ctx, text, do := env.signedInBrowser(t, "/incidents", "incidents-table")
	do("open received reports", chromedp.Click(chromedp.ID("intake-link")), chromedp.WaitVisible(chromedp.ID("intake-table")))
	row := "#intake-" + rec.TrackingID
	if s := text(row); !strings.Contains(s, "Path traversal") || !strings.Contains(s, "received") || !strings.Contains(s, "Gateway") {
		t.Errorf("intake row %q", s)
	}
	browsertest.Screenshot(t, ctx, "intake-list")
	do("accept into an incident", chromedp.SetValue(chromedp.CSS(row+" select[name=kind]"), "vulnerability"),
		chromedp.Click(chromedp.CSS(row+" button[type=submit]")), chromedp.WaitVisible(chromedp.ID("clocks")))
	if s := text("#flash"); !strings.Contains(s, rec.TrackingID) {
		t.Errorf("flash after triage %q", s)
	}
	if s := text("#incident-title"); !strings.Contains(s, "Path traversal") {
		t.Errorf("incident title %q", s)
	}
	do("add a task", chromedp.SendKeys(chromedp.ID("task-title"), "Block ../ at the reverse proxy"), chromedp.SendKeys(chromedp.ID("task-owner"), "bob"),
		chromedp.Click(chromedp.ID("add-task")), chromedp.WaitVisible(chromedp.ID("tasks")))
	if s := text("#tasks"); !strings.Contains(s, "Block ../ at the reverse proxy") || !strings.Contains(s, "bob") {
		t.Errorf("tasks %q", s)
	}
	if s := text("#timeline"); !strings.Contains(s, "task_added") {
		t.Errorf("timeline lacks the task: %q", s)
	}
	do("mark the task done", chromedp.Click(chromedp.CSS(`#tasks button[id^="done-task-"]`)), chromedp.WaitVisible(chromedp.CSS(`#tasks button[id^="reopen-task-"]`)))
	if s := text("#tasks"); !strings.Contains(s, "done 20") {
		t.Errorf("done task %q", s)
	}
	if s := text("#timeline"); !strings.Contains(s, "task_done") {
		t.Errorf("timeline lacks the completion: %q", s)
	}
	do("back to the list", chromedp.Navigate(env.url+"/intake"), chromedp.WaitVisible(chromedp.ID("intake-table")))
	if s := text(row); !strings.Contains(s, "triaged") || !strings.Contains(s, "incident ") {
		t.Errorf("triaged row %q", s)
	}
	do("open the drill", chromedp.Navigate(env.url+"/incidents/"+itoa(drill.ID)), chromedp.WaitVisible(chromedp.ID("scorecard")))
	sc := text("#scorecard")
	if !strings.Contains(sc, "Drill scorecard") || !strings.Contains(sc, "early_warning") || !strings.Contains(sc, "not yet") {
		t.Errorf("scorecard %q", sc)
	}
	browsertest.Screenshot(t, ctx, "drill-scorecard")
	do("subscribers page", chromedp.Navigate(env.url+"/products/"+itoa(p.ID)), chromedp.WaitVisible(chromedp.ID("subscribers-link")),
		chromedp.Click(chromedp.ID("subscribers-link")), chromedp.WaitVisible(chromedp.ID("subscriber-form")))
	do("add a subscriber", chromedp.SendKeys(chromedp.ID("subscriber-address"), "ops@customer.example"), chromedp.Click(chromedp.ID("add-subscriber")),
		chromedp.WaitVisible(chromedp.ID("flash")))
	if s := text("#subscribers-table"); !strings.Contains(s, "ops@customer.example") || !strings.Contains(s, "e-mail") {
		t.Errorf("subscribers %q", s)
	}
	do("refuse a malformed address", chromedp.SendKeys(chromedp.ID("subscriber-address"), "Eve <eve@example.org>"), chromedp.Click(chromedp.ID("add-subscriber")))
	flash := ""
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && !strings.Contains(flash, "Not saved"); {
		if s, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("flash"), chromedp.NodeVisible)); err == nil {
			flash = s
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(flash, "Not saved") {
		t.Errorf("flash %q after a malformed address", flash)
	}
	subs, err := env.store.Subscribers(bg, p.ID)
	if err != nil || len(subs) != 1 {
		t.Errorf("subscribers %+v %v", subs, err)
	}
}
