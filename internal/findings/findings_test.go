package findings

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
)

func TestSeverityFromCVSS(t *testing.T) {
	for _, tc := range []struct {
		score *float64
		want  Severity
	}{
		{nil, Info}, {Float(0), Info}, {Float(0.1), Low}, {Float(3.9), Low}, {Float(4), Medium},
		{Float(6.9), Medium}, {Float(7), High}, {Float(8.9), High}, {Float(9), Critical}, {Float(10), Critical},
	} {
		if got := SeverityFromCVSS(tc.score); got != tc.want {
			t.Errorf("SeverityFromCVSS(%v) = %s, want %s", tc.score, got, tc.want)
		}
	}
}

func TestParseSeverity(t *testing.T) {
	for word, want := range map[string]Severity{
		"CRITICAL": Critical, "High": High, "moderate": Medium, "Warning": Medium, "negligible": Low,
		"Informational": Info, "note": Info, "Unknown": Info, "error": High,
	} {
		got, ok := ParseSeverity(word)
		if !ok || got != want {
			t.Errorf("ParseSeverity(%q) = %s, %v; want %s", word, got, ok, want)
		}
	}
	if _, ok := ParseSeverity("urgent-ish"); ok {
		t.Error("ParseSeverity accepted an unknown word")
	}
}

func TestSeverityWith(t *testing.T) {
	words := map[string]Severity{"ERROR": High, "INFO": Low, "4": High}
	for word, want := range map[string]Severity{
		" error ": High, "Info": Low, "4": High, // the tool's own words, trimmed, any case
		"critical": Critical, "moderate": Medium, "urgent-ish": Info, // the shared words, else info
	} {
		if got := SeverityWith(words, word); got != want {
			t.Errorf("SeverityWith(%q) = %s, want %s", word, got, want)
		}
	}
	// SeverityIn knows the table's words alone.
	if s, ok := SeverityIn(words, " 4 "); s != High || !ok {
		t.Errorf("SeverityIn(4) = %s, %v", s, ok)
	}
	if s, ok := SeverityIn(words, "critical"); s != "" || ok {
		t.Errorf("SeverityIn(critical) = %s, %v, want not in the table", s, ok)
	}
}

func TestScoreFromVectors(t *testing.T) {
	if s := ScoreV3("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"); s == nil || *s != 9.8 {
		t.Errorf("ScoreV3 3.1 = %v, want 9.8", s)
	}
	if s := ScoreV3("CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:H/A:N"); s == nil || *s != 6.5 {
		t.Errorf("ScoreV3 3.0 = %v, want 6.5", s)
	}
	if s := ScoreV3("AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"); s == nil || *s != 7.5 {
		t.Errorf("ScoreV3 without prefix = %v, want 7.5", s)
	}
	if s := ScoreV3("garbage"); s != nil {
		t.Errorf("ScoreV3(garbage) = %v, want nil", *s)
	}
	if s := ScoreV4("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"); s == nil || *s != 9.3 {
		t.Errorf("ScoreV4 = %v, want 9.3", s)
	}
}

func TestNormalize(t *testing.T) {
	f := Finding{
		Title:            "  x ",
		VulnerabilityIDs: []string{"cve-2021-44228", "GHSA-JFH8-C2JP-5V3Q", "CVE-2021-44228", ""},
		CWEs:             []int{502, 20, 502, 0},
		References:       []string{"b", "a", "b"},
		Locations:        []Location{{}, {File: "a.go", Line: 1}, {File: "a.go", Line: 1}},
		CVSS:             CVSS{V3Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"},
	}
	f.Normalize()
	if got := strings.Join(f.VulnerabilityIDs, ","); got != "CVE-2021-44228,GHSA-jfh8-c2jp-5v3q" {
		t.Errorf("ids = %s", got)
	}
	if len(f.CWEs) != 2 || f.CWEs[0] != 20 || f.CWEs[1] != 502 {
		t.Errorf("cwes = %v", f.CWEs)
	}
	if strings.Join(f.References, ",") != "b,a" {
		t.Errorf("references = %v", f.References)
	}
	if len(f.Locations) != 1 {
		t.Errorf("locations = %v", f.Locations)
	}
	if f.Severity != Critical || f.CVSS.V3Score == nil || *f.CVSS.V3Score != 9.8 {
		t.Errorf("severity %s score %v: want critical from the vector", f.Severity, f.CVSS.V3Score)
	}
	if f.Title != "x" || len(f.Fingerprint) != 64 {
		t.Errorf("title %q fingerprint %q", f.Title, f.Fingerprint)
	}
	// The JSON contract: arrays, never null; absent scores are null.
	var g Finding
	g.Title = "t"
	g.Normalize()
	b, err := json.Marshal(g)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"vulnerability_ids":[]`, `"cwes":[]`, `"locations":[]`, `"fixed_versions":[]`, `"references":[]`, `"v3_score":null`, `"severity":"info"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON %s lacks %s", b, want)
		}
	}
}

