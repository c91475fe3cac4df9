package bandit

import (
	"testing"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/scanners/scannertest"
)

func TestParse(t *testing.T) {
	got := scannertest.ParseFileN(t, Parse, "testdata/report.json", 1)
	f := got[0]
	if f.Severity != findings.High || f.RuleID != "B602" || f.CWEs[0] != 78 || f.Locations[0] != (findings.Location{File: "tools/flash.py", Line: 6}) || len(f.References) != 2 {
		t.Errorf("B602: %+v", f)
	}
	// Same CWE, file and line as another SAST tool: same fingerprint.
	scannertest.CrossTool(t, f, findings.Finding{Tool: "semgrep", RuleID: "python.subprocess-shell-true", CWEs: []int{78}, Locations: []findings.Location{{File: "./tools/flash.py", Line: 6}}})
	scannertest.NotReport(t, Parse, "testdata/no-test-id.json", "")
}

func TestCorpus(t *testing.T) {
	scannertest.CorpusGolden(t, "bandit", Parse)
}

func FuzzParse(f *testing.F) {
	scannertest.FuzzDir(f, "testdata", Parse)
}
