package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/rampart-security/rampart/internal/browsertest"
)

// newBrowser starts Chromium and returns its tab with the two helpers every
// Chromium test uses: text reads a visible element's text, do runs a named
// step (logged with the time since the start) and fails the test with the
// page's location when it does not complete.
func newBrowser(t *testing.T) (ctx context.Context, text func(string) string, do func(string, ...chromedp.Action[chromedp.Void])) {
	t.Helper()
	ctx = browsertest.New(t)
	start := time.Now()
	text = func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
		if err != nil {
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			t.Fatalf("text of %s (at %s): %v", sel, loc, err)
		}
		return s
	}
	do = func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		t.Logf("%6.1fs %s", time.Since(start).Seconds(), step)
		if err := chromedp.Do(ctx, actions...); err != nil {
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			t.Fatalf("%s (at %s): %v", step, loc, err)
		}
	}
	return ctx, text, do
}

// valueOf reads the value of the form field sel.
func valueOf(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("value of %s: %v", sel, err)
	}
	return v
}

// waitText waits until the visible element sel's text contains want and
// returns that text (pages that poll show other people's changes within
// seconds); who names the browser or step in the failure.
func waitText(t *testing.T, ctx context.Context, who, sel, want string) string {
	t.Helper()
	got := ""
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible)); err == nil {
			got = s
			if strings.Contains(s, want) {
				return s
			}
		}
	}
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	t.Fatalf("%s: %s never showed %q (at %s; last %q)", who, sel, want, loc, got)
	return ""
}

// fillSignIn are the steps that fill in the sign-in form shown (name,
// password and, when not "", the TOTP code) and send it.
func fillSignIn(name, password, code string) []chromedp.Action[chromedp.Void] {
	actions := []chromedp.Action[chromedp.Void]{chromedp.SendKeys(chromedp.ID("name"), name), chromedp.SendKeys(chromedp.ID("password"), password)}
	if code != "" {
		actions = append(actions, chromedp.SendKeys(chromedp.ID("totp"), code))
	}
	return append(actions, chromedp.Click(chromedp.ID("signin")))
}

// signIn are the steps that open the page at url (which shows the sign-in
// form), sign name in with password and wait for landing, an element of
// the page they arrive at.
func signIn(url, name, password string, landing chromedp.Action[chromedp.Void]) []chromedp.Action[chromedp.Void] {
	return signInWithCode(url, name, password, "", landing)
}

// signInWithCode is signIn with the TOTP code (none when "").
func signInWithCode(url, name, password, code string, landing chromedp.Action[chromedp.Void]) []chromedp.Action[chromedp.Void] {
	return append(append([]chromedp.Action[chromedp.Void]{chromedp.Navigate(url), chromedp.WaitVisible(chromedp.ID("signin"))},
		fillSignIn(name, password, code)...), landing)
}

// signOut are the steps that sign out from the page at url (which shows the
// header's sign-out button) and wait for the sign-in form.
func signOut(url string) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(`.who button`)),
		chromedp.Click(chromedp.CSS(`.who button`)), chromedp.WaitVisible(chromedp.ID("signin"))}
}

// signedInBrowser starts Chromium, signs alice in on the page at path
// (which shows the sign-in form) and waits for the element landing of the
// page she arrives at; it returns newBrowser's tab and helpers.
func (e *env) signedInBrowser(t *testing.T, path, landing string) (context.Context, func(string) string, func(string, ...chromedp.Action[chromedp.Void])) {
	t.Helper()
	ctx, text, do := newBrowser(t)
	do("sign in", signIn(e.url+path, "alice", e.password, chromedp.WaitVisible(chromedp.ID(landing)))...)
	return ctx, text, do
}
