package server_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/rampart-security/rampart/internal/browsertest"
)

// TestBrowserAttackSession: two browsers, two people. The facilitator (an
// editor) starts a session and makes a one-time link; a guest without an
// account joins with it in a second browser. Each adds an idea and sees
// the other's arrive; the guest votes; the facilitator merges the guest's
// idea, which becomes a tracked threat on the threat model page, and the
// guest sees it merged.
func TestBrowserAttackSession(t *testing.T) {
	env := newEnv(t, "sqlite")
	p := env.newProduct(t, "Smart plug")
	env.putTemplateModel(t, p.ID, "smart-home")
	ed, text, doEd := newBrowser(t)
	guestCtx, _, doGuest := newBrowser(t)

	doEd("sign in", signIn(fmt.Sprintf("%s/products/%d", env.url, p.ID), "ed", env.password, chromedp.WaitVisible(chromedp.ID("attack-sessions-link")))...)
	doEd("start a session", chromedp.Click(chromedp.ID("attack-sessions-link")), chromedp.WaitVisible(chromedp.ID("start-session")),
		chromedp.SendKeys(chromedp.CSS(`#start-session input[name=title]`), "Attack the plug"),
		chromedp.Click(chromedp.CSS(`#start-session button[type=submit]`)), chromedp.WaitVisible(chromedp.ID("idea-form")))
	doEd("make a join link", chromedp.SendKeys(chromedp.CSS(`#invite input[name=label]`), "Dana (design)"),
		chromedp.Click(chromedp.CSS(`#invite button[type=submit]`)), chromedp.WaitVisible(chromedp.ID("new-link")))
	link, err := chromedp.Run(ed, chromedp.Text(chromedp.CSS("#new-link code")))
	if err != nil || !strings.Contains(link, "/attack-sessions/join/rja_") {
		t.Fatalf("join link %q %v", link, err)
	}

	doGuest("join with the link", chromedp.Navigate(strings.TrimSpace(link)), chromedp.WaitVisible(chromedp.ID("join")),
		chromedp.SendKeys(chromedp.ID("join-name"), "Dana"), chromedp.Click(chromedp.CSS(`#join button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("idea-form")))
	browsertest.Screenshot(t, guestCtx, "attack-session-guest")
	if s := waitText(t, guestCtx, "guest", "#guest-name", "Dana"); !strings.Contains(s, "guest") {
		t.Errorf("guest header %q", s)
	}
	doGuest("add an idea", chromedp.Click(chromedp.CSS(`#targets input[value="plug"]`)), chromedp.Click(chromedp.CSS(`input[name=stride][value="I"]`)),
		chromedp.SendKeys(chromedp.ID("idea-text"), "Open the case and dump the flash over UART"), chromedp.Click(chromedp.ID("add-idea")))
	waitText(t, guestCtx, "guest", "#ideas", "dump the flash over UART")
	// The form is cleared for the next idea.
	if v, _ := chromedp.Run(guestCtx, chromedp.Value(chromedp.ID("idea-text"))); v != "" {
		t.Errorf("idea text after adding: %q", v)
	}

	// The facilitator sees the guest's idea arrive without reloading.
	waitText(t, ed, "facilitator", "#ideas", "dump the flash over UART")
	doEd("add an idea", chromedp.Click(chromedp.CSS(`#targets input[value="user-app"]`)), chromedp.Click(chromedp.CSS(`input[name=stride][value="S"]`)),
		chromedp.SendKeys(chromedp.ID("idea-text"), "Replay a captured pairing code"), chromedp.Click(chromedp.ID("add-idea")))
	waitText(t, ed, "facilitator", "#ideas", "Replay a captured pairing code")
	// … and the guest sees the facilitator's.
	waitText(t, guestCtx, "guest", "#ideas", "Replay a captured pairing code")
	doGuest("vote", chromedp.Click(chromedp.CSS(`#ideas li[data-target="user-app"] button.vote`)))
	waitText(t, guestCtx, "guest", `#ideas li[data-target="user-app"]`, "you voted")
	waitText(t, ed, "facilitator", `#ideas li[data-target="user-app"]`, "1 vote")
	waitText(t, ed, "facilitator", "#participants", "Dana")

	// Merge the guest's idea into a tracked threat.
	doEd("merge", chromedp.SetValue(chromedp.CSS(`#ideas li[data-target="plug"] form.merge select[name=severity]`), "high"),
		chromedp.Click(chromedp.CSS(`#ideas li[data-target="plug"] form.merge button[type=submit]`)))
	idea := waitText(t, ed, "facilitator", `#ideas li[data-target="plug"]`, "→ threat ATTACK-")
	browsertest.Screenshot(t, ed, "attack-session-facilitator")
	tid := ""
	if i := strings.Index(idea, "ATTACK-"); i >= 0 {
		tid = strings.Fields(idea[i:])[0]
	}
	waitText(t, guestCtx, "guest", `#ideas li[data-target="plug"]`, "merged")
	waitText(t, ed, "facilitator", "#timeline", "merged")

	doEd("the product's sessions", chromedp.Navigate(fmt.Sprintf("%s/products/%d/attack-sessions", env.url, p.ID)), chromedp.WaitVisible(chromedp.ID("sessions")))
	waitText(t, ed, "facilitator", "#sessions tbody tr", "running")
	for col, want := range map[int]string{6: "2", 7: "2", 8: "1"} { // participants, ideas, merged
		if got := text(fmt.Sprintf("#sessions tbody tr td:nth-child(%d)", col)); got != want {
			t.Errorf("sessions column %d: %q, want %q", col, got, want)
		}
	}
	doEd("open the threat model", chromedp.Navigate(fmt.Sprintf("%s/products/%d/threatmodel", env.url, p.ID)), chromedp.WaitVisible(chromedp.ID("threats")))
	row := waitText(t, ed, "facilitator", `#threats tr[id="t-`+tid+`"]`, "dump the flash")
	if !strings.Contains(row, "high") || !strings.Contains(row, "→ ed") || !strings.Contains(row, "open") {
		t.Errorf("merged threat row: %q", row)
	}
}
