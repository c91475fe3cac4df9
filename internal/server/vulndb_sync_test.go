package server_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rampart-security/rampart/internal/browsertest"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/jobs"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/server"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/vuln"
	"github.com/rampart-security/rampart/internal/vuln/mirror"
)

// kevCatalog is a CISA KEV catalogue written for these tests, listing
// CVE-2099-12345 (GO-2099-0001's alias) as added on the day the catalogue
// version names (YYYY.MM.DD) and due by due.
func kevCatalog(version, due string) string {
	return fmt.Sprintf(`{"title":"CISA Catalog of Known Exploited Vulnerabilities","catalogVersion":"%s","count":1,"vulnerabilities":[
{"cveID":"CVE-2099-12345","vendorProject":"Go","product":"x/net","vulnerabilityName":"x/net HTTP/2 DoS","dateAdded":"%s",
"shortDescription":"DoS","requiredAction":"Update","dueDate":"%s","knownRansomwareCampaignUse":"Unknown","notes":""}]}`, version, strings.ReplaceAll(version, ".", "-"), due)
}

// kevFixture lists CVE-2099-12345 with a due date far ahead.
var kevFixture = kevCatalog("2099.01.01", "2099-01-22")

// feedMirror serves the OSV Go all.zip and the KEV catalogue from memory,
// as an internal mirror would; the NVD and EPSS URLs answer 404.
func feedMirror(t *testing.T) (*httptest.Server, *sync.Map) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("GO-2099-0001.json")
	w.Write([]byte(osvFixture))
	zw.Close()
	hits := &sync.Map{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := hits.LoadOrStore(r.URL.Path, new(int))
		*n.(*int)++
		switch r.URL.Path {
		case "/osv/Go/all.zip":
			w.Write(buf.Bytes())
		case "/kev.json":
			io.WriteString(w, kevFixture)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, hits
}

// shippedWithXNet creates the product Fleet with a shipped release version
// whose SBOM has golang.org/x/net v0.17.0.
func shippedWithXNet(t *testing.T, e *env, version string) inventory.Release {
	t.Helper()
	p := e.newProduct(t, "Fleet")
	rel := e.postRelease(t, "editor", p.ID, map[string]any{"version": version, "status": "shipped"})
	e.postSBOM(t, "editor", rel.ID, xnetBOM("net-old", "v0.17.0"))
	return rel
}

// TestVulnDBSyncAPI: the status lists every configured source before and
// after an update with its records, attempts and error; "Update now" is
// admin-only, recorded for the background updater and served by it; the
// update re-matches the release.
func TestVulnDBSyncAPI(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			feeds, _ := feedMirror(t)
			var vs *portfolio.VulnSync
			e := newEnv(t, engine, func(c *server.Config, st *store.Store) {
				vs = portfolio.NewVulnSync(st, portfolio.SyncConfig{Interval: 6 * time.Hour,
					Sources: mirror.Sources{OSV: []string{feeds.URL + "/osv/Go/all.zip"}, KEV: feeds.URL + "/kev.json", EPSS: feeds.URL + "/epss.csv.gz"}})
				c.VulnSync = vs
			})
			rel := shippedWithXNet(t, e, "1")
			var status portfolio.Status
			e.call(t, "viewer", "GET", "/api/v1/vulndb/status", nil, &status)
			if len(status.Sources) != 3 || status.Sources[0].Source != "epss" || status.Sources[2].Source != "osv/Go" || status.Sources[0].LastAttempt != nil {
				t.Fatalf("sources before any update: %+v", status.Sources)
			}
			if status.IntervalSeconds != 6*3600 || status.Offline {
				t.Errorf("status config: %+v", status)
			}
			if r := e.call(t, "viewer", "POST", "/api/v1/vulndb/update", nil, nil); r.StatusCode != http.StatusForbidden {
				t.Errorf("viewer update: %d", r.StatusCode)
			}
			if r := e.call(t, "admin", "POST", "/api/v1/vulndb/update", nil, &status); r.StatusCode != http.StatusAccepted || !status.Sync.Pending {
				t.Fatalf("admin update: %d %+v", r.StatusCode, status.Sync)
			}
			syncer := jobs.NewVulnSyncer(vs, e.store, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if ran, err := syncer.Step(context.Background()); !ran || err != nil {
				t.Fatalf("background update: %v %v", ran, err)
			}
			e.call(t, "viewer", "GET", "/api/v1/vulndb/status", nil, &status)
			got := map[string]vuln.SourceStatus{}
			for _, s := range status.Sources {
				got[s.Source] = s
			}
			if s := got["osv/Go"]; s.Records != 1 || s.LastSuccess == nil || s.Error != "" {
				t.Errorf("osv/Go: %+v", s)
			}
			if s := got["kev"]; s.Records != 1 || s.LastSuccess == nil {
				t.Errorf("kev: %+v", s)
			}
			if s := got["epss"]; s.LastAttempt == nil || s.LastSuccess != nil || !strings.Contains(s.Error, "404") {
				t.Errorf("failing epss: %+v", s)
			}
			if status.Sync.Pending || status.Sync.Running || status.Sync.FinishedAt == nil {
				t.Errorf("sync after the update: %+v", status.Sync)
			}
			var vulns struct{ Items []vuln.ReleaseVuln }
			e.call(t, "viewer", "GET", fmt.Sprintf("/api/v1/releases/%d/vulnerabilities", rel.ID), nil, &vulns)
			if len(vulns.Items) != 1 || !vulns.Items[0].KEV {
				t.Errorf("release matches after the update: %+v", vulns.Items)
			}
		})
	}
}

