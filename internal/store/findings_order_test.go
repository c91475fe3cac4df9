package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/paging"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
)

// orderFixture imports 700 findings into two releases with many equal
// sort keys (four severities, a few first-seen dates and SLA deadlines),
// a rule id in 1 of 25 rows and a fifth of the rows not active.
func orderFixture(t *testing.T, st *store.Store) {
	t.Helper()
	ctx := context.Background()
	sev := []findings.Severity{findings.Critical, findings.High, findings.Medium, findings.Low, findings.Info}
	now := time.Now().UTC().Truncate(time.Second)
	for r, n := range []int{600, 100} {
		rel := ensureRelease(t, st, "Router", fmt.Sprint(r+1))
		_, err := findings.NewImporter(st, nil).Import(ctx, findings.ScanImport{ReleaseID: rel.ID, Tool: "semgrep", Now: now, Each: func(emit func(findings.Finding) error) error {
			for i := 0; i < n; i++ {
				first := now.Add(-time.Duration(i%7) * 24 * time.Hour)
				f := findings.Finding{Title: fmt.Sprintf("Ordered rule %d", i%50), Severity: sev[i%5], Fingerprint: fmt.Sprint(i),
					RuleID: fmt.Sprintf("OR%03d", i%25), FirstSeen: &first}
				if i%5 == 3 {
					f.Triage = &findings.Triage{Status: findings.StatusFalsePositive, Reason: "test data"}
				}
				if err := emit(f); err != nil {
					return err
				}
			}
			return nil
		}})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// allPages follows the cursor through every page of q and returns the ids.
func allPages(t *testing.T, st *store.Store, q findings.Query) []int64 {
	t.Helper()
	var ids []int64
	for pages := 0; ; pages++ {
		fs, next, err := st.Findings(context.Background(), q)
		if err != nil {
			t.Fatalf("%+v: %v", q, err)
		}
		for _, f := range fs {
			ids = append(ids, f.ID)
		}
		if next == "" {
			return ids
		}
		if pages > 1000 {
			t.Fatalf("%+v: cursor does not end", q)
		}
		q.After = next
	}
}

// TestFindingsSortOrders: every sort, over all findings and over the
// active ones, pages through each matching finding exactly once in the
// documented order with ties broken by id (descending for risk, severity
// and first seen, ascending for the due date), on both engines. On SQLite
// each of these pages is read from an index in order (migration 00180),
// not sorted.
func TestFindingsSortOrders(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		orderFixture(t, st)
		ctx := context.Background()
		byID := map[int64]findings.Stored{}
		for after := ""; ; {
			fs, next, err := st.Findings(ctx, findings.Query{Limit: paging.Max, After: after})
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range fs {
				byID[f.ID] = f
			}
			if next == "" {
				break
			}
			after = next
		}
		if len(byID) != 700 {
			t.Fatalf("fixture: %d findings", len(byID))
		}
		// want sorts the fixture as the API documents.
		want := func(sort, status string) []int64 {
			var ids []int64
			for id, f := range byID {
				if status == "active" && !f.Status.Active() {
					continue
				}
				ids = append(ids, id)
			}
			due := func(a, b findings.Stored) int { // no deadline last
				switch {
				case a.SLADue == nil && b.SLADue == nil:
					return 0
				case a.SLADue == nil:
					return 1
				case b.SLADue == nil:
					return -1
				}
				return a.SLADue.Compare(*b.SLADue)
			}
			slices.SortFunc(ids, func(a, b int64) int {
				fa, fb := byID[a], byID[b]
				var c int
				switch sort {
				case "risk":
					c = -cmpFloat(fa.Risk.Score, fb.Risk.Score)
				case "severity":
					c = fb.Finding.Severity.Rank() - fa.Finding.Severity.Rank()
				case "first_seen":
					c = fb.FirstSeen.Compare(fa.FirstSeen)
				case "due":
					c = due(fa, fb)
				}
				if c != 0 {
					return c
				}
				if sort == "due" {
					return int(a - b)
				}
				return int(b - a)
			})
			return ids
		}
		for _, sort := range []string{"risk", "severity", "first_seen", "due"} {
			for _, status := range []string{"", "active"} {
				for _, limit := range []int{7, 50} {
					got := allPages(t, st, findings.Query{Sort: sort, Status: status, Limit: limit})
					if w := want(sort, status); !slices.Equal(got, w) {
						t.Errorf("sort=%s status=%q limit=%d: %d ids %v…, want %d ids %v…", sort, status, limit, len(got), head(got), len(w), head(w))
					}
				}
			}
		}
		if st.Engine() != store.SQLite {
			return
		}
		for _, q := range []struct{ where, order string }{
			{"", "f.severity_rank DESC, f.id DESC"},
			{"", "f.first_seen DESC, f.id DESC"},
			{"WHERE f.active = 1", "f.severity_rank DESC, f.id DESC"},
			{"WHERE f.active = 1", "f.first_seen DESC, f.id DESC"},
			{"WHERE f.active = 1", "COALESCE(f.sla_due, '9999') ASC, f.id ASC"},
		} {
			if plan := queryPlan(t, st, `SELECT f.id FROM findings f JOIN releases r ON r.id = f.release_id JOIN products p ON p.id = f.product_id `+
				q.where+` ORDER BY `+q.order+` LIMIT 51`); strings.Contains(plan, "TEMP B-TREE") {
				t.Errorf("%s ORDER BY %s sorts: %s", q.where, q.order, plan)
			}
		}
	})
}

