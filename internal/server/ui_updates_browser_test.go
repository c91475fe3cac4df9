package server_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rampart-security/rampart/internal/browsertest"
	"github.com/rampart-security/rampart/internal/updates"
	"github.com/rampart-security/rampart/internal/vuln"
	"github.com/rampart-security/rampart/pkg/updateclient"
)

// TestBrowserUpdatesAndFleet drives the updates page in headless Chromium:
// the repository and its images, starting a staged rollout with the form,
// pausing and resuming it, and the fleet with its vulnerability exposure.
func TestBrowserUpdatesAndFleet(t *testing.T) {
	env := newEnv(t, "sqlite")
	st := env.store
	bg := context.Background()
	p := env.storeProduct(t, "Industrial Gateway IG-400")
	rels := map[string]int64{}
	for _, v := range []string{"3.1.0", "3.2.0"} {
		rels[v] = env.storeRelease(t, p.ID, v).ID
	}
	// 3.1.0 ships a vulnerable component; 3.2.0 fixed it.
	if _, err := st.ReplaceReleaseVulns(bg, rels["3.1.0"], []vuln.ReleaseVuln{{ReleaseID: rels["3.1.0"], ComponentRef: "busybox", VulnID: "CVE-2022-48174", Severity: "critical", SeverityRank: 4}}); err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	rand.Read(key)
	seal, _ := updates.NewAESSealer(key, "test")
	svc := updates.New(st, seal, nil)
	if _, err := svc.Init(bg, updates.InitRequest{Slug: "acme-gateway", ProductID: p.ID}); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"3.1.0", "3.2.0"} {
		if _, err := svc.Publish(bg, updates.PublishRequest{Slug: "acme-gateway", Name: "ig400-" + v + ".img", Content: []byte("image " + v), Hardware: "IG-400", Version: v}); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now().UTC()
	for i := range 10 {
		pub, _, _ := ed25519.GenerateKey(rand.Reader)
		d := updates.Device{ProductID: p.ID, DeviceID: updateclient.DeviceID(pub), PublicKey: pub, Hardware: "IG-400", Version: "3.1.0",
			Country: []string{"DE", "FR"}[i%2], FirstSeen: now, LastSeen: now, DeviceTime: now}
		if i < 4 {
			d.Version = "3.2.0"
		}
		d.ReleaseID = rels[d.Version]
		if err := st.SaveDevice(bg, &d); err != nil {
			t.Fatal(err)
		}
	}

	ctx, text, do := env.signedInBrowser(t, "/login", "new-product")
	do("product page links the updates page", chromedp.Navigate(fmt.Sprintf("%s/products/%d", env.url, p.ID)),
		chromedp.Click(chromedp.ID("updates-link")), chromedp.WaitVisible(chromedp.ID("targets")))
	if got := text("#targets"); !strings.Contains(got, "ig400-3.2.0.img") || !strings.Contains(got, "ig400-3.1.0.img") {
		t.Errorf("targets table = %q", got)
	}
	if got := text("#roles"); !strings.Contains(got, "timestamp") || !strings.Contains(got, "3") {
		t.Errorf("roles table = %q", got)
	}
	if got := text("#fleet h2"); !strings.Contains(got, "10") {
		t.Errorf("fleet heading = %q", got)
	}
	if got := text("#exposure-table"); !strings.Contains(got, "CVE-2022-48174") || !strings.Contains(got, "6") || !strings.Contains(got, "40.0%") {
		t.Errorf("exposure = %q, want CVE-2022-48174 on 6 devices, 40.0%% fixed", got)
	}
	if got := text("#countries"); !strings.Contains(got, "DE") || !strings.Contains(got, "FR") {
		t.Errorf("countries = %q", got)
	}
	browsertest.Screenshot(t, ctx, "updates-01-fleet")

	do("start a rollout",
		chromedp.SetValue(chromedp.CSS(`#new-rollout select[name=target]`), "ig400-3.2.0.img"),
		chromedp.SetValue(chromedp.CSS(`#new-rollout input[name=percent]`), "20"),
		chromedp.SendKeys(chromedp.CSS(`#new-rollout input[name=groups]`), "beta"),
		chromedp.Click(chromedp.CSS(`#new-rollout button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("rollout-table")))
	if got := text("#rollout-table tbody tr"); !strings.Contains(got, "ig400-3.2.0.img") || !strings.Contains(got, "20%") || !strings.Contains(got, "beta") || !strings.Contains(got, "active") {
		t.Errorf("rollout row = %q", got)
	}
	browsertest.Screenshot(t, ctx, "updates-02-rollout")
	do("pause", chromedp.Click(chromedp.CSS(`#rollout-table form button`)), chromedp.WaitVisible(chromedp.CSS(`.pill.rollout-paused`)))
	rs, err := st.Rollouts(bg, p.ID)
	if err != nil || len(rs) != 1 || rs[0].State != updates.RolloutPaused {
		t.Fatalf("after pause: %+v %v", rs, err)
	}
	do("resume", chromedp.Click(chromedp.CSS(`#rollout-table form button`)), chromedp.WaitVisible(chromedp.CSS(`.pill.rollout-active`)))
	// A rollout of an image that does not exist is refused with a message.
	do("bad rollout", chromedp.Navigate(fmt.Sprintf("%s/products/%d/updates", env.url, p.ID)), chromedp.WaitVisible(chromedp.ID("new-rollout")),
		chromedp.SetValue(chromedp.CSS(`#new-rollout input[name=percent]`), "0"),
		chromedp.Click(chromedp.CSS(`#new-rollout button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`.flash`)))
	if got := text(".flash"); !strings.Contains(got, "Not started") {
		t.Errorf("flash = %q", got)
	}
}
