package portfolio_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/blob"
	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
	"github.com/rampart-security/rampart/internal/vuln"
)

// nessusCVE is a Nessus report with one high finding for CVE-2021-23337
// that does not say the CVE is known exploited and gives no EPSS.
const nessusCVE = `<?xml version="1.0" ?>
<NessusClientData_v2><Report name="lab"><ReportHost name="gw-01.lab"><HostProperties><tag name="host-ip">10.0.0.7</tag></HostProperties>
<ReportItem port="443" svc_name="www" protocol="tcp" severity="3" pluginID="500001" pluginName="Node.js lodash &lt; 4.17.21 Command Injection" pluginFamily="Misc.">
<description>lodash template command injection.</description>
<cve>CVE-2021-23337</cve>
<risk_factor>High</risk_factor>
</ReportItem></ReportHost></Report></NessusClientData_v2>`

// trivyLodash is a Trivy report of lodash 4.17.15 vulnerable to the same CVE.
const trivyLodash = `{"SchemaVersion":2,"ArtifactName":"gateway","ArtifactType":"filesystem","Results":[{"Target":"package-lock.json","Class":"lang-pkgs","Type":"npm",
 "Vulnerabilities":[{"VulnerabilityID":"CVE-2021-23337","PkgName":"lodash","PkgIdentifier":{"PURL":"pkg:npm/lodash@4.17.15"},"InstalledVersion":"4.17.15",
 "Severity":"HIGH","Title":"lodash: command injection via template"}]}]}`

func writeKEV(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "known_exploited_vulnerabilities.json")
	if err := os.WriteFile(p, []byte(kevLodash), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func writeEPSS(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "epss_scores-2026-09-11.csv")
	body := "#model_version:v2025.03.14,score_date:2026-09-11T00:00:00+0000\ncve,epss,percentile\nCVE-2021-23337,0.81234,0.99100\n"
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func importNessus(t *testing.T, st *store.Store, rel int64) {
	t.Helper()
	if _, err := portfolio.ImportScan(context.Background(), st, portfolio.ScanRequest{ReleaseID: rel, FileName: "lab.nessus", Actor: "ci", Report: strings.NewReader(nessusCVE)}); err != nil {
		t.Fatal(err)
	}
}

func onlyFinding(t *testing.T, st *store.Store, rel int64) findings.Stored {
	t.Helper()
	fs, _, err := st.Findings(context.Background(), findings.Query{ReleaseID: rel})
	if err != nil || len(fs) != 1 {
		t.Fatalf("findings of release %d: %d %v", rel, len(fs), err)
	}
	return fs[0]
}

var kevDue = time.Date(2026, 10, 2, 0, 0, 0, 0, time.UTC)

func checkKEV(t *testing.T, f findings.Stored, before findings.Stored) {
	t.Helper()
	if !f.Finding.KEV || f.Enrichment == nil || !f.Enrichment.KEV {
		t.Fatalf("finding is not KEV after the KEV entry: %+v enrichment %+v", f.Finding, f.Enrichment)
	}
	if f.Risk.Score <= before.Risk.Score {
		t.Errorf("risk %.1f did not rise above %.1f", f.Risk.Score, before.Risk.Score)
	}
	if f.Risk.Breakdown[1].Input != "in CISA KEV (known exploited)" {
		t.Errorf("likelihood %+v", f.Risk.Breakdown[1])
	}
	if f.SLASource != "kev" || f.SLADue == nil || !f.SLADue.Equal(kevDue) {
		t.Errorf("SLA due %v (%s), want CISA's %s (kev)", f.SLADue, f.SLASource, kevDue)
	}
	if before.SLADue != nil && f.SLADue != nil && f.SLADue.Equal(*before.SLADue) {
		t.Errorf("SLA due did not change")
	}
}

// TestFindingEnrichedByLaterKEV: a Nessus finding for a CVE is imported,
// then a KEV entry for the CVE: the finding becomes KEV at the re-match,
// its risk rises and its deadline becomes CISA's due date. An EPSS score
// imported later reaches it too.
func TestFindingEnrichedByLaterKEV(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		rel := ensureRelease(t, st, "Gateway", "2.1.0")
		importNessus(t, st, rel.ID)
		before := onlyFinding(t, st, rel.ID)
		if before.Finding.KEV || before.Enrichment != nil || before.SLASource != "sla:high" {
			t.Fatalf("before the feed: kev %v enrichment %+v sla %s", before.Finding.KEV, before.Enrichment, before.SLASource)
		}
		importFeeds(t, st, writeKEV(t))
		after := onlyFinding(t, st, rel.ID)
		checkKEV(t, after, before)
		// The KEV filter of the findings list sees it.
		kev, _, err := st.Findings(ctx, findings.Query{ReleaseID: rel.ID, KEV: true})
		if err != nil || len(kev) != 1 {
			t.Errorf("KEV filter: %d %v", len(kev), err)
		}

		importFeeds(t, st, writeEPSS(t))
		f := onlyFinding(t, st, rel.ID)
		if f.Finding.EPSS.Score == nil || *f.Finding.EPSS.Score != 0.81234 {
			t.Errorf("EPSS %v, want 0.81234 from the feed", f.Finding.EPSS.Score)
		}
		// A re-import of the same report keeps the enrichment.
		importNessus(t, st, rel.ID)
		if again := onlyFinding(t, st, rel.ID); !again.Finding.KEV || again.Risk.Score != f.Risk.Score || again.SLASource != "kev" {
			t.Errorf("after a re-import: kev %v risk %.1f (want %.1f) sla %s", again.Finding.KEV, again.Risk.Score, f.Risk.Score, again.SLASource)
		}
	})
}

