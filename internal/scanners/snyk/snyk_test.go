package snyk

import (
	"errors"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/scanners/reportio"
	"github.com/rampart-security/rampart/internal/scanners/sarif"
	"github.com/rampart-security/rampart/internal/scanners/scannertest"
)

func TestParse(t *testing.T) {
	got := scannertest.ParseFileN(t, Parse, "testdata/project.json", 1) // one vulnerability on two paths
	f := got[0]
	if f.Title != "Prototype Pollution" || f.Severity != findings.High || f.VulnerabilityIDs[0] != "CVE-2020-8203" || f.CWEs[0] != 400 || *f.CVSS.V3Score != 7.3 {
		t.Errorf("finding: %+v", f)
	}
	if *f.EPSS.Score != 0.5 || *f.EPSS.Percentile != 0.98 || f.FixedVersions[0] != "4.17.19" || f.Locations[0].File != "package-lock.json" {
		t.Errorf("epss %+v fixed %v locations %v", f.EPSS, f.FixedVersions, f.Locations)
	}
	if !strings.Contains(f.Description, "- gateway-ui@1.0.0 > async@2.6.3 > lodash@4.17.15\n- gateway-ui@1.0.0 > lodash@4.17.15") {
		t.Errorf("paths missing from description: %q", f.Description)
	}
	scannertest.NotReport(t, Parse, "testdata/no-vulns-key.json", "")
}

// TestCorpus: single_project_many_vulns.json has 41 vulnerabilities, and
// severityWithCritical makes 3 of the high ones critical;
// single_project_upgrade_libs.json has 254 entries, 52 vulnerabilities
// reached through several paths; Snyk Code writes SARIF
// (snykcode_issue_9270.json).
func TestCorpus(t *testing.T) {
	dir := scannertest.CorpusGolden(t, "snyk", func(r io.Reader, name string, emit func(findings.Finding) error) error {
		if name == "snykcode_issue_9270.json" { // Snyk Code writes SARIF
			return sarif.Parse(r, name, emit)
		}
		return Parse(r, name, emit)
	})
	e := scannertest.ParseFile(t, Parse, filepath.Join(dir, "snykcontainer_issue_epss.json"))[0]
	if e.EPSS.Score == nil || *e.EPSS.Score != 0.00046 || *e.EPSS.Percentile != 0.14414 || e.VulnerabilityIDs[0] != "CVE-2023-4039" {
		t.Errorf("epss: %+v %v", e.EPSS, e.VulnerabilityIDs)
	}
}

func FuzzParse(f *testing.F) {
	scannertest.FuzzDir(f, "testdata", Parse)
}

// TestDependencyPaths: every path through which Snyk says a vulnerable
// package comes in is kept on the one finding for (issue, package, version).
func TestDependencyPaths(t *testing.T) {
	doc := `{"ok":false,"packageManager":"npm","vulnerabilities":[
{"id":"SNYK-JS-QS-3153490","title":"Prototype Poisoning","severity":"high","packageName":"qs","name":"qs","version":"6.5.2","from":["app@1.0.0","express@4.17.1","qs@6.5.2"]},
{"id":"SNYK-JS-QS-3153490","title":"Prototype Poisoning","severity":"high","packageName":"qs","name":"qs","version":"6.5.2","from":["app@1.0.0","request@2.88.0","qs@6.5.2"]}]}`
	got := scannertest.ParseString(t, Parse, "snyk.json", doc)
	if len(got) != 1 || strings.Join(got[0].DependencyPaths, "|") != "app@1.0.0 > express@4.17.1 > qs@6.5.2|app@1.0.0 > request@2.88.0 > qs@6.5.2" {
		t.Fatalf("%d findings, paths %q", len(got), got[0].DependencyPaths)
	}
}

