package portfolio_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"testing"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
)

// TestRepeatedIssueKeepsLocations: DefectDojo's Grype sample lists
// CVE-2021-33574 in libc6 2.28-10 twice, found at two paths. The import
// stores one finding with both paths, also when the repeat comes after the
// first occurrence's batch was written (the same report with 250 other
// packages' matches between the two), and on a re-import; the counts are
// those of one finding. Before, the second path was dropped.
func TestRepeatedIssueKeepsLocations(t *testing.T) {
	raw, err := os.ReadFile("../scanners/grype/testdata/defectdojo-same_cve_different_paths.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]json.RawMessage
	var matches []map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(doc["matches"], &matches); err != nil || len(matches) != 2 {
		t.Fatalf("fixture: %d matches, %v", len(matches), err)
	}
	// spread: the fixture's two matches with n matches of other packages
	// between them.
	spread := func(n int) []byte {
		all := []map[string]any{matches[0]}
		for i := range n {
			var m map[string]any
			b, _ := json.Marshal(matches[0])
			_ = json.Unmarshal(b, &m)
			art := m["artifact"].(map[string]any)
			art["name"], art["purl"] = fmt.Sprintf("libfiller%d", i), fmt.Sprintf("pkg:deb/debian/libfiller%d@2.28-10?arch=amd64", i)
			all = append(all, m)
		}
		all = append(all, matches[1])
		b, err := json.Marshal(all)
		if err != nil {
			t.Fatal(err)
		}
		doc["matches"] = b
		out, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	want := []string{"/usr/lib/x86_64-linux-gnu/libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6"}
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		for _, c := range []struct {
			name   string
			report []byte
			n      int
		}{{"same_cve_different_paths.json", raw, 1}, {"spread.json", spread(250), 251}} {
			rel := ensureRelease(t, st, "Gateway", c.name)
			for i := range 2 {
				res, err := portfolio.ImportScan(ctx, st, portfolio.ScanRequest{ReleaseID: rel.ID, FileName: c.name, Tool: "grype", Actor: "ci", Report: bytes.NewReader(c.report)})
				if err != nil {
					t.Fatalf("%s: %v", c.name, err)
				}
				if res.Findings != c.n || res.New+res.Unchanged != c.n || res.New != c.n*(1-i) || res.Closed != 0 {
					t.Errorf("%s import %d: %+v, want %d findings", c.name, i+1, res, c.n)
				}
				all, _, err := st.Findings(ctx, findings.Query{ReleaseID: rel.ID, VulnIDs: []string{"CVE-2021-33574"}, Limit: 500})
				if err != nil {
					t.Fatal(err)
				}
				var libc []findings.Stored
				for _, f := range all {
					if f.Finding.Component.Name == "libc6" {
						libc = append(libc, f)
					}
				}
				if len(libc) != 1 {
					t.Fatalf("%s import %d: %d libc6 findings, want 1", c.name, i+1, len(libc))
				}
				var got []string
				for _, l := range libc[0].Finding.Locations {
					got = append(got, l.File)
				}
				if !slices.Equal(got, want) {
					t.Errorf("%s import %d: libc6 located at %q, want %q", c.name, i+1, got, want)
				}
			}
		}
	})
}
