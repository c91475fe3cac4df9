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
	"github.com/rampart-security/rampart/internal/firmware"
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
	data := readFile(t, img)
	old := env.ensureRelease(t, "Router", "1.0")
	if _, err := portfolio.ImportFirmware(ctx, env.store, portfolio.FirmwareRequest{ReleaseID: old.ID, FileName: "old.sqsh", Actor: "alice", Image: data}); err != nil {
		t.Fatal(err)
	}
	rel := env.ensureRelease(t, "Router", "2.0")
	bctx, text, do := env.signedInBrowser(t, "/login", "new-product")
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

	// A queued image shows its progress panel; when a worker has analysed
	// it, the polling page moves on to the result by itself.
	rel3 := env.ensureRelease(t, "Router", "3.0")
	env.srv.Firmware().Wait() // the upload's worker has ended: nothing claims the next job before Kick
	job := firmware.Job{ReleaseID: rel3.ID, FileName: "queued.sqsh", CreatedBy: "alice"}
	if err := env.store.QueueFirmwareJob(ctx, &job, data); err != nil {
		t.Fatal(err)
	}
	do("see the queued job", chromedp.Navigate(fmt.Sprintf("%s/releases/%d/firmware", env.url, rel3.ID)),
		chromedp.WaitVisible(chromedp.ID("firmware-progress")))
	if got := text("#firmware-job"); !strings.Contains(got, "Analysing") || !strings.Contains(got, "queued.sqsh") || !strings.Contains(got, "queued") {
		t.Errorf("job panel = %q", got)
	}
	browsertest.Screenshot(t, bctx, "firmware-02-queued")
	env.srv.Firmware().Kick()
	do("the page follows the job to its result", chromedp.WaitVisible(chromedp.CSS("div.flash")), chromedp.WaitVisible(chromedp.ID("firmware-summary")))
	if got := text("div.flash"); !strings.Contains(got, "queued.sqsh analysed") {
		t.Errorf("flash after the job = %q", got)
	}
	// An image that does not unpack: the failed job says why.
	do("upload junk", chromedp.SetUploadFiles(chromedp.ID("firmware-file"), []string{junkFile(t)}),
		chromedp.Click(chromedp.CSS(`#firmware-form button[type=submit]`)), chromedp.WaitVisible(chromedp.ID("firmware-job-error")))
	if got := text("#firmware-job"); !strings.Contains(got, "Analysis failed") || !strings.Contains(got, "unreadable firmware image") {
		t.Errorf("failed job panel = %q", got)
	}
	if got := text("#firmware-summary"); !strings.Contains(got, "queued.sqsh") {
		t.Errorf("the earlier analysis is still shown: %q", got)
	}
}

func junkFile(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(p, []byte("this is not a firmware image"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
