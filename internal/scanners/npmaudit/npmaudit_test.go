package npmaudit

import (
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/scanners/reportio"
	"github.com/rampart-security/rampart/internal/scanners/scannertest"
)

// TestV6SameVersionEntries: npm 6 lists lodash 4.17.19 in four "findings"
// entries of advisory 1065345 (testdata/PROVENANCE.md): one finding with
// the four paths, not four findings with one fingerprint of which the
// importer would keep the first's path. The file's 7 advisory and version
// pairs are 7 findings (before: 15).
func TestV6SameVersionEntries(t *testing.T) {
	got := scannertest.ParseFileN(t, Parse, "testdata/defectdojo-multiple_cwes2.json", 7)
	seen := map[string]bool{}
	for _, f := range got {
		if seen[f.Fingerprint] {
			t.Errorf("%s %s@%s: fingerprint twice", f.RuleID, f.Component.Name, f.Component.Version)
		}
		seen[f.Fingerprint] = true
		if f.RuleID == "npm:1065345" && (len(f.Locations) != 4 || len(f.DependencyPaths) != 4 || f.Locations[3].File != "@company.frontend/eslint-config-es6>eslint-plugin-import>lodash") {
			t.Errorf("lodash: %d locations %v, paths %v", len(f.Locations), f.Locations, f.DependencyPaths)
		}
	}
}

func TestParseV6(t *testing.T) {
	got := scannertest.ParseFileN(t, Parse, "testdata/v6.json", 2) // one per installed version
	a, b := got[0], got[1]
	if a.Title != "Prototype Pollution in minimist" || a.Severity != findings.Medium || a.RuleID != "npm:1179" || a.Component.PURL != "pkg:npm/minimist@1.2.0" || a.CWEs[0] != 471 {
		t.Errorf("first: %+v", a)
	}
	if strings.Join(a.VulnerabilityIDs, ",") != "CVE-2020-7598,GHSA-vh95-rmgr-6w4m" || a.References[1] != "https://snyk.io/vuln/SNYK-JS-MINIMIST-559764" {
		t.Errorf("ids %v refs %v", a.VulnerabilityIDs, a.References)
	}
	if b.Component.Version != "0.0.8" || len(b.Locations) != 2 || a.Fingerprint == b.Fingerprint {
		t.Errorf("second: %+v", b)
	}
}

func TestParseV7(t *testing.T) {
	got := scannertest.ParseFileN(t, Parse, "testdata/v7.json", 1) // isomorphic-fetch is affected only via node-fetch
	f := got[0]
	if f.Title != "node-fetch forwards secure headers to untrusted sites" || f.Severity != findings.High || f.VulnerabilityIDs[0] != "GHSA-r683-j2x4-v87g" || *f.CVSS.V3Score != 8.8 || len(f.CWEs) != 2 {
		t.Errorf("finding: %+v", f)
	}
	if f.Mitigation != "Upgrade isomorphic-fetch to 3.0.0 (a semver-major change: `npm audit fix --force`)." || f.Locations[0].File != "node_modules/node-fetch" {
		t.Errorf("mitigation %q locations %v", f.Mitigation, f.Locations)
	}
}

// TestCountedListingCut: an npm 7+ report whose metadata counts more
// vulnerable packages than "vulnerabilities" lists is refused, naming the
// file and the field; before, it was imported as complete and closed the
// findings of the entries cut. The corpus's npm 7+ reports all list what
// they count.
func TestCountedListingCut(t *testing.T) {
	scannertest.Rejects(t, Parse, []scannertest.Reject{{File: "v7-cut-listing.json", Is: reportio.ErrIncompleteScan, Prefix: "v7-cut-listing.json: at byte ",
		Contains: "metadata.vulnerabilities.total: the scan did not complete: npm audit counted 3 vulnerable packages, the file lists 2"}})
	full := strings.Replace(scannertest.ReadString(t, "testdata/v7-cut-listing.json"), `"total": 3`, `"total": 2`, 1)
	scannertest.ParseString(t, Parse, "v7.json", full)
}

func TestErrorReport(t *testing.T) {
	scannertest.Rejects(t, Parse, []scannertest.Reject{{File: "error.json", Prefix: "error.json: at byte", Contains: "npm audit failed (ENOLOCK)"}})
}

// TestCorpus: npm_audit/multiple_cwes.json has 41 advisories in 55
// (advisory, version) pairs; npm_audit/empty_with_error.json is an npm
// error object (its golden file records the error); in
// npm_audit_7_plus/one_vuln.json the package entry says high, its two
// advisories are moderate and high.
func TestCorpus(t *testing.T) {
	for _, folder := range []string{"npm_audit", "npm_audit_7_plus"} {
		t.Run(folder, func(t *testing.T) {
			scannertest.CorpusGolden(t, folder, Parse)
		})
	}
}

func FuzzParse(f *testing.F) {
	scannertest.FuzzDir(f, "testdata", Parse)
}

// npm 7.0's report (arborist's audit-report before "source" was renamed):
// advisories in via[] carry "id". Two advisories of one package, one of
// them critical, must stay two findings, each with the chain through which
// the package comes in.
const npm70 = `{"auditReportVersion":2,"vulnerabilities":{
"minimist":{"name":"minimist","severity":"critical","via":[
  {"id":1179,"url":"https://npmjs.com/advisories/1179","title":"Prototype Pollution","severity":"low","range":"<0.2.1"},
  {"id":1500,"url":"https://npmjs.com/advisories/1500","title":"Prototype Pollution in minimist","severity":"critical","range":"<1.2.6"}],
  "effects":["mkdirp"],"range":"<1.2.6","nodes":["node_modules/minimist"],"fixAvailable":true},
"mkdirp":{"name":"mkdirp","severity":"critical","via":["minimist"],"effects":["webpack"],"range":"0.4.1 - 0.5.1","nodes":["node_modules/mkdirp"],"fixAvailable":true},
"webpack":{"name":"webpack","severity":"critical","via":["mkdirp"],"effects":[],"range":"<5","nodes":["node_modules/webpack"],"fixAvailable":true}},
"metadata":{"vulnerabilities":{"critical":3,"total":3}}}`

