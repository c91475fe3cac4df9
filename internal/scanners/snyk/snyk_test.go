package snyk

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/corpustest"
	"github.com/rampart-security/rampart/internal/findings"
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

func TestCorpus(t *testing.T) {
	dir := corpustest.Dir(t, "scans", "snyk")
	type corpusCase struct {
		count                            int
		critical, high, medium, low      int
		title, rule, comp, version, file string
	}
	cases := map[string]corpusCase{
		"all-projects_many_vulns.json":      {4, 0, 0, 4, 0, "Information Disclosure", "SNYK-JAVA-COMGOOGLEGUAVA-1015415", "com.google.guava:guava", "29.0-jre", "pom.xml"},
		"all-projects_no_vulns.json":        {},
		"all-projects_one_vuln.json":        {1, 0, 0, 1, 0, "XML External Entity (XXE) Injection", "SNYK-JAVA-ORGAPACHESANTUARIO-460281", "org.apache.santuario:xmlsec", "2.1.1", "pom.xml"},
		"all_containers_target_output.json": {17, 1, 9, 4, 3, "SQL Injection", "SNYK-PYTHON-DJANGO-2940618", "django", "4.0.5", "Mobile-Security-Framework-MobSF/requirements.txt"},
		"all_projects_issue4277.json":       {50, 4, 15, 29, 2, "Denial of Service (DoS)", "", "Microsoft.AspNetCore", "2.2.0", `company.Api.project\src\obj\project.assets.json`},
		"single_project_None_cvss.json":     {1, 0, 0, 0, 1, "SUSE-SU-2022:0141-1", "", "permissions", "20181225-23.6.1", "docker-archive:a_container-engine-tls:8.2.0-28.tar"},
		// 41 vulnerabilities; severityWithCritical makes 3 of the high ones critical.
		"single_project_many_vulns.json":               {41, 3, 9, 29, 0, "Unsafe Dependency Resolution", "SNYK-JAVA-COMBEUST-174815", "com.beust:jcommander", "1.72", "pom.xml"},
		"single_project_no_vulns.json":                 {},
		"single_project_one_vuln.json":                 {1, 0, 0, 1, 0, "XML External Entity (XXE) Injection", "SNYK-JAVA-ORGAPACHESANTUARIO-460281", "org.apache.santuario:xmlsec", "2.1.1", "pom.xml"},
		"single_project_one_vuln_with_ampersands.json": {1, 1, 0, 0, 0, "Prototype Pollution", "SNYK-JS-LODASH-590103", "lodash", "4.17.13", "package-lock.json"},
		// 254 entries: 52 vulnerabilities reached through several paths.
		"single_project_upgrade_libs.json": {52, 0, 19, 31, 2, "Regular Expression Denial of Service (ReDoS)", "SNYK-JS-ANSIHTML-1296849", "ansi-html", "0.0.7", "package-lock.json"},
		"snykcontainer_issue_9270.json":    {18, 0, 0, 0, 18, "CVE-2023-4039", "SNYK-DEBIAN11-GCC10-5901313", "libgcc-s1", "10.2.1-6", "sarim04/juiceshop:latest/juiceshop"},
		"snykcontainer_issue_epss.json":    {1, 0, 0, 0, 1, "CVE-2023-4039", "SNYK-DEBIAN11-GCC10-5901313", "libgcc-s1", "10.2.1-6", "sarim04/juiceshop:latest/juiceshop"},
		// Snyk Code writes SARIF: checked apart.
		"snykcode_issue_9270.json": {},
	}
	scannertest.Corpus(t, dir, cases, func(t *testing.T, path string, w corpusCase) {
		if filepath.Base(path) == "snykcode_issue_9270.json" { // Snyk Code writes SARIF
			got := scannertest.CheckFile(t, sarif.Parse, path, scannertest.Counts{Total: 39, High: 12, Medium: 24, Low: 3})
			if f := got[0]; f.Title != "Cross-site Scripting (XSS)" || f.RuleID != "javascript/XSS" || f.CWEs[0] != 79 || f.Locations[0].File != "frontend/src/app/score-board/score-board.component.ts" {
				t.Errorf("first: %+v", f)
			}
			return
		}
		got := scannertest.CheckFile(t, Parse, path, scannertest.Counts{Total: w.count, Critical: w.critical, High: w.high, Medium: w.medium, Low: w.low})
		if w.count == 0 {
			return
		}
		f := got[0]
		if f.Title != w.title || (w.rule != "" && f.RuleID != w.rule) || f.Component.Name != w.comp || f.Component.Version != w.version || f.Locations[0].File != w.file {
			t.Errorf("first: %q %q %+v %v", f.Title, f.RuleID, f.Component, f.Locations)
		}
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
	var got []findings.Finding
	if err := Parse(strings.NewReader(doc), "snyk.json", func(f findings.Finding) error { got = append(got, f); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || strings.Join(got[0].DependencyPaths, "|") != "app@1.0.0 > express@4.17.1 > qs@6.5.2|app@1.0.0 > request@2.88.0 > qs@6.5.2" {
		t.Fatalf("%d findings, paths %q", len(got), got[0].DependencyPaths)
	}
}