func TestFingerprintCrossTool(t *testing.T) {
	// Same CVE in the same package version, reported by Trivy and Grype with
	// different titles, rule ids, severities and unique ids.
	trivy := Finding{Tool: "trivy", Title: "log4j: RCE", RuleID: "CVE-2021-44228", Severity: Critical,
		VulnerabilityIDs: []string{"CVE-2021-44228"}, Component: Component{Name: "org.apache.logging.log4j:log4j-core", Version: "2.14.1"}, UniqueID: "1"}
	grype := Finding{Tool: "grype", Title: "CVE-2021-44228 in log4j-core", Severity: High,
		VulnerabilityIDs: []string{"GHSA-jfh8-c2jp-5v3q", "CVE-2021-44228"}, Component: Component{Name: "org.apache.logging.log4j:Log4j-Core", Version: "2.14.1"}, UniqueID: "zz"}
	if Fingerprint(trivy) != Fingerprint(grype) {
		t.Errorf("same CVE+component+version differ:\n%s\n%s", FingerprintKey(trivy), FingerprintKey(grype))
	}
	other := trivy
	other.Component.Version = "2.17.0"
	if Fingerprint(trivy) == Fingerprint(other) {
		t.Error("different versions share a fingerprint")
	}
	// CWE + file + line across SAST tools, paths written differently.
	semgrep := Finding{Tool: "semgrep", RuleID: "python.sql-injection", CWEs: []int{89}, Locations: []Location{{File: "./app/db.py", Line: 42}}}
	bandit := Finding{Tool: "bandit", RuleID: "B608", CWEs: []int{89}, Locations: []Location{{File: "app/db.py", Line: 42}}}
	if Fingerprint(semgrep) != Fingerprint(bandit) {
		t.Errorf("CWE+file+line differ:\n%s\n%s", FingerprintKey(semgrep), FingerprintKey(bandit))
	}
	moved := bandit
	moved.Locations = []Location{{File: "app/db.py", Line: 43}}
	if Fingerprint(moved) == Fingerprint(bandit) {
		t.Error("different lines share a fingerprint")
	}
	// Rule + host + port + path: a web finding whose URL set grows keeps its
	// fingerprint; a single-URL finding includes the path.
	zap1 := Finding{Tool: "zap", RuleID: "10020", Locations: []Location{{URL: "https://example.com/a"}, {URL: "https://example.com/b"}}}
	zap2 := Finding{Tool: "zap", RuleID: "10020", Locations: []Location{{URL: "https://example.com/a"}, {URL: "https://example.com/b"}, {URL: "https://example.com/c"}}}
	if Fingerprint(zap1) != Fingerprint(zap2) {
		t.Errorf("ZAP alert with more instances changed fingerprint: %s vs %s", FingerprintKey(zap1), FingerprintKey(zap2))
	}
	if k := FingerprintKey(zap1); k != "net|zap|10020|example.com|443|" {
		t.Errorf("key = %s", k)
	}
	one := Finding{Tool: "zap", RuleID: "10020", Locations: []Location{{URL: "http://example.com:8080/x?y=1"}}}
	if k := FingerprintKey(one); k != "net|zap|10020|example.com|8080|/x" {
		t.Errorf("key = %s", k)
	}
	// CVE on a host: Nessus and OpenVAS agree.
	nessus := Finding{Tool: "nessus", RuleID: "12345", VulnerabilityIDs: []string{"CVE-2014-0160"}, Locations: []Location{{Host: "10.0.0.1", Port: 443, Protocol: "tcp"}}}
	openvas := Finding{Tool: "openvas", RuleID: "1.3.6.1.4.1.25623.1.0.103936", VulnerabilityIDs: []string{"CVE-2014-0160"}, Locations: []Location{{Host: "10.0.0.1", Port: 443}}}
	if Fingerprint(nessus) != Fingerprint(openvas) {
		t.Errorf("host CVE differ: %s vs %s", FingerprintKey(nessus), FingerprintKey(openvas))
	}
	// Scan-volatile fields do not matter.
	a := Finding{Title: "T", RuleID: "r", Description: "one", UniqueID: "1"}
	b := Finding{Title: "T", RuleID: "r", Description: "two", UniqueID: "2", CVSS: CVSS{V3Score: Float(5)}}
	if Fingerprint(a) != Fingerprint(b) {
		t.Error("volatile fields changed the fingerprint")
	}
}

