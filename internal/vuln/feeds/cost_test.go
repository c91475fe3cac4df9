package feeds

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/corpustest"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/vuln"
)

// fullMirror is the advisory count of a full OSV + NVD mirror used for the
// projection in docs/performance.md.
const fullMirror = 500_000

// TestCorpusImportCost loads every OSV record of the corpus through the
// dispatcher (parse + merge), indexes them in a Matcher, and logs time and
// memory per record with a linear projection to a full mirror. Numbers go
// to docs/performance.md; nothing is asserted about speed.
func TestCorpusImportCost(t *testing.T) {
	dirs := []string{"go", "pypa", "oss-fuzz", "rustsec", "almalinux", "bitnami"}
	var paths []string
	for _, d := range dirs {
		paths = append(paths, corpustest.Dir(t, "osv", d))
	}
	runtime.GC()
	var m0, m1, m2 runtime.MemStats
	runtime.ReadMemStats(&m0)
	start := time.Now()
	d, err := Load(context.Background(), paths...)
	if err != nil {
		t.Fatal(err)
	}
	parse := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&m1)
	n := d.Files[FormatOSV]
	start = time.Now()
	m := vuln.NewMatcher(d.Advisories, vuln.MatcherOptions{})
	index := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&m2)
	perRec := float64(m1.HeapAlloc-m0.HeapAlloc) / float64(n)
	perIdx := float64(m2.HeapAlloc-m1.HeapAlloc) / float64(n)
	t.Logf("records read: %d (merged into %d advisories); matcher indexed %d", n, len(d.Advisories), m.Advisories())
	t.Logf("parse+merge: %v (%.1f µs/record); heap of advisories: %.1f MB (%.0f B/record)", parse, float64(parse.Microseconds())/float64(n), float64(m1.HeapAlloc-m0.HeapAlloc)/1e6, perRec)
	t.Logf("matcher index: %v (%.1f µs/record); index heap: %.1f MB (%.0f B/record)", index, float64(index.Microseconds())/float64(n), float64(m2.HeapAlloc-m1.HeapAlloc)/1e6, perIdx)
	t.Logf("projection to %d records: parse %.0f s, index %.0f s, heap %.1f GB",
		fullMirror, parse.Seconds()/float64(n)*fullMirror, index.Seconds()/float64(n)*fullMirror, (perRec+perIdx)*fullMirror/1e9)
	if n < 15000 {
		t.Errorf("only %d records", n)
	}
}

// corpusRelease builds n components from the affected packages of the
// advisories: every event version of every range (boundary versions), so a
// large share of components are vulnerable.
func corpusRelease(advs []vuln.Advisory, n int) []inventory.Component {
	purlType := map[string]string{"Go": "golang", "PyPI": "pypi", "crates.io": "cargo", "Bitnami": "bitnami"}
	var out []inventory.Component
	seen := map[string]bool{}
	for _, a := range advs {
		for _, af := range a.Affected {
			pt, ok := purlType[af.Ecosystem]
			if !ok {
				continue
			}
			for _, r := range af.Ranges {
				for _, e := range r.Events {
					v := e.Introduced + e.Fixed + e.LastAffected
					if v == "" || v == "0" || r.Type == vuln.RangeGit {
						continue
					}
					if pt == "golang" {
						v = "v" + v
					}
					p := fmt.Sprintf("pkg:%s/%s@%s", pt, af.Name, v)
					if seen[p] {
						continue
					}
					seen[p] = true
					out = append(out, inventory.Component{Ref: p, Name: af.Name, Version: v, PURL: p})
					if len(out) == n {
						return out
					}
				}
			}
		}
	}
	return out
}

// BenchmarkMatchCorpus10k matches a 10,000-component release built from
// real corpus records against all ~15,000 corpus OSV advisories (warm: the
// matcher is built once).
func BenchmarkMatchCorpus10k(b *testing.B) {
	var paths []string
	for _, d := range []string{"go", "pypa", "oss-fuzz", "rustsec", "almalinux", "bitnami"} {
		paths = append(paths, corpustest.Dir(b, "osv", d))
	}
	d, err := Load(context.Background(), paths...)
	if err != nil {
		b.Fatal(err)
	}
	comps := corpusRelease(d.Advisories, 10000)
	if len(comps) < 10000 {
		b.Fatalf("only %d components", len(comps))
	}
	m := vuln.NewMatcher(d.Advisories, vuln.MatcherOptions{})
	b.ResetTimer()
	var n int
	for b.Loop() {
		n = len(m.Match(comps, nil))
	}
	b.ReportMetric(float64(n), "matches")
}