func bundleZip(t *testing.T, entries map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, data := range entries {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestVulnDBBundleAPI uploads offline bundles: a good one imports and
// re-matches and is listed as the "bundle" source; a zip-slip entry and a
// broken record are refused naming the entry, storing nothing; an offline
// server refuses "Update now".
func TestVulnDBBundleAPI(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			e := newEnv(t, engine, func(c *server.Config, st *store.Store) {
				c.VulnSync = portfolio.NewVulnSync(st, portfolio.SyncConfig{Offline: true, Interval: time.Hour})
			})
			rel := shippedWithXNet(t, e, "1")
			if r := e.call(t, "admin", "POST", "/api/v1/vulndb/update", nil, nil); r.StatusCode != http.StatusConflict {
				t.Errorf("update on an offline server: %d", r.StatusCode)
			}
			var problem struct{ Detail, Field string }
			slip := bundleZip(t, map[string]string{"../../x.json": osvFixture})
			if r := e.call(t, "admin", "POST", "/api/v1/vulndb/bundle?filename=slip.zip", slip, &problem); r.StatusCode != 400 || !strings.Contains(problem.Detail, "leaves the bundle's folder") {
				t.Errorf("zip slip: %d %+v", r.StatusCode, problem)
			}
			broken := bundleZip(t, map[string]string{"osv/GO-2099-0001.json": osvFixture, "osv/GO-2099-0002.json": `{"id":"GO-2099-0002","affected":[{"ranges":[{"type":"SEMVER","events":"x"}]}]}`})
			if r := e.call(t, "admin", "POST", "/api/v1/vulndb/bundle?filename=broken.zip", broken, &problem); r.StatusCode != 400 || !strings.Contains(problem.Detail, "GO-2099-0002.json") {
				t.Errorf("broken record: %d %+v", r.StatusCode, problem)
			}
			var status portfolio.Status
			e.call(t, "viewer", "GET", "/api/v1/vulndb/status", nil, &status)
			if status.Advisories != 0 || len(status.Sources) != 1 || status.Sources[0].Source != "bundle" || status.Sources[0].Error == "" {
				t.Fatalf("after refused bundles: %+v", status)
			}
			if r := e.call(t, "editor", "POST", "/api/v1/vulndb/bundle", bundleZip(t, map[string]string{"a.json": osvFixture}), nil); r.StatusCode != http.StatusForbidden {
				t.Errorf("editor bundle: %d", r.StatusCode)
			}
			good := bundleZip(t, map[string]string{"osv/go/GO-2099-0001.json": osvFixture, "kev/known_exploited_vulnerabilities.json": kevFixture,
				"osv/schema.json": `{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"id":{}}}`})
			var rec vuln.FeedImport
			if r := e.call(t, "admin", "POST", "/api/v1/vulndb/bundle?filename=2099-01-01.zip", good, &rec); r.StatusCode != http.StatusCreated || rec.Advisories != 1 || rec.KEV != 1 || len(rec.Skipped) != 1 {
				t.Fatalf("good bundle: %d %+v", r.StatusCode, rec)
			}
			e.call(t, "viewer", "GET", "/api/v1/vulndb/status", nil, &status)
			if s := status.Sources[0]; s.Records != 2 || s.Error != "" || s.URL != "2099-01-01.zip" || !status.Offline {
				t.Errorf("bundle source: %+v", s)
			}
			var vulns struct{ Items []vuln.ReleaseVuln }
			e.call(t, "viewer", "GET", fmt.Sprintf("/api/v1/releases/%d/vulnerabilities", rel.ID), nil, &vulns)
			if len(vulns.Items) != 1 || !vulns.Items[0].KEV {
				t.Errorf("release matches after the bundle: %+v", vulns.Items)
			}
			var log struct {
				Items []struct{ Action, Object, Outcome string }
			}
			e.call(t, "admin", "GET", "/api/v1/audit", nil, &log)
			outcomes := ""
			for _, ev := range log.Items {
				if ev.Action == "vulndb.bundle" {
					outcomes += ev.Object + "=" + ev.Outcome + " "
				}
			}
			if !strings.Contains(outcomes, "2099-01-01.zip=ok") || !strings.Contains(outcomes, "slip.zip=failed") {
				t.Errorf("audit of bundles: %q", outcomes)
			}
		})
	}
}

