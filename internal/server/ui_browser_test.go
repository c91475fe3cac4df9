package server_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/rampart-security/rampart/internal/browsertest"
	"github.com/rampart-security/rampart/internal/inventory"
)

// TestBrowserJourney drives the UI in headless Chromium: sign in, create a
// product and a release, upload an SBOM with the form, see and filter its
// components, search the portfolio, sort the table and sign out.
func TestBrowserJourney(t *testing.T) {
	env := newEnv(t, "sqlite")
	ctx, text, do := newBrowser(t)

	// An SBOM file the user picks in the upload form.
	comps := []inventory.Component{
		{Ref: "busybox", Type: inventory.TypeApplication, Name: "busybox", Version: "1.36.1", CPEs: []string{"cpe:2.3:a:busybox:busybox:1.36.1:*:*:*:*:*:*:*"}},
		{Ref: "openssl", Type: inventory.TypeLibrary, Name: "openssl", Version: "3.0.13", PURL: "pkg:generic/openssl@3.0.13", Licenses: []string{"Apache-2.0"}},
		{Ref: "dropbear", Type: inventory.TypeApplication, Name: "dropbear", Version: "2022.83", DependsOn: []string{"zlib"}},
		{Ref: "zlib", Type: inventory.TypeLibrary, Name: "zlib", Version: "1.3.1", PURL: "pkg:generic/zlib@1.3.1"},
		{Ref: "lighttpd", Type: inventory.TypeApplication, Name: "lighttpd", Version: "1.4.73", DependsOn: []string{"openssl"}},
	}
	file := filepath.Join(t.TempDir(), "gateway.cdx.json")
	if err := os.WriteFile(file, cycloneDX(t, "gw", "1", comps), 0o644); err != nil {
		t.Fatal(err)
	}

	// An anonymous visitor is sent to the sign-in page.
	do("open portfolio", chromedp.Navigate(env.url+"/"), chromedp.WaitVisible(chromedp.ID("signin")))
	browsertest.Screenshot(t, ctx, "01-login")
	// Wrong password: an error, still on the sign-in page.
	do("wrong password", append(fillSignIn("alice", "not the password at all", ""), chromedp.WaitVisible(chromedp.CSS("p.error")))...)
	if got := text("p.error"); !strings.Contains(got, "wrong user name, password") {
		t.Errorf("sign-in error = %q", got)
	}
	do("sign in",
		chromedp.SendKeys(chromedp.ID("password"), env.password),
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.ID("new-product")))

	do("create product",
		chromedp.SendKeys(chromedp.CSS(`#new-product input[name=name]`), "Smart Thermostat T5"),
		chromedp.SendKeys(chromedp.CSS(`#new-product textarea[name=description]`), "Wi-Fi thermostat"),
		chromedp.Click(chromedp.CSS(`#new-product button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("new-release")))
	if got := text("h1"); got != "Smart Thermostat T5" {
		t.Errorf("product page title = %q", got)
	}
	do("create release",
		chromedp.SendKeys(chromedp.CSS(`#new-release input[name=version]`), "1.9.0"),
		chromedp.Click(chromedp.CSS(`#new-release button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("upload")))
	browsertest.Screenshot(t, ctx, "02-release-empty")

	do("upload SBOM",
		chromedp.SetUploadFiles(chromedp.ID("sbom-file"), []string{file}),
		chromedp.Click(chromedp.CSS(`#upload button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("upload-ok")))
	if got := text("#upload-ok"); !strings.Contains(got, "Imported 5 components from cyclonedx 1.6") {
		t.Errorf("upload result = %q", got)
	}
	do("show components", chromedp.Click(chromedp.CSS("#upload-ok a")), chromedp.WaitVisible(chromedp.ID("components-table")))
	table := text("#components-table tbody")
	for _, want := range []string{"busybox", "openssl", "3.0.13", "pkg:generic/zlib@1.3.1", "Apache-2.0", "cpe:2.3:a:busybox:busybox:1.36.1"} {
		if !strings.Contains(table, want) {
			t.Errorf("components table lacks %q:\n%s", want, table)
		}
	}
	browsertest.Screenshot(t, ctx, "03-release-components")

	// Filtering is done by the server and swapped in by htmx (so the
	// script ran under the strict CSP).
	do("filter", chromedp.SendKeys(chromedp.CSS(`#filter input[name=filter]`), "drop"))
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelectorAll("#components-table tbody tr").length === 1`)); err != nil {
		t.Fatalf("htmx filter did not narrow the table: %v", err)
	}
	if got := text("#components-table tbody"); !strings.Contains(got, "dropbear") {
		t.Errorf("filtered table = %q", got)
	}
	// Sorting by version descending puts openssl 3.0.13 first… by name: zlib last.
	do("sort", chromedp.Navigate(env.url+"/releases/1?sort=name&order=desc"), chromedp.WaitVisible(chromedp.ID("components-table")))
	if got := text("#components-table tbody tr"); !strings.Contains(got, "zlib") {
		t.Errorf("first row sorted by name desc = %q", got)
	}

	// Import a ZAP report into the release, triage a finding.
	zap := filepath.Join(t.TempDir(), "zap-nightly.xml")
	os.WriteFile(zap, []byte(`<?xml version="1.0"?><OWASPZAPReport version="2.14.0" generated="Mon, 1 Jan 2024 10:00:00">
<site name="https://thermostat.local" host="thermostat.local" port="443" ssl="true"><alerts>
<alertitem><pluginid>10020</pluginid><alert>Missing Anti-clickjacking Header</alert><riskcode>2</riskcode><confidence>2</confidence>
<desc>The response does not protect against ClickJacking.</desc><instances><instance><uri>https://thermostat.local/login</uri><method>GET</method></instance></instances>
<solution>Set X-Frame-Options.</solution><cweid>1021</cweid></alertitem>
<alertitem><pluginid>40012</pluginid><alert>Cross Site Scripting (Reflected)</alert><riskcode>3</riskcode><confidence>2</confidence>
<desc>Reflected XSS in the search page.</desc><instances><instance><uri>https://thermostat.local/search?q=x</uri><method>GET</method><param>q</param></instance></instances>
<solution>Encode output.</solution><cweid>79</cweid></alertitem>
</alerts></site></OWASPZAPReport>`), 0o644)
	do("import scan", chromedp.Navigate(env.url+"/releases/1"), chromedp.WaitVisible(chromedp.ID("scan-upload")),
		chromedp.SetUploadFiles(chromedp.ID("report-file"), []string{zap}),
		chromedp.Click(chromedp.CSS(`#scan-upload button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("scan-ok")))
	if got := text("#scan-ok"); !strings.Contains(got, "2 findings from zap") || !strings.Contains(got, "2 new") {
		t.Errorf("scan import result = %q", got)
	}
	browsertest.Screenshot(t, ctx, "06-scan-imported")
	do("findings", chromedp.Navigate(env.url+"/findings?release=1"), chromedp.WaitVisible(chromedp.ID("findings-table")))
	rows := text("#findings-table tbody")
	if !strings.Contains(rows, "Cross Site Scripting (Reflected)") || !strings.Contains(rows, "Missing Anti-clickjacking Header") {
		t.Errorf("findings table = %q", rows)
	}
	if got := text("#stat-active"); got != "2" {
		t.Errorf("active findings = %q", got)
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#trend-chart rect").length`)); err != nil || n == 0 {
		t.Errorf("trend chart has %d bars (%v)", n, err)
	}
	browsertest.Screenshot(t, ctx, "07-findings")
	// Highest risk first: the XSS (high) is the first row; mark it a false positive.
	do("bulk triage",
		chromedp.Click(chromedp.CSS(`#findings-table tbody tr:first-child input[name=ids]`)),
		chromedp.SetValue(chromedp.CSS(`#bulk select[name=status]`), "false_positive"),
		chromedp.SendKeys(chromedp.CSS(`#bulk input[name=reason]`), "search input is never reflected on the device UI"),
		chromedp.Click(chromedp.ID("bulk-apply")),
		chromedp.WaitVisible(chromedp.CSS(".flash")))
	if got := text(".flash"); !strings.Contains(got, "Updated 1 finding") {
		t.Errorf("triage flash = %q", got)
	}
	if got := text("#stat-active"); got != "1" {
		t.Errorf("active after triage = %q", got)
	}
	do("finding detail", chromedp.Navigate(env.url+"/findings?release=1&status=false_positive"), chromedp.WaitVisible(chromedp.ID("findings-table")),
		chromedp.Click(chromedp.CSS(`#findings-table tbody tr:first-child a`)), chromedp.WaitVisible(chromedp.ID("risk-breakdown")))
	if got := text("#finding-status"); got != "false_positive" {
		t.Errorf("detail status = %q", got)
	}
	if got := text("#history"); !strings.Contains(got, "never reflected") || !strings.Contains(got, "alice") {
		t.Errorf("history = %q", got)
	}
	browsertest.Screenshot(t, ctx, "08-finding")

	do("search", chromedp.Navigate(env.url+"/search?q=openssl&version=3.0.x"), chromedp.WaitVisible(chromedp.ID("search-results")))
	res := text("#search-results tbody")
	if !strings.Contains(res, "Smart Thermostat T5") || !strings.Contains(res, "1.9.0") {
		t.Errorf("search results = %q", res)
	}
	browsertest.Screenshot(t, ctx, "04-search")
	do("search miss", chromedp.Navigate(env.url+"/search?q=openssl&version=%3E%3D3.1"), chromedp.WaitVisible(chromedp.ID("search-results")))
	if got := text("#search-results tbody"); !strings.Contains(got, "No release ships") {
		t.Errorf("search for openssl >=3.1 = %q", got)
	}

	// Threat model from a template: diagram, STRIDE table, tracking a threat.
	do("threat model", chromedp.Navigate(env.url+"/products/1"), chromedp.Click(chromedp.ID("threatmodel-link")), chromedp.WaitVisible(chromedp.ID("no-model")),
		chromedp.SetValue(chromedp.CSS(`#model-template select[name=template]`), "smart-home"),
		chromedp.Click(chromedp.CSS(`#model-template button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("threats")))
	if got := text(".flash"); !strings.Contains(got, "Saved version 1") {
		t.Errorf("template flash = %q", got)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById("diagram").complete && document.getElementById("diagram").naturalWidth > 100`)); err != nil {
		t.Errorf("diagram image did not load: %v", err)
	}
	stride := text("#stride tbody")
	for _, s := range []string{"spoofing", "tampering", "repudiation", "information_disclosure", "denial_of_service", "elevation_of_privilege"} {
		if !strings.Contains(stride, s) {
			t.Errorf("STRIDE table lacks %s", s)
		}
	}
	openBefore := text("#open-threats")
	browsertest.Screenshot(t, ctx, "09-threatmodel")
	do("track threat",
		chromedp.SetValue(chromedp.CSS(`#threats tbody tr:has(.tst-open) form.track select[name=status]`), "mitigated"),
		chromedp.SendKeys(chromedp.CSS(`#threats tbody tr:has(.tst-open) form.track input[name=owner]`), "ed"),
		chromedp.Click(chromedp.CSS(`#threats tbody tr:has(.tst-open) form.track button`)))
	// Tracking is inline (htmx): the row and the open count change in place.
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](fmt.Sprintf(`document.getElementById("open-threats").textContent !== %q`, openBefore))); err != nil {
		t.Errorf("open threats unchanged after mitigating one: %v", err)
	}

	do("portfolio", chromedp.Navigate(env.url+"/"), chromedp.WaitVisible(chromedp.ID("products")))
	browsertest.Screenshot(t, ctx, "05-portfolio")
	do("sign out", chromedp.Click(chromedp.CSS(`.who button`)), chromedp.WaitVisible(chromedp.ID("signin")))
	do("protected after sign-out", chromedp.Navigate(env.url+"/releases/1"), chromedp.WaitVisible(chromedp.ID("signin")))
}
