package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// stoppedScanFiles writes into dir the report of a stopped Nexpose scan
// (internal/scanners/nexpose/testdata/stopped.xml), the same scan finished,
// and the stopped one listing no finding, and returns their paths.
func stoppedScanFiles(t *testing.T, dir string) (stopped, finished, empty string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "scanners", "nexpose", "testdata", "stopped.xml"))
	if err != nil {
		t.Fatal(err)
	}
	stopped, finished, empty = filepath.Join(dir, "stopped.xml"), filepath.Join(dir, "finished.xml"), filepath.Join(dir, "empty.xml")
	for path, body := range map[string]string{stopped: string(b), finished: strings.ReplaceAll(string(b), `status="stopped"`, `status="finished"`),
		empty: strings.ReplaceAll(string(b), `<test id="ssh-cve-2023-48795" status="vulnerable-version"/>`, "")} {
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return stopped, finished, empty
}

// TestScanImportPartial: `scan import` imports the report of a stopped
// Nexpose scan as a partial scan, closing nothing and warning why (naming
// the file and the field), with or without --partial; the same report with
// no finding is refused (exit 1, saying what to do) unless --partial asks
// for it. Before, it was imported as a complete re-scan.
func TestScanImportPartial(t *testing.T) {
	dir := t.TempDir()
	stopped, finished, empty := stoppedScanFiles(t, dir)
	imp := func(file string, more ...string) []string {
		return append([]string{"scan", "import", file, "--product", "Gateway", "--release", "2.4.1", "--data", dir}, more...)
	}
	testCLI(t, []cliCase{
		{name: "finished scan", args: imp(finished), outHas: []string{"1 findings from nexpose", "new 1"}},
		{name: "stopped scan", args: imp(stopped),
			outHas: []string{"unchanged 1, reopened 0, closed 0 (partial scan: nothing closed)"},
			errHas: []string{"warning: imported as a partial scan because the report says its scan did not complete: nexpose report: ", "stopped.xml:7:", "scans/scan/@status", `has status "stopped"`}},
		{name: "stopped scan as a partial one", args: imp(stopped, "--partial"),
			outHas: []string{"unchanged 1, reopened 0, closed 0 (partial scan: nothing closed)"}},
		{name: "stopped scan listing nothing refused", args: imp(empty), code: ExitFailure,
			errHas: []string{"empty.xml:7:", `has status "stopped"`, "it lists no finding, so nothing was imported or closed", "--partial"}},
		{name: "parse of the stopped scan warns", args: []string{"scan", "parse", stopped, "--format", "table"},
			outHas: []string{"SSH Terrapin prefix truncation"},
			errHas: []string{"warning: nexpose report: ", `has status "stopped"`, "(an import takes it as a partial scan, which closes nothing)"}},
		{name: "parse of the stopped scan listing nothing fails", args: []string{"scan", "parse", empty}, code: ExitFailure,
			errHas: []string{"empty.xml:7:", `has status "stopped"`}},
		{name: "stopped scan listing nothing as a partial one", args: imp(empty, "--partial"),
			outHas: []string{"0 findings from nexpose", "closed 0 (partial scan: nothing closed)"}},
	})
}

// TestScanListPartial: `scan list` shows the release's imports newest
// first, the stopped Nexpose scan marked partial with the report's reason
// and its closed count as "-", the finished one before it not partial, in
// the table and in JSON (partial and partial_reason on every scan).
func TestScanListPartial(t *testing.T) {
	dir := t.TempDir()
	stopped, finished, _ := stoppedScanFiles(t, dir)
	for _, f := range []string{finished, stopped} {
		if code, out, errOut := run(t, "", "scan", "import", f, "--product", "Gateway", "--release", "2.4.1", "--data", dir); code != 0 {
			t.Fatalf("import %s: exit %d\n%s%s", f, code, out, errOut)
		}
	}
	list := []string{"scan", "list", "--product", "Gateway", "--release", "2.4.1", "--data", dir}
	code, out, errOut := run(t, "", list...)
	if code != 0 {
		t.Fatalf("scan list: exit %d\n%s%s", code, out, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], "CLOSED  PARTIAL  REASON") {
		t.Fatalf("scan list table:\n%s", out)
	}
	if f := strings.Fields(lines[1]); f[0] != "2" {
		t.Errorf("stopped scan row: %q", lines[1])
	}
	for _, want := range []string{"  -  ", "  yes  ", "nexpose report: " + stopped + ":7:", `has status "stopped"`} {
		if !strings.Contains(lines[1], want) {
			t.Errorf("stopped scan row lacks %q: %q", want, lines[1])
		}
	}
	if f := strings.Fields(lines[2]); f[0] != "1" || f[len(f)-1] != "no" || f[len(f)-2] != "0" {
		t.Errorf("finished scan row: %q", lines[2])
	}
	code, out, errOut = run(t, "", append(list, "--format", "json")...)
	var scans []map[string]any
	if err := json.Unmarshal([]byte(out), &scans); code != 0 || err != nil || len(scans) != 2 {
		t.Fatalf("scan list JSON: exit %d, %v\n%s%s", code, err, out, errOut)
	}
	reason, _ := scans[0]["partial_reason"].(string)
	if scans[0]["partial"] != true || !strings.Contains(reason, stopped+":7:") || scans[0]["file_name"] != stopped {
		t.Errorf("stopped scan: %v", scans[0])
	}
	if scans[1]["partial"] != false || scans[1]["partial_reason"] != "" || scans[1]["closed"] != 0.0 {
		t.Errorf("finished scan: %v", scans[1])
	}
	testCLI(t, []cliCase{
		{name: "unknown release", args: []string{"scan", "list", "--product", "Gateway", "--release", "9", "--data", dir}, code: ExitError,
			errHas: []string{`--release of product "Gateway"`, `release "9"`}},
		{name: "unknown product", args: []string{"scan", "list", "--product", "Router", "--release", "1", "--data", dir}, code: ExitError,
			errHas: []string{"--product", "Router"}},
	})
}
