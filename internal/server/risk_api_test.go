package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// kevOverdue lists CVE-2099-12345 (GO-2099-0001's alias) in KEV with a due
// date that has passed.
var kevOverdue = kevCatalog("2026.11.01", "2026-11-22")

// trivyXNet reports CVE-2099-12345 in the x/net of the release's SBOM.
const trivyXNet = `{"SchemaVersion":2,"ArtifactName":"gateway","ArtifactType":"filesystem","Results":[{"Target":"go.mod","Class":"lang-pkgs","Type":"gomod",
 "Vulnerabilities":[{"VulnerabilityID":"CVE-2099-12345","PkgName":"golang.org/x/net","PkgIdentifier":{"PURL":"pkg:golang/golang.org/x/net@v0.17.0"},
 "InstalledVersion":"v0.17.0","Severity":"HIGH","Title":"x/net: excessive memory use"}]}]}`

type riskFinding struct {
	ID        int64
	SLADue    *time.Time `json:"sla_due"`
	SLASource string     `json:"sla_source"`
	SLAState  string     `json:"sla_state"`
	Risk      struct{ Score float64 }
	Finding   struct {
		KEV           bool
		FixedVersions []string `json:"fixed_versions"`
	}
	Enrichment *struct {
		KEV        bool
		Advisories []string
	}
	LinkedMatch *struct {
		ComponentRef    string `json:"component_ref"`
		VulnerabilityID string `json:"vulnerability_id"`
	} `json:"linked_match"`
}

