package findings

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestWriteSARIF(t *testing.T) {
	score := 9.8
	fs := []Finding{
		{Title: "SQL injection", Severity: High, RuleID: "go/sql-injection", CWEs: []int{89}, Fingerprint: "fp1",
			Locations: []Location{{File: "api/users.go", Line: 42}}},
		{Title: "Vulnerable openssl", Severity: Critical, VulnerabilityIDs: []string{"CVE-2022-3602"}, Fingerprint: "fp2",
			Component: Component{Name: "openssl", Version: "3.0.6", PURL: "pkg:generic/openssl@3.0.6"}, CVSS: CVSS{V3Score: &score}},
	}
	var buf bytes.Buffer
	if err := WriteSARIF(&buf, fs); err != nil {
		t.Fatal(err)
	}
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						ID         string         `json:"id"`
						Properties map[string]any `json:"properties"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID              string            `json:"ruleId"`
				Level               string            `json:"level"`
				PartialFingerprints map[string]string `json:"partialFingerprints"`
				Locations           []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }    `json:"artifactLocation"`
						Region           struct{ StartLine int } `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	r := log.Runs[0]
	if log.Version != "2.1.0" || len(r.Results) != 2 || r.Results[0].Level != "error" || r.Results[0].PartialFingerprints["rampart/v1"] != "fp1" {
		t.Fatalf("SARIF: %s", buf.String())
	}
	if loc := r.Results[0].Locations[0].PhysicalLocation; loc.ArtifactLocation.URI != "api/users.go" || loc.Region.StartLine != 42 {
		t.Errorf("location %+v", loc)
	}
	if r.Results[1].RuleID != "CVE-2022-3602" || r.Tool.Driver.Rules[1].Properties["security-severity"] != "9.8" {
		t.Errorf("vulnerability rule: %+v", r.Tool.Driver.Rules[1])
	}
}