// TestFindingTextSearchStrategies: however many index hits a search text
// has, and so however findingText reads the page (hits looked up by id,
// the sort index walked testing ids against the hits, or a substring scan
// of a common text), a search returns the same findings in the same
// order, with the same cursor pages, for every sort and filter, on both
// engines (PostgreSQL always takes the substring test).
func TestFindingTextSearchStrategies(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		orderFixture(t, st)
		ctx := context.Background()
		rel := ensureRelease(t, st, "Router", "1")
		type strategy struct {
			name         string
			walk, common int
		}
		strategies := []strategy{{"lookup", 1 << 30, 1 << 30}, {"walk", 1, 1 << 30}, {"scan", 1, 1}}
		for _, text := range []string{"or007", "ORDERED RULE 1", "rule 4", "no such text"} {
			for _, q := range []findings.Query{
				{Text: text},
				{Text: text, Status: "active"},
				{Text: text, Status: "active", Severity: findings.High},
				{Text: text, Sort: "severity", Limit: 9},
				{Text: text, Sort: "first_seen", Status: "active", Limit: 11},
				{Text: text, Sort: "due", Limit: 13},
				{Text: text, ReleaseID: rel.ID, Status: "false_positive", Limit: 5},
			} {
				var first []int64
				for i, s := range strategies {
					restoreWalk, restoreCommon := store.SetFTSWalk(s.walk), store.SetFTSCommon(s.common)
					got := allPages(t, st, q)
					restoreCommon()
					restoreWalk()
					for _, id := range got {
						f, err := st.Finding(ctx, id)
						if err != nil {
							t.Fatal(err)
						}
						if hay := strings.ToLower(f.Finding.Title + " " + f.Finding.RuleID); !strings.Contains(hay, strings.ToLower(text)) {
							t.Fatalf("%s %+v: finding %d %q does not contain %q", s.name, q, id, hay, text)
						}
					}
					if i == 0 {
						first = got
						if text != "no such text" && q.Status == "" && q.ReleaseID == 0 && len(got) == 0 {
							t.Errorf("%s %+v: nothing found", s.name, q)
						}
						continue
					}
					if !slices.Equal(got, first) {
						t.Errorf("%+v: %s gives %d ids %v…, %s %d ids %v…", q, s.name, len(got), head(got), strategies[0].name, len(first), head(first))
					}
				}
			}
		}
		if st.Engine() != store.SQLite {
			return
		}
		// The walk reads the sort index, not the hits by id.
		plan := queryPlan(t, st, `SELECT f.id FROM findings f WHERE f.active = 1 AND +f.id IN (SELECT rowid FROM findings_text WHERE findings_text MATCH '"or007"')
			ORDER BY f.risk_score DESC, f.id DESC LIMIT 51`)
		if strings.Contains(plan, "TEMP B-TREE") || strings.Contains(plan, "INTEGER PRIMARY KEY") {
			t.Errorf("walk: %s", plan)
		}
	})
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func head(ids []int64) []int64 {
	if len(ids) > 8 {
		return ids[:8]
	}
	return ids
}

// queryPlan is SQLite's EXPLAIN QUERY PLAN of query with args, its details
// joined.
func queryPlan(t *testing.T, st *store.Store, query string, args ...any) string {
	t.Helper()
	rows, err := st.DB().QueryContext(context.Background(), `EXPLAIN QUERY PLAN `+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(plan, "; ")
}
