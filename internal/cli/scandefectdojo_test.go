package cli

import (
	"path/filepath"
	"testing"
)

// TestImportDefectDojoEndToEnd runs the command on the fixture twice: the
// second import changes nothing.
func TestImportDefectDojoEndToEnd(t *testing.T) {
	data := t.TempDir()
	fixture := filepath.Join("..", "scanners", "defectdojo", "testdata", "findings-pages.json")
	args := []string{"scan", "import-defectdojo", fixture, "--product", "Gateway", "--release", "2.4.1", "--data", data}
	testCLI(t, []cliCase{
		{name: "first import", args: args, outHas: []string{"new 6, unchanged 0, reopened 0, closed 0"}},
		{name: "re-import", args: args, outHas: []string{"new 0, unchanged 6, reopened 0, closed 0"}},
	})
}
