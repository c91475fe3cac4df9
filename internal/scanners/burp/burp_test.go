package burp

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/rampart-security/rampart/internal/corpustest"
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
	for file, want := range map[string]error{"bad-severity.xml": reportio.ErrNotReport, "xxe.xml": reportio.ErrUnsafeXML} {
		if _, err := scannertest.ParseFileErr(Parse, filepath.Join("testdata", file)); !errors.Is(err, want) {
			t.Errorf("%s: %v", file, err)
		}
	}
}

func TestCorpus(t *testing.T) {
	dir := corpustest.Dir(t, "scans", "burp")
	type corpusCase struct {
		count                   int
		high, medium, low, info int
		title, rule, url        string
		cwes                    int
	}
	cases := map[string]corpusCase{
		"issue4399.xml":                       {441, 24, 3, 343, 71, "Unencrypted communications", "16777728", "http://testphp.vulnweb.com/", 1},
		"one_finding.xml":                     {3, 3, 0, 0, 0, "SQL injection", "1049088", "http://bwa/bodgeit/basket.jsp", 0},
		"one_finding_with_blank_response.xml": {1, 1, 0, 0, 0, "SQL injection", "1049088", "http://bwa/bodgeit/basket.jsp", 0},
		"one_finding_with_cwe.xml":            {1, 0, 0, 0, 1, "Cacheable HTTPS response", "7340288", "https://example.com/test/v4/public/users/fake", 2},
		"seven_findings.xml":                  {16, 5, 0, 2, 9, "Frameable response (potential Clickjacking)", "5245344", "http://bwa/bodgeit/", 0},
	}
	scannertest.Corpus(t, dir, cases, func(t *testing.T, path string, w corpusCase) {
		got := scannertest.CheckFile(t, Parse, path, scannertest.Counts{Total: w.count, High: w.high, Medium: w.medium, Low: w.low, Info: w.info})
		f := got[0]
		if f.Title != w.title || f.RuleID != w.rule || f.Locations[0].URL != w.url || len(f.CWEs) != w.cwes {
			t.Errorf("first: %q %q %q %v", f.Title, f.RuleID, f.Locations[0].URL, f.CWEs)
		}
	})
}

func FuzzParse(f *testing.F) {
	scannertest.FuzzDir(f, "testdata", Parse)
}
