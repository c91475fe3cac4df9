package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestScanImportPartial: `scan import` refuses the report of a stopped
// Nexpose scan (exit 1, naming the file, the field and --partial) and
// imports it with --partial, closing nothing; before, it was imported as a
// complete re-scan.
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
	imp := func(file string, more ...string) []string {
		return append([]string{"scan", "import", file, "--product", "Gateway", "--release", "2.4.1", "--data", dir}, more...)
	}
	testCLI(t, []cliCase{
		{name: "finished scan", args: imp(finished), outHas: []string{"1 findings from nexpose", "new 1"}},
		{name: "stopped scan refused", args: imp(stopped), code: ExitFailure,
			errHas: []string{"stopped.xml:7:", "scans/scan/@status", `has status "stopped"`, "--partial"}},
		{name: "stopped scan as a partial one", args: imp(stopped, "--partial"),
			outHas: []string{"unchanged 1, reopened 0, closed 0 (partial scan: nothing closed)"}},
	})
}
