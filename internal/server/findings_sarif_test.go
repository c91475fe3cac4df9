package server_test

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"testing"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/sarif"
)

// TestFindingsExportSARIF imports a Trivy report and exports the findings
// as SARIF: a valid SARIF 2.1.0 log of the tool "Rampart", one result per
// stored finding carrying its fingerprint, CVSS scores as security-severity.
func TestFindingsExportSARIF(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		rel := e.ensureRelease(t, "Gateway", "1.0")
		f, err := os.Open("../scanners/trivy/testdata/image.json")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := portfolio.ImportScan(ctx, e.store, portfolio.ScanRequest{ReleaseID: rel.ID, FileName: "image.json", Report: f}); err != nil {
			t.Fatal(err)
		}
		stored, _, err := e.store.Findings(ctx, findings.Query{ReleaseID: rel.ID, Limit: 100})
		if err != nil || len(stored) == 0 {
			t.Fatalf("stored findings: %d %v", len(stored), err)
		}
		r := e.do(t, e.loginOK(t, "alice"), "GET", "/api/v1/findings/export?format=sarif", nil)
		body, _ := io.ReadAll(r.Body)
		if r.StatusCode != 200 || r.Header.Get("Content-Type") != "application/sarif+json" {
			t.Fatalf("export: %d %s\n%s", r.StatusCode, r.Header.Get("Content-Type"), body)
		}
		if err := sarif.Validate(body); err != nil {
			t.Fatal(err)
		}
		var log struct {
			Runs []struct {
				Tool struct {
					Driver struct {
						Name  string `json:"name"`
						Rules []struct {
							Properties map[string]any `json:"properties"`
						} `json:"rules"`
					} `json:"driver"`
				} `json:"tool"`
				Results []struct {
					PartialFingerprints map[string]string `json:"partialFingerprints"`
				} `json:"results"`
			} `json:"runs"`
		}
		if err := json.Unmarshal(body, &log); err != nil {
			t.Fatal(err)
		}
		run := log.Runs[0]
		if run.Tool.Driver.Name != "Rampart" || len(run.Results) != len(stored) {
			t.Fatalf("tool %q, %d results for %d findings", run.Tool.Driver.Name, len(run.Results), len(stored))
		}
		want := map[string]bool{}
		for _, s := range stored {
			want[s.Finding.Fingerprint] = true
		}
		for _, res := range run.Results {
			if !want[res.PartialFingerprints["rampart/v1"]] {
				t.Errorf("result fingerprint %q is no stored finding's", res.PartialFingerprints["rampart/v1"])
			}
		}
		scored := 0
		for _, ru := range run.Tool.Driver.Rules {
			if ru.Properties["security-severity"] != nil {
				scored++
			}
		}
		if scored == 0 {
			t.Error("no rule carries a security-severity")
		}
	})
}
