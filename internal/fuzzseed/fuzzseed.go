// Package fuzzseed adds the fixture files a fuzz target starts from to its
// seed corpus, so that a target names its seeds instead of reading them.
package fuzzseed

import (
	"os"
	"path/filepath"
	"testing"
)

// Files adds the content of each file to f's seed corpus, in order. A file
// that cannot be read fails the target: a seed named is a seed expected.
func Files(f *testing.F, paths ...string) {
	f.Helper()
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// Glob adds the files matching each pattern (filepath.Glob), pattern by
// pattern, as Files does. A pattern that matches nothing adds nothing, as
// does a malformed one (Glob's only error, ErrBadPattern).
func Glob(f *testing.F, patterns ...string) {
	f.Helper()
	for _, pattern := range patterns {
		paths, _ := filepath.Glob(pattern)
		Files(f, paths...)
	}
}
