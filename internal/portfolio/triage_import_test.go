package portfolio_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
		rel := ensureRelease(t, st, "Gateway", "2.4.1")
		res, err := portfolio.ImportScan(ctx, st, portfolio.ScanRequest{ReleaseID: rel.ID, FileName: "scan.sarif", Actor: "ci", Report: strings.NewReader(suppressedSARIF)})
		if err != nil || res.New != 2 {
			t.Fatalf("%+v %v", res, err)
		}
		byLine := findingsBy(t, st, rel.ID, func(f findings.Stored) int { return f.Finding.Locations[0].Line })
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

// TestDefectDojoTriageKept: a DefectDojo export keeps each finding's
// status, acceptance expiry and discovery date through the store.
func TestDefectDojoTriageKept(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		rel := ensureRelease(t, st, "Gateway", "2.4.1")
		b, err := os.ReadFile(filepath.Join("..", "scanners", "defectdojo", "testdata", "findings-pages.json"))
		if err != nil {
			t.Fatal(err)
		}
		res, err := portfolio.ImportScan(ctx, st, portfolio.ScanRequest{ReleaseID: rel.ID, FileName: "dojo.json", Scope: "defectdojo", Actor: "ci", Report: strings.NewReader(string(b))})
		if err != nil || res.New != 6 || res.Tool != "defectdojo-export" {
			t.Fatalf("%+v %v", res, err)
		}
		status := findingsBy(t, st, rel.ID, func(f findings.Stored) string { return f.Finding.Title })
		want := map[string]findings.Status{"SQL Injection in login": findings.StatusConfirmed, "Outdated jQuery": findings.StatusRiskAccepted,
			"Missing HSTS header": findings.StatusFixed, "Hard-coded password": findings.StatusFalsePositive, "Verbose server banner": findings.StatusOpen,
			"Open redirect": findings.StatusDuplicate}
		for title, w := range want {
			if got := status[title].Status; got != w {
				t.Errorf("%s: %s, want %s", title, got, w)
			}
		}
		jq := status["Outdated jQuery"]
		if jq.AcceptedUntil == nil || jq.AcceptedUntil.Format("2006-01-02") != "2026-06-30" || jq.AcceptedBy != "bob" {
			t.Errorf("acceptance: %v %q", jq.AcceptedUntil, jq.AcceptedBy)
		}
		if f := status["SQL Injection in login"]; f.FirstSeen.Format("2006-01-02") != "2025-03-01" {
			t.Errorf("first seen %v", f.FirstSeen)
		}
		// The same export uploaded through the API or the release page (no
		// tool, no scope: detected) lands in the migration's scope, so it
		// reconciles with the CLI import instead of duplicating it.
		res, err = portfolio.ImportScan(ctx, st, portfolio.ScanRequest{ReleaseID: rel.ID, FileName: "upload.json", Actor: "web", Report: strings.NewReader(string(b))})
		if err != nil || res.Scope != portfolio.DefectDojoScope || res.Tool != "defectdojo-export" || res.New != 0 || res.Unchanged != 6 || res.Closed != 0 {
			t.Fatalf("upload without tool or scope: %+v %v", res, err)
		}
	})
}

// TestImportedRiskAcceptanceCapped (issue 11): a risk acceptance recorded
// in a report lasts no longer than one made in Rampart could: without
// expiry, or beyond the product's maximum, it expires at the maximum.
func TestImportedRiskAcceptanceCapped(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		rel := ensureRelease(t, st, "Gateway", "2.4.1")
		if err := st.SetProductMaxAcceptance(ctx, rel.ProductID, 30); err != nil {
			t.Fatal(err)
		}
		dojo := `{"count": 2, "next": null, "previous": null, "results": [
  {"id": 1, "title": "Forever accepted", "date": "2025-02-10", "severity": "High", "description": "d", "active": false,
   "risk_accepted": true, "endpoints": [], "notes": [], "accepted_risks": [{"id": 4, "name": "no expiry", "owner": {"username": "mallory"}}]},
  {"id": 2, "title": "Accepted for ten years", "date": "2025-02-10", "severity": "High", "description": "d", "active": false,
   "risk_accepted": true, "endpoints": [], "notes": [], "accepted_risks": [{"id": 5, "name": "long", "expiration_date": "2036-01-01T00:00:00Z", "owner": {"username": "mallory"}}]}]}`
		now := time.Now().UTC()
		if _, err := portfolio.ImportScan(ctx, st, portfolio.ScanRequest{ReleaseID: rel.ID, FileName: "dojo.json", Tool: "defectdojo-export", Scope: "defectdojo", Actor: "ed", Report: strings.NewReader(dojo)}); err != nil {
			t.Fatal(err)
		}
		all, _, err := st.Findings(ctx, findings.Query{ReleaseID: rel.ID, Limit: 10})
		if err != nil || len(all) != 2 {
			t.Fatalf("%d findings, %v", len(all), err)
		}
		limit := findings.AcceptanceDeadline(now, 30)
		for _, f := range all {
			if f.Status != findings.StatusRiskAccepted || f.AcceptedUntil == nil || f.AcceptedUntil.After(limit) || f.AcceptedUntil.Before(now.AddDate(0, 0, 29)) {
				t.Errorf("%s: %s until %v, want accepted until about %s", f.Finding.Title, f.Status, f.AcceptedUntil, limit.Format("2006-01-02"))
			}
		}
	})
}
