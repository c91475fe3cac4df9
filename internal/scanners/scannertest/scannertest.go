// Package scannertest supports the tests of the report parsers: collecting
// a parser's findings from a file, and a fuzz harness that checks the
// invariants every parser must keep on any input.
package scannertest

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/rampart-security/rampart/internal/findings"
)

// ParseFunc is the streaming parser signature shared by every format.
type ParseFunc func(r io.Reader, name string, emit func(findings.Finding) error) error

// ParseFile parses path with parse and returns the findings, failing the
// test on error.
func ParseFile(tb testing.TB, parse ParseFunc, path string) []findings.Finding {
	tb.Helper()
	out, err := ParseFileErr(parse, path)
	if err != nil {
		tb.Fatalf("parse %s: %v", filepath.Base(path), err)
	}
	return out
}

// ParseFileErr parses path and returns the findings and the error.
func ParseFileErr(parse ParseFunc, path string) ([]findings.Finding, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []findings.Finding
	err = parse(f, filepath.Base(path), func(x findings.Finding) error {
		out = append(out, x)
		return nil
	})
	return out, err
}

// Files returns the regular files of dir, sorted by name.
func Files(tb testing.TB, dir string) []string {
	tb.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if e.Type().IsRegular() {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out
}

// Seed adds every file of the testdata directory dir to the fuzz corpus.
func Seed(f *testing.F, dir string) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range ents {
		if b, err := os.ReadFile(filepath.Join(dir, e.Name())); err == nil && e.Type().IsRegular() {
			f.Add(b)
		}
	}
}

// CheckInvariants fails when a parsed finding breaks the canonical form:
// a known severity, a fingerprint, a title.
func CheckInvariants(t *testing.T, list []findings.Finding) {
	t.Helper()
	for i, x := range list {
		if !x.Severity.Valid() {
			t.Fatalf("finding %d: invalid severity %q", i, x.Severity)
		}
		if len(x.Fingerprint) != 64 {
			t.Fatalf("finding %d: fingerprint %q", i, x.Fingerprint)
		}
	}
}

// Fuzz runs parse over arbitrary bytes: it must never panic, and whatever it
// returns without error must be canonical.
func Fuzz(f *testing.F, parse ParseFunc) {
	f.Fuzz(func(t *testing.T, data []byte) {
		var list []findings.Finding
		err := parse(bytes.NewReader(data), "fuzz", func(x findings.Finding) error {
			list = append(list, x)
			return nil
		})
		if err == nil {
			CheckInvariants(t, list)
		}
	})
}
