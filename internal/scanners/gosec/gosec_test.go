package gosec

import (
	"path/filepath"
	"testing"

	"github.com/rampart-security/rampart/internal/corpustest"
	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/scanners/reportio"
	"github.com/rampart-security/rampart/internal/scanners/scannertest"
)

func TestParse(t *testing.T) {
	got := scannertest.ParseFileN(t, Parse, "testdata/report.json", 1) // suppressed issue skipped
	f := got[0]
	if f.Title != "Potential hardcoded credentials" || f.Severity != findings.High || f.RuleID != "G101" || f.CWEs[0] != 798 || f.Locations[0] != (findings.Location{File: "/src/fw/ota.go", Line: 12}) {
		t.Errorf("G101: %+v", f)
	}
	scannertest.NotReport(t, Parse, "testdata/no-rule.json", "")
	if Detect(reportio.NewHead([]byte(`{"Golang errors": {}, "Issues": [`))) != true || Detect(reportio.NewHead([]byte(`{"issues": []}`))) {
		t.Error("Detect")
	}
}

func TestCorpus(t *testing.T) {
	dir := corpustest.Dir(t, "scans", "gosec")
	got := scannertest.CheckFile(t, Parse, filepath.Join(dir, "many_vulns.json"), scannertest.Counts{Total: 28, Medium: 13, Low: 15})
	f := got[0]
	if f.Title != "Errors unhandled." || f.RuleID != "G104" || f.CWEs[0] != 252 || f.Locations[0] != (findings.Location{File: "/vagrant/go/src/govwa/app.go", Line: 79}) {
		t.Errorf("first: %+v", f)
	}
	if n := len(scannertest.Files(t, dir)); n != 1 {
		t.Errorf("corpus folder has %d files; add expectations for the new ones", n)
	}
}

func FuzzParse(f *testing.F) {
	scannertest.FuzzDir(f, "testdata", Parse)
}
