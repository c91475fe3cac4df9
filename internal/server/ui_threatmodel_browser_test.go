package server_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/rampart-security/rampart/internal/browsertest"
	"github.com/rampart-security/rampart/internal/portfolio"
)

// sparseModel is a model with many elements and no security attributes:
// the rules find well over one page of threats.
func sparseModel(n int) []byte {
	var b strings.Builder
	b.WriteString("rampart: threatmodel/v1\ntitle: Sparse fleet\nelements:\n  - {id: user, name: User, type: external_entity}\n")
	for i := range n {
		fmt.Fprintf(&b, "  - {id: svc-%02d, name: Service %02d, type: process}\n", i, i)
	}
	b.WriteString("  - {id: db, name: Database, type: data_store}\nflows:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - {id: u-%02d, from: user, to: svc-%02d, protocol: http}\n  - {id: s-%02d, from: svc-%02d, to: db}\n", i, i, i, i)
	}
	return []byte(b.String())
}

// TestBrowserThreatsTable drives the threat-model page's threats table in
// headless Chromium: server-side paging, STRIDE and element filters (in the
// URL, without a page load), inline tracking of a row with htmx (status and
// owner, and a validation error shown in the row), and the diagram's zoom.
func TestBrowserThreatsTable(t *testing.T) {
	env := newEnv(t, "sqlite")
	bg := context.Background()
	p := env.storeProduct(t, "Sparse fleet")
	if _, err := portfolio.SaveThreatModel(bg, env.store, p.ID, sparseModel(12), "sparse.yaml", "", "alice"); err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/products/%d/threatmodel", p.ID)
	ctx, text, do := env.signedInBrowser(t, path, "threats")
	// poll waits for js and for htmx to have settled the swap that made it
	// true: htmx binds the swapped-in form's listeners only after its settle
	// delay, so a change event sent before that would be lost.
	settled := `!document.querySelector(".htmx-added, .htmx-settling, .htmx-swapping, .htmx-request") &&
		[...document.querySelectorAll("[hx-get], [hx-post]")].every(e => e["htmx-internal-data"] !== undefined)`
	poll := func(step, js string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool]("("+js+") && "+settled)); err != nil {
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			t.Fatalf("%s (at %s): %v", step, loc, err)
		}
	}
	// A marker that a full page load would lose.
	evalJS[bool](t, ctx, `window.__noReload = true; true`)

	// Paging on the server: 50 rows, then the next page.
	rows := evalJS[int](t, ctx, `document.querySelectorAll("#threats tbody tr[data-threat]").length`)
	if rows != 50 {
		t.Errorf("first page has %d rows, want 50", rows)
	}
	if got := text("#threat-page"); !strings.HasPrefix(got, "Page 1 of ") || got == "Page 1 of 1" {
		t.Fatalf("pager = %q", got)
	}
	first := evalJS[string](t, ctx, `document.querySelector("#threats tbody tr[data-threat]").dataset.threat`)
	do("next page", chromedp.Click(chromedp.ID("next-page")))
	poll("page 2", `document.getElementById("threat-page").textContent.startsWith("Page 2") && location.search.includes("page=2")`)
	second := evalJS[string](t, ctx, `document.querySelector("#threats tbody tr[data-threat]").dataset.threat`)
	if second == first {
		t.Errorf("page 2 starts with the same threat %s", first)
	}
	browsertest.Screenshot(t, ctx, "threats-page2")

	// STRIDE filter: every row is of the category; the URL says so; back
	// to page 1.
	change := func(sel, value string) string {
		return fmt.Sprintf(`(() => { const s = document.querySelector(%q); s.value = %q; s.dispatchEvent(new Event("change", {bubbles: true})); return true })()`, sel, value)
	}
	evalJS[bool](t, ctx, change("#f-stride", "repudiation"))
	poll("STRIDE filter applied", `location.search.includes("stride=repudiation") && [...document.querySelectorAll("#threats tbody tr[data-threat] td:nth-child(3)")].every(td => td.textContent.trim() === "repudiation") && document.querySelectorAll("#threats tbody tr[data-threat]").length > 0`)
	if strings.Contains(text("#threats-count"), "of") == false {
		t.Errorf("count does not say how many of all: %q", text("#threats-count"))
	}
	// Element filter on top: only threats on that element.
	evalJS[bool](t, ctx, change("#f-element", "svc-03"))
	poll("element filter applied", `location.search.includes("element=svc-03") && [...document.querySelectorAll("#threats tbody tr[data-threat]")].every(tr => tr.dataset.threat.endsWith("@svc-03")) && document.querySelectorAll("#threats tbody tr[data-threat]").length > 0`)
	target := evalJS[string](t, ctx, `document.querySelector("#threats tbody tr[data-threat]").dataset.threat`)
	row := fmt.Sprintf(`#threats tr[data-threat=%q]`, target)

	// Inline tracking: the row changes in place, no page load.
	do("track inline",
		chromedp.SetValue(chromedp.CSS(row+` select[name=status]`), "mitigated"),
		chromedp.SendKeys(chromedp.CSS(row+` input[name=owner]`), "ed"),
		chromedp.Click(chromedp.CSS(row+` button[type=submit]`)))
	poll("row updated", fmt.Sprintf(`(() => { const r = document.querySelector(%q); return r && r.querySelector(".tst-mitigated") && r.querySelector(".owner") && r.querySelector(".owner").textContent.includes("ed") })()`, row))
	// Accepting needs a reason: the error shows in the row.
	do("accept without reason",
		chromedp.SetValue(chromedp.CSS(row+` select[name=status]`), "accepted"),
		chromedp.Click(chromedp.CSS(row+` button[type=submit]`)))
	poll("row error", fmt.Sprintf(`(() => { const e = document.querySelector(%q + " p.error"); return e && e.textContent.includes("reason") })()`, row))
	if !evalJS[bool](t, ctx, `window.__noReload === true`) {
		t.Error("the page reloaded during filtering or tracking")
	}
	// The status filter finds the tracked threat.
	evalJS[bool](t, ctx, change("#f-status", "mitigated"))
	poll("status filter", fmt.Sprintf(`location.search.includes("status=mitigated") && document.querySelectorAll("#threats tbody tr[data-threat]").length === 1 && !!document.querySelector(%q)`, row))
	browsertest.Screenshot(t, ctx, "threats-filtered")

	// A reload keeps the filter (server-side, from the URL).
	do("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("threats")))
	sel := evalJS[string](t, ctx, `document.getElementById("f-status").value + "/" + document.getElementById("f-element").value`)
	if sel != "mitigated/svc-03" {
		t.Errorf("after reload the filter is %q", sel)
	}

	// Diagram zoom: buttons and keyboard.
	do("zoom in", chromedp.Click(chromedp.CSS(`[data-zoom=in]`)))
	poll("zoomed", `parseFloat(document.getElementById("diagram-view").dataset.scale) > 1 && document.getElementById("diagram").style.transform.includes("scale")`)
	do("fit with the keyboard", chromedp.Focus(chromedp.ID("diagram-view")), chromedp.KeyEvent("0"))
	poll("reset", `document.getElementById("diagram-view").dataset.scale === "1"`)
	if got := text("#zoom-level"); got != "100%" {
		t.Errorf("zoom level %q", got)
	}
}
