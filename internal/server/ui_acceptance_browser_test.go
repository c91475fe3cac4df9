package server_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/rampart-security/rampart/internal/browsertest"
)

// TestBrowserRiskAcceptanceMaximum sets a product's maximum risk-acceptance
// duration on its page in headless Chromium (issue 11): the default shows,
// the form stores 90 days and the page says so; an empty field restores the
// default. (Values beyond a year: TestRiskAcceptanceApproverAndProductMaximum.)
func TestBrowserRiskAcceptanceMaximum(t *testing.T) {
	env := newEnv(t, "sqlite")
	p := env.storeProduct(t, "Camera")
	bctx, text, do := env.signedInBrowser(t, "/login", "new-product")
	do("product page", chromedp.Navigate(fmt.Sprintf("%s/products/%d", env.url, p.ID)), chromedp.WaitVisible(chromedp.ID("risk-acceptance")))
	if got := text("#max-acceptance"); !strings.Contains(got, "366 days (the default)") {
		t.Errorf("default maximum = %q", got)
	}
	do("set 90 days", chromedp.SendKeys(chromedp.CSS(`#risk-acceptance input[name=max_days]`), "90"),
		chromedp.Click(chromedp.CSS(`#risk-acceptance button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS("div.flash")))
	if got := text("div.flash"); !strings.Contains(got, "at most 90 days") {
		t.Errorf("flash = %q", got)
	}
	if got := text("#max-acceptance"); !strings.Contains(got, "90 days") || strings.Contains(got, "default") {
		t.Errorf("maximum after saving = %q", got)
	}
	if d, _ := env.store.ProductMaxAcceptance(context.Background(), p.ID); d != 90 {
		t.Errorf("stored %d days, want 90", d)
	}
	browsertest.Screenshot(t, bctx, "risk-acceptance-01-product")
	// From a page without a flash, so that the flash waited for is the new one.
	do("back to the default", chromedp.Navigate(fmt.Sprintf("%s/products/%d", env.url, p.ID)), chromedp.WaitVisible(chromedp.ID("risk-acceptance")),
		chromedp.SetValue(chromedp.CSS(`#risk-acceptance input[name=max_days]`), ""),
		chromedp.Click(chromedp.CSS(`#risk-acceptance button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS("div.flash")))
	if got := text("#max-acceptance"); !strings.Contains(got, "366 days (the default)") {
		t.Errorf("maximum after clearing = %q", got)
	}
}
