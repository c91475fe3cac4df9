package bandit

import (
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/scanners/reportio"
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

// TestFailedRunRefused: a Bandit report with no result and files it could
// not scan ("errors": filename and reason, written after Bandit's JSON
// formatter) is refused naming the file, the field and the first file;
// before, it was imported as a clean scan and closed every finding. With a
// result beside the errors the report is imported (the errors name the
// files it skipped).
func TestFailedRunRefused(t *testing.T) {
	scannertest.Rejects(t, Parse, []scannertest.Reject{{File: "errors-only.json", Is: reportio.ErrIncompleteScan, Prefix: "errors-only.json: at byte ",
		Contains: "errors: the scan did not complete: Bandit reported no result and could not scan 2 files, the first src/legacy/ftpsync.py: syntax error while parsing AST from file"}})
	withResult := strings.Replace(scannertest.ReadString(t, "testdata/errors-only.json"), `"results": []`,
		`"results": [{"filename": "tools/flash.py", "issue_severity": "HIGH", "issue_text": "subprocess call with shell=True", "line_number": 6, "test_id": "B602"}]`, 1)
	if got := scannertest.ParseString(t, Parse, "r.json", withResult); len(got) != 1 {
		t.Errorf("%d findings, want 1", len(got))
	}
}

func TestCorpus(t *testing.T) {
	scannertest.CorpusGolden(t, "bandit", Parse)
}

func FuzzParse(f *testing.F) {
	scannertest.FuzzDir(f, "testdata", Parse)
}
