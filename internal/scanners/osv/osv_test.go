package osv

import (
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/scanners/scannertest"
)

func TestParse(t *testing.T) {
	got := scannertest.ParseFileN(t, Parse, "testdata/results.json", 2) // one group + one ungrouped record
	f := got[0]
	if f.Title != "HTTP/2 rapid reset can cause excessive work in net/http" || f.Severity != findings.High || f.RuleID != "GHSA-4374-p667-p6c8" {
		t.Errorf("group: %q %s %q", f.Title, f.Severity, f.RuleID)
	}
	if strings.Join(f.VulnerabilityIDs, ",") != "CVE-2023-39325,GHSA-4374-p667-p6c8,GO-2023-2102" || f.FixedVersions[0] != "0.17.0" || *f.CVSS.V3Score != 7.5 || len(f.CWEs) != 2 {
		t.Errorf("group details: %v %v %+v %v", f.VulnerabilityIDs, f.FixedVersions, f.CVSS, f.CWEs)
	}
	if f.Component.Name != "golang.org/x/net" || f.Locations[0].File != "/src/fw/go.mod" {
		t.Errorf("component %+v location %v", f.Component, f.Locations)
	}
	if u := got[1]; u.Severity != findings.Low || u.RuleID != "GO-2024-0001" {
		t.Errorf("ungrouped: %+v", u)
	}
	// Grype reporting the CVE for the same module version agrees.
	scannertest.CrossTool(t, f, findings.Finding{Tool: "grype", VulnerabilityIDs: []string{"GHSA-4374-p667-p6c8", "CVE-2023-39325"}, Component: findings.Component{Name: "golang.org/x/net", Version: "0.9.0"}})
	scannertest.Rejects(t, Parse, []scannertest.Reject{{File: "bad.json", Prefix: "bad.json: at byte"}})
}

// TestCorpus: many_findings.json has 66 records in 37 groups;
// no_findings.json is a 0-byte file.
func TestCorpus(t *testing.T) {
	scannertest.CorpusGolden(t, "osv_scanner", Parse)
}

// TestNoVulns: osv-scanner's output for a scan that found nothing has no
// "packages" key (only "results": [] and "experimental_config"); it is
// detected and is an empty report, not an unknown format.
func TestNoVulns(t *testing.T) {
	scannertest.ParseFileN(t, Parse, "testdata/no-vulns.json", 0)
	scannertest.Detects(t, Detect, map[string]bool{
		scannertest.ReadString(t, "testdata/no-vulns.json"):                        true,
		`{"results": [], "experimental_config": {"licenses": {"summary": false}}}`: true,
		`{"results": [], "errors": [], "paths": {"scanned": []}}`:                  false, // Semgrep
		`{"results": [], "experimental_config": "x"}`:                              false,
		`{"findings": [], "experimental_config": {}}`:                              false,
	})
}

func FuzzParse(f *testing.F) {
	scannertest.FuzzDir(f, "testdata", Parse)
}

func TestParsePackagesAndSources(t *testing.T) {
	got := scannertest.ParseFile(t, Parse, "testdata/v2-npm-image.json")
	scannertest.CheckInvariants(t, got)
	if len(got) != 3 {
		t.Fatalf("got %d findings, want 3 (one per issue per package)", len(got))
	}
	babel, sem, ssl := got[0], got[1], got[2]
	if babel.Component != (findings.Component{Name: "@babel/traverse", Version: "7.22.5", PURL: "pkg:npm/%40babel/traverse@7.22.5"}) ||
		babel.Severity != findings.Critical || babel.Locations[0].File != "/app/package-lock.json" || len(babel.CWEs) != 2 {
		t.Errorf("babel: %+v", babel)
	}
	if !strings.Contains(babel.Description, "Ecosystem: npm\nSource: lockfile /app/package-lock.json\nDependency groups: dev") {
		t.Errorf("babel description %q", babel.Description)
	}
	if sem.Severity != findings.Medium || sem.Component.PURL != "pkg:npm/semver@5.7.1" || strings.Join(sem.FixedVersions, ",") != "5.7.2,6.3.1" {
		t.Errorf("semver: %+v", sem)
	}
	// No groups (osv-scanner before 1.3): the DSA and the Debian CVE record
	// name the same CVE, so they are one finding.
	if strings.Join(ssl.VulnerabilityIDs, ",") != "CVE-2023-5363,DEBIAN-CVE-2023-5363,DSA-5532-1" || ssl.Component.PURL != "pkg:deb/debian/openssl@3.0.11-1~deb12u1" ||
		ssl.Locations[0].File != "registry.example.test/fw-builder:1.4" || ssl.Severity != findings.High {
		t.Errorf("openssl: %+v", ssl)
	}
	if !strings.Contains(ssl.Description, "Ecosystem: Debian:12\nSource: docker registry.example.test/fw-builder:1.4\nImage layer 0 (sha256:1f1d): /bin/sh -c #(nop) ADD file:0d3 in /") {
		t.Errorf("openssl description %q", ssl.Description)
	}
}

