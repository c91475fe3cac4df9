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
// those of one finding. Likewise a Semgrep Supply Chain deployment export
// listing one advisory in three repositories keeps the three repositories'
// lockfiles. Before, the repeats' locations were dropped.
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
	semgrep, err := os.ReadFile("../scanners/semgrep/testdata/deployment-vulns.json")
	if err != nil {
		t.Fatal(err)
	}
	libc := []string{"/usr/lib/x86_64-linux-gnu/libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6"}
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		for _, c := range []struct {
			name, tool string
			report     []byte
			n          int // findings
			cve, comp  string
			want       []string
		}{
			{"same_cve_different_paths.json", "grype", raw, 1, "CVE-2021-33574", "libc6", libc},
			{"spread.json", "grype", spread(250), 251, "CVE-2021-33574", "libc6", libc},
			// A Semgrep Supply Chain deployment export: one advisory in
			// three repositories.
			{"deployment-vulns.json", "semgrep", semgrep, 1, "CVE-2023-1428", "grpcio", []string{"example/lmr: requirements3.txt",
				"example/yg: generators/generator-examplelearn/app/templates/examplelearn-serving/requirements3.txt", "example/wbm: requirements3.txt"}},
		} {
			rel := ensureRelease(t, st, "Gateway", c.name)
			for i := range 2 {
				res, err := portfolio.ImportScan(ctx, st, portfolio.ScanRequest{ReleaseID: rel.ID, FileName: c.name, Tool: c.tool, Actor: "ci", Report: bytes.NewReader(c.report)})
				if err != nil {
					t.Fatalf("%s: %v", c.name, err)
				}
				if res.Findings != c.n || res.New+res.Unchanged != c.n || res.New != c.n*(1-i) || res.Closed != 0 {
					t.Errorf("%s import %d: %+v, want %d findings", c.name, i+1, res, c.n)
				}
				all, _, err := st.Findings(ctx, findings.Query{ReleaseID: rel.ID, VulnIDs: []string{c.cve}, Limit: 500})
				if err != nil {
					t.Fatal(err)
				}
				var of []findings.Stored
				for _, f := range all {
					if f.Finding.Component.Name == c.comp {
						of = append(of, f)
					}
				}
				if len(of) != 1 {
					t.Fatalf("%s import %d: %d %s findings, want 1", c.name, i+1, len(of), c.comp)
				}
				var got []string
				for _, l := range of[0].Finding.Locations {
					got = append(got, l.File)
				}
				if !slices.Equal(got, c.want) {
					t.Errorf("%s import %d: %s located at %q, want %q", c.name, i+1, c.comp, got, c.want)
				}
			}
		}
	})
}
