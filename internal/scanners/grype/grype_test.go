package grype

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/scanners/reportio"
	"github.com/rampart-security/rampart/internal/scanners/scannertest"
)

func TestParse(t *testing.T) {
	got := scannertest.ParseFileN(t, Parse, "testdata/matches.json", 2)
	f := got[0]
	if f.Title != "GHSA-4374-p667-p6c8 in golang.org/x/net v0.9.0" || f.Severity != findings.High || strings.Join(f.VulnerabilityIDs, ",") != "CVE-2023-39325,GHSA-4374-p667-p6c8" {
		t.Errorf("first: %q %s %v", f.Title, f.Severity, f.VulnerabilityIDs)
	}
	if f.Component.PURL != "pkg:golang/golang.org/x/net@v0.9.0" || len(f.Locations) != 2 || f.FixedVersions[0] != "0.17.0" {
		t.Errorf("component %+v locations %v fixed %v", f.Component, f.Locations, f.FixedVersions)
	}
	if *f.CVSS.V3Score != 7.5 || *f.EPSS.Score != 0.00163 || *f.EPSS.Percentile != 0.37957 || !f.KEV {
		t.Errorf("primary CVSS, EPSS, KEV: %+v %+v %v", f.CVSS, f.EPSS, f.KEV)
	}
	old := got[1]
	if old.Severity != findings.Info || *old.CVSS.V3Score != 7.8 || old.FixedVersions[0] != "5.0-5" || old.References[0] != "https://security-tracker.debian.org/tracker/CVE-2019-18276" {
		t.Errorf("old format: %+v", old)
	}
	// The same CVE in the same package from another tool fingerprints the same.
	scannertest.CrossTool(t, old, findings.Finding{Tool: "trivy", Title: "bash: x", VulnerabilityIDs: []string{"CVE-2019-18276"}, Component: findings.Component{Name: "bash", Version: "5.0-4"}})
	scannertest.ParseFileN(t, Parse, "testdata/empty.json", 0)
	scannertest.Rejects(t, Parse, []scannertest.Reject{
		{File: "no-id.json", Is: reportio.ErrNotReport, Prefix: "no-id.json: at byte", Contains: "match without vulnerability id"},
		{File: "bad-matches.json", Is: reportio.ErrNotReport, Prefix: "bad-matches.json: at byte", Contains: "matches is 3, want an array"},
	})
}

func TestDetect(t *testing.T) {
	scannertest.Detects(t, Detect, map[string]bool{
		`{"matches": [{"vulnerability": {"id": "CVE-1"`: true,
		`{"descriptor": {}, "matches": []}`:             true,
		`{"results": [], "matches": 1}`:                 false,
		`{"SchemaVersion": 2, "Results": []}`:           false,
	})
}

// TestCorpus: in many_vulns.json, Negligible and Unknown count as info.
func TestCorpus(t *testing.T) {
	dir := scannertest.CorpusGolden(t, "anchore_grype", Parse)
	// Two matches of one CVE in one package at two paths stay distinct
	// findings with the same fingerprint (the import merges them).
	same := scannertest.ParseFile(t, Parse, filepath.Join(dir, "same_cve_different_paths.json"))
	if same[0].Locations[0].File == same[1].Locations[0].File || same[0].Fingerprint != same[1].Fingerprint {
		t.Errorf("same CVE, different paths: %v / %v", same[0].Locations, same[1].Locations)
	}
}

func FuzzParse(f *testing.F) {
	scannertest.FuzzDir(f, "testdata", Parse)
}

// TestWontFix: Grype's fix.state is fixed, not-fixed, wont-fix or unknown;
// wont-fix (the distribution will not fix it) is said in the description.
func TestWontFix(t *testing.T) {
	doc := `{"matches":[{"vulnerability":{"id":"CVE-2011-3374","dataSource":"https://security-tracker.debian.org/tracker/CVE-2011-3374","namespace":"debian:distro:debian:12","severity":"Negligible","description":"apt-key does not validate keys","fix":{"versions":[],"state":"wont-fix"}},
"relatedVulnerabilities":[],"artifact":{"name":"apt","version":"2.6.1","type":"deb","purl":"pkg:deb/debian/apt@2.6.1?distro=debian-12"}},
{"vulnerability":{"id":"CVE-2023-4039","severity":"Low","fix":{"versions":[],"state":"not-fixed"}},"artifact":{"name":"gcc-12-base","version":"12.2.0-14"}}],"descriptor":{"name":"grype"}}`
	got := scannertest.ParseString(t, Parse, "grype.json", doc)
	if len(got) != 2 || !strings.HasSuffix(got[0].Description, "Fix state: wont-fix (the vendor will not fix it).") || strings.Contains(got[1].Description, "Fix state") || got[1].Mitigation != "" {
		t.Errorf("%+v", got)
	}
}
