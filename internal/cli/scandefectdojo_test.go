package cli

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

// TestImportDefectDojoEndToEnd runs the command on the fixture twice: the
// second import changes nothing.
func TestImportDefectDojoEndToEnd(t *testing.T) {
	data := t.TempDir()
	fixture := filepath.Join("..", "scanners", "defectdojo", "testdata", "findings-pages.json")
	for i, want := range []string{"new 6, unchanged 0, reopened 0, closed 0", "new 0, unchanged 6, reopened 0, closed 0"} {
		var out bytes.Buffer
		root := NewRoot(&streams{in: strings.NewReader(""), out: &out, err: &bytes.Buffer{}})
		root.SetArgs([]string{"scan", "import-defectdojo", fixture, "--product", "Gateway", "--release", "2.4.1", "--data", data})
		if err := root.Execute(); err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		if !strings.Contains(out.String(), want) {
			t.Errorf("run %d: %q, want %q", i, out.String(), want)
		}
	}
}