// TestContainerApplicationsAndGroupedIssues: `snyk container test --json`
// puts the vulnerabilities of the applications found in the image under
// "applications" (each a project with its own target file), and
// --group-issues writes one entry per vulnerability id with every path in
// "from" and the package name of each path in "name". Both files are the
// CLI's own expected output for one scan (snyk/cli test fixtures): grouped
// or not, they are the same 9 findings, 2 for the image's OS packages and
// 7 for /package.json.
func TestContainerApplicationsAndGroupedIssues(t *testing.T) {
	plain := scannertest.ParseFileN(t, Parse, "testdata/container-app-vulns-nongrouped.json", 9)
	grouped := scannertest.ParseFileN(t, Parse, "testdata/container-app-vulns-grouped.json", 9)
	scannertest.CheckInvariants(t, plain)
	scannertest.CheckInvariants(t, grouped)
	key := func(f findings.Finding) string {
		return f.RuleID + " " + f.Component.Name + "@" + f.Component.Version + " " + f.Locations[0].File + " " + strings.Join(f.DependencyPaths, "|")
	}
	var a, b []string
	app := 0
	for i := range plain {
		a, b = append(a, key(plain[i])), append(b, key(grouped[i]))
		if plain[i].Locations[0].File == "/package.json" {
			app++
		}
	}
	sort.Strings(a)
	sort.Strings(b)
	if strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Errorf("grouped output reads differently:\n%s\nwant\n%s", strings.Join(b, "\n"), strings.Join(a, "\n"))
	}
	if app != 7 {
		t.Errorf("%d findings of the application, want 7", app)
	}
	ssl := ""
	for _, f := range grouped {
		if f.RuleID == "SNYK-ALPINE312-BUSYBOX-1089799" && f.Component.Name == "ssl_client" {
			ssl = strings.Join(f.DependencyPaths, "|")
		}
	}
	if ssl != "docker-image|cli-grouping@latest > busybox/ssl_client@1.31.1-r21" {
		t.Errorf("ssl_client paths %q", ssl)
	}
}

// TestErrorOutput: `snyk test --json` that fails writes {"ok": false,
// "error": message, "path": target} (snyk/cli; "code" since the error
// codes of CLI 1.5xx). It is detected and refused with Snyk's message,
// never read as a test that found nothing.
func TestErrorOutput(t *testing.T) {
	doc := `{"ok": false, "error": "Could not detect supported target files in /src.\nPlease see our documentation for supported languages and target files", "path": "/src"}`
	if !Detect(reportio.NewHead([]byte(doc))) || !Detect(reportio.NewHead([]byte(`{"ok":false,"error":"Authentication failed","code":401,"path":"."}`))) {
		t.Error("Snyk's error output not detected")
	}
	for _, other := range []string{`{"ok": false, "error": "x"}`, `{"ok": true, "error": "x", "path": "."}`, `{"ok": false, "error": "x", "path": ".", "results": []}`} {
		if Detect(reportio.NewHead([]byte(other))) {
			t.Errorf("detected %s", other)
		}
	}
	_, err := scannertest.ParseStringErr(Parse, "snyk.json", doc)
	var pe *reportio.ParseError
	if !errors.As(err, &pe) || pe.Field != "error" || !strings.Contains(err.Error(), "snyk.json") || !strings.Contains(err.Error(), "Could not detect supported target files") {
		t.Errorf("%v", err)
	}
}

// TestUpgradePaths: Snyk's upgradePath parallels "from" (element 0, the
// project, is false) and names the direct dependency upgrade that fixes a
// transitive vulnerability; the mitigation names those upgrades (a path
// whose direct dependency keeps its version needs only a lockfile refresh
// and names none).
func TestUpgradePaths(t *testing.T) {
	doc := `{"ok":false,"packageManager":"npm","vulnerabilities":[
{"id":"SNYK-JS-MINIMIST-2429795","title":"Prototype Pollution","severity":"low","packageName":"minimist","name":"minimist","version":"1.2.5","fixedIn":["1.2.6"],
 "from":["app@1.0.0","react-scripts@3.4.4","@babel/core@7.9.0","json5@2.2.0","minimist@1.2.5"],"isUpgradable":true,
 "upgradePath":[false,"react-scripts@3.4.4","@babel/core@7.9.0","json5@2.2.0","minimist@1.2.6"]},
{"id":"SNYK-JS-MINIMIST-2429795","title":"Prototype Pollution","severity":"low","packageName":"minimist","name":"minimist","version":"1.2.5","fixedIn":["1.2.6"],
 "from":["app@1.0.0","mkdirp@0.5.5","minimist@1.2.5"],"isUpgradable":true,"upgradePath":[false,"mkdirp@0.5.6","minimist@1.2.6"]},
{"id":"SNYK-JS-MINIMIST-2429795","title":"Prototype Pollution","severity":"low","packageName":"minimist","name":"minimist","version":"1.2.5","fixedIn":["1.2.6"],
 "from":["app@1.0.0","optimist@0.6.1","minimist@1.2.5"],"isUpgradable":false,"upgradePath":[]}]}`
	got := scannertest.ParseString(t, Parse, "snyk.json", doc)
	if len(got) != 1 || got[0].Mitigation != "Upgrade minimist to 1.2.6.\n\nSnyk's upgrade paths: upgrade mkdirp@0.5.5 to mkdirp@0.5.6." {
		t.Fatalf("%d findings, mitigation %q", len(got), got[0].Mitigation)
	}
}

