package portfolio_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/corpustest"
	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
)

// sarif writes a SARIF 2.1.0 report from tool with one result per
// (rule, file, line) triple; every rule carries CWE-89.
func sarif(tool string, results ...[3]any) string {
	var rs []string
	for _, r := range results {
		rs = append(rs, fmt.Sprintf(`{"ruleId":%q,"level":"error","message":{"text":"SQL built from user input"},
			"locations":[{"physicalLocation":{"artifactLocation":{"uri":%q},"region":{"startLine":%d}}}]}`, r[0], r[1], r[2]))
	}
	return fmt.Sprintf(`{"version":"2.1.0","$schema":"https://json.schemastore.org/sarif-2.1.0.json","runs":[{"tool":{"driver":{"name":%q,
		"rules":[{"id":"sqli","properties":{"tags":["security","external/cwe/cwe-089"]}},{"id":"sqli2","properties":{"tags":["CWE-89"]}}]}},
		"results":[%s]}]}`, tool, strings.Join(rs, ","))
}

func importReport(t *testing.T, st *store.Store, rel int64, scope, report string) findings.ScanResult {
	t.Helper()
	res, err := portfolio.ImportScan(context.Background(), st, portfolio.ScanRequest{ReleaseID: rel, FileName: scope + ".sarif", Scope: scope, Actor: "ci", Report: strings.NewReader(report)})
	if err != nil {
		t.Fatalf("import %s: %v", scope, err)
	}
	return res
}

func byTitleLine(t *testing.T, st *store.Store, rel int64) map[string]findings.Stored {
	t.Helper()
	return findingsBy(t, st, rel, func(f findings.Stored) string {
		l := f.Finding.Locations[0]
		return fmt.Sprintf("%s:%s:%d", f.Scope, l.File, l.Line)
	})
}

func counts(r findings.ScanResult) string {
	return fmt.Sprintf("new=%d unchanged=%d reopened=%d closed=%d", r.New, r.Unchanged, r.Reopened, r.Closed)
}

