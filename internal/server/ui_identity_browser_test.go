package server_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp"

	"github.com/rampart-security/rampart/internal/browsertest"
	"github.com/rampart-security/rampart/internal/identity"
)

// TestBrowserIdentity drives the identity pages in headless Chromium: an
// administrator enrols TOTP from the QR code, creates a scoped token, signs
// in again with a code, limits a user to one product as auditor, invites a
// new user, and reads and filters the audit log; the auditor then sees only
// their product and its audit trail; the invited user joins by the link.
func TestBrowserIdentity(t *testing.T) {
	env := newEnv(t, "sqlite")
	ctx, text, do := newBrowser(t)
	lock, cam := env.storeProduct(t, "Door Lock DL-2"), env.storeProduct(t, "Baby Camera C1")

	signInAs := func(name, password, code string) {
		t.Helper()
		do("sign in as "+name, signInWithCode(env.url+"/login", name, password, code, chromedp.WaitVisible(chromedp.CSS("header.top")))...)
	}

	signInAs("alice", env.password, "")
	do("account", chromedp.Navigate(env.url+"/account"), chromedp.WaitVisible(chromedp.ID("totp-start")))
	browsertest.Screenshot(t, ctx, "10-account")
	do("start TOTP", chromedp.Click(chromedp.ID("totp-start")), chromedp.WaitVisible(chromedp.ID("totp-qr")))
	// The QR code is an image URL (CSP img-src 'self'): it must have loaded.
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById("totp-qr").complete && document.getElementById("totp-qr").naturalWidth >= 200`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("QR image did not load: %v", err)
	}
	browsertest.Screenshot(t, ctx, "11-totp-enrol")
	secret := text("#totp-secret")
	code, _ := identity.TOTPCodeAt(secret, time.Now(), otp.DigitsSix, otp.AlgorithmSHA1)
	do("confirm TOTP", chromedp.SendKeys(chromedp.ID("totp-code"), code), chromedp.Click(chromedp.ID("totp-confirm")),
		chromedp.WaitVisible(chromedp.ID("recovery-codes")))
	if codes := strings.Fields(text("#recovery-codes")); len(codes) != 10 {
		t.Errorf("recovery codes shown: %v", codes)
	}
	browsertest.Screenshot(t, ctx, "12-recovery-codes")

	do("create scoped token",
		chromedp.SendKeys(chromedp.CSS(`#token-form input[name=name]`), "ci-door-lock"),
		chromedp.Click(chromedp.CSS(`#token-form input[value="sbom:write"]`)),
		chromedp.Click(chromedp.CSS(`#token-form input[value="products:read"]`)),
		chromedp.Click(chromedp.CSS(`#token-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("new-token")))
	if tok := text("#new-token"); !strings.HasPrefix(tok, "rmp_") {
		t.Errorf("new token = %q", tok)
	}
	if row := text("#tokens tbody"); !strings.Contains(row, "products:read sbom:write") {
		t.Errorf("token row lacks scopes: %q", row)
	}
	browsertest.Screenshot(t, ctx, "13-token")
	do("sign out", signOut(env.url+"/account")...)

	// Sign-in now needs the code; the next step's code has not been used.
	next, _ := identity.TOTPCodeAt(secret, time.Now().Add(30*time.Second), otp.DigitsSix, otp.AlgorithmSHA1)
	do("password only", signIn(env.url+"/login", "alice", env.password, chromedp.WaitVisible(chromedp.CSS("p.error")))...)
	signInAs("alice", env.password, next)

	// Administration: limit vic to product roles, make vic auditor of the lock.
	do("users page", chromedp.Navigate(env.url+"/admin/users"), chromedp.WaitVisible(chromedp.ID("users")))
	do("limit vic", chromedp.Click(chromedp.CSS(`tr[data-user=vic] button.link`)))
	waitText(t, ctx, "limit vic", "div.flash", "User updated")
	do("vic auditor of lock",
		chromedp.SetValue(chromedp.CSS(`tr[data-user=vic] form.add-member select[name=product]`), itoa(lock.ID)),
		chromedp.SetValue(chromedp.CSS(`tr[data-user=vic] form.add-member select[name=role]`), "auditor"),
		chromedp.Click(chromedp.CSS(`tr[data-user=vic] form.add-member button`)))
	waitText(t, ctx, "vic auditor of lock", "div.flash", "Product role saved")
	if row := text("tr[data-user=vic]"); !strings.Contains(row, "Door Lock DL-2: auditor") || !strings.Contains(row, "product roles only") {
		t.Errorf("vic row = %q", row)
	}
	do("disable ed", chromedp.Click(chromedp.CSS(`tr[data-user=ed] button.danger`)))
	waitText(t, ctx, "disable ed", "tr[data-user=ed]", "Enable")
	do("invite", chromedp.SetValue(chromedp.CSS(`#invite-form select[name=role]`), "viewer"),
		chromedp.Click(chromedp.CSS(`#invite-form button`)), chromedp.WaitVisible(chromedp.ID("invite-url")))
	invite := text("#invite-url")
	if !strings.Contains(invite, "/invite?token=rmsu_") {
		t.Errorf("invite link = %q", invite)
	}
	browsertest.Screenshot(t, ctx, "14-users")

	do("audit log", chromedp.Navigate(env.url+"/audit"), chromedp.WaitVisible(chromedp.ID("audit")))
	log := text("#audit tbody")
	for _, want := range []string{"mfa.enable", "token.create", "product.member_set", "user.update", "user.invite", "auth.sign_in_failed"} {
		if !strings.Contains(log, want) {
			t.Errorf("audit log lacks %s", want)
		}
	}
	browsertest.Screenshot(t, ctx, "15-audit")
	do("filter audit", chromedp.SendKeys(chromedp.CSS(`#audit-filter input[name=action]`), "mfa."),
		chromedp.Click(chromedp.CSS(`#audit-filter button`)))
	// The form is a plain GET form: wait for its result page.
	waitText(t, ctx, "filtered", "#audit-filter", "Filter")
	for i := 0; ; i++ {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		if strings.Contains(loc, "action=mfa.") {
			break
		}
		if i == 50 {
			t.Fatalf("filter form did not submit (at %s)", loc)
		}
		time.Sleep(100 * time.Millisecond)
	}
	waitText(t, ctx, "filtered", "#audit tbody", "mfa.enable")
	if rows := text("#audit tbody"); strings.Contains(rows, "token.create") || !strings.Contains(rows, "mfa.enable") {
		t.Errorf("filtered audit = %q", rows)
	}
	do("sign out", signOut(env.url+"/account")...)

	// The auditor sees only the lock, and only its audit trail.
	signInAs("vic", env.password, "")
	if got := text("#products"); !strings.Contains(got, "Door Lock DL-2") || strings.Contains(got, "Baby Camera") {
		t.Errorf("auditor's portfolio = %q", got)
	}
	do("auditor audit log", chromedp.Navigate(env.url+"/audit"), chromedp.WaitVisible(chromedp.ID("audit")))
	if rows := text("#audit tbody"); !strings.Contains(rows, "product.member_set") || strings.Contains(rows, "mfa.enable") {
		t.Errorf("auditor's audit log shows other events: %q", rows)
	}
	do("camera hidden", chromedp.Navigate(env.url+"/products/"+itoa(cam.ID)), chromedp.WaitVisible(chromedp.CSS("h1")))
	if got := text("h1"); got != "Page not found" {
		t.Errorf("other product as auditor: %q", got)
	}
	do("sign out", signOut(env.url+"/account")...)

	// The invited user joins with the one-time link.
	do("join", chromedp.Navigate(invite), chromedp.WaitVisible(chromedp.ID("join")),
		chromedp.SendKeys(chromedp.ID("name"), "nina"),
		chromedp.SendKeys(chromedp.ID("password"), "nina's long passphrase 42"),
		chromedp.SendKeys(chromedp.ID("confirm"), "nina's long passphrase 42"),
		chromedp.Click(chromedp.ID("join")), chromedp.WaitVisible(chromedp.CSS("header.top")))
	if got := text(".who a"); !strings.Contains(got, "nina") {
		t.Errorf("joined as %q", got)
	}
	do("sign out", signOut(env.url+"/account")...)
	do("invite used", chromedp.Navigate(invite), chromedp.WaitVisible(chromedp.CSS("p.error")))
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
