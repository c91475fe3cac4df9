package server_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/rampart-security/rampart/internal/browsertest"
	"github.com/rampart-security/rampart/internal/portfolio"
)

// TestBrowserFirmware drives the firmware page in headless Chromium: open
// it from the release, upload an image through the form, see the summary,
// the issues (a default password among them), the hardening table and the
// diff to the previous release's image, and follow an issue to its finding.
func TestBrowserFirmware(t *testing.T) {
	env := newEnv(t, "sqlite")
	ctx := context.Background()
	img, err := filepath.Abs("../firmware/testdata/rootfs.sqsh")
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	old, err := env.store.EnsureRelease(ctx, "Router", "1.0")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := portfolio.ImportFirmware(ctx, env.store, portfolio.FirmwareRequest{ReleaseID: old.ID, FileName: "old.sqsh", Actor: "alice", Image: data}); err != nil {
		t.Fatal(err)
	}
	rel, err := env.store.EnsureRelease(ctx, "Router", "2.0")
	if err != nil {
		t.Fatal(err)
	}
	bctx := browsertest.New(t)
	text, do := browserSteps(t, bctx)
	do("sign in", chromedp.Navigate(env.url+"/login"), chromedp.WaitVisible(chromedp.ID("signin")),
		chromedp.SendKeys(chromedp.ID("name"), "alice"), chromedp.SendKeys(chromedp.ID("password"), env.password),
		chromedp.Click(chromedp.ID("signin")), chromedp.WaitVisible(chromedp.ID("new-product")))
	do("open from the release", chromedp.Navigate(fmt.Sprintf("%s/releases/%d", env.url, rel.ID)),
		chromedp.Click(chromedp.ID("firmware-link")), chromedp.WaitVisible(chromedp.ID("no-firmware")))
	do("upload", chromedp.SetUploadFiles(chromedp.ID("firmware-file"), []string{img}),
		chromedp.Click(chromedp.CSS(`#firmware-form button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS("div.flash")))
	if got := text("div.flash"); !strings.Contains(got, "rootfs.sqsh analysed") || !strings.Contains(got, "new findings") {
		t.Errorf("flash = %q", got)
	}
	if got := text("#firmware-summary"); !strings.Contains(got, "rootfs.sqsh") || !strings.Contains(got, "squashfs") || !strings.Contains(got, "ELF files") {
		t.Errorf("summary = %.300s", got)
	}
	issues := text("#issue-table")
	for _, want := range []string{"default_password", "/etc/shadow", "private_key", "setuid_root"} {
		if !strings.Contains(issues, want) {
			t.Errorf("issues table lacks %q: %.400s", want, issues)
		}
	}
	if got := text("#hardening-table thead"); !strings.Contains(got, "RELRO") || !strings.Contains(got, "FORTIFY") {
		t.Errorf("hardening header = %q", got)
	}
	if got := text("#hardening-table tbody"); !strings.Contains(got, "/") {
		t.Errorf("hardening rows = %q", got)
	}
	// Same image as 1.0: the diff is there and has nothing new.
	if got := text("#firmware-diff"); !strings.Contains(got, "old.sqsh") || !strings.Contains(got, "No changes") {
		t.Errorf("diff = %.300s", got)
	}
	browsertest.Screenshot(t, bctx, "firmware-01-page")
	do("follow to the finding", chromedp.Click(chromedp.CSS(`tr.issue-default_password a.finding-link`)), chromedp.WaitVisible(chromedp.CSS("h1")))
	if loc, _ := chromedp.Run(bctx, chromedp.Location()); !strings.Contains(loc, "/findings/") {
		t.Errorf("finding link went to %s", loc)
	}
	if got := text("body"); !strings.Contains(got, "Default password") || !strings.Contains(got, "/etc/shadow") {
		t.Errorf("finding page = %.300s", got)
	}
}
