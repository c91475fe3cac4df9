package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestScanParseJSON(t *testing.T) {
	code, out, errOut := run(t, "", "scan", "parse", "testdata/zap.xml")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	// Decode into a generic map to check the exact contract keys.
	var doc struct {
		Tool     string           `json:"tool"`
		Findings []map[string]any `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	if doc.Tool != "zap" || len(doc.Findings) != 2 {
		t.Fatalf("tool %q, %d findings", doc.Tool, len(doc.Findings))
	}
	f := doc.Findings[0]
	for _, k := range []string{"title", "severity", "rule_id", "vulnerability_ids", "cwes", "component", "locations", "cvss", "epss", "fixed_versions", "unique_id", "fingerprint", "description", "mitigation", "references"} {
		if _, ok := f[k]; !ok {
			t.Errorf("finding lacks %q", k)
		}
	}
	if f["severity"] != "medium" || f["title"] != "Missing Anti-clickjacking Header" {
		t.Errorf("finding %v", f)
	}
	loc := f["locations"].([]any)[0].(map[string]any)
	for _, k := range []string{"file", "line", "host", "port", "protocol", "path", "url"} {
		if _, ok := loc[k]; !ok {
			t.Errorf("location lacks %q", k)
		}
	}
	if loc["port"].(float64) != 443 || loc["host"] != "device.example.com" {
		t.Errorf("location %v", loc)
	}
	cvss := f["cvss"].(map[string]any)
	for _, k := range []string{"v3_vector", "v3_score", "v4_vector", "v4_score"} {
		if _, ok := cvss[k]; !ok {
			t.Errorf("cvss lacks %q", k)
		}
	}
	if cwes := f["cwes"].([]any); len(cwes) != 1 || cwes[0].(float64) != 1021 {
		t.Errorf("cwes %v", cwes)
	}
}

func TestScanParseStdinToolAndTable(t *testing.T) {
	sarif := `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"gosec"}},"results":[{"ruleId":"G101","level":"error","message":{"text":"hardcoded"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"a.go"},"region":{"startLine":3}}}]}]}]}`
	code, out, errOut := run(t, sarif, "scan", "parse", "-", "--tool", "sarif", "--format", "table")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "high") || !strings.Contains(out, "a.go:3") || !strings.Contains(out, "sarif: 1 findings (critical 0, high 1,") {
		t.Errorf("table:\n%s", out)
	}
}

func TestScanParseNDJSON(t *testing.T) {
	code, out, errOut := run(t, "", "scan", "parse", "testdata/zap.xml", "--format", "ndjson")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines:\n%s", len(lines), out)
	}
	var f struct {
		Title string `json:"title"`
		Tool  string `json:"tool"`
	}
	if err := json.Unmarshal([]byte(lines[1]), &f); err != nil || f.Tool != "zap" || f.Title != "Timestamp Disclosure - Unix" {
		t.Errorf("line 2 %q: %v %+v", lines[1], err, f)
	}
}

func TestScanParseFailures(t *testing.T) {
	testCLI(t, []cliCase{
		// A ZAP report given as Nessus: exit 1, message naming the file.
		{name: "wrong tool", args: []string{"scan", "parse", "testdata/zap.xml", "--tool", "nessus"}, code: ExitFailure, noOut: true,
			errHas: []string{"testdata/zap.xml:", "not a report of this format"}},
		{name: "unknown format", stdin: "just some text\n", args: []string{"scan", "parse", "-"}, code: ExitFailure,
			errHas: []string{"standard input: unknown report format"}},
		// A file that cannot be opened and an unknown --tool are not
		// invalid reports but runtime and usage errors: exit 2, as sbom
		// inspect and threatmodel check exit for them.
		{name: "missing file", args: []string{"scan", "parse", "testdata/missing.xml"}, code: ExitError, errHas: []string{"testdata/missing.xml"}},
		{name: "unknown tool", args: []string{"scan", "parse", "testdata/zap.xml", "--tool", "nope"}, code: ExitError, errHas: []string{`unknown tool "nope"`, "rampart scan formats"}},
		{name: "bad --format", args: []string{"scan", "parse", "testdata/zap.xml", "--format", "yaml"}, code: ExitError},
	})
}

func TestScanFormats(t *testing.T) {
	code, out, errOut := run(t, "", "scan", "formats")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"sarif", "zap", "zap-json", "nessus", "nessus-csv", "trivy", "<OWASPZAPReport>", "<NessusClientData_v2>"} {
		if !strings.Contains(out, want) {
			t.Errorf("formats output lacks %q:\n%s", want, out)
		}
	}
	// One block per format, wrapped to a terminal: the old three-column
	// table ran to 700 characters a line.
	for _, line := range strings.Split(out, "\n") {
		if n := utf8.RuneCountInString(line); n > formatsWidth {
			t.Errorf("line of %d characters: %q", n, line)
		}
	}
	if !strings.Contains(out, "\nzap\n    OWASP ZAP traditional XML report") || !strings.Contains(out, "    detected: XML whose root element is <OWASPZAPReport>") {
		t.Errorf("zap block:\n%s", out)
	}
}
