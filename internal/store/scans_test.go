package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
)

// TestScansRecordPartial: the scan history keeps whether an import was of
// a partial scan and why, on both engines. A complete report is recorded
// as complete; a report whose parse ends in ErrIncompleteScan after its
// findings is recorded partial with the parser's reason; one only asked to
// be partial (ScanImport.Partial) is partial without a reason. Before, the
// flag and the reason were returned by the import and lost: the history
// could not tell why a later full re-scan closed what a partial one did
// not.
func TestScansRecordPartial(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		rel := ensureRelease(t, st, "Router", "3.0")
		reason := fmt.Errorf("stopped.xml:7: scan has status %q: %w", "stopped", findings.ErrIncompleteScan)
		imp := func(file string, end error, partial bool, fps ...string) findings.ScanResult {
			t.Helper()
			res, err := findings.NewImporter(st, nil).Import(ctx, findings.ScanImport{ReleaseID: rel.ID, Tool: "nexpose", FileName: file, Partial: partial,
				Each: func(emit func(findings.Finding) error) error {
					for _, fp := range fps {
						if err := emit(findings.Finding{Title: "Issue " + fp, Severity: findings.High, Fingerprint: fp}); err != nil {
							return err
						}
					}
					return end
				}})
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			return res
		}
		full := imp("full.xml", nil, false, "a", "b")
		stopped := imp("stopped.xml", reason, false, "a")
		asked := imp("asked.xml", nil, true, "a")
		rescan := imp("rescan.xml", nil, false, "a")
		if !stopped.Partial || stopped.Closed != 0 || rescan.Closed != 1 {
			t.Fatalf("imports: stopped %+v, rescan %+v: want the stopped one partial closing nothing and the re-scan closing b", stopped, rescan)
		}
		scans, err := st.Scans(ctx, rel.ID)
		if err != nil {
			t.Fatal(err)
		}
		type rec struct {
			id      int64
			file    string
			partial bool
			reason  string
			closed  int
		}
		var got []rec
		for _, sc := range scans {
			got = append(got, rec{sc.ScanID, sc.FileName, sc.Partial, sc.PartialReason, sc.Closed})
		}
		want := []rec{ // newest first
			{rescan.ScanID, "rescan.xml", false, "", 1},
			{asked.ScanID, "asked.xml", true, "", 0},
			{stopped.ScanID, "stopped.xml", true, reason.Error(), 0},
			{full.ScanID, "full.xml", false, "", 0},
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("scan history:\n got %v\nwant %v", got, want)
		}
	})
}
