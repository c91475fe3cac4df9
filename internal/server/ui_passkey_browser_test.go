package server_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/browsertest"
	"github.com/rampart-security/rampart/internal/store/storetest"
)

// TestBrowserPasskey registers a passkey from the account page and signs in
// with it, end to end in headless Chromium with a CDP virtual authenticator
// (CTAP2, resident keys, user verification). WebAuthn needs a domain as RP
// ID, so the browser uses localhost rather than 127.0.0.1.
func TestBrowserPasskey(t *testing.T) {
	for _, eng := range storetest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) { testBrowserPasskey(t, eng.Name) })
	}
}

func testBrowserPasskey(t *testing.T, engine string) {
	env := newEnv(t, engine)
	ctx := browsertest.New(t)
	base := strings.Replace(env.url, "127.0.0.1", "localhost", 1)
	if _, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		t.Fatalf("WebAuthn.enable: %v", err)
	}
	auth, err := chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &webauthn.VirtualAuthenticatorOptions{
		Protocol: webauthn.AuthenticatorProtocolCtap2, Transport: webauthn.AuthenticatorTransportInternal,
		HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true}})
	if err != nil {
		t.Fatalf("WebAuthn.addVirtualAuthenticator: %v", err)
	}
	do := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			errText, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.getElementById("passkey-error")||{}).textContent||""`))
			t.Fatalf("%s (at %s; page error %q): %v", step, loc, errText, err)
		}
	}
	do("sign in with password", signIn(base+"/login", "vic", env.password, chromedp.WaitVisible(chromedp.CSS("header.top")))...)
	do("register passkey", chromedp.Navigate(base+"/account"), chromedp.WaitVisible(chromedp.ID("passkey-register")),
		chromedp.SetValue(chromedp.ID("passkey-name"), "virtual key"),
		chromedp.Click(chromedp.ID("passkey-register")),
		chromedp.WaitVisible(chromedp.CSS("div.flash")))
	list, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("passkey-list"), chromedp.NodeVisible))
	if err != nil || !strings.Contains(list, "virtual key") {
		t.Fatalf("passkey list = %q (%v)", list, err)
	}
	browsertest.Screenshot(t, ctx, "20-passkey-added")
	creds, err := chromedp.Call(ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams(auth))
	if err != nil || len(creds.Credentials) != 1 || !creds.Credentials[0].IsResidentCredential {
		t.Fatalf("authenticator holds %+v (%v), want one resident credential", creds, err)
	}
	do("sign out", chromedp.Click(chromedp.CSS(`.who button`)), chromedp.WaitVisible(chromedp.ID("signin")))

	browsertest.Screenshot(t, ctx, "21-login-passkey")
	do("sign in with passkey", chromedp.Click(chromedp.ID("passkey-signin")), chromedp.WaitVisible(chromedp.CSS("header.top")))
	who, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".who a"), chromedp.NodeVisible))
	if !strings.Contains(who, "vic") {
		t.Errorf("signed in as %q", who)
	}
	// With a passkey enrolled, a password sign-in needs the passkey as its
	// second factor: the browser confirms it; the JSON API refuses (it
	// cannot run WebAuthn), like a missing TOTP code.
	do("sign out again", signOut(base+"/account")...)
	do("password, then passkey", append(fillSignIn("vic", env.password, ""), chromedp.WaitVisible(chromedp.ID("passkey-confirm")))...)
	browsertest.Screenshot(t, ctx, "22-passkey-second-factor")
	do("confirm with passkey", chromedp.Click(chromedp.ID("passkey-confirm")), chromedp.WaitVisible(chromedp.CSS("header.top")),
		chromedp.Navigate(base+"/account"), chromedp.WaitVisible(chromedp.ID("passkeys")))
	if head, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".head"), chromedp.NodeVisible)); !strings.Contains(head, "two factors") {
		t.Errorf("session after password + passkey is not two-factor: %q", head)
	}
	if r, _ := env.login(t, "", "vic", env.password, ""); r.StatusCode != 401 {
		t.Errorf("API password sign-in of a passkey user: %d, want 401", r.StatusCode)
	}
	ctxb := context.Background()
	vic, _ := env.store.UserByName(ctxb, "vic")
	pks, _ := env.store.Passkeys(ctxb, vic.ID)
	if len(pks) != 1 || pks[0].LastUsedAt == nil || !vic.MFA {
		t.Errorf("stored passkeys %+v, mfa=%v", pks, vic.MFA)
	}
	evs, _ := env.store.AuditEvents(ctxb, audit.Query{Actor: "vic"})
	var added, signedIn, second bool
	for _, e := range evs {
		added = added || e.Action == "mfa.passkey_add"
		signedIn = signedIn || (e.Action == "auth.sign_in" && e.Detail == "passkey")
		second = second || (e.Action == "auth.sign_in" && e.Detail == "password and passkey")
	}
	if !added || !signedIn || !second {
		t.Errorf("audit: passkey added %v, passkey sign-in %v, password+passkey %v", added, signedIn, second)
	}
}
