package grype

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
	other := findings.Finding{Tool: "trivy", Title: "bash: x", VulnerabilityIDs: []string{"CVE-2019-18276"}, Component: findings.Component{Name: "bash", Version: "5.0-4"}}
	if findings.Fingerprint(other) != old.Fingerprint {
		t.Error("cross-tool fingerprint differs")
	}
	if got := scannertest.ParseFile(t, Parse, "testdata/empty.json"); len(got) != 0 {
		t.Errorf("empty: %d", len(got))
	}
	for file, want := range map[string]string{"no-id.json": "match without vulnerability id", "bad-matches.json": "matches is 3, want an array"} {
		_, err := scannertest.ParseFileErr(Parse, filepath.Join("testdata", file))
		if !errors.Is(err, reportio.ErrNotReport) || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), file+": at byte") {
			t.Errorf("%s: %v", file, err)
		}
	}
}

func TestDetect(t *testing.T) {
	for in, want := range map[string]bool{
		`{"matches": [{"vulnerability": {"id": "CVE-1"`: true,
		`{"descriptor": {}, "matches": []}`:             true,
		`{"results": [], "matches": 1}`:                 false,
		`{"SchemaVersion": 2, "Results": []}`:           false,
	} {
		if Detect(reportio.NewHead([]byte(in))) != want {
			t.Errorf("Detect(%s) != %v", in, want)
		}
	}
}

func TestCorpus(t *testing.T) {
	dir := corpustest.Dir(t, "scans", "anchore_grype")
	type first struct {
		title, severity, ids, comp, version string
		locations                           int
		v3, epss                            float64
	}
	type corpusCase struct {
		count                             int
		critical, high, medium, low, info int
		first                             *first
	}
	cases := map[string]corpusCase{
		"anchore_grype_epss_problem.json":                {1, 0, 1, 0, 0, 0, &first{"GHSA-4374-p667-p6c8 in golang.org/x/net v0.9.0", "high", "CVE-2023-39325,GHSA-4374-p667-p6c8", "golang.org/x/net", "v0.9.0", 1, 7.5, 0.00163}},
		"check_all_fields.json":                          {6, 2, 3, 0, 0, 1, &first{"CVE-2004-0971 in libgssapi-krb5-2 1.17-3+deb10u3", "info", "CVE-2004-0971", "libgssapi-krb5-2", "1.17-3+deb10u3", 3, 0, 0}},
		"check_all_fields_different_ids_fabricated.json": {1, 0, 1, 0, 0, 0, &first{"GHSA-v6rh-hp5x-86rv in Django 3.2.9", "high", "CVE-2021-1234,CVE-2021-5678,GHSA-v6rh-hp5x-86rv", "Django", "3.2.9", 1, 9.8, 0}},
		"check_all_fields_no_ids_fabricated.json":        {1, 0, 1, 0, 0, 0, &first{"GHSA-v6rh-hp5x-86rv in Django 3.2.9", "high", "GHSA-v6rh-hp5x-86rv", "Django", "3.2.9", 1, 0, 0}},
		"check_all_fields_with_ids_fabricated.json":      {1, 0, 1, 0, 0, 0, &first{"GHSA-v6rh-hp5x-86rv in Django 3.2.9", "high", "CVE-2021-44420,GHSA-v6rh-hp5x-86rv", "Django", "3.2.9", 1, 7.3, 0}},
		"fix_available.json":                             {1, 0, 1, 0, 0, 0, nil},
		"fix_not_available.json":                         {1, 0, 1, 0, 0, 0, nil},
		"issue_9618.json":                                {35, 1, 18, 13, 2, 1, &first{"CVE-2023-38473 in avahi-libs 0.7-20.el8", "medium", "CVE-2023-38473", "avahi-libs", "0.7-20.el8", 1, 5.5, 0}},
		"issue_9942.json":                                {1, 0, 1, 0, 0, 0, nil},
		// Negligible and Unknown count as info.
		"many_vulns.json":                  {1509, 0, 32, 613, 107, 757, &first{"CVE-2011-3389 in libgnutls-openssl27 3.6.7-4+deb10u5", "medium", "CVE-2011-3389", "libgnutls-openssl27", "3.6.7-4+deb10u5", 3, 0, 0}},
		"many_vulns2.json":                 {1567, 0, 26, 637, 112, 792, nil},
		"many_vulns3.json":                 {327, 5, 24, 155, 27, 116, &first{"CVE-2019-18276 in bash 5.0-4", "info", "CVE-2019-18276", "bash", "5.0-4", 3, 0, 0}},
		"many_vulns4.json":                 {9, 2, 2, 5, 0, 0, nil},
		"many_vulns_with_epss_values.json": {15, 1, 10, 2, 2, 0, &first{"CVE-2022-28391 in busybox 1.32.1", "high", "CVE-2022-28391", "busybox", "1.32.1", 1, 8.8, 0.0719}},
		"no_vuln.json":                     {},
		"same_cve_different_paths.json":    {2, 2, 0, 0, 0, 0, &first{"CVE-2021-33574 in libc6 2.28-10", "critical", "CVE-2021-33574", "libc6", "2.28-10", 1, 0, 0}},
	}
	scannertest.Corpus(t, dir, cases, func(t *testing.T, path string, want corpusCase) {
		got := scannertest.CheckFile(t, Parse, path, scannertest.Counts{Total: want.count, Critical: want.critical, High: want.high, Medium: want.medium, Low: want.low, Info: want.info})
		if w := want.first; w != nil {
			g := got[0]
			if g.Title != w.title || string(g.Severity) != w.severity || strings.Join(g.VulnerabilityIDs, ",") != w.ids || g.Component.Name != w.comp || g.Component.Version != w.version || len(g.Locations) != w.locations {
				t.Errorf("first: %q %s %v %+v %d locations", g.Title, g.Severity, g.VulnerabilityIDs, g.Component, len(g.Locations))
			}
			if (w.v3 != 0) != (g.CVSS.V3Score != nil) || (w.v3 != 0 && *g.CVSS.V3Score != w.v3) {
				t.Errorf("v3 %v, want %v", g.CVSS.V3Score, w.v3)
			}
			if w.epss != 0 && (g.EPSS.Score == nil || *g.EPSS.Score != w.epss) {
				t.Errorf("epss %v, want %v", g.EPSS.Score, w.epss)
			}
		}
	})
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
