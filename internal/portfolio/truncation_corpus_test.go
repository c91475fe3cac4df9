package portfolio_test

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/corpustest"
	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
)

// TestTruncatedCorpusReimports is the store half of issue 12's truncation
// suite: every corpus scan report is imported, then re-imported cut at two
// offsets (the middle, and two bytes before the end) with its tool named,
// as a CI re-import would. A rejected cut changes nothing: no finding of
// the scope is closed. A cut the format cannot tell from a complete report
// (a CSV cut at a record boundary) is accepted, and its result says
// exactly what it closed. The parser half, over more offsets, is
// internal/scanners TestTruncatedReportsRejected.
func TestTruncatedCorpusReimports(t *testing.T) {
	if testing.Short() {
		t.Skip("imports every corpus report three times per engine")
	}
	root := corpustest.Dir(t, "scans")
	var files []string
	_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasSuffix(path, ".md") {
			files = append(files, path)
		}
		return err
	})
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		imported, rejected, accepted := 0, 0, 0
		for _, path := range files {
			rel, _ := filepath.Rel(root, path)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			r := ensureRelease(t, st, "Truncation", rel)
			imp := func(tool string, b []byte) (findings.ScanResult, error) {
				return portfolio.ImportScan(ctx, st, portfolio.ScanRequest{ReleaseID: r.ID, FileName: rel, Tool: tool, Scope: "corpus", Actor: "ci", Report: bytes.NewReader(b)})
			}
			active := func() int {
				fs, _, err := st.Findings(ctx, findings.Query{ReleaseID: r.ID, Status: "active", Limit: 500})
				if err != nil {
					t.Fatal(err)
				}
				return len(fs)
			}
			full, err := imp("", data)
			if err != nil {
				continue // a failed run or an SBOM: the scanner suite covers its rejection
			}
			imported++
			want := active()
			for _, cut := range []int{len(data) / 2, len(data) - 2} {
				if cut <= 0 || len(bytes.TrimSpace(data[cut:])) == 0 {
					continue
				}
				res, err := imp(full.Tool, data[:cut])
				got := active()
				if err != nil {
					rejected++
					if got != want {
						t.Errorf("%s cut at %d: rejected (%v) but %d of %d findings still active", rel, cut, err, got, want)
					}
					continue
				}
				accepted++
				if got != want-res.Closed+res.New {
					t.Errorf("%s cut at %d: accepted; result says %d closed and %d new, but active went %d → %d", rel, cut, res.Closed, res.New, want, got)
				}
				if !strings.HasSuffix(path, ".csv") {
					t.Errorf("%s cut at %d: a truncated %s report was accepted (%+v)", rel, cut, full.Tool, res)
				}
				if _, err := imp(full.Tool, data); err != nil || active() != want {
					t.Fatalf("%s: re-import of the whole file: %v, %d active, want %d", rel, err, active(), want)
				}
			}
		}
		t.Logf("%d corpus reports imported; %d cuts rejected (nothing closed), %d accepted at a record boundary", imported, rejected, accepted)
		if imported == 0 {
			t.Error("no corpus report imported")
		}
	})
}
