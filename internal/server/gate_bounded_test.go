package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/rampart-security/rampart/internal/browsertest"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/portfolio"
)

// manyViolationsRelease creates a release whose SBOM has n GPL-licensed
// components and one MIT one: n violations of the default policy's
// copyleft rule.
func manyViolationsRelease(t *testing.T, e *env, n int) (product, release int64) {
	t.Helper()
	comps := []inventory.Component{{Ref: "ok", Type: inventory.TypeLibrary, Name: "ok", Version: "1", PURL: "pkg:generic/ok@1", Licenses: []string{"MIT"}}}
	for i := range n {
		comps = append(comps, inventory.Component{Ref: fmt.Sprintf("c%d", i), Type: inventory.TypeLibrary, Name: fmt.Sprintf("gpl%04d", i), Version: "1.0",
			PURL: fmt.Sprintf("pkg:generic/gpl%04d@1.0", i), Licenses: []string{"GPL-2.0-only"}})
	}
	return e.sbomRelease(t, map[string]any{"name": "Big Box", "criticality": 3, "exposure": "internet-facing"}, "9.0", "box", comps)
}

// TestGateAPITruncated: GET …/gate of a release with more violations than
// the platform keeps returns the first MaxGateViolations, in the report's
// order, with the exact totals, per-rule counts and "truncated"; the
// stored result has the exact failing count.
func TestGateAPITruncated(t *testing.T) {
	e := newEnv(t, "sqlite")
	n := portfolio.MaxGateViolations + 200
	_, rid := manyViolationsRelease(t, e, n)
	var g struct {
		gateResp
		ViolationsTotal    *int  `json:"violations_total"`
		ViolationsExcepted *int  `json:"violations_excepted"`
		Truncated          *bool `json:"truncated"`
		RuleCounts         []struct {
			Rule                 string
			Violations, Excepted int
		} `json:"rule_counts"`
	}
	if resp := e.call(t, "viewer", "GET", fmt.Sprintf("/api/v1/releases/%d/gate", rid), nil, &g); resp.StatusCode != http.StatusOK {
		t.Fatalf("gate: %d", resp.StatusCode)
	}
	if g.Passed || len(g.Violations) != portfolio.MaxGateViolations || g.ViolationsTotal == nil || *g.ViolationsTotal != n ||
		g.ViolationsExcepted == nil || *g.ViolationsExcepted != 0 || g.Truncated == nil || !*g.Truncated {
		t.Fatalf("gate: passed %v, %d violations, total %v, excepted %v, truncated %v", g.Passed, len(g.Violations), g.ViolationsTotal, g.ViolationsExcepted, g.Truncated)
	}
	// The copyleft rule's violations sort by subject: gpl0000 … gpl0999.
	for i, v := range g.Violations {
		if want := fmt.Sprintf("pkg:generic/gpl%04d@1.0", i); v.Rule != "no-copyleft-in-firmware" || v.Subject != want {
			t.Fatalf("violation %d = %s %s, want %s", i, v.Rule, v.Subject, want)
		}
	}
	counted := map[string][2]int{}
	for _, c := range g.RuleCounts {
		counted[c.Rule] = [2]int{c.Violations, c.Excepted}
	}
	if len(g.RuleCounts) != 8 || counted["no-copyleft-in-firmware"] != [2]int{n, 0} || counted["no-kev"] != [2]int{0, 0} {
		t.Errorf("rule counts = %+v", g.RuleCounts)
	}
	res, err := e.store.GateResultOf(t.Context(), rid)
	if err != nil || res.Passed || res.Failing != n || !strings.Contains(res.Result, `"truncated": true`) || !strings.Contains(res.Result, fmt.Sprintf(`"violations_total": %d`, n)) {
		t.Errorf("stored: passed %v failing %d (%v)", res.Passed, res.Failing, err)
	}
}

// TestGateBrowserTruncated: the release page's gate panel says how many
// of how many violations it shows, with the count per rule.
func TestGateBrowserTruncated(t *testing.T) {
	e := newEnv(t, "sqlite")
	n := portfolio.MaxGateViolations + 200
	_, rid := manyViolationsRelease(t, e, n)
	ctx, text, do := e.signedInBrowser(t, "/", "new-product")
	do("release page", chromedp.Navigate(fmt.Sprintf("%s/releases/%d", e.url, rid)), chromedp.WaitVisible(chromedp.ID("gate-truncated")))
	browsertest.Screenshot(t, ctx, "gate-truncated")
	if got := text("#gate-status"); got != "failed" {
		t.Errorf("gate status = %q", got)
	}
	got := text("#gate-truncated")
	if want := fmt.Sprintf("Showing %d of %d violations (0 excepted)", portfolio.MaxGateViolations, n); !strings.Contains(got, want) ||
		!strings.Contains(got, fmt.Sprintf("no-copyleft-in-firmware %d", n)) || !strings.Contains(got, "rampart gate lists them all") {
		t.Errorf("truncation note = %q, want %q and the rule's count", got, want)
	}
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#gate-violations tbody tr").length`))
	if err != nil || rows != portfolio.MaxGateViolations {
		t.Errorf("%d violation rows, want %d (%v)", rows, portfolio.MaxGateViolations, err)
	}
	// A release with few violations has no note.
	_, small := gateRelease(t, e)
	do("small release", chromedp.Navigate(fmt.Sprintf("%s/releases/%d", e.url, small)), chromedp.WaitVisible(chromedp.ID("gate-violations")))
	if notes, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#gate-truncated").length`)); err != nil || notes != 0 {
		t.Error("the panel of a release with one violation says it is truncated")
	}
}
