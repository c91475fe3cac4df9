package portfolio_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/policy"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
)

// TestGateBoundedResult: the platform's gate keeps the first
// MaxGateViolations violations of the report's order and the exact
// counts of all of them: on a release with ~3,000 violations the view
// and the stored result have the verdict, the failing count, the totals
// and the per-rule counts of the unbounded evaluation, and their
// violations are its first MaxGateViolations, in its order, whatever the
// batch size the components are read with.
func TestGateBoundedResult(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		const n = 4000
		var old, cur []inventory.Component
		for i := range n {
			lic := []string{"GPL-2.0-only", "MIT", "GPL-3.0-only", "Apache-2.0", "LGPL-2.1-or-later"}[i%5]
			// Names out of order, so the report's order is not the store's.
			c := inventory.Component{Ref: fmt.Sprintf("c%d", i), Name: fmt.Sprintf("lib%d", (i*7919)%n), Version: "1.0", Licenses: []string{lic}}
			c.PURL = "pkg:generic/" + c.Name + "@1.0"
			cur = append(cur, c)
			if i%9 == 0 {
				old = append(old, c)
			}
		}
		g, p, r2 := gateTwoReleases(t, st, old, cur, "approved:\n  - purl: pkg:generic/lib2*\n    reason: reviewed\n")
		e, err := g.RequestException(ctx, portfolio.ExceptionRequest{ProductID: p.ID, Rule: "no-new-copyleft", Match: policy.Match{Component: "pkg:generic/lib1*"},
			Reason: "legal review", Expires: "2026-12-31"}, "bob")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := g.DecideException(ctx, p.ID, e.ID, true, "carol"); err != nil {
			t.Fatal(err)
		}

		restore := portfolio.SetGateMaxViolations(0)
		full, err := g.Evaluate(ctx, r2.ID, "api")
		restore()
		if err != nil {
			t.Fatal(err)
		}
		total, excepted := len(full.Violations), 0
		for _, v := range full.Violations {
			if v.Excepted {
				excepted++
			}
		}
		if total < 2*portfolio.MaxGateViolations || excepted == 0 || full.Passed || full.Truncated || full.ViolationsTotal != total || full.ViolationsExcepted != excepted {
			t.Fatalf("unbounded: %d violations (%d excepted), total %d, truncated %v, passed %v", total, excepted, full.ViolationsTotal, full.Truncated, full.Passed)
		}
		key := func(v policy.Violation) string {
			return fmt.Sprintf("%s|%s|%s|%s|%v", v.Rule, v.Severity, v.Subject, v.Message, v.Excepted)
		}
		want := make([]string, portfolio.MaxGateViolations)
		for i := range want {
			want[i] = key(full.Violations[i])
		}
		for _, batch := range []int{7, 2000} {
			restore := portfolio.SetGateBatch(batch)
			v, err := g.Evaluate(ctx, r2.ID, "sbom")
			restore()
			if err != nil {
				t.Fatal(err)
			}
			got := make([]string, len(v.Violations))
			for i := range v.Violations {
				got[i] = key(v.Violations[i])
			}
			switch {
			case v.Passed != full.Passed || v.ViolationsTotal != total || v.ViolationsExcepted != excepted || !v.Truncated:
				t.Errorf("batch %d: passed %v total %d excepted %d truncated %v", batch, v.Passed, v.ViolationsTotal, v.ViolationsExcepted, v.Truncated)
			case !reflect.DeepEqual(v.RuleCounts, full.RuleCounts) || len(v.RuleCounts) != 2 || v.RuleCounts[0].Violations+v.RuleCounts[1].Violations != total:
				t.Errorf("batch %d: rule counts %+v, want %+v", batch, v.RuleCounts, full.RuleCounts)
			case !reflect.DeepEqual(got, want):
				t.Errorf("batch %d: %d violations, not the first %d of the unbounded report", batch, len(got), len(want))
			}

			// The stored result: the verdict and failing count of every
			// violation, the same list, the counts.
			res, err := st.GateResultOf(ctx, r2.ID)
			if err != nil {
				t.Fatal(err)
			}
			if res.Passed != full.Passed || res.Failing != total-excepted || res.Trigger != "sbom" {
				t.Errorf("batch %d: stored passed %v failing %d trigger %s, want failing %d", batch, res.Passed, res.Failing, res.Trigger, total-excepted)
			}
			if len(res.Result) > 1<<20 {
				t.Errorf("batch %d: stored result is %d bytes", batch, len(res.Result))
			}
			var doc struct {
				Passed             bool               `json:"passed"`
				Violations         []policy.Violation `json:"violations"`
				ViolationsTotal    int                `json:"violations_total"`
				ViolationsExcepted int                `json:"violations_excepted"`
				Truncated          bool               `json:"truncated"`
				RuleCounts         []policy.RuleCount `json:"rule_counts"`
			}
			if err := json.Unmarshal([]byte(res.Result), &doc); err != nil {
				t.Fatal(err)
			}
			stored := make([]string, len(doc.Violations))
			for i := range doc.Violations {
				stored[i] = key(doc.Violations[i])
			}
			if doc.Passed != full.Passed || doc.ViolationsTotal != total || doc.ViolationsExcepted != excepted || !doc.Truncated ||
				!reflect.DeepEqual(doc.RuleCounts, full.RuleCounts) || !reflect.DeepEqual(stored, want) {
				t.Errorf("batch %d: stored result: passed %v total %d excepted %d truncated %v counts %+v, %d violations (first of the report: %v)",
					batch, doc.Passed, doc.ViolationsTotal, doc.ViolationsExcepted, doc.Truncated, doc.RuleCounts, len(stored), reflect.DeepEqual(stored, want))
			}
		}
	})
}