// TestBrowserVulnDB drives the "Vulnerability data" page in Chromium:
// the per-source table, "Update now" (served by the background updater,
// the page following its progress) and an offline-bundle upload.
func TestBrowserVulnDB(t *testing.T) {
	feeds, _ := feedMirror(t)
	var vs *portfolio.VulnSync
	env := newEnv(t, "sqlite", func(c *server.Config, st *store.Store) {
		vs = portfolio.NewVulnSync(st, portfolio.SyncConfig{Interval: 6 * time.Hour,
			Sources: mirror.Sources{OSV: []string{feeds.URL + "/osv/Go/all.zip"}, KEV: feeds.URL + "/kev.json"}})
		c.VulnSync = vs
	})
	bundle := filepath.Join(t.TempDir(), "offline-2099.zip")
	os.WriteFile(bundle, bundleZip(t, map[string]string{"nvd/CVE-2099-1000.json": string(readFile(t, "../vuln/feeds/nvd/testdata/CVE-2099-1000.json"))}), 0o600)

	bctx, text, do := env.signedInBrowser(t, "/login", "new-product")
	do("open from the menu", chromedp.Click(chromedp.CSS(`header nav a[href="/admin/vulndb"]`)), chromedp.WaitVisible(chromedp.ID("vulndb-sources")))
	if got := text("#vulndb-sources"); !strings.Contains(got, "osv/Go") || !strings.Contains(got, "kev") || !strings.Contains(got, "not tried yet") {
		t.Errorf("sources before an update: %q", got)
	}
	do("update now", chromedp.Click(chromedp.CSS(`#vulndb-update button`)), chromedp.WaitVisible(chromedp.ID("vulndb-pending")))
	// The background updater (here one step of it) serves the request; the
	// page polls and shows the result without a reload.
	go func() {
		syncer := jobs.NewVulnSyncer(vs, env.store, slog.New(slog.NewTextHandler(io.Discard, nil)))
		syncer.Step(context.Background())
	}()
	do("progress followed", chromedp.WaitVisible(chromedp.ID("vulndb-result")))
	if got := text("#vulndb-result"); !strings.Contains(got, "imported 1 advisories") {
		t.Errorf("result = %q", got)
	}
	do("reload", chromedp.Navigate(env.url+"/admin/vulndb"), chromedp.WaitVisible(chromedp.ID("vulndb-sources")))
	if got := text(`#vulndb-sources tr[data-source="osv/Go"]`); !strings.Contains(got, "ok") || !strings.Contains(got, "1") {
		t.Errorf("osv/Go row after the update: %q", got)
	}
	browsertest.Screenshot(t, bctx, "vulndb-01-page")
	do("upload a bundle", chromedp.SetUploadFiles(chromedp.CSS(`#bundle-form input[type=file]`), []string{bundle}),
		chromedp.Click(chromedp.CSS(`#bundle-form button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS("div.flash")))
	if got := text("div.flash"); !strings.Contains(got, "offline-2099.zip imported: 1 advisories") {
		t.Errorf("flash = %q", got)
	}
	if got := text(`#vulndb-sources tr[data-source="bundle"]`); !strings.Contains(got, "offline-2099.zip") {
		t.Errorf("bundle row: %q", got)
	}
}