// TestCVSSv4Sources: since Snyk rates issues with CVSS 4.0 (2024), its
// issue data carries "cvssSources" (assigner, severity, baseScore, vector,
// type primary/secondary; snyk/user-docs, v1 issues API); the primary CVSS
// v4 vector and score are kept beside CVSSv3.
func TestCVSSv4Sources(t *testing.T) {
	doc := `{"ok":false,"packageManager":"maven","vulnerabilities":[{"id":"SNYK-JAVA-CHQOSLOGBACK-8539865","title":"Server-side Request Forgery (SSRF)","severity":"low",
"packageName":"ch.qos.logback:logback-core","name":"ch.qos.logback:logback-core","version":"1.3.14","from":["app@1.0.0","ch.qos.logback:logback-core@1.3.14"],"fixedIn":["1.3.15"],
"CVSSv3":"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:L/A:N","cvssScore":4.8,
"cvssSources":[{"type":"secondary","assigner":"NVD","severity":"low","baseScore":2.0,"vector":"CVSS:4.0/AV:N/AC:H/AT:N/PR:H/UI:P/VC:N/VI:L/VA:N/SC:N/SI:N/SA:N","cvssVersion":"4.0"},
 {"type":"primary","assigner":"Snyk","severity":"low","baseScore":2.3,"vector":"CVSS:4.0/AV:N/AC:L/AT:P/PR:H/UI:P/VC:N/VI:L/VA:N/SC:N/SI:N/SA:N","cvssVersion":"4.0"},
 {"type":"primary","assigner":"Snyk","severity":"medium","baseScore":4.8,"vector":"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:L/A:N","cvssVersion":"3.1"}]}]}`
	got := scannertest.ParseString(t, Parse, "snyk.json", doc)
	c := got[0].CVSS
	if c.V4Vector != "CVSS:4.0/AV:N/AC:L/AT:P/PR:H/UI:P/VC:N/VI:L/VA:N/SC:N/SI:N/SA:N" || c.V4Score == nil || *c.V4Score != 2.3 || c.V3Vector != "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:L/A:N" || *c.V3Score != 4.8 || got[0].Severity != findings.Low {
		t.Errorf("%+v", c)
	}
}

// TestLicenseIssue: a license issue ("type": "license", "license": the
// SPDX id; snyk test lists them among the vulnerabilities) is a finding
// titled with its package, since Snyk's title names only the license.
func TestLicenseIssue(t *testing.T) {
	doc := `{"ok":false,"packageManager":"npm","vulnerabilities":[{"id":"snyk:lic:npm:tinymce:LGPL-2.1","type":"license","license":"LGPL-2.1","title":"LGPL-2.1 license","severity":"medium",
"packageName":"tinymce","name":"tinymce","version":"5.0.4","from":["app@1.0.0","tinymce@5.0.4"],"semver":{"vulnerable":[">=0"]}}],"displayTargetFile":"package-lock.json"}`
	got := scannertest.ParseString(t, Parse, "snyk.json", doc)
	if len(got) != 1 || got[0].Title != "LGPL-2.1 license in tinymce" || got[0].Severity != findings.Medium || got[0].RuleID != "snyk:lic:npm:tinymce:LGPL-2.1" || len(got[0].VulnerabilityIDs) != 0 {
		t.Errorf("%+v", got)
	}
}
