package bandit

import (
	"testing"

	"github.com/rampart-security/rampart/internal/corpustest"
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
	other := findings.Finding{Tool: "semgrep", RuleID: "python.subprocess-shell-true", CWEs: []int{78}, Locations: []findings.Location{{File: "./tools/flash.py", Line: 6}}}
	if findings.Fingerprint(other) != f.Fingerprint {
		t.Error("cross-tool fingerprint differs")
	}
	scannertest.NotReport(t, Parse, "testdata/no-test-id.json", "")
}

func TestCorpus(t *testing.T) {
	dir := corpustest.Dir(t, "scans", "bandit")
	type corpusCase struct {
		count, medium, low int
		title, rule, file  string
		line               int
	}
	cases := map[string]corpusCase{
		"dd.json":         {47, 36, 11, "Use of insecure MD2, MD4, MD5, or SHA1 hash function.", "B303", "dojo/tools/acunetix/parser.py", 39},
		"dd2.json":        {165, 142, 23, "Try, Except, Pass detected.", "B110", "dojo/benchmark/views.py", 27},
		"many_vulns.json": {214, 155, 59, "Try, Except, Pass detected.", "B110", `dojo/benchmark\views.py`, 26},
		"no_vuln.json":    {},
		"one_vuln.json":   {1, 0, 1, "Use of assert detected. The enclosed code will be removed when compiling to optimised byte code.", "B101", "one/one.py", 2},
	}
	scannertest.Corpus(t, dir, cases, func(t *testing.T, path string, w corpusCase) {
		got := scannertest.CheckFile(t, Parse, path, scannertest.Counts{Total: w.count, Medium: w.medium, Low: w.low})
		if w.count > 0 {
			f := got[0]
			if f.Title != w.title || f.RuleID != w.rule || f.Locations[0].File != w.file || f.Locations[0].Line != w.line {
				t.Errorf("first: %q %q %+v", f.Title, f.RuleID, f.Locations[0])
			}
		}
	})
}

func FuzzParse(f *testing.F) {
	scannertest.FuzzDir(f, "testdata", Parse)
}
