package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/rampart-security/rampart/internal/browsertest"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/inventory"
)

// osvFixture2 is a second OSV record written for these tests: an
// high (CVSS 7.5), unfixed issue in the same module.
const osvFixture2 = `{"schema_version":"1.6.0","id":"GO-2099-0002","modified":"2099-01-02T00:00:00Z","aliases":["CVE-2099-22222"],
"summary":"Header smuggling in the HTTP/1 parser","severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}],"affected":[{"package":{"name":"golang.org/x/net","ecosystem":"Go"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}]}]}`

// overviewPortfolio imports two advisories (one KEV with EPSS and a fix,
// one unfixed) and two products: a shipped and a development release of
// Gateway, and a shipped release of Camera, all with the vulnerable x/net.
func overviewPortfolio(t *testing.T, e *env) (gw, cam inventory.Product) {
	t.Helper()
	e.importFeedFiles(t, map[string]string{"GO-2099-0001.json": osvFixture, "GO-2099-0002.json": osvFixture2, "kev.json": kevFixture,
		"epss-1.csv": "#model_version:v2025.03.14,score_date:2099-01-01T12:55:00Z\ncve,epss,percentile\nCVE-2099-12345,0.42000,0.97000\n"})
	mk := func(p inventory.Product, version, status string) {
		rel := e.postRelease(t, "admin", p.ID, map[string]any{"version": version, "status": status})
		e.postSBOM(t, "admin", rel.ID, xnetBOM("net", "v0.17.0"))
	}
	gw, cam = e.postProduct(t, "admin", map[string]any{"name": "Gateway"}), e.postProduct(t, "admin", map[string]any{"name": "Camera"})
	mk(gw, "1.0", "shipped")
	mk(gw, "2.0-dev", "development")
	mk(cam, "3.1", "shipped")
	return gw, cam
}

type overviewPage struct {
	Items []struct {
		ID           string
		KEV          bool
		EPSS         float64
		FixAvailable bool `json:"fix_available"`
		Releases     []struct {
			ReleaseID   int64  `json:"release_id"`
			ProductName string `json:"product_name"`
			Status      string
		}
		VEX map[string]int
	}
	Next       string
	Total      int
	KEV        int
	Releases   int
	BySeverity map[string]int `json:"by_severity"`
}

func ids(p overviewPage) string {
	var out []string
	for _, it := range p.Items {
		out = append(out, it.ID)
	}
	return strings.Join(out, ",")
}

// TestVulnerabilityOverviewAPI lists the portfolio's vulnerabilities on
// both engines with every filter, sort and the cursor, limited to the
// caller's products.
func TestVulnerabilityOverviewAPI(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		gw, cam := overviewPortfolio(t, e)
		var p overviewPage
		e.call(t, "viewer", "GET", "/api/v1/vulnerabilities", nil, &p)
		if ids(p) != "GO-2099-0001,GO-2099-0002" || p.Total != 2 || p.KEV != 1 || p.Releases != 3 {
			t.Fatalf("default list (risk order): %s total %d kev %d releases %d", ids(p), p.Total, p.KEV, p.Releases)
		}
		if it := p.Items[0]; !it.KEV || it.EPSS != 0.42 || !it.FixAvailable || len(it.Releases) != 3 || it.VEX["none"] != 3 {
			t.Errorf("KEV row: %+v", it)
		}
		for q, want := range map[string]string{
			"kev=true":                       "GO-2099-0001",
			"epss_above=0.4":                 "GO-2099-0001",
			"epss_above=0.5":                 "",
			"fix_available=false":            "GO-2099-0002",
			"q=cve-2099-22222":               "GO-2099-0002",
			"q=smuggling":                    "GO-2099-0002",
			"severity=high":                  "GO-2099-0002",
			"severity=critical":              "",
			"sort=id&order=desc":             "GO-2099-0002,GO-2099-0001",
			"sort=epss":                      "GO-2099-0002,GO-2099-0001",
			fmt.Sprintf("product=%d", gw.ID): "GO-2099-0001,GO-2099-0002",
		} {
			var got overviewPage
			if r := e.call(t, "viewer", "GET", "/api/v1/vulnerabilities?"+q, nil, &got); r.StatusCode != 200 || ids(got) != want {
				t.Errorf("%s: %d %q, want %q", q, r.StatusCode, ids(got), want)
			}
		}
		var dev overviewPage
		e.call(t, "viewer", "GET", "/api/v1/vulnerabilities?release_status=development", nil, &dev)
		if len(dev.Items) != 2 || len(dev.Items[0].Releases) != 1 || dev.Items[0].Releases[0].Status != "development" {
			t.Errorf("development releases only: %+v", dev.Items)
		}
		// A not_affected decision suppresses a match: it leaves the default
		// list and is found with vex=not_affected.
		camRel := int64(0)
		for _, r := range p.Items[1].Releases {
			if r.ProductName == "Camera" {
				camRel = r.ReleaseID
			}
		}
		if r := e.call(t, "admin", "PUT", fmt.Sprintf("/api/v1/releases/%d/vulnerabilities/GO-2099-0002/analysis", camRel),
			map[string]any{"component": "net", "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"}, nil); r.StatusCode != 200 {
			t.Fatalf("analysis: %d", r.StatusCode)
		}
		var after, na overviewPage
		e.call(t, "viewer", "GET", "/api/v1/vulnerabilities?q=GO-2099-0002", nil, &after)
		e.call(t, "viewer", "GET", "/api/v1/vulnerabilities?vex=not_affected", nil, &na)
		if len(after.Items) != 1 || len(after.Items[0].Releases) != 2 || ids(na) != "GO-2099-0002" || na.Items[0].VEX["not_affected"] != 1 {
			t.Errorf("after not_affected: default %+v, vex=not_affected %+v", after.Items, na.Items)
		}
		// Cursor: one row per page.
		var p1, p2 overviewPage
		e.call(t, "viewer", "GET", "/api/v1/vulnerabilities?limit=1&vex=any", nil, &p1)
		e.call(t, "viewer", "GET", "/api/v1/vulnerabilities?limit=1&vex=any&cursor="+p1.Next, nil, &p2)
		if ids(p1) != "GO-2099-0001" || ids(p2) != "GO-2099-0002" || p2.Next != "" || p1.Total != 2 {
			t.Errorf("pages: %q (%q) then %q (%q)", ids(p1), p1.Next, ids(p2), p2.Next)
		}
		var problem struct{ Field string }
		for _, bad := range []string{"severity=dire", "vex=maybe", "sort=colour", "epss_above=2", "epss_above=NaN", "cursor=zzz", "kev=yes", "product=x"} {
			if r := e.call(t, "viewer", "GET", "/api/v1/vulnerabilities?"+bad, nil, &problem); r.StatusCode != 400 || problem.Field == "" {
				t.Errorf("%s: %d %+v", bad, r.StatusCode, problem)
			}
		}
		// An owner of Camera only sees Camera's releases.
		e.userWithToken(t, "cara", cam.ID, identity.ProductViewer)
		var mine overviewPage
		if r := e.call(t, "cara", "GET", "/api/v1/vulnerabilities", nil, &mine); r.StatusCode != http.StatusOK || mine.Releases != 1 {
			t.Errorf("product-limited caller sees %d releases (%d): %+v", mine.Releases, r.StatusCode, mine.Items)
		}
	})
}

