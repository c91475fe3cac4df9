package vuln

import (
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/inventory"
)

// The statement in effect for a match is the latest about it, whichever
// document it came from and in whichever order the documents were given
// (OpenVEX specification, "The VEX Statement": each statement overrides
// the previous ones); on equal or missing times the later given holds, and
// a decision recorded in Rampart holds over every document.
func TestVEXPrecedenceAcrossDocuments(t *testing.T) {
	m := NewMatcher(fixtureAdvisories(), MatcherOptions{})
	gin := []inventory.Component{{Ref: "gin@v1.9.0", Name: "gin", Version: "v1.9.0", PURL: "pkg:golang/github.com/gin-gonic/gin@v1.9.0"}}
	const purl = "pkg:golang/github.com/gin-gonic/gin@v1.9.0"
	day := func(d int) time.Time { return time.Date(2024, 3, d, 12, 0, 0, 0, time.UTC) }
	st := func(id string, status VEXStatus, source string, at time.Time) VEXStatement {
		return VEXStatement{VulnID: id, Product: purl, Status: status, Justification: "vulnerable_code_not_in_execute_path", Source: source, Timestamp: at}
	}
	oldNA := st("CVE-2023-29401", VEXNotAffected, "a.json", day(1))
	newAff := st("GHSA-2c4m-59x9-fr2g", VEXAffected, "b.json", day(5))
	for _, tt := range []struct {
		name  string
		stmts []VEXStatement
		want  string // source of the suppressing statement, "" when open
	}{
		{"older not_affected, then newer affected: open", []VEXStatement{oldNA, newAff}, ""},
		{"newer affected, then older not_affected: open (order does not decide)", []VEXStatement{newAff, oldNA}, ""},
		{"newer under_investigation revokes not_affected", []VEXStatement{oldNA, st("GO-2023-1737", VEXUnderInvestigation, "c.json", day(2))}, ""},
		{"newer not_affected after older affected: suppressed by the newer", []VEXStatement{st("CVE-2023-29401", VEXAffected, "a.json", day(1)), st("CVE-2023-29401", VEXNotAffected, "b.json", day(2))}, "b.json"},
		{"same, given the other way round", []VEXStatement{st("CVE-2023-29401", VEXNotAffected, "b.json", day(2)), st("CVE-2023-29401", VEXAffected, "a.json", day(1))}, "b.json"},
		{"newest of three suppresses: fixed", []VEXStatement{st("CVE-2023-29401", VEXNotAffected, "a.json", day(1)), st("CVE-2023-29401", VEXFixed, "c.json", day(9)), st("CVE-2023-29401", VEXAffected, "b.json", day(4))}, "c.json"},
		{"equal times: the later given holds (affected)", []VEXStatement{st("CVE-2023-29401", VEXNotAffected, "a.json", day(1)), st("CVE-2023-29401", VEXAffected, "b.json", day(1))}, ""},
		{"equal times: the later given holds (not_affected)", []VEXStatement{st("CVE-2023-29401", VEXAffected, "b.json", day(1)), st("CVE-2023-29401", VEXNotAffected, "a.json", day(1))}, "a.json"},
		{"no times: the later given holds", []VEXStatement{st("CVE-2023-29401", VEXNotAffected, "a.json", time.Time{}), st("CVE-2023-29401", VEXAffected, "b.json", time.Time{})}, ""},
		{"a dated statement holds over an undated one given later", []VEXStatement{st("CVE-2023-29401", VEXNotAffected, "a.json", day(1)), st("CVE-2023-29401", VEXAffected, "b.json", time.Time{})}, "a.json"},
		{"a recorded decision holds over a newer document", []VEXStatement{{VulnID: "GO-2023-1737", Product: "gin@v1.9.0", Status: VEXNotAffected, Justification: "component_not_present", Source: "rampart analysis", Timestamp: day(1), Recorded: true}, newAff}, "rampart analysis"},
		{"the later of two recorded decisions holds", []VEXStatement{
			{VulnID: "GO-2023-1737", Product: "gin@v1.9.0", Status: VEXAffected, Source: "rampart analysis (go)", Timestamp: day(7), Recorded: true},
			{VulnID: "CVE-2023-29401", Product: "gin@v1.9.0", Status: VEXNotAffected, Justification: "component_not_present", Source: "rampart analysis (cve)", Timestamp: day(3), Recorded: true},
			st("CVE-2023-29401", VEXNotAffected, "a.json", day(9))}, ""},
		{"a statement about another version does not count", []VEXStatement{oldNA, {VulnID: "CVE-2023-29401", Product: "pkg:golang/github.com/gin-gonic/gin@v1.9.1", Status: VEXAffected, Timestamp: day(5)}}, "a.json"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := m.Match(gin, tt.stmts)
			if len(got) != 1 {
				t.Fatalf("%d matches, want 1", len(got))
			}
			switch sup := got[0].Suppressed; {
			case tt.want == "" && sup != nil:
				t.Errorf("suppressed by %s %s (%s), want open", sup.Source, sup.Status, sup.Timestamp)
			case tt.want != "" && sup == nil:
				t.Errorf("open, want suppressed by %s", tt.want)
			case tt.want != "" && sup.Source != tt.want:
				t.Errorf("suppressed by %s, want %s", sup.Source, tt.want)
			}
		})
	}
}

func TestVEXSupersedes(t *testing.T) {
	t1, t2 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name string
		s, t VEXStatement // t given before s
		want bool
	}{
		{"later time", VEXStatement{Timestamp: t2}, VEXStatement{Timestamp: t1}, true},
		{"earlier time", VEXStatement{Timestamp: t1}, VEXStatement{Timestamp: t2}, false},
		{"equal time: later given", VEXStatement{Timestamp: t1}, VEXStatement{Timestamp: t1}, true},
		{"both undated: later given", VEXStatement{}, VEXStatement{}, true},
		{"undated after dated", VEXStatement{}, VEXStatement{Timestamp: t1}, false},
		{"recorded, older", VEXStatement{Timestamp: t1, Recorded: true}, VEXStatement{Timestamp: t2}, true},
		{"document, newer, after recorded", VEXStatement{Timestamp: t2}, VEXStatement{Timestamp: t1, Recorded: true}, false},
	} {
		if got := tt.s.Supersedes(&tt.t); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}