// TestReimportKeepsTriage: re-imports open, update, close and reopen
// findings, and never overwrite a person's decision or assignment.
func TestReimportKeepsTriage(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		rel := ensureRelease(t, st, "Gateway", "2.4.1")
		a, b, c, d := [3]any{"sqli", "api/users.go", 10}, [3]any{"sqli", "api/orders.go", 20}, [3]any{"sqli", "api/login.go", 30}, [3]any{"sqli", "api/admin.go", 40}
		if got := counts(importReport(t, st, rel.ID, "codeql", sarif("CodeQL", a, b, c))); got != "new=3 unchanged=0 reopened=0 closed=0" {
			t.Fatalf("first import: %s", got)
		}
		fs := byTitleLine(t, st, rel.ID)
		fb, fc := fs["codeql:api/orders.go:20"], fs["codeql:api/login.go:30"]
		now := time.Now()
		if err := st.UpdateFindings(ctx, []int64{fb.ID}, findings.Update{Transition: &findings.Transition{To: findings.StatusFalsePositive, Reason: "input is an enum"}}, "alice", now); err != nil {
			t.Fatal(err)
		}
		ed := "ed"
		if err := st.UpdateFindings(ctx, []int64{fc.ID}, findings.Update{Transition: &findings.Transition{To: findings.StatusInProgress}, Assignee: &ed}, "alice", now); err != nil {
			t.Fatal(err)
		}
		// Second scan: c fixed (missing), d new, b still reported.
		if got := counts(importReport(t, st, rel.ID, "codeql", sarif("CodeQL", a, b, d))); got != "new=1 unchanged=2 reopened=0 closed=1" {
			t.Fatalf("second import: %s", got)
		}
		fs = byTitleLine(t, st, rel.ID)
		if f := fs["codeql:api/orders.go:20"]; f.Status != findings.StatusFalsePositive || f.StatusReason != "input is an enum" {
			t.Errorf("false positive overwritten by re-import: %s %q", f.Status, f.StatusReason)
		}
		if f := fs["codeql:api/login.go:30"]; f.Status != findings.StatusVerified || f.Assignee != "ed" || f.ClosedAt == nil {
			t.Errorf("missing active finding: %s assignee %q", f.Status, f.Assignee)
		}
		// Third scan: c re-appears (reopened, still assigned), b (false positive) and d missing.
		if got := counts(importReport(t, st, rel.ID, "codeql", sarif("CodeQL", a, c))); got != "new=0 unchanged=1 reopened=1 closed=1" {
			t.Fatalf("third import: %s", got)
		}
		fs = byTitleLine(t, st, rel.ID)
		if f := fs["codeql:api/login.go:30"]; f.Status != findings.StatusOpen || f.Assignee != "ed" {
			t.Errorf("re-appeared finding: %s assignee %q", f.Status, f.Assignee)
		}
		if f := fs["codeql:api/orders.go:20"]; f.Status != findings.StatusFalsePositive {
			t.Errorf("missing false positive changed to %s", f.Status)
		}
		hist, _ := st.FindingHistory(ctx, fc.ID)
		var kinds []string
		for _, e := range hist {
			kinds = append(kinds, e.Kind+":"+e.To)
		}
		if got := strings.Join(kinds, ","); got != "status:in_progress,assign:,rescan:verified,rescan:open" {
			t.Errorf("history = %s", got)
		}
		// A report the tool cannot have produced changes nothing.
		before, _, _ := st.Findings(ctx, findings.Query{ReleaseID: rel.ID, Limit: 500})
		if _, err := portfolio.ImportScan(ctx, st, portfolio.ScanRequest{ReleaseID: rel.ID, FileName: "broken.sarif", Tool: "sarif", Scope: "codeql",
			Report: strings.NewReader(sarif("CodeQL", a)[:200])}); err == nil || !strings.Contains(err.Error(), "broken.sarif") {
			t.Errorf("truncated report: %v", err)
		}
		after, _, _ := st.Findings(ctx, findings.Query{ReleaseID: rel.ID, Limit: 500})
		if len(before) != len(after) || after[0].LastSeen != before[0].LastSeen {
			t.Error("failed import changed findings")
		}
		// Another tool reporting the same weakness at the same place is a duplicate of the original.
		res := importReport(t, st, rel.ID, "semgrep", sarif("Semgrep", [3]any{"sqli2", "api/users.go", 10}, [3]any{"sqli2", "api/new.go", 5}))
		if res.Duplicates != 1 || res.New != 2 {
			t.Errorf("cross-tool import: %+v", res)
		}
		fs = byTitleLine(t, st, rel.ID)
		dup, orig := fs["semgrep:api/users.go:10"], fs["codeql:api/users.go:10"]
		if dup.Status != findings.StatusDuplicate || dup.DuplicateOf == nil || *dup.DuplicateOf != orig.ID {
			t.Errorf("duplicate not linked: %s %v (original %d)", dup.Status, dup.DuplicateOf, orig.ID)
		}
		// Risk acceptance expires and reopens.
		until := now.Add(time.Hour)
		if err := st.UpdateFindings(ctx, []int64{orig.ID}, findings.Update{Transition: &findings.Transition{To: findings.StatusRiskAccepted,
			Reason: "behind VPN", Approver: "ciso", AcceptedUntil: &until}}, "alice", now); err != nil {
			t.Fatal(err)
		}
		ids, err := st.ExpireAcceptances(ctx, now.Add(2*time.Hour))
		if err != nil || len(ids) != 1 || ids[0].ID != orig.ID {
			t.Fatalf("expire: %v %v", ids, err)
		}
		if f, _ := st.Finding(ctx, orig.ID); f.Status != findings.StatusOpen {
			t.Errorf("expired acceptance: %s", f.Status)
		}
		// Filters and stats.
		active, _, _ := st.Findings(ctx, findings.Query{ReleaseID: rel.ID, Status: "active"})
		if len(active) != 3 { // a, c, semgrep new.go
			t.Errorf("active = %d", len(active))
		}
		stats, err := st.FindingStats(ctx, 0, nil)
		if err != nil || stats.Active != 3 || stats.Closed == 0 {
			t.Errorf("stats %+v %v", stats, err)
		}
		// Closed by re-scans today, long before the 30-day SLA: all in time.
		if stats.SLACompliance != 100 {
			t.Errorf("SLA compliance = %v, want 100", stats.SLACompliance)
		}
		// Each import recorded today's trend point; it counts the active findings.
		if err := st.SnapshotFindings(ctx, time.Now(), 0); err != nil {
			t.Fatal(err)
		}
		trend, err := st.FindingTrend(ctx, time.Now().AddDate(0, 0, -1), 0, nil)
		if err != nil || len(trend) != 1 || trend[0].Total != 3 || trend[0].BySeverity[findings.High] != 3 {
			t.Errorf("trend: %+v %v", trend, err)
		}
		if other, _ := st.FindingTrend(ctx, time.Now().AddDate(0, 0, -1), 0, []int64{}); len(other) != 0 {
			t.Errorf("trend over no visible product: %+v", other)
		}
	})
}