// TestBrowserVulnerabilities opens the portfolio vulnerability list from
// the menu, filters it to known exploited, sorts it and follows a row to
// its vulnerability page.
func TestBrowserVulnerabilities(t *testing.T) {
	env := newEnv(t, "sqlite")
	overviewPortfolio(t, env)
	bctx, text, do := env.signedInBrowser(t, "/login", "new-product")
	do("open from the menu", chromedp.Click(chromedp.CSS(`header nav a[href="/vulnerabilities"]`)), chromedp.WaitVisible(chromedp.ID("vuln-list")))
	if got := text("#vuln-totals"); !strings.Contains(got, "2 vulnerabilities in 3 releases") {
		t.Errorf("totals = %q", got)
	}
	if got := text("#vuln-list tbody tr:first-child"); !strings.Contains(got, "GO-2099-0001") || !strings.Contains(got, "KEV") || !strings.Contains(got, "42.0%") || !strings.Contains(got, "Camera 3.1") {
		t.Errorf("first row = %q", got)
	}
	browsertest.Screenshot(t, bctx, "vulnerabilities-01")
	do("filter known exploited", chromedp.Click(chromedp.CSS(`#vuln-filters input[name=kev]`)), chromedp.Click(chromedp.CSS(`#vuln-filters button[type=submit]`)),
		// The checked attribute exists only on the page the server renders
		// for the filtered request, not on the old page the click changed.
		chromedp.WaitVisible(chromedp.CSS(`#vuln-filters input[name=kev][checked]`)), chromedp.WaitVisible(chromedp.CSS(`#vuln-list`)))
	if got := text("#vuln-totals"); !strings.Contains(got, "1 vulnerabilities") {
		t.Errorf("after the KEV filter: %q", got)
	}
	do("clear and sort by id descending", chromedp.Navigate(env.url+"/vulnerabilities"), chromedp.WaitVisible(chromedp.ID("vuln-list")),
		chromedp.Click(chromedp.CSS(`#vuln-list thead th:first-child a`)),
		chromedp.WaitVisible(chromedp.CSS(`#vuln-list tbody tr:first-child[data-vuln="GO-2099-0002"]`)))
	if got := text("#vuln-list tbody tr:first-child"); !strings.Contains(got, "GO-2099-0002") {
		t.Errorf("sorted by id descending, first row = %q", got)
	}
	do("follow a row", chromedp.Click(chromedp.CSS(`#vuln-list tbody tr[data-vuln="GO-2099-0001"] a[href="/vulnerabilities/GO-2099-0001"]`)),
		chromedp.WaitVisible(chromedp.CSS("h1")))
	if got := text("h1"); !strings.Contains(got, "GO-2099-0001") {
		t.Errorf("vulnerability page h1 = %q", got)
	}
	do("a bad filter is shown", chromedp.Navigate(env.url+"/vulnerabilities?epss_above=7"), chromedp.WaitVisible(chromedp.ID("vulns-error")))
}