// TestOneViewOfRiskAPI: a scanner finding imported before the feed
// becomes KEV (risk up, CISA's deadline, overdue) when an offline bundle
// brings the KEV entry; it is linked to the SBOM match of the same CVE
// alias and component, both ways; the release counts both; the
// vulnerability lists both; the release's matches filter on the server.
// On both engines.
func TestOneViewOfRiskAPI(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		p := e.postProduct(t, "admin", map[string]any{"name": "Gateway", "exposure": "internet-facing"})
		rel := e.postRelease(t, "admin", p.ID, map[string]any{"version": "1.0", "status": "shipped"})
		e.postSBOM(t, "admin", rel.ID, xnetBOM("net", "v0.17.0"))
		if r := e.call(t, "editor", "POST", fmt.Sprintf("/api/v1/releases/%d/scans?filename=trivy.json", rel.ID), []byte(trivyXNet), nil); r.StatusCode != 200 {
			t.Fatalf("scan: %d", r.StatusCode)
		}
		var list struct{ Items []riskFinding }
		e.call(t, "viewer", "GET", fmt.Sprintf("/api/v1/findings?release=%d", rel.ID), nil, &list)
		if len(list.Items) != 1 {
			t.Fatalf("findings: %+v", list.Items)
		}
		before := list.Items[0]
		if before.Finding.KEV || before.LinkedMatch != nil || before.SLASource != "sla:high" {
			t.Fatalf("before the feed: %+v", before)
		}

		bundle := bundleZip(t, map[string]string{"osv/go/GO-2099-0001.json": osvFixture, "kev/known_exploited_vulnerabilities.json": kevOverdue})
		if r := e.call(t, "admin", "POST", "/api/v1/vulndb/bundle?filename=feeds.zip", bundle, nil); r.StatusCode != http.StatusCreated {
			t.Fatalf("bundle: %d", r.StatusCode)
		}
		var f riskFinding
		e.call(t, "viewer", "GET", fmt.Sprintf("/api/v1/findings/%d", before.ID), nil, &f)
		if !f.Finding.KEV || f.Enrichment == nil || !f.Enrichment.KEV || f.Risk.Score <= before.Risk.Score {
			t.Errorf("after the KEV entry: kev %v enrichment %+v risk %.1f (before %.1f)", f.Finding.KEV, f.Enrichment, f.Risk.Score, before.Risk.Score)
		}
		due := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
		if f.SLASource != "kev" || f.SLADue == nil || !f.SLADue.Equal(due) || f.SLAState != "overdue" {
			t.Errorf("deadline %v %s %s, want CISA's %s, overdue", f.SLADue, f.SLASource, f.SLAState, due)
		}
		if f.LinkedMatch == nil || f.LinkedMatch.VulnerabilityID != "GO-2099-0001" || f.LinkedMatch.ComponentRef != "net" {
			t.Errorf("linked match %+v", f.LinkedMatch)
		}
		if strings.Join(f.Finding.FixedVersions, ",") != "0.23.0" {
			t.Errorf("fixed versions %v, want the match's 0.23.0", f.Finding.FixedVersions)
		}
		var kev struct{ Items []riskFinding }
		e.call(t, "viewer", "GET", fmt.Sprintf("/api/v1/findings?release=%d&kev=true", rel.ID), nil, &kev)
		if len(kev.Items) != 1 {
			t.Errorf("KEV filter: %d findings", len(kev.Items))
		}

		var rr struct {
			ID     int64
			Counts struct {
				SBOMMatches     int `json:"sbom_matches"`
				ScannerFindings int `json:"scanner_findings"`
				Linked          int
			} `json:"vulnerability_counts"`
		}
		e.call(t, "viewer", "GET", fmt.Sprintf("/api/v1/releases/%d", rel.ID), nil, &rr)
		if rr.ID != rel.ID || rr.Counts.SBOMMatches != 1 || rr.Counts.ScannerFindings != 1 || rr.Counts.Linked != 1 {
			t.Errorf("release counts %+v", rr)
		}

		var matches struct {
			Items []struct {
				VulnID         string  `json:"vulnerability_id"`
				LinkedFindings []int64 `json:"linked_findings"`
			}
			Total, All int
		}
		e.call(t, "viewer", "GET", fmt.Sprintf("/api/v1/releases/%d/vulnerabilities", rel.ID), nil, &matches)
		if len(matches.Items) != 1 || fmt.Sprint(matches.Items[0].LinkedFindings) != fmt.Sprintf("[%d]", f.ID) || matches.All != 1 {
			t.Errorf("matches %+v", matches)
		}
		for q, want := range map[string]int{"kev=true": 1, "severity=critical": 0, "vex=none": 1, "vex=affected": 0, "fix=yes": 1, "fix=no": 0,
			"q=x/net": 1, "q=cve-2099-12345": 1, "q=nothing": 0, "sort=epss&page=1&limit=1": 1} {
			var got struct{ Total int }
			if r := e.call(t, "viewer", "GET", fmt.Sprintf("/api/v1/releases/%d/vulnerabilities?%s", rel.ID, q), nil, &got); r.StatusCode != 200 || got.Total != want {
				t.Errorf("%s: %d total %d, want %d", q, r.StatusCode, got.Total, want)
			}
		}
		for _, q := range []string{"severity=bad", "sort=nope", "vex=maybe", "fix=perhaps", "kev=sometimes"} {
			if r := e.call(t, "viewer", "GET", fmt.Sprintf("/api/v1/releases/%d/vulnerabilities?%s", rel.ID, q), nil, nil); r.StatusCode != http.StatusBadRequest {
				t.Errorf("%s: %d, want 400", q, r.StatusCode)
			}
		}

		var vd struct {
			Releases []struct {
				ReleaseID      int64   `json:"release_id"`
				LinkedFindings []int64 `json:"linked_findings"`
			}
			Findings []riskFinding
		}
		e.call(t, "viewer", "GET", "/api/v1/vulnerabilities/CVE-2099-12345", nil, &vd)
		if len(vd.Releases) != 1 || len(vd.Releases[0].LinkedFindings) != 1 || len(vd.Findings) != 1 || vd.Findings[0].ID != f.ID {
			t.Errorf("vulnerability detail: releases %+v findings %d", vd.Releases, len(vd.Findings))
		}
	})
}
