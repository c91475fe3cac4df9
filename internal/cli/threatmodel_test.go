package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/threatmodel"
)

func initModel(t *testing.T, tmpl string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), tmpl+".yaml")
	if code, _, errs := run(t, "", "threatmodel", "init", "--template", tmpl, "-o", p); code != 0 {
		t.Fatalf("init: %d %s", code, errs)
	}
	return p
}

func TestThreatmodelCheckJSONContract(t *testing.T) {
	p := initModel(t, "smart-home")
	code, out, errs := run(t, "", "threatmodel", "check", p, "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc struct {
		Model    string `json:"model"`
		Elements int    `json:"elements"`
		Flows    int    `json:"flows"`
		Threats  []map[string]any
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Model != "Smart plug with mobile app and cloud" || doc.Elements != 9 || doc.Flows != 12 || len(doc.Threats) == 0 {
		t.Fatalf("header: model %q, %d elements, %d flows, %d threats", doc.Model, doc.Elements, doc.Flows, len(doc.Threats))
	}
	strides := map[string]bool{"spoofing": true, "tampering": true, "repudiation": true, "information_disclosure": true, "denial_of_service": true, "elevation_of_privilege": true}
	for _, th := range doc.Threats {
		for _, k := range []string{"id", "rule", "title", "stride", "severity", "target", "why", "cwe", "capec", "etsi", "mitigations", "status"} {
			if _, ok := th[k]; !ok {
				t.Fatalf("threat lacks %q: %v", k, th)
			}
		}
		for _, k := range []string{"cwe", "capec", "etsi", "mitigations"} {
			if _, ok := th[k].([]any); !ok {
				t.Fatalf("%s of %v is not a list", k, th["id"])
			}
		}
		if !strides[th["stride"].(string)] {
			t.Fatalf("stride %v", th["stride"])
		}
	}
}

func TestThreatmodelCheckFailOn(t *testing.T) {
	p := initModel(t, "smart-home")
	testCLI(t, []cliCase{
		{name: "default --fail-on none", args: []string{"threatmodel", "check", p}},
		{name: "--fail-on high", args: []string{"threatmodel", "check", p, "--fail-on", "high"}, code: ExitFailure,
			outHas: []string{"DEV-012@plug"}, errHas: []string{"unmitigated threats at or above high"}},
		// The template has no open critical threats.
		{name: "--fail-on critical", args: []string{"threatmodel", "check", p, "--fail-on", "critical"}},
		{name: "bad --fail-on", args: []string{"threatmodel", "check", p, "--fail-on", "severe"}, code: ExitError, errHas: []string{"--fail-on"}},
	})
	// Accepting the remaining high threats makes the gate pass.
	data, _ := os.ReadFile(p)
	extra := `
  - {id: "DEV-012@plug", status: accepted, reason: "pairing window of 30 s after button press"}
  - {id: "DEV-014@plug", status: not_applicable, reason: "http only serves the setup page before pairing"}
  - {id: "FLOW-020@*", status: accepted, reason: "BLE link keys and TLS server auth cover this"}
`
	os.WriteFile(p, append(data, []byte(extra)...), 0o644)
	if code, out, errs := run(t, "", "threatmodel", "check", p, "--fail-on", "high"); code != 0 {
		t.Errorf("after decisions: exit %d\n%s\n%s", code, out, errs)
	}
}

func TestThreatmodelCheckFormatsAndStdin(t *testing.T) {
	p := initModel(t, "industrial-gateway")
	data, _ := os.ReadFile(p)
	testCLI(t, []cliCase{
		{name: "sarif", args: []string{"threatmodel", "check", p, "--format", "sarif"}, outHas: []string{`"version": "2.1.0"`}},
		{name: "markdown", args: []string{"threatmodel", "check", p, "--format", "markdown"}, outHas: []string{"## Open items"}},
		{name: "table", args: []string{"threatmodel", "check", p}, outHas: []string{"SEVERITY", "FLOW-005@plc-gateway"}},
		{name: "stdin + --disable", stdin: string(data), args: []string{"threatmodel", "check", "-", "--format", "json", "--disable", "FLOW-*"}, outLacks: []string{`"FLOW-`}},
		{name: "bad format", args: []string{"threatmodel", "check", p, "--format", "xml"}, code: ExitError, errHas: []string{"--format"}},
	})
}

func TestThreatmodelInvalidModel(t *testing.T) {
	p := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(p, []byte("title: bad\nelements:\n  - id: a\n    type: proces\n"), 0o644)
	testCLI(t, []cliCase{
		{name: "invalid model", args: []string{"threatmodel", "check", p}, code: ExitFailure, errHas: []string{"bad.yaml:4:11"}},
		{name: "validate", args: []string{"threatmodel", "validate", p}, code: ExitFailure, errHas: []string{`"proces" is not one of`}},
		{name: "missing file", args: []string{"threatmodel", "check", filepath.Join(t.TempDir(), "missing.yaml")}, code: ExitError},
		{name: "validate good", args: []string{"threatmodel", "validate", initModel(t, "medical-wearable")}, outHas: []string{"valid"}},
	})
}

func TestThreatmodelRender(t *testing.T) {
	p := initModel(t, "smart-home")
	dir := t.TempDir()
	for _, ext := range []string{"svg", "dot", "mmd"} {
		out := filepath.Join(dir, "dfd."+ext)
		if code, _, errs := run(t, "", "threatmodel", "render", p, "-o", out); code != 0 {
			t.Fatalf("render %s: %d %s", ext, code, errs)
		}
		b, _ := os.ReadFile(out)
		want := map[string]string{"svg": "<svg", "dot": "digraph", "mmd": "flowchart LR"}[ext]
		if !bytes.Contains(b, []byte(want)) || !bytes.Contains(b, []byte("Smart plug")) {
			t.Errorf("%s output lacks %q or element names", ext, want)
		}
	}
	if code, _, errs := run(t, "", "threatmodel", "render", p, "-o", filepath.Join(dir, "x.png")); code != 2 || !strings.Contains(errs, "png") {
		t.Errorf("png: %d %s", code, errs)
	}
	if code, _, _ := run(t, "", "threatmodel", "render", p); code != 2 {
		t.Errorf("missing -o: %d", code)
	}
}

func TestThreatmodelReport(t *testing.T) {
	p := initModel(t, "medical-wearable")
	dir := t.TempDir()
	html := filepath.Join(dir, "r.html")
	if code, _, errs := run(t, "", "threatmodel", "report", p, "--format", "html", "-o", html); code != 0 {
		t.Fatalf("html: %d %s", code, errs)
	}
	b, _ := os.ReadFile(html)
	for _, want := range []string{"<!DOCTYPE html>", "<svg", "Glucose sensor", "Open items", "Elevation of privilege"} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("html report lacks %q", want)
		}
	}
	code, out, _ := run(t, "", "threatmodel", "report", p, "--format", "markdown")
	if code != 0 || !strings.Contains(out, "# Threat model: Continuous glucose monitor") {
		t.Errorf("markdown: %d", code)
	}
}

