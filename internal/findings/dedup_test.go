package findings

import "testing"

func TestDedupKey(t *testing.T) {
	a := Finding{Title: "Outdated openssl", Tool: "trivy", VulnerabilityIDs: []string{"CVE-2023-0286"}, Component: Component{Name: "openssl", Version: "3.0.7"}}
	b := Finding{Title: "openssl vulnerable", Tool: "grype", VulnerabilityIDs: []string{"CVE-2023-0286"}, Component: Component{Name: "OpenSSL", Version: "3.0.8"}}
	a.Normalize()
	b.Normalize()
	if DedupKey(a, nil) == DedupKey(b, nil) {
		t.Error("default (fingerprint) treats different versions as the same issue")
	}
	byVulnAndComponent := []string{"vulnerability", "component"}
	if DedupKey(a, byVulnAndComponent) != DedupKey(b, byVulnAndComponent) {
		t.Error("vulnerability+component should ignore the version and the tool")
	}
	if DedupKey(a, []string{"vulnerability", "tool"}) == DedupKey(b, []string{"vulnerability", "tool"}) {
		t.Error("tool is part of the key but did not separate the findings")
	}
	if DedupKey(a, nil) != a.Fingerprint {
		t.Error("empty field list must be the fingerprint")
	}
	if err := ValidDedupFields([]string{"component", "colour"}); err == nil {
		t.Error("unknown field accepted")
	}
	if err := ValidDedupFields([]string{"file", "file"}); err == nil {
		t.Error("repeated field accepted")
	}
}
