package portfolio_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/sbom/sbomgen"
)

// BenchmarkUploadSPDXStreamed is what the server does with one SBOM upload
// (POST /api/v1/releases/{id}/sbom) above the stream threshold: the
// streamed import, the re-match of the release and its policy gate, into
// SQLite. It reports the allocations and the peak live heap
// (peak-heap-MB, sampled every 20 ms) of the whole sequence, never a
// timing assertion. RAMPART_BENCH_N sets the package count (default
// 20,000; 190,000 are ~150 MB of SPDX JSON); RAMPART_MEMPROFILE=FILE writes
// the heap profile taken at the highest sample, for `go tool pprof`.
//
//	RAMPART_BENCH_N=190000 RAMPART_MEMPROFILE=/tmp/upload.heap \
//	  go test -run '^$' -bench UploadSPDXStreamed -benchtime 1x ./internal/portfolio/
func BenchmarkUploadSPDXStreamed(b *testing.B) {
	n := 20000
	if v, err := strconv.Atoi(os.Getenv("RAMPART_BENCH_N")); err == nil && v > 0 {
		n = v
	}
	defer portfolio.SetStreamThreshold(1 << 20)()
	path := filepath.Join(b.TempDir(), "bom.spdx.json")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := sbomgen.WriteSPDX(f, n); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	st := openStore(b)
	vulns := portfolio.NewVulns(st, nil)
	gate := portfolio.NewGate(st, vulns, nil, time.Now)
	b.ReportAllocs()
	var peak uint64
	for b.Loop() {
		rel := ensureRelease(b, st, "Bench", strconv.Itoa(b.N)+"-"+strconv.FormatInt(time.Now().UnixNano(), 10))
		stop := sampleHeap(&peak, os.Getenv("RAMPART_MEMPROFILE"))
		doc, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		fi, _ := doc.Stat()
		res, err := portfolio.ImportSBOMFrom(ctx, st, rel.ID, "bom.spdx.json", doc, fi.Size())
		doc.Close()
		if err != nil || res.Components != n {
			b.Fatalf("import: %v %+v", err, res)
		}
		b.Logf("import: peak heap %d MB", peak>>20)
		if _, err := vulns.Rematch(ctx, rel.ID); err != nil {
			b.Fatal(err)
		}
		b.Logf("re-match: peak heap %d MB", peak>>20)
		if err := gate.OnChange(ctx, rel.ID, "sbom"); err != nil {
			b.Fatal(err)
		}
		stop()
		b.Logf("gate: peak heap %d MB", peak>>20)
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}

// sampleHeap records the largest live heap (HeapAlloc) seen every 20 ms in
// *peak until stop is called; with a profile path, it writes the heap
// profile each time a new peak is 10% above the last one written.
func sampleHeap(peak *uint64, profile string) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var written uint64
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > *peak {
				*peak = ms.HeapAlloc
			}
			if profile != "" && ms.HeapAlloc > written+written/10 {
				written = ms.HeapAlloc
				if f, err := os.Create(profile); err == nil {
					_ = pprof.Lookup("heap").WriteTo(f, 0)
					f.Close()
				}
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}
