package portfolio_test

import (
	"context"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
)

// A SARIF result with an accepted suppression is imported as not active
// (false positive) with the suppression's justification; an unsuppressed
// one is open. The message comes from the rule's messageStrings and the
// rule is referenced by ruleIndex only.
const suppressedSARIF = `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"CodeScanner","rules":[
 {"id":"C2001","shortDescription":{"text":"A variable was used without being initialized."},
  "messageStrings":{"default":{"text":"Variable \"{0}\" was used without being initialized."}}}]}},
 "results":[
  {"ruleIndex":0,"level":"error","message":{"id":"default","arguments":["ptr"]},
   "suppressions":[{"kind":"inSource","status":"accepted","justification":"ptr is set by the caller"}],
   "locations":[{"physicalLocation":{"artifactLocation":{"uri":"list.h"},"region":{"startLine":15}}}]},
  {"ruleIndex":0,"level":"error","message":{"id":"default","arguments":["len"]},
   "locations":[{"physicalLocation":{"artifactLocation":{"uri":"list.h"},"region":{"startLine":30}}}]}]}]}`

func TestImportedSuppressionIsNotActive(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		rel, err := st.EnsureRelease(ctx, "Gateway", "2.4.1")
		if err != nil {
			t.Fatal(err)
		}
		res, err := portfolio.ImportScan(ctx, st, portfolio.ScanRequest{ReleaseID: rel.ID, FileName: "scan.sarif", Actor: "ci", Report: strings.NewReader(suppressedSARIF)})
		if err != nil || res.New != 2 {
			t.Fatalf("%+v %v", res, err)
		}
		all, _, err := st.Findings(ctx, store.FindingQuery{ReleaseID: rel.ID, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		byLine := map[int]store.StoredFinding{}
		for _, f := range all {
			byLine[f.Finding.Locations[0].Line] = f
		}
		s, o := byLine[15], byLine[30]
		if s.Status != findings.StatusFalsePositive || !strings.Contains(s.StatusReason, "ptr is set by the caller") || !strings.Contains(s.Finding.Description, `Variable "ptr"`) {
			t.Errorf("suppressed: %s %q %q", s.Status, s.StatusReason, s.Finding.Description)
		}
		if o.Status != findings.StatusOpen {
			t.Errorf("unsuppressed: %s", o.Status)
		}
		// A re-import keeps the decision (and closes nothing).
		res, err = portfolio.ImportScan(ctx, st, portfolio.ScanRequest{ReleaseID: rel.ID, FileName: "scan.sarif", Actor: "ci", Report: strings.NewReader(suppressedSARIF)})
		if err != nil || res.Unchanged != 2 || res.Closed != 0 {
			t.Fatalf("re-import %+v %v", res, err)
		}
	})
}
