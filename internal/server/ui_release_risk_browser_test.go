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

// manyAdvisories writes 30 OSV records for golang.org/x/net: GO-2099-1000
// … GO-2099-1029, critical, high and medium in turn, the even ones fixed.
func manyAdvisories(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	vectors := []string{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:N"}
	for i := range 30 {
		events := `{"introduced":"0"}`
		if i%2 == 0 {
			events += `,{"fixed":"0.30.0"}`
		}
		rec := fmt.Sprintf(`{"schema_version":"1.6.0","id":"GO-2099-1%03d","modified":"2099-01-02T00:00:00Z","aliases":["CVE-2099-7%04d"],"summary":"Issue %d in x/net",
"severity":[{"type":"CVSS_V3","score":%q}],"affected":[{"package":{"name":"golang.org/x/net","ecosystem":"Go"},"ranges":[{"type":"SEMVER","events":[%s]}]}]}`, i, i, i, vectors[i%3], events)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("GO-2099-1%03d.json", i)), []byte(rec), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestBrowserReleaseRisk: the product page draws each release's matches
// as an SVG bar; the release page's vulnerability table pages, filters and
// sorts on the server, and its links keep the other filters.
func TestBrowserReleaseRisk(t *testing.T) {
	env := newEnv(t, "sqlite")
	if _, err := portfolio.ImportFeeds(context.Background(), env.store, "test", manyAdvisories(t)); err != nil {
		t.Fatal(err)
	}
	p := env.postProduct(t, "admin", map[string]any{"name": "Gateway"})
	rel := env.postRelease(t, "admin", p.ID, map[string]any{"version": "1.0", "status": "shipped"})
	empty := env.postRelease(t, "admin", p.ID, map[string]any{"version": "2.0-dev"})
	env.postSBOM(t, "admin", rel.ID, xnetBOM("net", "v0.17.0"))

	bctx, text, do := env.signedInBrowser(t, "/login", "new-product")

	do("product page", chromedp.Navigate(fmt.Sprintf("%s/products/%d", env.url, p.ID)), chromedp.WaitVisible(chromedp.ID("releases")))
	segs := evalJS[int](t, bctx, fmt.Sprintf(`document.querySelectorAll("#relbar-%d rect[class^=sev-]").length`, rel.ID))
	emptySegs := evalJS[int](t, bctx, fmt.Sprintf(`document.querySelectorAll("#relbar-%d rect[class^=sev-]").length`, empty.ID))
	label := evalJS[string](t, bctx, fmt.Sprintf(`document.getElementById("relbar-%d").getAttribute("aria-label")`, rel.ID))
	if segs != 3 || emptySegs != 0 || label != "SBOM matches: 10 critical, 10 high, 10 medium" {
		t.Errorf("bars: %d segments (empty release %d), label %q", segs, emptySegs, label)
	}
	if got := text(fmt.Sprintf("#releases tbody tr:nth-child(%d) .rel-matches", rowOf(t, bctx, rel.ID))); got != "30 matches" {
		t.Errorf("match count = %q", got)
	}
	browsertest.Screenshot(t, bctx, "release-risk-01-product")

	do("open the release", chromedp.Click(chromedp.CSS(fmt.Sprintf(`#releases a[href="/releases/%d"]`, rel.ID))), chromedp.WaitVisible(chromedp.ID("vuln-table")))
	if got := text("#vuln-count"); got != "30" {
		t.Errorf("count = %q", got)
	}
	if n := rows(t, bctx); n != 25 {
		t.Errorf("first page: %d rows, want 25", n)
	}
	if got := text("#risk-counts"); !strings.Contains(got, "30 SBOM matches") || !strings.Contains(got, "0 scanner findings") {
		t.Errorf("counts = %q", got)
	}
	do("next page", chromedp.Click(chromedp.ID("vuln-next")), chromedp.WaitVisible(chromedp.ID("vuln-prev")))
	if n := rows(t, bctx); n != 5 {
		t.Errorf("second page: %d rows, want 5", n)
	}
	browsertest.Screenshot(t, bctx, "release-risk-02-page2")

	// A components-table sort in the URL survives the vulnerability filter.
	do("filter critical", chromedp.Navigate(fmt.Sprintf("%s/releases/%d?sort=version", env.url, rel.ID)), chromedp.WaitVisible(chromedp.ID("vuln-filters")),
		chromedp.SetValue(chromedp.CSS(`#vuln-filters select[name=vsev]`), "critical"), chromedp.Click(chromedp.CSS(`#vuln-filters button[type=submit]`)),
		chromedp.WaitReady(chromedp.CSS(`#vuln-filters select[name=vsev] option[value=critical][selected]`)))
	if got := text("#vuln-count"); got != "10" {
		t.Errorf("critical only: count %q", got)
	}
	loc := evalJS[string](t, bctx, `location.href`)
	if !strings.Contains(loc, "vsev=critical") || !strings.Contains(loc, "sort=version") {
		t.Errorf("filtered location %s lost a parameter", loc)
	}
	do("fix available too", chromedp.SetValue(chromedp.CSS(`#vuln-filters select[name=vfix]`), "yes"), chromedp.Click(chromedp.CSS(`#vuln-filters button[type=submit]`)),
		chromedp.WaitReady(chromedp.CSS(`#vuln-filters select[name=vfix] option[value=yes][selected]`)))
	if got := text("#vuln-count"); got != "5" {
		t.Errorf("critical with a fix: count %q", got)
	}
	do("sort by id", chromedp.Click(chromedp.CSS(`#vuln-table thead a[href*="vsort=id"]`)), chromedp.WaitVisible(chromedp.CSS(`#vuln-table thead a[href*="vorder=desc"]`)))
	if got := text("#vuln-table tbody tr:first-child td:first-child strong"); got != "GO-2099-1000" {
		t.Errorf("sorted by id, first = %q", got)
	}
	do("sort by id descending", chromedp.Click(chromedp.CSS(`#vuln-table thead a[href*="vsort=id"][href*="vorder=desc"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#vuln-table thead a[href*="vsort=id"]:not([href*="vorder"])`)))
	if got := text("#vuln-table tbody tr:first-child td:first-child strong"); got != "GO-2099-1024" {
		t.Errorf("sorted by id descending, first = %q", got)
	}
	loc = evalJS[string](t, bctx, `location.href`)
	if !strings.Contains(loc, "vsev=critical") || !strings.Contains(loc, "vfix=yes") || !strings.Contains(loc, "sort=version") {
		t.Errorf("sorted location %s lost a filter", loc)
	}
	do("search", chromedp.SetValue(chromedp.CSS(`#vuln-filters input[name=vq]`), "cve-2099-70012"), chromedp.Click(chromedp.CSS(`#vuln-filters button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#vuln-filters input[name=vq][value="cve-2099-70012"]`)))
	if got := text("#vuln-count"); got != "1" {
		t.Errorf("search: count %q", got)
	}
	browsertest.Screenshot(t, bctx, "release-risk-03-filtered")
	do("KEV only finds none", chromedp.Click(chromedp.CSS(`#vuln-filters input[name=vkev]`)), chromedp.Click(chromedp.CSS(`#vuln-filters button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("vuln-none")))
	do("clear", chromedp.Click(chromedp.ID("vuln-filter-clear")), chromedp.WaitVisible(chromedp.ID("vuln-pager")))
	if got := text("#vuln-count"); got != "30" {
		t.Errorf("cleared: count %q", got)
	}
	do("bad filter", chromedp.Navigate(fmt.Sprintf("%s/releases/%d?vsev=huge", env.url, rel.ID)), chromedp.WaitVisible(chromedp.ID("vuln-filter-error")))

	// A scanner finding of GO-2099-1000's CVE in the same x/net: linked,
	// shown on the finding, the release and the vulnerability pages.
	trivy := strings.ReplaceAll(trivyXNet, "CVE-2099-12345", "CVE-2099-70000")
	if r := env.call(t, "editor", "POST", fmt.Sprintf("/api/v1/releases/%d/scans?filename=trivy.json", rel.ID), []byte(trivy), nil); r.StatusCode != 200 {
		t.Fatalf("scan: %d", r.StatusCode)
	}
	do("release with the finding", chromedp.Navigate(fmt.Sprintf("%s/releases/%d?vq=GO-2099-1000", env.url, rel.ID)), chromedp.WaitVisible(chromedp.CSS("#vuln-table a.linked-finding")))
	if got := text("#risk-counts"); !strings.Contains(got, "1 scanner findings") || !strings.Contains(got, "1 findings linked") {
		t.Errorf("counts with the finding = %q", got)
	}
	do("open the finding", chromedp.Click(chromedp.CSS("#vuln-table a.linked-finding")), chromedp.WaitVisible(chromedp.ID("linked-match")))
	if got := text("#linked-match"); !strings.Contains(got, "GO-2099-1000") || !strings.Contains(got, "golang.org/x/net v0.17.0") {
		t.Errorf("linked match = %q", got)
	}
	if got := text("#finding-enrichment"); !strings.Contains(got, "CVSS 9.8") || !strings.Contains(got, "0.30.0") {
		t.Errorf("enrichment = %q", got)
	}
	browsertest.Screenshot(t, bctx, "release-risk-04-finding")
	do("the vulnerability page", chromedp.Click(chromedp.CSS(`#linked-match a[href="/vulnerabilities/GO-2099-1000"]`)), chromedp.WaitVisible(chromedp.ID("vuln-findings")))
	if got := text("#vuln-findings-count"); got != "1" {
		t.Errorf("findings on the vulnerability page = %q", got)
	}
}

func evalJS[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return v
}

func rows(t *testing.T, ctx context.Context) int {
	t.Helper()
	return evalJS[int](t, ctx, `document.querySelectorAll("#vuln-table tbody tr").length`)
}

func rowOf(t *testing.T, ctx context.Context, id int64) int {
	t.Helper()
	return evalJS[int](t, ctx, fmt.Sprintf(`Array.from(document.querySelectorAll("#releases tbody tr")).findIndex(tr => tr.querySelector('a[href="/releases/%d"]')) + 1`, id))
}
