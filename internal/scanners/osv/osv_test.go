package osv

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/corpustest"
	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/scanners/scannertest"
)

func TestParse(t *testing.T) {
	got := scannertest.ParseFile(t, Parse, "testdata/results.json")
	if len(got) != 2 {
		t.Fatalf("got %d findings, want 2 (one group + one ungrouped record)", len(got))
	}
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
	grype := findings.Finding{Tool: "grype", VulnerabilityIDs: []string{"GHSA-4374-p667-p6c8", "CVE-2023-39325"}, Component: findings.Component{Name: "golang.org/x/net", Version: "0.9.0"}}
	if findings.Fingerprint(grype) != f.Fingerprint {
		t.Error("cross-tool fingerprint differs")
	}
	if _, err := scannertest.ParseFileErr(Parse, "testdata/bad.json"); err == nil || !strings.HasPrefix(err.Error(), "bad.json: at byte") {
		t.Errorf("bad: %v", err)
	}
}

func TestCorpus(t *testing.T) {
	dir := corpustest.Dir(t, "scans", "osv_scanner")
	cases := map[string]struct {
		count                         int
		critical, high, medium, info  int
		title, rule, comp, ids, fixed string
	}{
		// 66 records in 37 groups.
		"many_findings.json":        {37, 5, 18, 14, 0, "CURLOPT_HTTPAUTH option not cleared on change of origin", "GHSA-25mq-v84q-4j7r", "guzzlehttp/guzzle", "CVE-2022-31090,GHSA-25mq-v84q-4j7r", "6.5.8,7.4.5"},
		"multi_cwe_fabricated.json": {1, 0, 0, 0, 1, "Example vulnerability with multiple CWEs", "GHSA-multi-cwe-0001", "example-pkg", "GHSA-multi-cwe-0001", ""},
		// A 0-byte file.
		"no_findings.json":   {},
		"some_findings.json": {1, 0, 0, 0, 1, "Malicious code in flot-axis (npm)", "GHSA-8348-2q94-ffjx", "flot-axis", "GHSA-8348-2q94-ffjx,MAL-2023-1035", ""},
	}
	for _, name := range scannertest.Files(t, dir) {
		t.Run(name, func(t *testing.T) {
			w, ok := cases[name]
			if !ok {
				t.Fatalf("corpus file %s has no expectations", name)
			}
			got := scannertest.ParseFile(t, Parse, filepath.Join(dir, name))
			scannertest.CheckInvariants(t, got)
			counts := map[findings.Severity]int{}
			for _, f := range got {
				counts[f.Severity]++
			}
			if len(got) != w.count || counts[findings.Critical] != w.critical || counts[findings.High] != w.high || counts[findings.Medium] != w.medium || counts[findings.Info] != w.info {
				t.Fatalf("got %d %v, want %+v", len(got), counts, w)
			}
			if w.count == 0 {
				return
			}
			f := got[0]
			if f.Title != w.title || f.RuleID != w.rule || f.Component.Name != w.comp || strings.Join(f.VulnerabilityIDs, ",") != w.ids || strings.Join(f.FixedVersions, ",") != w.fixed {
				t.Errorf("first: %q %q %+v %v %v", f.Title, f.RuleID, f.Component, f.VulnerabilityIDs, f.FixedVersions)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	scannertest.Seed(f, "testdata")
	scannertest.Fuzz(f, Parse)
}