// TestFindingEnrichedAtImport: with the KEV entry already in the database,
// a Nessus finding for the CVE is KEV from its import.
func TestFindingEnrichedAtImport(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		// The same report in a release imported before the feed gives the
		// baseline risk and deadline.
		base := ensureRelease(t, st, "Gateway", "1.0.0")
		importNessus(t, st, base.ID)
		before := onlyFinding(t, st, base.ID)
		if _, err := portfolio.ImportFeeds(ctx, st, "test", writeKEV(t)); err != nil {
			t.Fatal(err)
		}
		rel := ensureRelease(t, st, "Gateway", "2.1.0")
		importNessus(t, st, rel.ID)
		checkKEV(t, onlyFinding(t, st, rel.ID), before)
	})
}

// TestFindingLinkedToMatch: a Trivy finding and an SBOM match of the same
// CVE (an alias of the OSV record's GHSA id) in the same lodash version
// are linked both ways, and the release counts both.
func TestFindingLinkedToMatch(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		rel := shippedRelease(t, st, "Gateway", "2.1.0", inventory.StatusShipped, nil)
		importFeeds(t, st, writeFeeds(t, false)...)
		if _, err := portfolio.ImportScan(ctx, st, portfolio.ScanRequest{ReleaseID: rel.ID, FileName: "trivy.json", Actor: "ci", Report: strings.NewReader(trivyLodash)}); err != nil {
			t.Fatal(err)
		}
		importNessus(t, st, rel.ID) // no component: not linked
		fs, _, err := st.Findings(ctx, findings.Query{ReleaseID: rel.ID})
		if err != nil || len(fs) != 2 {
			t.Fatalf("findings %d %v", len(fs), err)
		}
		var linked findings.Stored
		for _, f := range fs {
			if f.Scope == "trivy" {
				linked = f
			} else if f.LinkedMatch != nil {
				t.Errorf("network finding linked to %+v", f.LinkedMatch)
			}
		}
		if linked.LinkedMatch == nil || linked.LinkedMatch.VulnerabilityID != "GHSA-35jh-r3h4-6jhm" || linked.LinkedMatch.ComponentRef != "pkg:npm/lodash@4.17.15" {
			t.Fatalf("trivy finding linked to %+v", linked.LinkedMatch)
		}
		if fmt.Sprint(linked.Finding.FixedVersions) != "[4.17.21]" || linked.Enrichment == nil {
			t.Errorf("fixed versions %v (enrichment %+v), want the advisory's 4.17.21", linked.Finding.FixedVersions, linked.Enrichment)
		}
		ms, err := st.ReleaseVulns(ctx, rel.ID)
		if err != nil || len(ms) != 1 {
			t.Fatalf("matches %d %v", len(ms), err)
		}
		if fmt.Sprint(ms[0].LinkedFindings) != fmt.Sprint([]int64{linked.ID}) {
			t.Errorf("match links %v, want [%d]", ms[0].LinkedFindings, linked.ID)
		}
		c, err := st.ReleaseRiskCounts(ctx, rel.ID)
		if err != nil || c != (vuln.RiskCounts{SBOMMatches: 1, ScannerFindings: 2, Linked: 1}) {
			t.Errorf("counts %+v %v", c, err)
		}
		// A new SBOM without lodash: the match goes, and with it the link.
		if err := st.ImportComponents(ctx, rel.ID, []inventory.Component{{Ref: "busybox", Name: "busybox", Version: "1.36.1"}}, blob.New("b.json", "application/json", []byte("2"))); err != nil {
			t.Fatal(err)
		}
		if _, err := portfolio.NewVulns(st, nil).Rematch(ctx, rel.ID); err != nil {
			t.Fatal(err)
		}
		if f, err := st.Finding(ctx, linked.ID); err != nil || f.LinkedMatch != nil {
			t.Errorf("link after the match went: %+v %v", f.LinkedMatch, err)
		}
	})
}

// TestBundleEnrichesReleaseWithoutSBOM: a release with scanner findings
// and no SBOM is re-enriched by the incremental re-match of an offline
// bundle holding only a KEV entry (no advisory, no component key).
func TestBundleEnrichesReleaseWithoutSBOM(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		rel := ensureRelease(t, st, "Gateway", "2.1.0")
		other := ensureRelease(t, st, "Camera", "1.0")
		importNessus(t, st, rel.ID)
		before := onlyFinding(t, st, rel.ID)
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		w, _ := zw.Create("kev/known_exploited_vulnerabilities.json")
		w.Write([]byte(kevLodash))
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		// A full re-match owed from before would hide the incremental path.
		if _, err := portfolio.NewVulns(st, nil).RematchAll(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := portfolio.NewVulnSync(st, portfolio.SyncConfig{Offline: true}).ImportBundle(ctx, bytes.NewReader(buf.Bytes()), int64(buf.Len()), "kev.zip"); err != nil {
			t.Fatal(err)
		}
		checkKEV(t, onlyFinding(t, st, rel.ID), before)
		if fs, _, _ := st.Findings(ctx, findings.Query{ReleaseID: other.ID}); len(fs) != 0 {
			t.Errorf("release without findings: %d", len(fs))
		}
	})
}
