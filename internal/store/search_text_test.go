package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
)

// TestFindingTextSearch: q= matches a case-insensitive substring of the
// title, rule, component or vulnerability ids through the trigram index
// on both engines, and follows changes of those fields.
func TestFindingTextSearch(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		p := createProduct(t, st, "Router")
		rel := createRelease(t, st, p.ID, "1")
		imp := func(title string) {
			t.Helper()
			_, err := findings.NewImporter(st, nil).Import(ctx, findings.ScanImport{ReleaseID: rel.ID, Tool: "grype", Each: func(emit func(findings.Finding) error) error {
				for _, f := range []findings.Finding{
					{Title: title, Severity: findings.High, Fingerprint: "a", Component: findings.Component{Name: "openssl", Version: "3.0.7"}, VulnerabilityIDs: []string{"CVE-2023-0286"}},
					{Title: `Telnet "enabled" on port 23`, Severity: findings.Medium, Fingerprint: "b", RuleID: "net-telnet"},
					{Title: "Weak TLS cipher", Severity: findings.Low, Fingerprint: "c", Component: findings.Component{Name: "busybox", Version: "1.31"}},
				} {
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
		imp("X.509 type confusion")
		search := func(q string) []string {
			t.Helper()
			fs, _, err := st.Findings(ctx, findings.Query{ReleaseID: rel.ID, Text: q, Sort: "severity"})
			if err != nil {
				t.Fatalf("q=%q: %v", q, err)
			}
			var out []string
			for _, f := range fs {
				out = append(out, f.Finding.Title)
			}
			return out
		}
		for q, want := range map[string]string{
			"CONFUSION":       "[X.509 type confusion]",
			"ssl":             "[X.509 type confusion]", // component
			"cve-2023-0286":   "[X.509 type confusion]", // vulnerability id
			"net-tel":         `[Telnet "enabled" on port 23]`,
			`"enabled"`:       `[Telnet "enabled" on port 23]`,
			"TL":              "[Weak TLS cipher]", // shorter than a trigram
			"no such finding": "[]",
		} {
			if got := fmt.Sprint(search(q)); got != want {
				t.Errorf("q=%q: %s, want %s", q, got, want)
			}
		}
		// The index follows a changed title.
		imp("X.509 email address buffer overflow")
		if got := fmt.Sprint(search("confusion")); got != "[]" {
			t.Errorf("old title still found: %s", got)
		}
		if got := fmt.Sprint(search("BUFFER over")); got != "[X.509 email address buffer overflow]" {
			t.Errorf("new title: %s", got)
		}
		// The search is answered from the index.
		if st.Engine() == store.Postgres {
			var n int
			if err := st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_indexes WHERE schemaname = current_schema() AND indexname = 'findings_text'`).Scan(&n); err != nil || n != 1 {
				t.Errorf("pg_trgm index findings_text: %d (%v)", n, err)
			}
		} else {
			plan := queryPlan(t, st, `SELECT rowid FROM findings_text WHERE findings_text MATCH '"confusion"'`)
			if plan == "" || !strings.Contains(plan, "VIRTUAL TABLE INDEX") {
				t.Errorf("query plan: %q", plan)
			}
		}
	})
}

// TestFindingTextSearchCommonTerm: a text in more rows than the index
// hands over (a word in every title) pages the same way as a rare one:
// the right rows, in the requested order, with a working cursor.
func TestFindingTextSearchCommonTerm(t *testing.T) {
	defer store.SetFTSCommon(1000)()
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		rel := ensureRelease(t, st, "Router", "1")
		sev := []findings.Severity{findings.Critical, findings.High, findings.Medium, findings.Low}
		_, err := findings.NewImporter(st, nil).Import(ctx, findings.ScanImport{ReleaseID: rel.ID, Tool: "semgrep", Each: func(emit func(findings.Finding) error) error {
			for i := 0; i < 2600; i++ {
				title := fmt.Sprintf("Synthetic rule %d", i%50)
				if i%500 == 7 {
					title = fmt.Sprintf("Rare needle %d", i)
				}
				if err := emit(findings.Finding{Title: title, Severity: sev[i%4], Fingerprint: fmt.Sprint(i), RuleID: fmt.Sprintf("RG%03d", i%50)}); err != nil {
					return err
				}
			}
			return nil
		}})
		if err != nil {
			t.Fatal(err)
		}
		page := func(q, after string) ([]findings.Stored, string) {
			t.Helper()
			fs, next, err := st.Findings(ctx, findings.Query{ReleaseID: rel.ID, Text: q, Sort: "severity", Limit: 100, After: after})
			if err != nil {
				t.Fatalf("q=%q: %v", q, err)
			}
			return fs, next
		}
		// Common: every page holds matching rows, worst first, and the
		// cursor walks all of them.
		seen, pages := 0, 0
		for after := ""; ; pages++ {
			fs, next := page("SYNTHETIC", after)
			for i, f := range fs {
				if !strings.HasPrefix(f.Finding.Title, "Synthetic") {
					t.Fatalf("q=SYNTHETIC: %q", f.Finding.Title)
				}
				if i > 0 && f.Finding.Severity.Rank() > fs[i-1].Finding.Severity.Rank() {
					t.Fatalf("q=SYNTHETIC: page %d not in severity order", pages)
				}
			}
			seen += len(fs)
			if next == "" {
				break
			}
			after = next
		}
		if seen != 2600-6 {
			t.Errorf("q=SYNTHETIC: %d rows over %d pages, want %d", seen, pages, 2600-6)
		}
		// Rare: from the index.
		fs, _ := page("needle", "")
		if len(fs) != 6 {
			t.Errorf("q=needle: %d rows, want 6", len(fs))
		}
		// A rule id in 2% of the rows.
		fs, _ = page("rg007", "")
		if len(fs) != 52 {
			t.Errorf("q=rg007: %d rows, want 52", len(fs))
		}
	})
}

// TestFindingTextIndexFollowsWrites: the full-text index follows every
// write to the searched fields on both engines: inserted findings are
// found by title, rule, component and vulnerability id; a re-import that
// changes the component and CVE finds the new values and not the old; a
// deleted release's findings are no longer found and (SQLite) leave no
// row in the FTS5 table.
func TestFindingTextIndexFollowsWrites(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		relA := ensureRelease(t, st, "Router", "1")
		relB := ensureRelease(t, st, "Router", "2")
		imp := func(rel int64, comp, cve string) {
			t.Helper()
			_, err := findings.NewImporter(st, nil).Import(ctx, findings.ScanImport{ReleaseID: rel, Tool: "grype", Each: func(emit func(findings.Finding) error) error {
				return emit(findings.Finding{Title: "Zebrafish overflow in parser", Severity: findings.High, Fingerprint: "z", RuleID: "ZEBRA-RULE-17",
					Component: findings.Component{Name: comp, Version: "1.0"}, VulnerabilityIDs: []string{cve}})
			}})
			if err != nil {
				t.Fatal(err)
			}
		}
		search := func(q string) string {
			t.Helper()
			fs, _, err := st.Findings(ctx, findings.Query{Text: q, Sort: "severity", Limit: 100})
			if err != nil {
				t.Fatalf("q=%q: %v", q, err)
			}
			var out []string
			for _, f := range fs {
				out = append(out, fmt.Sprintf("%d:%s", f.ReleaseID, f.Finding.Component.Name))
			}
			return strings.Join(out, " ")
		}
		imp(relA.ID, "libquagga", "CVE-2031-11111")
		imp(relB.ID, "libquagga", "CVE-2031-22222")
		a, b := fmt.Sprintf("%d:", relA.ID), fmt.Sprintf("%d:", relB.ID)
		for q, want := range map[string]string{
			"zebrafish":      a + "libquagga " + b + "libquagga", // title
			"zebra-rule-17":  a + "libquagga " + b + "libquagga", // rule
			"QUAGGA":         a + "libquagga " + b + "libquagga", // component
			"cve-2031-11111": a + "libquagga",                    // vulnerability id
			"no such text":   "",
		} {
			if got := search(q); got != want && !(strings.Count(want, " ") == 1 && got == strings.Join(reverse(strings.Fields(want)), " ")) {
				t.Errorf("after insert, q=%q: %q, want %q", q, got, want)
			}
		}
		// Update: the same finding (fingerprint) now in another component
		// with another CVE.
		imp(relA.ID, "libwombat", "CVE-2031-33333")
		if got := search("cve-2031-11111"); got != "" {
			t.Errorf("old CVE still found: %q", got)
		}
		if got := search("quagga"); got != b+"libquagga" {
			t.Errorf("old component: %q", got)
		}
		if got := search("2031-33333"); got != a+"libwombat" {
			t.Errorf("new CVE: %q", got)
		}
		if got := search("wombat"); got != a+"libwombat" {
			t.Errorf("new component: %q", got)
		}
		// Delete: the release and its findings go, and so do their index rows.
		if err := st.DeleteRelease(ctx, relA.ID); err != nil {
			t.Fatal(err)
		}
		if got := search("zebrafish"); got != b+"libquagga" {
			t.Errorf("after delete: %q", got)
		}
		if got := search("wombat"); got != "" {
			t.Errorf("deleted finding still found: %q", got)
		}
		if st.Engine() == store.SQLite {
			var fts, rows int
			if err := st.DB().QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM findings_text), (SELECT COUNT(*) FROM findings)`).Scan(&fts, &rows); err != nil {
				t.Fatal(err)
			}
			if fts != rows {
				t.Errorf("FTS5 table holds %d rows for %d findings", fts, rows)
			}
		}
	})
}

func reverse(s []string) []string {
	out := make([]string, len(s))
	for i, e := range s {
		out[len(s)-1-i] = e
	}
	return out
}