func TestThreatmodelImportExport(t *testing.T) {
	dir := t.TempDir()
	td := filepath.Join("..", "threatmodel", "threatdragon", "testdata", "v2-door.json")
	out := filepath.Join(dir, "door.yaml")
	code, _, errs := run(t, "", "threatmodel", "import", td, "-o", out)
	if code != 0 || !strings.Contains(errs, "imported threat-dragon model") || !strings.Contains(errs, "warning:") {
		t.Fatalf("import: %d %s", code, errs)
	}
	if code, out, errs := run(t, "", "threatmodel", "check", out, "--format", "json"); code != 0 || !strings.Contains(out, "TD-t-1@lock-firmware") {
		t.Errorf("check imported: %d %s", code, errs)
	}
	otmFile := filepath.Join(dir, "door.otm.json")
	if code, _, errs := run(t, "", "threatmodel", "export", out, "--to", "otm", "-o", otmFile); code != 0 {
		t.Fatalf("export: %d %s", code, errs)
	}
	back := filepath.Join(dir, "back.yaml")
	if code, _, errs := run(t, "", "threatmodel", "import", otmFile, "--from", "otm", "-o", back); code != 0 {
		t.Fatalf("re-import: %d %s", code, errs)
	}
	if code, out, _ := run(t, "", "threatmodel", "diff", out, back); code != 0 || !strings.Contains(out, "threat") {
		t.Logf("diff after OTM round trip:\n%s", out)
	}
	testCLI(t, []cliCase{
		// Malformed and unknown inputs fail clearly with exit 1.
		{name: "malformed", args: []string{"threatmodel", "import", filepath.Join("..", "threatmodel", "threatdragon", "testdata", "malformed.json")},
			code: ExitFailure, errHas: []string{"malformed.json"}},
		{name: "--from visio", args: []string{"threatmodel", "import", td, "--from", "visio"}, code: ExitError, errHas: []string{"visio"}},
		{name: "threagile with include", args: []string{"threatmodel", "import", filepath.Join("..", "threatmodel", "threagile", "testdata", "camera.yaml")},
			outHas: []string{"cloud-credentials"}},
	})
}

