package demo

import (
	"context"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/vuln"
)

func TestSeed(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n, err := Seed(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if n != 9 {
		t.Errorf("seeded %d releases, want 9", n)
	}
	products, _, _ := st.Products(ctx, "", 10)
	if len(products) != 4 {
		t.Fatalf("products = %d", len(products))
	}
	for _, p := range products {
		if p.Components == 0 || p.Releases < 2 {
			t.Errorf("%s: %d releases, %d components", p.Name, p.Releases, p.Components)
		}
	}
	hits, _, err := st.Search(ctx, inventory.SearchQuery{Q: "openssl", Version: "3.0.x"})
	if err != nil || len(hits) != 2 {
		t.Errorf("openssl 3.0.x ships in %d releases (%v), want 2", len(hits), err)
	}
	fs, _, err := st.Findings(ctx, findings.Query{Status: "active"})
	if err != nil || len(fs) != 10 {
		t.Errorf("demo findings: %d %v", len(fs), err)
	}
	if _, err := st.ThreatModel(ctx, products[2].ID, 0); err != nil {
		t.Errorf("threat model of %s: %v", products[2].Name, err)
	}
	// Seeding again changes nothing.
	if n, err := Seed(ctx, st); err != nil || n != 0 {
		t.Errorf("second seed: %d %v", n, err)
	}
}

// seededStore opens a store in a temporary folder and seeds the demo into
// it; the store is closed when the test ends.
func seededStore(t *testing.T) *store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := Seed(ctx, st); err != nil {
		t.Fatal(err)
	}
	return st
}

// TestSeedRealVulnerabilities: the offline demo shows real matches from
// the embedded snapshot: a KEV match on a shipped release, EPSS scores
// and VEX decisions.
func TestSeedRealVulnerabilities(t *testing.T) {
	ctx := context.Background()
	st := seededStore(t)
	rel, err := releaseOf(ctx, st, "Industrial Gateway IG-400", "3.2.0")
	if err != nil {
		t.Fatal(err)
	}
	matches, err := st.ReleaseVulns(ctx, rel.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]vuln.ReleaseVuln{}
	for _, m := range matches {
		got[m.ComponentRef+" "+m.VulnID] = m
	}
	for _, want := range []string{"linux CVE-2022-2586", "busybox CVE-2022-48174", "dnsmasq CVE-2023-28450", "openssl CVE-2024-6119"} {
		if _, ok := got[want]; !ok {
			t.Errorf("gateway 3.2.0 lacks the real match %s (has %d matches)", want, len(matches))
		}
	}
	if !got["linux CVE-2022-2586"].KEV {
		t.Error("CVE-2022-2586 is in the snapshot's KEV catalogue but the match is not KEV")
	}
	if got["busybox CVE-2022-48174"].EPSS != 0.00451 {
		t.Error("CVE-2022-48174 has a FIRST EPSS score in the snapshot but the match has none")
	}
	if a := got["linux CVE-2023-1989"].Analysis; a == nil || a.Status != "not_affected" {
		t.Errorf("demo VEX decision for CVE-2023-1989 missing: %+v", a)
	}
	// A second seed does not import the snapshot again.
	if n, err := seedVulnData(ctx, st); err != nil || n != 0 {
		t.Errorf("second snapshot import: %d %v", n, err)
	}
}

// TestSeedHistory: the demo's scans are imported at past dates, so the
// dashboard trend has weeks of history, the oldest findings are past their
// SLA, a finding fixed between scans is closed, and the firmware image's
// kernel CVE is KEV through the snapshot's catalogue (enriched after the
// scans were imported) and linked to its SBOM match.
func TestSeedHistory(t *testing.T) {
	ctx := context.Background()
	st := seededStore(t)
	now := time.Now().UTC()
	overdue, _, err := st.Findings(ctx, findings.Query{Status: "active", Overdue: true})
	if err != nil || len(overdue) < 3 {
		t.Fatalf("overdue findings: %d %v", len(overdue), err)
	}
	for _, f := range overdue {
		if f.SLAState != findings.SLAOverdue || f.SLADue == nil || !f.SLADue.Before(now) {
			t.Errorf("%s: SLA %v %s", f.Finding.Title, f.SLADue, f.SLAState)
		}
	}
	kev, _, err := st.Findings(ctx, findings.Query{KEV: true})
	if err != nil || len(kev) != 1 {
		t.Fatalf("KEV findings: %d %v", len(kev), err)
	}
	k := kev[0]
	if k.SLASource != "kev" || k.LinkedMatch == nil || k.LinkedMatch.ComponentRef != "linux" || k.LinkedMatch.VulnerabilityID != "CVE-2022-2586" {
		t.Errorf("kernel finding: sla %s linked %+v", k.SLASource, k.LinkedMatch)
	}
	if k.FirstSeen.After(now.AddDate(0, 0, -69)) {
		t.Errorf("kernel finding first seen %s, want 70 days ago", k.FirstSeen)
	}
	closed, _, err := st.Findings(ctx, findings.Query{Status: string(findings.StatusVerified)})
	if err != nil || len(closed) != 1 || closed[0].Finding.RuleID != "G304" {
		t.Errorf("fixed between scans: %d %v", len(closed), err)
	}
	trend, err := st.FindingTrend(ctx, now.AddDate(0, 0, -60), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(trend) < 60 {
		t.Fatalf("trend has %d days, want every day of the last 60", len(trend))
	}
	totals := map[int]bool{}
	for _, p := range trend {
		totals[p.Total] = true
	}
	if last := trend[len(trend)-1]; last.Day != now.Format("2006-01-02") || last.Total != 10 || len(totals) < 3 {
		t.Errorf("trend: last %+v, %d different totals", last, len(totals))
	}
}
