package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestScanImportPartial: `scan import` imports the report of a stopped
// Nexpose scan as a partial scan, closing nothing and warning why (naming
// the file and the field), with or without --partial; the same report with
// no finding is refused (exit 1, saying what to do) unless --partial asks
// for it. Before, it was imported as a complete re-scan.
func TestScanImportPartial(t *testing.T) {
	dir := t.TempDir()
	b, err := os.ReadFile(filepath.Join("..", "scanners", "nexpose", "testdata", "stopped.xml"))
	if err != nil {
		t.Fatal(err)
	}
	stopped := filepath.Join(dir, "stopped.xml")
	finished := filepath.Join(dir, "finished.xml")
	os.WriteFile(stopped, b, 0o644)
	os.WriteFile(finished, []byte(strings.ReplaceAll(string(b), `status="stopped"`, `status="finished"`)), 0o644)
	empty := filepath.Join(dir, "empty.xml")
	os.WriteFile(empty, []byte(strings.ReplaceAll(string(b), `<test id="ssh-cve-2023-48795" status="vulnerable-version"/>`, "")), 0o644)
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
