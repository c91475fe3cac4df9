package trivy

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/scanners/reportio"
	"github.com/rampart-security/rampart/internal/scanners/scannertest"
)

func TestParseImage(t *testing.T) {
	got := scannertest.ParseFileN(t, Parse, "testdata/image.json", 4) // not_affected and PASS skipped
	v := got[0]
	if v.Title != "libcrypto3: openssl: Incorrect cipher key and IV length processing" || v.Severity != findings.High || v.RuleID != "CVE-2023-5363" {
		t.Errorf("vuln: %q %s %q", v.Title, v.Severity, v.RuleID)
	}
	if v.Component != (findings.Component{Name: "libcrypto3", Version: "3.1.0-r4", PURL: "pkg:apk/alpine/libcrypto3@3.1.0-r4?distro=3.18.0"}) || v.FixedVersions[0] != "3.1.4-r0" {
		t.Errorf("component %+v fixed %v", v.Component, v.FixedVersions)
	}
	// The severity source is nvd: its vector is used, and scored.
	if v.CVSS.V3Vector != "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N" || *v.CVSS.V3Score != 7.5 {
		t.Errorf("cvss %+v", v.CVSS)
	}
	if len(v.CWEs) != 1 || v.CWEs[0] != 325 || v.Mitigation != "Upgrade libcrypto3 to 3.1.4-r0." {
		t.Errorf("cwes %v mitigation %q", v.CWEs, v.Mitigation)
	}
	if m := got[1]; m.RuleID != "DS002" || m.Severity != findings.High || m.Locations[0] != (findings.Location{File: "Dockerfile", Line: 3}) {
		t.Errorf("misconfiguration %+v", m)
	}
	if s := got[2]; s.RuleID != "aws-access-key-id" || s.Severity != findings.Critical || s.Locations[0].Line != 7 || s.CWEs[0] != 798 {
		t.Errorf("secret %+v", s)
	}
	if l := got[3]; l.Title != "License GPL-2.0 (restricted) in busybox" || l.Severity != findings.High {
		t.Errorf("license %+v", l)
	}
}

func TestParseVariants(t *testing.T) {
	legacy := scannertest.ParseFile(t, Parse, "testdata/legacy.json")
	if len(legacy) != 2 || legacy[0].Severity != findings.Low || legacy[1].Severity != findings.Info || legacy[1].Title != "bash: TEMP-0841856-B18BAF" {
		t.Errorf("legacy: %+v", legacy)
	}
	k8s := scannertest.ParseFile(t, Parse, "testdata/k8s.json")
	if len(k8s) != 1 || k8s[0].RuleID != "KSV012" || !strings.Contains(k8s[0].Description, "Resource: iot/Deployment/mqtt") || k8s[0].Locations[0].Line != 12 {
		t.Errorf("k8s: %+v", k8s)
	}
	scannertest.ParseFileN(t, Parse, "testdata/null.json", 0)
	scannertest.Rejects(t, Parse, []scannertest.Reject{
		{File: "bad-results.json", Is: reportio.ErrNotReport, Prefix: "bad-results.json: at byte"},
		{File: "not-trivy.json", Is: reportio.ErrNotReport, Contains: "not a Trivy report"},
	})
}

func TestDetect(t *testing.T) {
	scannertest.Detects(t, Detect, map[string]bool{
		`{"SchemaVersion": 2, "ArtifactName": "x"`:               true,
		`{"ClusterName": "c", "Resources": [`:                    true,
		`[{"Target": "debian (debian 10.8)", "Vulnerabilities":`: true,
		`{"matches": [], "source": {}}`:                          false,
		`{"version": "2.1.0", "runs": []}`:                       false,
	})
}

// TestCorpus: all_statuses.json has 8 vulnerabilities, one not_affected;
// one entry of legacy_trivy_mix.json has only a PkgName.
func TestCorpus(t *testing.T) {
	dir := scannertest.CorpusGolden(t, "trivy", Parse)
	// CVSS v4 from the GHSA severity source.
	v4 := scannertest.ParseFile(t, Parse, filepath.Join(dir, "cvssv4_severity_source.json"))[0]
	if v4.CVSS.V4Score == nil || *v4.CVSS.V4Score != 6.3 || strings.Join(v4.FixedVersions, ",") != "11.0.14,10.1.49,9.0.112" || v4.VulnerabilityIDs[1] != "GHSA-fpj8-gq4v-p354" {
		t.Errorf("cvssv4 file: %+v %v %v", v4.CVSS, v4.FixedVersions, v4.VulnerabilityIDs)
	}
}

func FuzzParse(f *testing.F) {
	scannertest.FuzzDir(f, "testdata", Parse)
}

