package server_test

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/rampart-security/rampart/internal/browsertest"
)

// browserSteps returns the two helpers every Chromium test uses: text reads
// a visible element's text, do runs a named step and fails the test with
// the page's location when it does not complete.
func browserSteps(t *testing.T, ctx context.Context) (text func(string) string, do func(string, ...chromedp.Action[chromedp.Void])) {
	text = func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	do = func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			t.Fatalf("%s (at %s): %v", step, loc, err)
		}
	}
	return text, do
}

// signInAlice are the steps that sign alice in with password on the page
// at url (which shows the sign-in form) and wait for landing, an element of
// the page she arrives at.
func signInAlice(url, password string, landing chromedp.Action[chromedp.Void]) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{chromedp.Navigate(url), chromedp.WaitVisible(chromedp.ID("signin")),
		chromedp.SendKeys(chromedp.ID("name"), "alice"), chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("signin")), landing}
}

// signedInBrowser starts Chromium, signs alice in on the page at path
// (which shows the sign-in form) and waits for the element landing of the
// page she arrives at; it returns the browser and browserSteps' helpers.
func (e *env) signedInBrowser(t *testing.T, path, landing string) (context.Context, func(string) string, func(string, ...chromedp.Action[chromedp.Void])) {
	t.Helper()
	ctx := browsertest.New(t)
	text, do := browserSteps(t, ctx)
	do("sign in", signInAlice(e.url+path, e.password, chromedp.WaitVisible(chromedp.ID(landing)))...)
	return ctx, text, do
}
