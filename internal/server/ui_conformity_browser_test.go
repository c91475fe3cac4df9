package server_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/rampart-security/rampart/internal/browsertest"
)

// TestBrowserConformity drives the conformity page in headless Chromium:
// open it from the release, see the gaps with mandatory items first, give a
// manual answer (a refused one keeps what was typed), see the summary
// change, open the printable report and the portfolio overview.
func TestBrowserConformity(t *testing.T) {
	env := newEnv(t, "sqlite")
	rel := env.ensureRelease(t, "Gateway", "1.6.0")
	env.importSBOMFile(t, rel.ID, "gw.cdx.json", "../sbom/testdata/gateway-fw-1.6.cdx.json")
	bctx, text, do := env.signedInBrowser(t, "/login", "new-product")
	do("open from the release", chromedp.Navigate(fmt.Sprintf("%s/releases/%d", env.url, rel.ID)),
		chromedp.Click(chromedp.ID("conformity-link")), chromedp.WaitVisible(chromedp.ID("gaps")))
	gaps := text("#gaps")
	if !strings.Contains(gaps, "5.1-1") || !strings.Contains(gaps, "mandatory") || strings.Contains(gaps, "5.2-2") {
		t.Errorf("gaps (mandatory first) = %.300s", gaps)
	}
	if got := text("#item-5\\.3-13"); !strings.Contains(got, "not met") || !strings.Contains(got, "states no end of support") {
		t.Errorf("5.3-13 row = %q", got)
	}
	browsertest.Screenshot(t, bctx, "conformity-01-page")
	before := text("#sum-na")

	// A refused answer (no justification) shows the error and keeps the choice.
	row := `#item-5\.8-3 `
	do("refused answer", chromedp.Click(chromedp.CSS(`#group-5\.8 > summary`)), chromedp.Click(chromedp.CSS(row+"details.answer summary")),
		chromedp.SetValue(chromedp.CSS(row+`select[name=status]`), "not_applicable"),
		chromedp.SendKeys(chromedp.CSS(row+`input[name=owner]`), "pm"),
		chromedp.Click(chromedp.CSS(row+`button[type=submit]`)), chromedp.WaitVisible(chromedp.ID("conformity-error")))
	if got := text("#conformity-error"); !strings.Contains(got, "justification") {
		t.Errorf("error = %q", got)
	}
	if v, _ := chromedp.Run(bctx, chromedp.Value(chromedp.CSS(row+`input[name=owner]`))); v != "pm" {
		t.Errorf("owner after the error = %q", v)
	}
	do("answer", chromedp.SendKeys(chromedp.CSS(row+`textarea[name=justification]`), "The gateway has no sensors."),
		chromedp.SetValue(chromedp.CSS(row+`select[name=status]`), "not_applicable"),
		chromedp.Click(chromedp.CSS(row+`button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS("div.flash")))
	if got := text("div.flash"); !strings.Contains(got, "5.8-3 answered (version 1)") {
		t.Errorf("flash = %q", got)
	}
	if got := text(row + "td:nth-child(3)"); !strings.Contains(got, "not applicable") || !strings.Contains(got, "manual") {
		t.Errorf("answered row = %q", got)
	}
	if after := text("#sum-na"); after == before {
		t.Errorf("not-applicable count unchanged: %q", after)
	}
	browsertest.Screenshot(t, bctx, "conformity-02-answered")

	do("switch to the CRA", chromedp.Click(chromedp.CSS(`.cat-switch a[href*="cra-annex-i"]`)), chromedp.WaitVisible(chromedp.CSS(`#group-II`)))
	// A clause with nothing "not met" starts folded; ?open= unfolds it (as the gap links do).
	do("open Part II", chromedp.Navigate(fmt.Sprintf("%s/releases/%d/conformity?catalog=cra-annex-i&open=II", env.url, rel.ID)), chromedp.WaitVisible(chromedp.CSS(`#item-II\.1`)))
	if got := text(`#item-II\.1`); !strings.Contains(got, "met") || !strings.Contains(got, "components") {
		t.Errorf("II.1 row = %q", got)
	}
	do("printable report", chromedp.Click(chromedp.ID("export-html")), chromedp.WaitVisible(chromedp.CSS("h1")))
	if got := text("h1"); got != "Technical documentation: essential requirements" {
		t.Errorf("report title = %q", got)
	}
	do("overview", chromedp.Navigate(env.url+"/conformity"), chromedp.WaitVisible(chromedp.ID("conformity-overview")))
	if got := text("#conformity-overview"); !strings.Contains(got, "Gateway") || !strings.Contains(got, "1.6.0") {
		t.Errorf("overview = %q", got)
	}
}
