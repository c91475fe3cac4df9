package trivy

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/corpustest"
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
	if got := scannertest.ParseFile(t, Parse, "testdata/null.json"); len(got) != 0 {
		t.Errorf("null: %d", len(got))
	}
	scannertest.NotReport(t, Parse, "testdata/bad-results.json", "bad-results.json: at byte")
	_, err := scannertest.ParseFileErr(Parse, "testdata/not-trivy.json")
	if !errors.Is(err, reportio.ErrNotReport) || !strings.Contains(err.Error(), "not a Trivy report") {
		t.Errorf("not trivy: %v", err)
	}
}

func TestDetect(t *testing.T) {
	for in, want := range map[string]bool{
		`{"SchemaVersion": 2, "ArtifactName": "x"`:               true,
		`{"ClusterName": "c", "Resources": [`:                    true,
		`[{"Target": "debian (debian 10.8)", "Vulnerabilities":`: true,
		`{"matches": [], "source": {}}`:                          false,
		`{"version": "2.1.0", "runs": []}`:                       false,
	} {
		if Detect(reportio.NewHead([]byte(in))) != want {
			t.Errorf("Detect(%s) != %v", in, want)
		}
	}
}

func TestCorpus(t *testing.T) {
	dir := corpustest.Dir(t, "scans", "trivy")
	type first struct {
		title, severity, rule, comp, version, file string
		v3                                         float64
	}
	type corpusCase struct {
		count                             int
		critical, high, medium, low, info int
		first                             *first
	}
	cases := map[string]corpusCase{
		// 8 vulnerabilities, one not_affected.
		"all_statuses.json":                              {7, 0, 0, 0, 7, 0, &first{"apt: It was found that apt-key in apt, all versions, do not correctly valid ...", "low", "CVE-2011-3374", "apt", "1.8.2.3", "noppaknopsta/example-app:main-159 (debian 10.13)", 3.7}},
		"cvss_severity_source.json":                      {2, 0, 1, 1, 0, 0, &first{"curl: curl: information disclosure by exploiting a mixed case flaw", "medium", "CVE-2023-46218", "curl", "7.81.0-1ubuntu1.14", "requirements.txt", 6.5}},
		"cvssv4_severity_source.json":                    {3, 0, 0, 1, 2, 0, &first{"org.apache.tomcat:tomcat-catalina: tomcat: Client certificate verification bypass due to virtual host mapping", "medium", "CVE-2025-66614", "org.apache.tomcat:tomcat-catalina", "9.0.109", "catalina.jar", 0}},
		"issue_10991.json":                               {37, 0, 1, 5, 31, 0, &first{"Runs with a root primary or supplementary GID", "low", "KSV116", "", "", "Service/kubernetes", 0}},
		"issue_14136.json":                               {1, 0, 0, 0, 1, 0, &first{"IAM policies should not be granted directly to users.", "low", "AVD-AWS-0143", "", "", "../../aws-credentials/main.tf", 0}},
		"issue_9092.json":                                {1, 0, 1, 0, 0, 0, &first{"certifi: python-certifi: Removal of e-Tugra root certificate", "high", "CVE-2023-37920", "certifi", "2022.5.18.1", "requirements.txt", 7.5}},
		"issue_9170.json":                                {37, 0, 1, 5, 31, 0, nil},
		"issue_9263.json":                                {1, 0, 1, 0, 0, 0, &first{"linux-libc-dev: kernel: memory exhaustion via crafted Graphics Execution Manager (GEM) objects", "high", "CVE-2013-7445", "linux-libc-dev", "6.1.55-1", "requirements.txt", 0}},
		"issue_9333.json":                                {13, 0, 0, 1, 12, 0, nil},
		"kubernetes.json":                                {20, 0, 0, 6, 14, 0, &first{"apt: apt: integer overflows and underflows while parsing .deb packages", "medium", "CVE-2020-27350", "apt", "1.8.2.1", "default/Deployment/redis-follower: gcr.io/google_samples/gb-redis-follower:v2 (debian 10.4)", 5.7}},
		"kubernetes_fabricated_internal_duplicates.json": {13, 0, 0, 5, 8, 0, nil},
		"kubernetes_fabricated_internal_duplicates_subset.json": {5, 0, 0, 2, 3, 0, nil},
		"kubernetes_fabricated_subset.json":                     {13, 0, 0, 5, 8, 0, nil},
		"legacy_many_vulns.json":                                {93, 0, 18, 9, 65, 1, &first{"apt: CVE-2011-3374", "low", "CVE-2011-3374", "apt", "1.8.2.2", "debian (debian 10.8)", 3.7}},
		"legacy_no_vuln.json":                                   {},
		// One entry has only a PkgName.
		"legacy_trivy_mix.json":              {7, 0, 6, 0, 0, 1, &first{"Unidentified vulnerability in simplito/elliptic-php", "info", "", "simplito/elliptic-php", "", "php-app/composer.lock", 0}},
		"license_scheme.json":                {19, 0, 7, 1, 11, 0, &first{"License GPL-2.0 (restricted) in alpine-baselayout", "high", "license:GPL-2.0", "alpine-baselayout", "", "OS Packages", 0}},
		"misconfigurations_and_secrets.json": {5, 2, 2, 1, 0, 0, &first{"urllib3: python-urllib3: ReDoS in the parsing of authority part of URL", "high", "CVE-2021-33503", "urllib3", "1.26.3", "requirements.txt", 7.5}},
		"scheme_2_many_vulns.json":           {5, 1, 1, 3, 0, 0, &first{"freetype: freetype: Heap-based buffer overflow due to integer truncation in Load_SBit_Png", "medium", "CVE-2020-15999", "freetype", "2.9.1-r2", "app/libs/freetype-2.9.1-r2", 6.5}},
		"scheme_2_no_vuln.json":              {},
		"severity_prio.json":                 {2, 1, 0, 0, 1, 0, nil},
	}
	scannertest.Corpus(t, dir, cases, func(t *testing.T, path string, want corpusCase) {
		got := scannertest.CheckFile(t, Parse, path, scannertest.Counts{Total: want.count, Critical: want.critical, High: want.high, Medium: want.medium, Low: want.low, Info: want.info})
		if w := want.first; w != nil {
			g := got[0]
			if g.Title != w.title || string(g.Severity) != w.severity || g.RuleID != w.rule || g.Component.Name != w.comp || g.Component.Version != w.version || g.Locations[0].File != w.file {
				t.Errorf("first: %q %s %q %+v %q", g.Title, g.Severity, g.RuleID, g.Component, g.Locations[0].File)
			}
			if w.v3 != 0 && (g.CVSS.V3Score == nil || *g.CVSS.V3Score != w.v3) {
				t.Errorf("v3 %v, want %v", g.CVSS.V3Score, w.v3)
			}
		}
	})
	// CVSS v4 from the GHSA severity source.
	v4 := scannertest.ParseFile(t, Parse, filepath.Join(dir, "cvssv4_severity_source.json"))[0]
	if v4.CVSS.V4Score == nil || *v4.CVSS.V4Score != 6.3 || strings.Join(v4.FixedVersions, ",") != "11.0.14,10.1.49,9.0.112" || v4.VulnerabilityIDs[1] != "GHSA-fpj8-gq4v-p354" {
		t.Errorf("cvssv4 file: %+v %v %v", v4.CVSS, v4.FixedVersions, v4.VulnerabilityIDs)
	}
}

func FuzzParse(f *testing.F) {
	scannertest.FuzzDir(f, "testdata", Parse)
}
