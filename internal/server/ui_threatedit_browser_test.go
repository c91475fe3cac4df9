package server_test

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/rampart-security/rampart/internal/browsertest"
)

// TestBrowserThreatModelEditor drives the visual editor in headless
// Chromium: start a model by adding two elements and a plain-text flow
// (its threats appear, with why), add a trust boundary, drag an element
// into it, move another with the keyboard, and see the new versions and
// threats on the threat-model page.
func TestBrowserThreatModelEditor(t *testing.T) {
	env := newEnv(t, "sqlite")
	p := env.newProduct(t, "Doorbell")
	ctx, text, do := env.signedInBrowser(t, "/login", "new-product")
	wait := func(step, js string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js)); err != nil {
			got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("tm-version").textContent + " | " + document.getElementById("tm-error").textContent`))
			t.Fatalf("%s: %v (page: %s)", step, err, got)
		}
	}
	do("open the editor", chromedp.Navigate(fmt.Sprintf("%s/products/%d/threatmodel", env.url, p.ID)),
		chromedp.Click(chromedp.ID("tm-edit-link")), chromedp.WaitVisible(chromedp.ID("tm-canvas")))
	wait("empty model", `document.getElementById("tm-version").textContent.includes("No model yet")`)

	add := func(name, typ string) {
		t.Helper()
		do("add "+name, chromedp.SendKeys(chromedp.CSS(`#tm-add-element input[name=name]`), name),
			chromedp.SetValue(chromedp.CSS(`#tm-add-element select[name=type]`), typ),
			chromedp.Click(chromedp.CSS(`#tm-add-element button[type=submit]`)))
	}
	add("Phone app", "process")
	wait("first element", `!!document.querySelector('#tm-elements [data-id="phone-app"]') && document.getElementById("tm-version").textContent.includes("Version 1")`)
	add("Cloud API", "process")
	wait("second element", `!!document.querySelector('#tm-elements [data-id="cloud-api"]')`)
	browsertest.Screenshot(t, ctx, "tmedit-01-elements")

	do("add a plain-text flow", chromedp.SetValue(chromedp.CSS(`#tm-add-flow select[name=from]`), "phone-app"),
		chromedp.SetValue(chromedp.CSS(`#tm-add-flow select[name=to]`), "cloud-api"),
		chromedp.SendKeys(chromedp.CSS(`#tm-add-flow input[name=protocol]`), "http"),
		chromedp.Click(chromedp.CSS(`#tm-add-flow button[type=submit]`)))
	wait("flow drawn with threats", `!!document.querySelector('#tm-flows .tm-flow') && !!document.querySelector('#tm-delta-threats .tm-added')`)
	delta := text("#tm-delta")
	if !strings.Contains(delta, "Saved version 3") || !strings.Contains(delta, "new:") || !strings.Contains(delta, "Why:") {
		t.Fatalf("rule results after the flow = %q", delta)
	}
	browsertest.Screenshot(t, ctx, "tmedit-02-flow")

	do("add a boundary", chromedp.SendKeys(chromedp.CSS(`#tm-add-boundary input[name=name]`), "Cloud"),
		chromedp.SetValue(chromedp.CSS(`#tm-add-boundary select[name=type]`), "cloud"),
		chromedp.Click(chromedp.CSS(`#tm-add-boundary button[type=submit]`)))
	wait("boundary drawn", `!!document.querySelector('#tm-boundaries [data-id="cloud"]') && document.getElementById("tm-version").textContent.includes("Version 4")`)

	// Drag the Cloud API into the boundary with the mouse.
	type pt struct{ X, Y float64 }
	center := func(sel string) pt {
		t.Helper()
		js := fmt.Sprintf(`(() => { const r = document.querySelector(%q).getBoundingClientRect(); return {X: r.x + r.width/2, Y: r.y + r.height/2}; })()`, sel)
		c, err := chromedp.Run(ctx, chromedp.Evaluate[pt](js))
		if err != nil {
			t.Fatalf("center of %s: %v", sel, err)
		}
		return c
	}
	from, to := center(`#tm-elements [data-id="cloud-api"] .tm-shape`), center(`#tm-boundaries [data-id="cloud"] rect`)
	held := func(p *input.DispatchMouseEventParams) {
		p.Button = input.MouseButtonLeft
		p.Buttons = 1
		p.ClickCount = 1
	}
	steps := []chromedp.Action[chromedp.Void]{chromedp.MouseEvent(chromedp.MousePressed, from.X, from.Y, held)}
	for i := 1; i <= 10; i++ {
		f := float64(i) / 10
		steps = append(steps, chromedp.MouseEvent(chromedp.MouseMoved, from.X+(to.X-from.X)*f, from.Y+(to.Y-from.Y)*f, held))
	}
	steps = append(steps, chromedp.MouseEvent(chromedp.MouseReleased, to.X, to.Y, held))
	do("drag into the boundary", steps...)
	wait("moved into the boundary", `document.getElementById("tm-version").textContent.includes("Version 5") && document.querySelector('#tm-elements [data-id="cloud-api"]').getAttribute("aria-label").includes("in cloud")`)
	if got := text("#tm-delta"); !strings.Contains(got, "Saved version 5") || !strings.Contains(got, "update element cloud-api") {
		t.Errorf("rule results after the move = %q", got)
	}
	browsertest.Screenshot(t, ctx, "tmedit-03-in-boundary")

	// Keyboard: focus the phone app, move it right; the move saves when the keys pause.
	do("keyboard move", chromedp.Focus(chromedp.CSS(`#tm-elements [data-id="phone-app"]`)), chromedp.KeyEvent(kb.ArrowRight+kb.ArrowRight))
	wait("keyboard move saved", `document.getElementById("tm-version").textContent.includes("Version 6")`)
	// Enter opens the attributes; encrypting the flow removes threats.
	do("select the flow", chromedp.Click(chromedp.CSS(`#tm-list button[data-kind=flows]`)), chromedp.WaitVisible(chromedp.ID("tm-form-flow")),
		chromedp.Click(chromedp.CSS(`#tm-form-flow input[name=encrypted]`)),
		chromedp.Click(chromedp.CSS(`#tm-form-flow button[type=submit]`)))
	wait("flow encrypted", `document.getElementById("tm-version").textContent.includes("Version 7") && !!document.querySelector('#tm-delta-threats .tm-removed')`)

	// Keyboard connect: C on the cloud API, Enter on the phone app.
	do("keyboard flow", chromedp.Focus(chromedp.CSS(`#tm-elements [data-id="cloud-api"]`)), chromedp.KeyEvent("c"),
		chromedp.WaitVisible(chromedp.ID("tm-connect-hint")),
		chromedp.Focus(chromedp.CSS(`#tm-elements [data-id="phone-app"]`)), chromedp.KeyEvent(kb.Enter))
	wait("keyboard flow saved", `document.getElementById("tm-version").textContent.includes("Version 8") && document.querySelectorAll("#tm-flows .tm-flow").length === 2`)

	// A version saved elsewhere meanwhile: the next change is refused with who and what.
	var res editResponse
	if r := env.editCall(t, "editor", "PATCH", fmt.Sprintf("/api/v1/products/%d/threatmodel/elements/phone-app", p.ID), `"8"`, map[string]any{"name": "Phone app (iOS)"}, &res); r.StatusCode != 200 {
		t.Fatalf("concurrent API change: %d %+v", r.StatusCode, res)
	}
	do("stale change", chromedp.Click(chromedp.CSS(`#tm-list button[data-kind=boundaries]`)), chromedp.WaitVisible(chromedp.ID("tm-form-boundary")),
		chromedp.SendKeys(chromedp.CSS(`#tm-form-boundary input[name=name]`), " EU"),
		chromedp.Click(chromedp.CSS(`#tm-form-boundary button[type=submit]`)), chromedp.WaitVisible(chromedp.ID("tm-error")))
	if got := text("#tm-error"); !strings.Contains(got, "ed saved version 9") || !strings.Contains(got, "changed elements phone-app") {
		t.Errorf("stale notice = %q", got)
	}
	wait("shows their version", `document.getElementById("tm-version").textContent.includes("Version 9") && document.querySelector('#tm-elements [data-id="phone-app"]').getAttribute("aria-label").includes("iOS")`)
	browsertest.Screenshot(t, ctx, "tmedit-035-stale")

	src := string(getYAML(t, env, p.ID))
	if !strings.Contains(src, "boundary: cloud") || !strings.Contains(src, "layout:") || !strings.Contains(src, "encrypted: true") {
		t.Errorf("saved model:\n%s", src)
	}
	do("see the versions and threats", chromedp.Click(chromedp.ID("tm-view")), chromedp.WaitVisible(chromedp.ID("threats")))
	page := text("main")
	if !strings.Contains(page, "Version 9") || !strings.Contains(page, "alice") {
		t.Errorf("threat model page = %.400s", page)
	}
	if rows := text("#threats"); !strings.Contains(rows, "Cloud API") {
		t.Errorf("threats table has no threat on the new elements: %.400s", rows)
	}
	browsertest.Screenshot(t, ctx, "tmedit-04-threats")
}

func getYAML(t *testing.T, e *env, productID int64) []byte {
	t.Helper()
	r := e.call(t, "viewer", "GET", fmt.Sprintf("/api/v1/products/%d/threatmodel?format=yaml", productID), nil, nil)
	data, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
