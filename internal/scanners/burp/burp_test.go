package burp

import (
	"testing"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/scanners/reportio"
	"github.com/rampart-security/rampart/internal/scanners/scannertest"
)

func TestParse(t *testing.T) {
	got := scannertest.ParseFileN(t, Parse, "testdata/issues.xml", 2)
	f := got[0]
	if f.Title != "Cross-site scripting (stored)" || f.Severity != findings.High || f.RuleID != "2097408" || f.UniqueID != "111" || f.CWEs[0] != 79 {
		t.Errorf("xss: %+v", f)
	}
	want := findings.Location{Host: "camera.example.com", Port: 8443, Protocol: "https", Path: "/settings/name", URL: "https://camera.example.com:8443/settings/name"}
	if f.Locations[0] != want || f.References[0] != "https://portswigger.net/web-security/cross-site-scripting" {
		t.Errorf("location %+v references %v", f.Locations, f.References)
	}
	if f.Mitigation != "Encode output." || f.Description[:44] != "The value of the name parameter is stored.\n\n" {
		t.Errorf("mitigation %q description %q", f.Mitigation, f.Description)
	}
	if got[1].Severity != findings.Info {
		t.Errorf("information: %s", got[1].Severity)
	}
	scannertest.Rejects(t, Parse, []scannertest.Reject{
		{File: "bad-severity.xml", Is: reportio.ErrNotReport},
		{File: "xxe.xml", Is: reportio.ErrUnsafeXML},
	})
}

// TestParseFalsePositive reads an issue the user set to Burp's "False
// positive" severity. Before, the whole export was refused ("severity
// \"False positive\" is not High, Medium, Low or Information").
func TestParseFalsePositive(t *testing.T) {
	got := scannertest.ParseFileN(t, Parse, "testdata/false-positive.xml", 2)
	fp := got[0]
	if fp.Triage == nil || fp.Triage.Status != findings.StatusFalsePositive || fp.Severity != findings.Info || fp.RuleID != "1049088" || fp.CWEs[0] != 89 {
		t.Errorf("false positive: %+v (triage %+v)", fp, fp.Triage)
	}
	if got[1].Triage != nil || got[1].Severity != findings.Info {
		t.Errorf("ordinary issue: %+v", got[1])
	}
}

func TestCorpus(t *testing.T) {
	scannertest.CorpusGolden(t, "burp", Parse)
}

func FuzzParse(f *testing.F) {
	scannertest.FuzzDir(f, "testdata", Parse)
}
