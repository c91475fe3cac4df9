// Package scannertest supports the tests of the report parsers: collecting
// a parser's findings from a file, the shapes of test every format has
// (Detects, Rejects), the golden-file conformance test over the shared
// corpus (CorpusGolden), and a fuzz harness that checks the invariants
// every parser must keep on any input.
package scannertest

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/scanners/reportio"
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

// ParseFileN is ParseFile for a file that must give n findings: any other
// number fails the test.
func ParseFileN(tb testing.TB, parse ParseFunc, path string, n int) []findings.Finding {
	tb.Helper()
	out := ParseFile(tb, parse, path)
	if len(out) != n {
		tb.Fatalf("%s: got %d findings, want %d", filepath.Base(path), len(out), n)
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
	return collect(parse, f, filepath.Base(path))
}

// ParseString parses the report doc, named name, with parse and returns
// the findings, failing the test on error.
func ParseString(tb testing.TB, parse ParseFunc, name, doc string) []findings.Finding {
	tb.Helper()
	out, err := ParseStringErr(parse, name, doc)
	if err != nil {
		tb.Fatalf("parse %s: %v", name, err)
	}
	return out
}

// ParseStringErr parses the report doc, named name, and returns the
// findings and the error.
func ParseStringErr(parse ParseFunc, name, doc string) ([]findings.Finding, error) {
	return collect(parse, strings.NewReader(doc), name)
}

// ParseEdited parses the file at path after an edit (strings.NewReplacer
// of oldNew, pairs of old and new strings): the same report changed as a
// re-scan would change it. It fails the test on error.
func ParseEdited(tb testing.TB, parse ParseFunc, path string, oldNew ...string) []findings.Finding {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return ParseString(tb, parse, filepath.Base(path), strings.NewReplacer(oldNew...).Replace(string(b)))
}

// ReadString returns the file at path, failing the test when it cannot
// be read: a fixture to edit and parse with ParseStringErr.
func ReadString(tb testing.TB, path string) string {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// collect parses r, named name, and returns the findings and the error.
func collect(parse ParseFunc, r io.Reader, name string) ([]findings.Finding, error) {
	var out []findings.Finding
	err := parse(r, name, func(x findings.Finding) error {
		out = append(out, x)
		return nil
	})
	return out, err
}

// CrossTool fails unless f has the fingerprint of other, the same issue as
// another tool reports it: the import takes the two for one finding.
func CrossTool(tb testing.TB, f, other findings.Finding) {
	tb.Helper()
	if findings.Fingerprint(other) != f.Fingerprint {
		tb.Errorf("cross-tool fingerprint differs: %q from %s is not the same finding as %q", f.Title, other.Tool, other.Title)
	}
}

// NotReport parses path with parse, which must refuse it with an error
// wrapping reportio.ErrNotReport whose message starts with prefix (the file
// name and the position; "" checks only the kind of error).
func NotReport(tb testing.TB, parse ParseFunc, path, prefix string) {
	tb.Helper()
	_, err := ParseFileErr(parse, path)
	if !errors.Is(err, reportio.ErrNotReport) || !strings.HasPrefix(err.Error(), prefix) {
		tb.Errorf("%s: got %v, want a %q error starting %q", filepath.Base(path), err, reportio.ErrNotReport, prefix)
	}
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

// Counts is how many findings a file gives, in all and per severity.
type Counts struct {
	Total    int `json:"total"`
	Critical int `json:"critical"`
	High     int `json:"high"`
	Medium   int `json:"medium"`
	Low      int `json:"low"`
	Info     int `json:"info"`
}

// CountsOf counts list, in all and per severity.
func CountsOf(list []findings.Finding) Counts {
	c := Counts{Total: len(list)}
	for _, f := range list {
		switch f.Severity {
		case findings.Critical:
			c.Critical++
		case findings.High:
			c.High++
		case findings.Medium:
			c.Medium++
		case findings.Low:
			c.Low++
		case findings.Info:
			c.Info++
		}
	}
	return c
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

// FuzzDir is a parser's fuzz target: the files of the testdata directory
// dir as the seed corpus (Seed), then Fuzz.
func FuzzDir(f *testing.F, dir string, parse ParseFunc) {
	Seed(f, dir)
	Fuzz(f, parse)
}

// Fuzz runs parse over arbitrary bytes: it must never panic, and whatever it
// returns without error must be canonical.
func Fuzz(f *testing.F, parse ParseFunc) {
	f.Fuzz(func(t *testing.T, data []byte) {
		list, err := collect(parse, bytes.NewReader(data), "fuzz")
		if err == nil {
			CheckInvariants(t, list)
		}
	})
}