func TestThreatmodelRulesSchemaInit(t *testing.T) {
	code, out, _ := run(t, "", "threatmodel", "rules", "--format", "json")
	var doc struct {
		Count int `json:"count"`
		Rules []struct {
			ID   string   `json:"id"`
			ETSI []string `json:"etsi"`
			CWE  []int    `json:"cwe"`
		} `json:"rules"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &doc) != nil || doc.Count < 60 || len(doc.Rules) != doc.Count {
		t.Fatalf("rules json: %d count %d", code, doc.Count)
	}
	code, out, _ = run(t, "", "threatmodel", "schema")
	if code != 0 || !json.Valid([]byte(out)) || !strings.Contains(out, "2020-12") {
		t.Errorf("schema: %d", code)
	}
	testCLI(t, []cliCase{
		{name: "rules table", args: []string{"threatmodel", "rules"}, outHas: []string{"DEV-001", "5.1-1"}},
		{name: "unknown template", args: []string{"threatmodel", "init", "--template", "toaster"}, code: ExitError, errHas: []string{"smart-home"}},
		{name: "overwrite", args: []string{"threatmodel", "init", "--template", "smart-home", "-o", initModel(t, "smart-home")}, code: ExitError, errHas: []string{"--force"}},
	})
	code, out, _ = run(t, "", "tm", "init", "--template", "industrial-gateway")
	if code != 0 || !strings.HasPrefix(out, "# Rampart threat model") {
		t.Errorf("init to stdout: %d", code)
	}
}

// check, render and report read every format import reads, converting on
// the fly; check reports the completeness and what the threats assumed.
func TestThreatmodelOnTheFlyAndCompleteness(t *testing.T) {
	td := filepath.Join("..", "threatmodel", "threatdragon", "testdata", "v2-door.json")
	code, out, errs := run(t, "", "threatmodel", "check", td, "--format", "json", "--top", "2")
	if code != 0 || !strings.Contains(errs, "converted from threat-dragon on the fly") {
		t.Fatalf("check Threat Dragon: %d %s", code, errs)
	}
	var res threatmodel.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if res.Completeness == nil || res.Completeness.Total == 0 || len(res.Completeness.Attributes) == 0 || len(res.Completeness.Attributes) > 2 {
		t.Fatalf("completeness %+v", res.Completeness)
	}
	assumed := false
	for _, th := range res.Threats {
		if len(th.Assumed) > 0 && strings.Contains(th.Why, "Not stated in the model: assumed") {
			assumed = true
		}
	}
	if !assumed {
		t.Error("no threat says what it assumed")
	}
	dir := t.TempDir()
	// A broken Rampart model still gets its own validation errors.
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("rampart: threatmodel/v1\ntitle: x\nelements:\n  - {id: a, type: proces}\n"), 0o644)
	testCLI(t, []cliCase{
		{name: "table", args: []string{"threatmodel", "check", td}, outHas: []string{"completeness: ", "unstated attributes that the most threats depend on"}},
		{name: "render Threat Dragon", args: []string{"threatmodel", "render", td, "-o", filepath.Join(dir, "d.mmd")}},
		{name: "report Threat Dragon", args: []string{"threatmodel", "report", td, "--format", "markdown"}, outHas: []string{"## Model completeness"}},
		{name: "check OTM", args: []string{"threatmodel", "check", filepath.Join("..", "threatmodel", "otm", "testdata", "thermostat.otm.yaml")}, errHas: []string{"converted from otm"}},
		{name: "invalid Rampart model", args: []string{"threatmodel", "check", bad}, code: ExitFailure, errHas: []string{"proces"}},
	})
	html := filepath.Join(dir, "r.html")
	if code, _, errs := run(t, "", "threatmodel", "report", td, "--format", "html", "-o", html); code != 0 {
		t.Errorf("html report Threat Dragon: %d %s", code, errs)
	} else if b, _ := os.ReadFile(html); !strings.Contains(string(b), "<h2>Model completeness</h2>") {
		t.Error("html report has no completeness section")
	}
}

// The files a Threagile model includes are read from its folder, by import
// and on the fly alike; a name leaving the folder is refused, and a model on
// stdin reads none (exit 1, naming the include).
func TestThreatmodelIncludes(t *testing.T) {
	tg := filepath.Join("..", "threatmodel", "threagile", "testdata", "camera.yaml")
	if code, _, errs := run(t, "", "threatmodel", "check", tg); code != 0 || !strings.Contains(errs, "converted from threagile on the fly") {
		t.Errorf("check with include: %d %s", code, errs)
	}
	data, err := os.ReadFile(tg)
	if err != nil {
		t.Fatal(err)
	}
	escaping := filepath.Join(t.TempDir(), "camera.yaml")
	if err := os.WriteFile(escaping, []byte(strings.Replace(string(data), "- camera-assets.yaml", "- ../camera-assets.yaml", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"import", escaping}, {"check", escaping}} {
		if code, _, errs := run(t, "", append([]string{"threatmodel"}, args...)...); code != 1 || !strings.Contains(errs, `include "../camera-assets.yaml" leaves the model's folder`) {
			t.Errorf("%s with an include outside the folder: %d %s", args[0], code, errs)
		}
	}
	if code, _, errs := run(t, string(data), "threatmodel", "check", "-"); code != 1 || !strings.Contains(errs, `include "camera-assets.yaml": includes are not read from stdin`) {
		t.Errorf("check - with an include: %d %s", code, errs)
	}
}
