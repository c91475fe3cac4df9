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

// TestParseShowIgnored: `gosec -fmt=json -show-ignored` writes the issues
// a #nosec comment silences with "nosec": true (gosec's analyzer sets it
// only under -show-ignored and does not count them in Stats.found); they
// are suppressed, not open. gosec ≥ 2.16 writes an AI "autofix".
func TestParseShowIgnored(t *testing.T) {
	got := scannertest.ParseFileN(t, Parse, "testdata/show-ignored.json", 1)
	if f := got[0]; f.RuleID != "G204" || f.CWEs[0] != 78 || f.Locations[0].Line != 21 || f.Mitigation != "Validate name against an allow-list before exec.Command." {
		t.Errorf("G204: %+v", f)
	}
}

// TestParseLoadFailed: gosec checks a package even when it has type errors
// (they are listed in "Golang errors" and the files still count in
// Stats.files), but a run that analysed no file and lists errors did not
// scan: it is refused rather than imported as a clean report.
func TestParseLoadFailed(t *testing.T) {
	scannertest.Rejects(t, Parse, []scannertest.Reject{{File: "load-failed.json", Prefix: "load-failed.json: at byte", Contains: "Golang errors: gosec analysed no file and reported 2 with errors (the scan did not run; importing it would close every open finding), first /src/app/cmd/main.go: could not import"}})
	scannertest.ParseFileN(t, Parse, "testdata/type-errors.json", 0)
}

func TestCorpus(t *testing.T) {
	scannertest.CorpusGolden(t, "gosec", Parse)
}

func FuzzParse(f *testing.F) {
	scannertest.FuzzDir(f, "testdata", Parse)
}
