// Package goldentest compares a test's output with a golden file in the
// package's testdata/ directory, byte for byte.
//
// Run the golden tests with -update to rewrite the golden files from the
// current output, then review the diff before committing it:
//
//	go test ./internal/findings ./internal/threatmodel ./internal/cli -run Golden -update
//
// The flag is defined only in test binaries that import this package, so
// list the packages rather than ./... (other test binaries reject -update).
package goldentest

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ with the current output")

// Compare fails tb when got differs from the golden file at path (relative
// to the test's package directory, e.g. "testdata/trivy.sarif"), showing
// the first line that differs. With -update it writes got to path instead.
func Compare(tb testing.TB, path string, got []byte) {
	tb.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			tb.Fatalf("golden %s: %v", path, err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			tb.Fatalf("golden %s: %v", path, err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("golden %s: %v (run the test with -update to create it)", path, err)
	}
	if !bytes.Equal(got, want) {
		tb.Errorf("output differs from golden file %s (if the change is intended, run the test with -update and review the diff):\n%s", path, firstDiff(want, got))
	}
}

// firstDiff describes the first line where got differs from want.
func firstDiff(want, got []byte) string {
	wl, gl := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g || i >= len(wl) || i >= len(gl) {
			return fmt.Sprintf("line %d:\n  golden: %q\n  got:    %q\n(golden %d lines, got %d lines)", i+1, w, g, len(wl), len(gl))
		}
	}
	return "files differ"
}
