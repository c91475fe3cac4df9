package findings

import (
	"testing"
	"time"
)

func TestEnrich(t *testing.T) {
	own := Float(7.5)
	f := Finding{Severity: High, VulnerabilityIDs: []string{"CVE-2021-23337"}, CVSS: CVSS{V3Score: own}, FixedVersions: []string{"4.17.21"}}
	db, epss := Float(9.8), Float(0.5)
	got := Enrich(f, Enrichment{KEV: true, EPSS: epss, CVSS: CVSS{V3Score: db}, FixedVersions: []string{"5.0.0"}})
	if !got.KEV || got.EPSS.Score != epss || got.CVSS.V3Score != own || got.FixedVersions[0] != "4.17.21" || got.Severity != High {
		t.Errorf("enriched %+v", got)
	}
	if f.KEV || f.EPSS.Score != nil {
		t.Error("Enrich changed its input")
	}
	bare := Enrich(Finding{Severity: Medium}, Enrichment{CVSS: CVSS{V3Score: db}, FixedVersions: []string{"5.0.0"}})
	if bare.CVSS.V3Score != db || bare.FixedVersions[0] != "5.0.0" {
		t.Errorf("database values do not fill in: %+v", bare)
	}
}

func TestKEVDeadline(t *testing.T) {
	p := DefaultSLA()
	seen := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cisa := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
	if d, _ := p.KEVDeadline(Low, seen, Enrichment{KEV: true, KEVDue: &cisa}); d.Source != "kev" || !d.Due.Equal(cisa) {
		t.Errorf("CISA due date earlier than the SLA: %+v", d)
	}
	if d, _ := p.KEVDeadline(Low, seen, Enrichment{KEV: true}); d.Source != "kev" || !d.Due.Equal(seen.AddDate(0, 0, 7)) {
		t.Errorf("KEV without a due date: %+v, want the critical window", d)
	}
	if d, _ := p.KEVDeadline(High, seen, Enrichment{}); d.Source != "sla:high" {
		t.Errorf("not KEV: %+v", d)
	}
}

func TestSameComponent(t *testing.T) {
	c := Component{Name: "lodash", Version: "4.17.15", PURL: "pkg:npm/lodash@4.17.15"}
	for _, tc := range []struct {
		name, version, purl string
		want                bool
	}{
		{"lodash", "4.17.15", "pkg:npm/lodash@4.17.15?repository_url=x", true},
		{"lodash", "4.17.15", "pkg:npm/lodash@4.17.20", false},
		{"Lodash", "4.17.15", "", true},
		{"lodash", "4.17.16", "", false},
	} {
		if got := SameComponent(c, tc.name, tc.version, tc.purl); got != tc.want {
			t.Errorf("%+v: %v", tc, got)
		}
	}
	if SameComponent(Component{}, "", "", "") {
		t.Error("no component is the same as nothing")
	}
	if !SameVulnerability([]string{"CVE-2021-23337"}, "GHSA-35jh-r3h4-6jhm", []string{"CVE-2021-23337"}) {
		t.Error("alias")
	}
}
