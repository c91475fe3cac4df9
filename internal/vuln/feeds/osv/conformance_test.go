package osv

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/corpustest"
	"github.com/rampart-security/rampart/internal/vuln"
)

// linterBad lists the deliberately broken records of the OSV linter's
// testdata and the field our reader must name.
var linterBad = map[string]string{
	"nointroduced-CVE-2023-41045.json": "affected[0].ranges[0].events",
	"nondistinct-CVE-2018-5407.json":   "affected[6].ranges[1].events[1]", // found by Lint
	// nopackage-GHSA-9v2f-6vcg-3hgv.json names a PyPI package ("Gradi0")
	// that does not exist in the registry: only an online registry lookup can
	// tell, so an offline reader accepts it (see TestCorpusLinterTestdata).
}

func TestCorpusLinterTestdata(t *testing.T) {
	dir := corpustest.Dir(t, "osv", "osv-schema", "tools", "osv-linter", "testdata")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Run(e.Name(), func(t *testing.T) {
			p := filepath.Join(dir, e.Name())
			err := ReadPath(context.Background(), p, func(a *vuln.Advisory) error {
				if errs := Lint(a, p); len(errs) > 0 {
					return errs[0]
				}
				return nil
			})
			field, bad := linterBad[e.Name()]
			if !bad {
				if err != nil {
					t.Fatalf("valid record rejected: %v", err)
				}
				return
			}
			var pe *vuln.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("want ParseError naming %s, got %v", field, err)
			}
			if pe.File != p || pe.Field != field {
				t.Errorf("error names file %q field %q, want %q %q (%v)", pe.File, pe.Field, p, field, err)
			}
			if !errors.Is(err, vuln.ErrInvalid) {
				t.Errorf("error does not wrap vuln.ErrInvalid: %v", err)
			}
		})
	}
}

// TestCorpusOSV reads every OSV record of the corpus (JSON and YAML) and
// reports parse time and memory per record.
func TestCorpusOSV(t *testing.T) {
	root := corpustest.Dir(t, "osv")
	var n int
	var ms0, ms1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	start := time.Now()
	var all []*vuln.Advisory
	for _, f := range corpustest.Files(t, root, func(rel string) bool {
		return IsRecordFile(rel) && !strings.HasPrefix(rel, "osv-schema/tools/osv-linter") &&
			!strings.HasPrefix(rel, "osv-schema/validation") && rel != "osv-schema/ecosystems.json"
	}) {
		if strings.HasPrefix(f.Rel, "osv-schema/tools/ghsa/testdata") && !strings.HasSuffix(f.Rel, ".osv.json") {
			// GHSA API input (not OSV): must be rejected, naming a field.
			rerr := readOne(f.Path, func(*vuln.Advisory) error { return nil })
			var pe *vuln.ParseError
			if !errors.As(rerr, &pe) || pe.Field == "" {
				t.Errorf("%s: GHSA API document accepted as OSV or error names no field: %v", f.Rel, rerr)
			}
			continue
		}
		if rerr := readOne(f.Path, func(a *vuln.Advisory) error { all = append(all, a); return nil }); rerr != nil {
			t.Errorf("%v", rerr)
			continue
		}
		n++
	}
	el := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&ms1)
	if n < 15000 {
		t.Errorf("read %d records, want ≥ 15,000", n)
	}
	t.Logf("read %d OSV records in %v (%.1f µs/record), live heap %.1f MB (%.0f bytes/record)",
		n, el, float64(el.Microseconds())/float64(n), float64(ms1.HeapAlloc-ms0.HeapAlloc)/1e6, float64(ms1.HeapAlloc-ms0.HeapAlloc)/float64(n))
	runtime.KeepAlive(all)
}