// TestZAPRescanCorpus re-imports the ZAP first/second scan pair and the
// *_0_and_* variants of the corpus into one scope.
func TestZAPRescanCorpus(t *testing.T) {
	dir := corpustest.Dir(t, "scans", "zap")
	ctx := context.Background()
	st := openStore(t)
	imp := func(rel int64, name string) findings.ScanResult {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		res, err := portfolio.ImportScan(ctx, st, portfolio.ScanRequest{ReleaseID: rel, FileName: name, Scope: "zap:web", Report: f})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return res
	}
	r1, _ := st.EnsureRelease(ctx, "Web", "1")
	first := imp(r1.ID, "zap-results-first-scan.xml")
	second := imp(r1.ID, "zap-results-second-scan.xml")
	t.Logf("first scan %+v; second scan %+v", first, second)
	// 15 alerts in the first scan; the second reports 18: 14 again, 4 new, and 1 of the first is gone.
	if got := counts(first); first.Findings != 15 || got != "new=15 unchanged=0 reopened=0 closed=0" {
		t.Errorf("first scan: %+v", first)
	}
	if got := counts(second); second.Findings != 18 || got != "new=4 unchanged=14 reopened=0 closed=1" {
		t.Errorf("second scan: %+v", second)
	}
	if second.New+second.Unchanged+second.Reopened != second.Findings || second.Unchanged == 0 {
		t.Errorf("second scan does not add up: %+v", second)
	}
	if first.New+second.New-second.Closed != second.Findings {
		t.Errorf("open after second scan = %d, want the %d findings of the second report", first.New+second.New-second.Closed, second.Findings)
	}
	// The sample and its variants: same file again is all unchanged.
	r2, _ := st.EnsureRelease(ctx, "Web", "2")
	base := imp(r2.ID, "0_zap_sample.xml")
	again := imp(r2.ID, "0_zap_sample.xml")
	if again.Unchanged != base.Findings || again.New+again.Closed+again.Reopened != 0 {
		t.Errorf("identical re-import: %+v (base %+v)", again, base)
	}
	// Each variant of the 4-alert sample, imported in turn into the same scope.
	for _, v := range []struct{ file, want string }{
		{"1_zap_sample_0_and_new_absent.xml", "new=1 unchanged=3 reopened=0 closed=1"},          // one alert replaced by another
		{"2_zap_sample_0_and_new_endpoint.xml", "new=0 unchanged=3 reopened=1 closed=1"},        // back to the sample's alerts
		{"3_zap_sampl_0_and_different_severities.xml", "new=0 unchanged=4 reopened=0 closed=0"}, // severities changed: same issues
	} {
		res := imp(r2.ID, v.file)
		if got := counts(res); got != v.want || res.Findings != 4 {
			t.Errorf("%s: %s (%d findings), want %s", v.file, got, res.Findings, v.want)
		}
	}
}
