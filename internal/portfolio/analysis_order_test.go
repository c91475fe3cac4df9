package portfolio_test

import (
	"context"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
	"github.com/rampart-security/rampart/internal/vuln"
)

// TestAnalysesLatestHolds: a release's match has two recorded analyses,
// one under the advisory's id and one under its alias (recorded when the
// alias was the match's id). The later recorded holds, and the match's
// analysis is that one; on equal times the later key (component ref, id)
// holds, so every re-match decides alike. Before, the first analysis in
// map order that suppressed won (an older not_affected over a newer
// affected, differently from one re-match to the next), and the match
// showed the analysis recorded under its id even when the other
// suppressed it.
func TestAnalysesLatestHolds(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		lib := inventory.Component{Ref: "lib", Name: "example.com/lib", Version: "v1.0.0", PURL: "pkg:golang/example.com/lib@v1.0.0"}
		rel, ctx := releaseWith(t, st, "Gateway", "2.0", lib), context.Background()
		adv := vuln.Advisory{ID: "GO-2099-0001", Aliases: []string{"CVE-2099-0001"}, Sources: []vuln.Source{vuln.SourceOSV},
			Affected: []vuln.Affected{{Ecosystem: "Go", Name: "example.com/lib", Ranges: []vuln.Range{{Type: vuln.RangeSemver, Events: []vuln.Event{{Introduced: "0"}, {Fixed: "1.1.0"}}}}}}}
		if _, err := st.ImportAdvisories(ctx, []vuln.Advisory{adv}, nil, nil, nil, vuln.FeedImport{Actor: "test"}); err != nil {
			t.Fatal(err)
		}
		vulns := portfolio.NewVulns(st, func() time.Time { return time.Date(2099, 6, 1, 0, 0, 0, 0, time.UTC) })
		day := func(d int) time.Time { return time.Date(2099, 3, d, 9, 0, 0, 0, time.UTC) }
		notAffected := func(at time.Time) vuln.Analysis {
			return vuln.Analysis{Status: vuln.VEXNotAffected, Justification: "vulnerable_code_not_in_execute_path", UpdatedAt: at, UpdatedBy: "bob"}
		}
		affected := func(at time.Time) vuln.Analysis {
			return vuln.Analysis{Status: vuln.VEXAffected, UpdatedAt: at, UpdatedBy: "alice"}
		}
		for _, tt := range []struct {
			name           string
			underCVE, asGO vuln.Analysis
			suppressed     bool
			by             string
		}{
			{"older not_affected under the alias, newer affected under the id", notAffected(day(1)), affected(day(2)), false, "alice"},
			{"newer not_affected under the alias, older affected under the id", notAffected(day(3)), affected(day(2)), true, "bob"},
			{"equal times: the later key (the id) holds", notAffected(day(4)), affected(day(4)), false, "alice"},
		} {
			for _, a := range []struct {
				id string
				a  vuln.Analysis
			}{{"CVE-2099-0001", tt.underCVE}, {"GO-2099-0001", tt.asGO}} {
				if err := st.SetAnalysis(ctx, rel.ID, lib.Ref, a.id, a.a); err != nil {
					t.Fatal(err)
				}
			}
			for range 3 { // the same at every re-match
				if _, err := vulns.Rematch(ctx, rel.ID); err != nil {
					t.Fatal(err)
				}
				vs, err := st.ReleaseVulns(ctx, rel.ID)
				if err != nil {
					t.Fatal(err)
				}
				if len(vs) != 1 {
					t.Fatalf("%s: %d matches, want 1", tt.name, len(vs))
				}
				v := vs[0]
				if v.Suppressed != tt.suppressed || v.Analysis == nil || v.Analysis.UpdatedBy != tt.by {
					t.Fatalf("%s: suppressed %v, analysis %+v; want suppressed %v by %s", tt.name, v.Suppressed, v.Analysis, tt.suppressed, tt.by)
				}
			}
		}
	})
}