// TestCheckIDAcrossVersions: Trivy's own expected output for one Helm
// chart before and after trivy-checks v2 (aquasecurity/trivy, Jan 2026):
// the first names the checks "KSV001" with AVDID "AVD-KSV-0001", the
// second only "KSV-0001". Both name the check by its AVD id, so a re-scan
// with the newer Trivy matches the findings of the older one.
func TestCheckIDAcrossVersions(t *testing.T) {
	v1 := scannertest.ParseFileN(t, Parse, "testdata/helm-checks-v1.json", 6)
	v2 := scannertest.ParseFileN(t, Parse, "testdata/helm-checks-v2.json", 6)
	for i := range v1 {
		a, b := v1[i], v2[i]
		if a.RuleID != b.RuleID || !strings.HasPrefix(a.RuleID, "AVD-KSV-0") || a.Fingerprint != b.Fingerprint {
			t.Errorf("finding %d: %s %s (%s:%d) and %s %s (%s:%d)", i, a.RuleID, a.Fingerprint, a.Locations[0].File, a.Locations[0].Line, b.RuleID, b.Fingerprint, b.Locations[0].File, b.Locations[0].Line)
		}
	}
	if !strings.Contains(v1[0].Description, "Trivy check ID: KSV001") || !strings.Contains(v2[0].Description, "Trivy check ID: KSV-0001") {
		t.Errorf("the tool's own ids: %q, %q", v1[0].Description, v2[0].Description)
	}
	for id, want := range map[string]bool{"KSV-0001": true, "AWS-0089": true, "DS-0002": true, "KSV001": false, "AVD-AWS-0089": false, "s3-bucket-logging": false, "N/A": false, "aws-0089": false, "AWS-89": false} {
		if got := isAVDSuffix(id); got != want {
			t.Errorf("isAVDSuffix(%q) = %v", id, got)
		}
	}
}

// TestVendorStatus: Trivy's vendor Status (types.Status: fixed, affected,
// will_not_fix, fix_deferred, end_of_life, under_investigation,
// not_affected) is said in the description when it tells more than
// affected or fixed.
func TestVendorStatus(t *testing.T) {
	doc := `{"SchemaVersion":2,"ArtifactName":"debian:12","ArtifactType":"container_image","Results":[{"Target":"debian:12 (debian 12.5)","Class":"os-pkgs","Type":"debian","Vulnerabilities":[
{"VulnerabilityID":"CVE-2011-3374","PkgName":"apt","InstalledVersion":"2.6.1","Status":"will_not_fix","SeveritySource":"debian","PrimaryURL":"https://avd.aquasec.com/nvd/cve-2011-3374",
 "DataSource":{"ID":"debian","Name":"Debian Security Tracker","URL":"https://salsa.debian.org/security-tracker-team/security-tracker"},"Title":"It was found that apt-key in apt does not correctly validate gpg keys","Severity":"LOW"},
{"VulnerabilityID":"CVE-2023-4039","PkgName":"gcc-12-base","InstalledVersion":"12.2.0-14","FixedVersion":"","Status":"affected","Severity":"MEDIUM"}]}]}`
	got := scannertest.ParseString(t, Parse, "trivy.json", doc)
	if len(got) != 2 {
		t.Fatalf("%d findings", len(got))
	}
	apt := got[0]
	if !strings.Contains(apt.Description, "Status: will_not_fix (the vendor will not fix it).") {
		t.Errorf("apt: %q %v", apt.Description, apt.References)
	}
	if strings.Contains(got[1].Description, "Status") || len(got[1].FixedVersions) != 0 || got[1].Mitigation != "" {
		t.Errorf("affected: %q %v %q", got[1].Description, got[1].FixedVersions, got[1].Mitigation)
	}
}

// TestLicenseFile: a license Trivy found in a file (class license-file:
// PkgName empty, FilePath set) names the file, not an empty package.
func TestLicenseFile(t *testing.T) {
	doc := `{"SchemaVersion":2,"ArtifactName":"alpine:3.19","Results":[{"Target":"Loose File License(s)","Class":"license-file","Licenses":[
{"Severity":"LOW","Category":"notice","PkgName":"","FilePath":"/etc/ssl/misc/CA.pl","Name":"OpenSSL","Confidence":1,"Link":"https://spdx.org/licenses/OpenSSL.html"}]}]}`
	got := scannertest.ParseString(t, Parse, "trivy.json", doc)
	if len(got) != 1 || got[0].Title != "License OpenSSL (notice) in /etc/ssl/misc/CA.pl" || got[0].Description != "File /etc/ssl/misc/CA.pl is under the OpenSSL license, of category notice." || got[0].Locations[0].File != "/etc/ssl/misc/CA.pl" {
		t.Errorf("%+v", got)
	}
}
