// Package corpustest locates the shared corpus of real files from the field
// (../shared/corpus next to the project root) for conformance tests.
//
// A test that needs the corpus calls Dir: when the corpus is absent the test
// is skipped, unless CI=true, where a missing corpus fails the test so that
// conformance checks can never silently vanish from CI.
package corpustest

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the absolute path of the corpus sub-directory elems (e.g.
// Dir(t, "sbom", "cyclonedx-spec")). The RAMPART_CORPUS environment variable
// overrides the location of the corpus root.
func Dir(tb testing.TB, elems ...string) string {
	tb.Helper()
	root := Root()
	if root == "" {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("corpus not found (looked for ../shared/corpus above the module root, or RAMPART_CORPUS); CI=true makes conformance tests mandatory")
		}
		tb.Skip("corpus ../shared/corpus not present; skipping conformance test")
	}
	p := filepath.Join(append([]string{root}, elems...)...)
	if _, err := os.Stat(p); err != nil {
		tb.Fatalf("corpus path %s: %v", p, err)
	}
	return p
}

// File is one file below a corpus folder.
type File struct {
	Path string // as filepath.Join(folder, …) gives it
	Rel  string // relative to the folder, slash-separated
}

// Files lists the files below the corpus folder root (from Dir) whose path
// relative to root, slash-separated, keep accepts (nil keeps every file), in
// lexical order. A folder that cannot be read fails the test.
func Files(tb testing.TB, root string, keep func(rel string) bool) []File {
	tb.Helper()
	var out []File
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		if rel = filepath.ToSlash(rel); keep == nil || keep(rel) {
			out = append(out, File{Path: p, Rel: rel})
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("corpus %s: %v", root, err)
	}
	return out
}

// Root returns the corpus root, or "" when it cannot be found.
func Root() string {
	if env := os.Getenv("RAMPART_CORPUS"); env != "" {
		if st, err := os.Stat(env); err == nil && st.IsDir() {
			return env
		}
		return ""
	}
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			c := filepath.Join(dir, "..", "shared", "corpus")
			if st, err := os.Stat(c); err == nil && st.IsDir() {
				abs, _ := filepath.Abs(c)
				return abs
			}
			return ""
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}