func TestNPM70IDsAndPaths(t *testing.T) {
	got := scannertest.ParseString(t, Parse, "audit.json", npm70)
	if len(got) != 2 {
		t.Fatalf("%d findings, want 2: %+v", len(got), got)
	}
	if got[0].Fingerprint == got[1].Fingerprint || got[0].RuleID != "npm:1179" || got[1].RuleID != "npm:1500" || got[1].Severity != findings.Critical {
		t.Errorf("advisories collapsed or lost: %+v", got)
	}
	for _, f := range got {
		if len(f.DependencyPaths) != 1 || f.DependencyPaths[0] != "webpack > mkdirp > minimist" {
			t.Errorf("paths %q", f.DependencyPaths)
		}
	}
}

// TestNPM11Error: npm 11's error object (code and message, no summary) is
// detected and is an error, never an empty audit that would close
// every finding.
func TestNPM11Error(t *testing.T) {
	doc := `{"error":{"code":"ENOLOCK","message":"This command requires an existing lockfile.","detail":"Try creating one first with: npm i --package-lock-only"}}`
	if !Detect(reportio.NewHead([]byte(doc))) {
		t.Fatal("not detected")
	}
	_, err := scannertest.ParseStringErr(Parse, "audit.json", doc)
	if err == nil || !strings.Contains(err.Error(), "ENOLOCK") || !strings.Contains(err.Error(), "requires an existing lockfile") {
		t.Errorf("%v", err)
	}
	if Detect(reportio.NewHead([]byte(`{"error":{"code":"X","message":"m"},"results":[]}`))) {
		t.Error("another tool's document with an error member detected as npm")
	}
}

// TestV6CVSS: npm 6's advisories (the registry's audit endpoint, fed by the
// GitHub Advisory Database) carry "cvss": {"score", "vectorString"}, as
// npm 7+'s via objects do; {"score": 0, "vectorString": null} is no score.
func TestV6CVSS(t *testing.T) {
	doc := `{"actions":[],"advisories":{
"1059337":{"findings":[{"version":"0.0.7","paths":["webpack-dev-server>ansi-html"]}],"id":1059337,"title":"Uncontrolled Resource Consumption in ansi-html",
 "module_name":"ansi-html","cves":["CVE-2021-23424"],"github_advisory_id":"GHSA-whgm-jr23-g3j9","severity":"high","patched_versions":">=0.0.8",
 "cvss":{"score":7.5,"vectorString":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"},"cwe":"[\"CWE-400\"]","url":"https://github.com/advisories/GHSA-whgm-jr23-g3j9"},
"1002":{"findings":[{"version":"1.0.0","paths":["x"]}],"id":1002,"title":"Old advisory in x","module_name":"x","severity":"low",
 "cvss":{"score":0,"vectorString":null},"url":"https://npmjs.com/advisories/1002"}},
"muted":[],"metadata":{}}`
	got := scannertest.ParseString(t, Parse, "audit.json", doc)
	if len(got) != 2 {
		t.Fatalf("%d findings", len(got))
	}
	byRule := map[string]findings.Finding{got[0].RuleID: got[0], got[1].RuleID: got[1]}
	a := byRule["npm:1059337"]
	if a.CVSS.V3Score == nil || *a.CVSS.V3Score != 7.5 || a.CVSS.V3Vector != "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H" || a.CWEs[0] != 400 {
		t.Errorf("cvss %+v cwes %v", a.CVSS, a.CWEs)
	}
	if b := byRule["npm:1002"]; b.CVSS.V3Score != nil || b.CVSS.V3Vector != "" {
		t.Errorf("no score read as %+v", b.CVSS)
	}
}

// TestV7UntitledAdvisory: a via object is an advisory (npm's arborist
// writes source, name, dependency, title, url, severity, cwe, cvss and
// range for each); one whose title is empty is still a finding, never
// dropped as if it were a package name.
func TestV7UntitledAdvisory(t *testing.T) {
	doc := `{"auditReportVersion":2,"vulnerabilities":{"tar":{"name":"tar","severity":"high","via":[
{"source":1097493,"name":"tar","dependency":"tar","title":"","url":"https://github.com/advisories/GHSA-r628-mhmh-qjhw","severity":"high","cwe":["CWE-22"],"cvss":{"score":8.1,"vectorString":null},"range":"<4.4.18"}],
"effects":[],"range":"<4.4.18","nodes":["node_modules/tar"],"fixAvailable":true}},"metadata":{}}`
	got := scannertest.ParseString(t, Parse, "audit.json", doc)
	if len(got) != 1 || got[0].RuleID != "npm:1097493" || got[0].Title != "Advisory 1097493 in tar" || got[0].Severity != findings.High || got[0].VulnerabilityIDs[0] != "GHSA-r628-mhmh-qjhw" {
		t.Fatalf("%+v", got)
	}
}

// TestV7TitleNamesPackage: npm 7+'s advisory titles often name only the
// flaw; the finding's title names the package, as npm 6's does.
func TestV7TitleNamesPackage(t *testing.T) {
	got := scannertest.ParseString(t, Parse, "audit.json", npm70)
	if got[0].Title != "Prototype Pollution in minimist" || got[1].Title != "Prototype Pollution in minimist" {
		t.Errorf("%q, %q", got[0].Title, got[1].Title)
	}
}