func TestPackageURL(t *testing.T) {
	for _, c := range [][4]string{
		{"Maven", "org.apache.logging.log4j:log4j-core", "2.14.1", "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"},
		{"Go", "golang.org/x/net", "0.9.0", "pkg:golang/golang.org/x/net@0.9.0"},
		{"PyPI", "jinja2", "2.4.1", "pkg:pypi/jinja2@2.4.1"},
		{"Packagist", "guzzlehttp/guzzle", "7.4.4", "pkg:composer/guzzlehttp/guzzle@7.4.4"},
		{"Alpine:v3.19", "busybox", "1.36.1-r15", "pkg:apk/alpine/busybox@1.36.1-r15"},
		{"GIT", "github.com/madler/zlib", "", ""},
	} {
		if got := packageURL(c[0], c[1], c[2]); got != c[3] {
			t.Errorf("packageURL(%s, %s) = %q, want %q", c[0], c[1], got, c[3])
		}
	}
}

// TestV2ImageScan: osv-scanner 2's image scan (testdata/v2-image-os.json,
// written from its output model). An OS package is named by its binary
// package (os_package_name; the OSV records and "name" give the source
// package, so fdisk and libblkid1 are two findings, not one); the layer
// is image_origin_details' index; Ubuntu's priority word is a severity
// when no CVSS is given (osv-scanner leaves max_severity empty); an
// affected package's own severity counts; call analysis (uncalled,
// unimportant) is said in the description and the finding kept; a
// license outside the allowlist and a deprecated package are findings.
func TestV2ImageScan(t *testing.T) {
	got := scannertest.ParseFileN(t, Parse, "testdata/v2-image-os.json", 8)
	scannertest.CheckInvariants(t, got)
	fdisk, blkid, tar, med, low, lic := got[0], got[1], got[2], got[3], got[4], got[5]
	// A deprecated package (osv-scanner 2.2+ "deprecated": true) is a
	// finding, beside its license violation.
	if dep := got[6]; dep.RuleID != "deprecated-package" || dep.Component.Name != "request" || dep.Severity != findings.Info || got[7].RuleID != "license:Apache-2.0" || got[7].Component.Name != "request" {
		t.Errorf("deprecated: %+v / %+v", dep, got[7])
	}
	if fdisk.Component != (findings.Component{Name: "fdisk", Version: "2.33.1-0.1", PURL: "pkg:deb/debian/fdisk@2.33.1-0.1"}) || blkid.Component.Name != "libblkid1" || fdisk.Fingerprint == blkid.Fingerprint {
		t.Errorf("binary packages: %+v / %+v", fdisk.Component, blkid.Component)
	}
	if strings.Join(fdisk.FixedVersions, ",") != "2.33.1-0.1+deb10u1" || !strings.Contains(fdisk.Description, "Source package: util-linux") || !strings.Contains(fdisk.Description, "Image layer 0") {
		t.Errorf("fdisk: %v %q", fdisk.FixedVersions, fdisk.Description)
	}
	if !strings.Contains(tar.Description, "Image layer 2") || !strings.Contains(tar.Description, "not called") || !strings.Contains(tar.Description, "unimportant") || tar.Severity != findings.Info {
		t.Errorf("tar: %s %q", tar.Severity, tar.Description)
	}
	if med.Component.Name != "libssl3" || med.Severity != findings.Medium || med.RuleID != "CVE-2023-2650" {
		t.Errorf("Ubuntu priority: %+v", med)
	}
	if low.CVSS.V3Score == nil || *low.CVSS.V3Score != 7.5 || low.Severity != findings.Low || !strings.Contains(low.Description, "not called") || strings.Join(low.FixedVersions, ",") != "3.0.2-0ubuntu1.9" {
		t.Errorf("affected severity: %s %+v %q", low.Severity, low.CVSS, low.Description)
	}
	if lic.RuleID != "license:Apache-2.0" || lic.Component.Name != "human-signals" || lic.Severity != findings.Low || lic.Locations[0].File != "/app/package-lock.json" {
		t.Errorf("license violation: %+v", lic)
	}
}

// TestV19ImageOrigin: osv-scanner 1.8.4–1.9 wrote the layer as
// imageOrigin {layerID, originCommand, inBaseImage}.
func TestV19ImageOrigin(t *testing.T) {
	doc := `{"results":[{"source":{"path":"/lib/apk/db/installed","type":"os"},"packages":[{"package":{"name":"busybox","version":"1.36.1-r2","ecosystem":"Alpine:v3.18",
"imageOrigin":{"layerID":"sha256:5af4","originCommand":"/bin/sh -c #(nop) ADD file:756 in / ","inBaseImage":true}},
"vulnerabilities":[{"id":"CVE-2023-42363","affected":[{"package":{"ecosystem":"Alpine:v3.18","name":"busybox"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.36.1-r4"}]}]}]}],
"groups":[{"ids":["CVE-2023-42363"],"aliases":["CVE-2023-42363"],"max_severity":"5.5"}]}]}],"experimental_config":{"licenses":{"summary":false,"allowlist":null}}}`
	got := scannertest.ParseString(t, Parse, "osv.json", doc)
	if len(got) != 1 || !strings.Contains(got[0].Description, "Image layer (sha256:5af4): /bin/sh -c #(nop) ADD file:756 in / (in the base image)") || got[0].Severity != findings.Medium {
		t.Errorf("%+v", got)
	}
}
