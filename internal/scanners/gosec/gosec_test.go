package gosec

import (
	"testing"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/scanners/scannertest"
)

func TestParse(t *testing.T) {
	got := scannertest.ParseFileN(t, Parse, "testdata/report.json", 1) // suppressed issue skipped
	f := got[0]
	if f.Title != "Potential hardcoded credentials" || f.Severity != findings.High || f.RuleID != "G101" || f.CWEs[0] != 798 || f.Locations[0] != (findings.Location{File: "/src/fw/ota.go", Line: 12}) {
		t.Errorf("G101: %+v", f)
	}
	scannertest.NotReport(t, Parse, "testdata/no-rule.json", "")
	scannertest.Detects(t, Detect, map[string]bool{`{"Golang errors": {}, "Issues": [`: true, `{"issues": []}`: false})
}

func TestCorpus(t *testing.T) {
	scannertest.CorpusGolden(t, "gosec", Parse)
}

func FuzzParse(f *testing.F) {
	scannertest.FuzzDir(f, "testdata", Parse)
}
