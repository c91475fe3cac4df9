package defectdojo

import (
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/scanners/scannertest"
)

func TestParsePages(t *testing.T) {
	got := scannertest.ParseFile(t, Parse, "testdata/findings-pages.json")
	scannertest.CheckInvariants(t, got)
	if len(got) != 6 {
		t.Fatalf("%d findings, want 6 (two pages)", len(got))
	}
	by := map[string]findings.Finding{}
	for _, f := range got {
		by[f.UniqueID] = f
	}
	sqli := by["defectdojo:101"]
	if sqli.Title != "SQL Injection in login" || sqli.Severity != findings.Critical || sqli.CWEs[0] != 89 || sqli.VulnerabilityIDs[0] != "CVE-2024-1111" ||
		sqli.CVSS.V3Vector != "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" || *sqli.CVSS.V3Score != 9.8 || sqli.RuleID != "python.sqli" {
		t.Errorf("sqli: %+v", sqli)
	}
	if len(sqli.Locations) != 3 || sqli.Locations[0].File != "app/login.py" || sqli.Locations[0].Line != 42 ||
		sqli.Locations[1].Host != "portal.example.test" || sqli.Locations[1].URL != "https://portal.example.test/login" || sqli.Locations[2].Host != "10.0.0.5" {
		t.Errorf("sqli locations: %+v", sqli.Locations)
	}
	if !strings.Contains(sqli.Description, "Impact:\nDatabase takeover.") || !strings.Contains(sqli.Description, "2025-03-02 alice: Reproduced on staging.") {
		t.Errorf("sqli description: %q", sqli.Description)
	}
	if sqli.Triage == nil || sqli.Triage.Status != findings.StatusConfirmed || sqli.FirstSeen == nil || sqli.FirstSeen.Format("2006-01-02") != "2025-03-01" {
		t.Errorf("sqli triage %+v first seen %v", sqli.Triage, sqli.FirstSeen)
	}
	jq := by["defectdojo:102"]
	if jq.Component.Name != "jquery" || jq.Component.Version != "1.12.4" || jq.Triage.Status != findings.StatusRiskAccepted ||
		jq.Triage.AcceptedUntil == nil || jq.Triage.AcceptedUntil.Format("2006-01-02") != "2026-06-30" || jq.Triage.AcceptedBy != "bob" ||
		!strings.Contains(jq.Triage.Reason, "Legacy admin UI") {
		t.Errorf("risk accepted: %+v %+v", jq, jq.Triage)
	}
	if h := by["defectdojo:103"]; h.Triage.Status != findings.StatusFixed || !strings.Contains(h.Triage.Reason, "2025-04-01") {
		t.Errorf("mitigated: %+v", h.Triage)
	}
	if p := by["defectdojo:104"]; p.Triage.Status != findings.StatusFalsePositive || !strings.Contains(p.Description, "user 5: Test data only.") {
		t.Errorf("false positive: %+v %q", p.Triage, p.Description)
	}
	if b := by["defectdojo:105"]; b.Triage != nil || b.Severity != findings.Info || b.Locations[0].URL != "https://portal.example.test:8443/status" || b.Locations[0].Port != 8443 {
		t.Errorf("open info: %+v", b)
	}
	if d := by["defectdojo:106"]; d.Triage.Status != findings.StatusDuplicate || !strings.Contains(d.Description, "endpoints 9") {
		t.Errorf("duplicate: %+v %q", d.Triage, d.Description)
	}
}

func TestDetect(t *testing.T) {
	scannertest.Detects(t, Detect, map[string]bool{
		scannertest.ReadString(t, "testdata/findings-pages.json"):  true,
		`{"findings":[{"title":"x","severity":"High"}]}`:           false, // the generic import format
		`[{"id":1,"title":"x","severity":"High","false_p":false}]`: true,  // an array of findings
	})
}

func TestTruncatedAndEmpty(t *testing.T) {
	b := scannertest.ReadString(t, "testdata/findings-pages.json")
	for _, cut := range []int{len(b) / 3, len(b) / 2, len(b) - 3} {
		_, err := scannertest.ParseStringErr(Parse, "export.json", b[:cut])
		if err == nil || !strings.Contains(err.Error(), "export.json") {
			t.Errorf("cut at %d: %v", cut, err)
		}
	}
	if _, err := scannertest.ParseStringErr(Parse, "e.json", ""); err != nil {
		t.Errorf("empty: %v", err)
	}
	if _, err := scannertest.ParseStringErr(Parse, "e.json", `{"something":1}`); err == nil {
		t.Error("not an export accepted")
	}
}

func FuzzParse(f *testing.F) {
	scannertest.FuzzDir(f, "testdata", Parse)
}
