package server_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/rampart-security/rampart/internal/browsertest"
)

// TestBrowserAdvisoryEditor: the advisory editor shows the validation of
// the draft, re-validates while the user types (htmx), and submits it for
// review.
func TestBrowserAdvisoryEditor(t *testing.T) {
	env := newEnv(t, "sqlite")
	prod := env.newProduct(t, "IG-400")
	input := map[string]any{"title": "BusyBox overflow in IG-400", "vendor": "Northwind", "vulnerabilities": []any{map[string]any{"cve": "CVE-2022-48174",
		"releases": []any{map[string]any{"product": "IG-400", "version": "3.1.0", "status": "affected", "fixed_in": "3.2.0"}}}}}
	path := fmt.Sprintf("/advisories/%d", env.newAdvisory(t, prod.ID, input).ID)
	ctx, text, do := env.signedInBrowser(t, path, "document")
	page := env.url + path
	if got := text("#validation-summary"); !strings.Contains(got, "every mandatory test pass") {
		t.Fatalf("validation of the authored draft: %q", got)
	}
	browsertest.Screenshot(t, ctx, "advisory-editor")
	// Typing breaks the JSON: the live check says so without a reload.
	do("type", chromedp.SendKeys(chromedp.ID("document"), "}"), chromedp.WaitVisible(chromedp.CSS("#validation p.error")))
	if got := text("#validation p.error"); !strings.Contains(got, "Not valid JSON") {
		t.Fatalf("live validation: %q", got)
	}
	// Reload (the stored draft is unchanged) and submit it for review.
	do("submit", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.ID("submit-review")), chromedp.Click(chromedp.ID("submit-review")),
		chromedp.WaitVisible(chromedp.ID("flash")))
	if got := text("#advisory-status"); got != "review" {
		t.Fatalf("status after submit: %q", got)
	}
}