func TestRiskScore(t *testing.T) {
	// Log4Shell on an internet-facing critical product: everything maxed.
	r := RiskScore(RiskInput{CVSS: CVSS{V3Score: Float(10), V4Score: Float(9.3)}, KEV: true, Criticality: 5, Exposure: InternetFacing})
	if r.Score != 37.2+30+15+15 || r.Priority != "P1" {
		t.Errorf("score %v %s, want 97.2 P1; breakdown %+v", r.Score, r.Priority, r.Breakdown)
	}
	if r.Breakdown[0].Input != "CVSS v4 9.3" {
		t.Errorf("v4 not preferred: %+v", r.Breakdown[0])
	}
	// Same CVSS, no exploitation, physical-only low-criticality device.
	r = RiskScore(RiskInput{CVSS: CVSS{V3Score: Float(9.8)}, EPSS: Float(0.01), Criticality: 1, Exposure: Physical})
	if r.Score != 39.2+0.3+0+3 || r.Priority != "P3" {
		t.Errorf("score %v %s, want 42.5 P3; %+v", r.Score, r.Priority, r.Breakdown)
	}
	// No CVSS at all: the severity word stands in; unknowns count as middle.
	r = RiskScore(RiskInput{Severity: Medium})
	if r.Score != 22+0+7.5+8 || r.Priority != "P3" {
		t.Errorf("score %v %s, want 37.5 P3; %+v", r.Score, r.Priority, r.Breakdown)
	}
	if len(r.Breakdown) != 4 {
		t.Fatalf("breakdown has %d factors", len(r.Breakdown))
	}
	sum := 0.0
	for _, f := range r.Breakdown {
		sum += f.Max
	}
	if sum != 100 {
		t.Errorf("factor maxima sum to %v, want 100", sum)
	}
}

func TestSLA(t *testing.T) {
	p := DefaultSLA()
	seen := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for sev, days := range map[Severity]int{Critical: 7, High: 30, Medium: 90, Low: 120} {
		d, ok := p.Due(sev, seen, nil)
		if !ok || !d.Due.Equal(seen.AddDate(0, 0, days)) || d.Source != "sla:"+string(sev) {
			t.Errorf("%s: %+v %v, want %d days", sev, d, ok, days)
		}
	}
	if _, ok := p.Due(Info, seen, nil); ok {
		t.Error("info has a deadline by default")
	}
	kev := time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)
	if d, _ := p.Due(High, seen, &kev); !d.Due.Equal(kev) || d.Source != "kev" {
		t.Errorf("KEV due date not honoured: %+v", d)
	}
	if d, _ := p.Due(Critical, seen, &kev); d.Source != "sla:critical" {
		t.Errorf("later KEV date overrode an earlier SLA: %+v", d)
	}
	if d, ok := p.Due(Info, seen, &kev); !ok || d.Source != "kev" {
		t.Errorf("KEV deadline missing for info: %+v", d)
	}
	d, _ := p.Due(High, seen, nil)
	for now, want := range map[time.Time]SLAState{
		seen.AddDate(0, 0, 1):  SLAOnTrack,
		seen.AddDate(0, 0, 25): SLADueSoon,
		seen.AddDate(0, 0, 31): SLAOverdue,
	} {
		if got := d.State(seen, now); got != want {
			t.Errorf("state at %s = %s, want %s", now, got, want)
		}
	}
	if err := (SLAPolicy{High: -1}).Validate(); err == nil {
		t.Error("negative SLA accepted")
	}
}

// Scores out of range are no scores: "NaN" and "Inf" parse as floats and
// NaN passes every "v < 0 || v > max" check, so a report could store NaN
// (which sorts nowhere) or a CVSS of 42.
func TestNormalizeDropsScoresOutOfRange(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	for _, tc := range []struct {
		cvss, epss float64
		keep       bool
	}{
		{7.5, 0.25, true}, {0, 0, true}, {10, 1, true},
		{nan, nan, false}, {inf, inf, false}, {-1, -0.1, false}, {10.1, 1.5, false},
	} {
		f := Finding{Title: "t", CVSS: CVSS{V3Score: Float(tc.cvss), V4Score: Float(tc.cvss)}, EPSS: EPSS{Score: Float(tc.epss), Percentile: Float(tc.epss)}}
		f.Normalize()
		got := []*float64{f.CVSS.V3Score, f.CVSS.V4Score, f.EPSS.Score, f.EPSS.Percentile}
		for i, v := range got {
			if (v != nil) != tc.keep {
				t.Errorf("cvss %v epss %v: score %d = %v, keep %v", tc.cvss, tc.epss, i, v, tc.keep)
			}
		}
		if !tc.keep && f.Severity != Info {
			t.Errorf("cvss %v: severity %s from a score that is no score", tc.cvss, f.Severity)
		}
	}
	for _, s := range []string{"NaN", "nan", "Inf", "-Inf", "+Inf", "11", "-0.5"} {
		if v := ParseScore(s); v != nil {
			t.Errorf("ParseScore(%q) = %v, want nil", s, *v)
		}
	}
}
