package zap

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/corpustest"
	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/scanners/reportio"
	"github.com/rampart-security/rampart/internal/scanners/scannertest"
)

func TestParseXML(t *testing.T) {
	got := scannertest.ParseFileN(t, ParseXML, "testdata/two-sites.xml", 2) // the confidence-0 alert is a false positive
	f := got[0]
	if f.Title != "Missing Anti-clickjacking Header" || f.Severity != findings.Medium || f.RuleID != "10020-1" || f.CWEs[0] != 1021 {
		t.Errorf("first: %+v", f)
	}
	if f.Description != "The response does not protect against 'ClickJacking' attacks." || f.Mitigation != "Set X-Frame-Options." {
		t.Errorf("HTML not turned into text: %q / %q", f.Description, f.Mitigation)
	}
	if strings.Join(f.References, " ") != "https://owasp.org/a https://owasp.org/b" {
		t.Errorf("references %v", f.References)
	}
	want := []findings.Location{
		{URL: "https://device.example.com/login", Host: "device.example.com", Port: 443, Protocol: "https", Path: "/login"},
		{URL: "https://device.example.com:8443/admin?tab=1", Host: "device.example.com", Port: 8443, Protocol: "https", Path: "/admin"},
	}
	if len(f.Locations) != 2 || f.Locations[0] != want[0] || f.Locations[1] != want[1] {
		t.Errorf("locations %+v", f.Locations)
	}
	old := got[1]
	if old.Severity != findings.Info || old.Locations[0].URL != "http://192.168.1.10/status" || old.Locations[0].Port != 80 {
		t.Errorf("pre-2.7 alert with a bare <uri>: %+v", old)
	}
}

func TestParseJSON(t *testing.T) {
	got := scannertest.ParseFileN(t, ParseJSON, "testdata/report.json", 1)
	f := got[0]
	if f.Title != "Content Security Policy (CSP) Header Not Set" || f.Severity != findings.Medium || f.RuleID != "10038" || f.CWEs[0] != 693 || len(f.Locations) != 2 || f.Description != "CSP is missing." {
		t.Errorf("finding: %+v", f)
	}
	// The same alert with fewer affected URLs keeps its fingerprint.
	again := scannertest.ParseEdited(t, ParseJSON, "testdata/report.json",
		`{"uri": "https://device.example.com/robots.txt", "method": "GET"}`, `{"uri": "https://device.example.com/other"}`,
		`{"uri": "https://device.example.com/", "method": "GET", "param": "", "attack": "", "evidence": ""},`, "")
	if len(again) != 1 || len(again[0].Locations) != 1 || again[0].Fingerprint != f.Fingerprint {
		t.Errorf("fingerprint depends on the affected URLs: %+v", again)
	}
}

func TestRejects(t *testing.T) {
	scannertest.Rejects(t, ParseXML, []scannertest.Reject{
		{File: "xxe.xml", Is: reportio.ErrUnsafeXML, Prefix: "xxe.xml:2:"},
		{File: "billion-laughs.xml", Is: reportio.ErrUnsafeXML, Prefix: "billion-laughs.xml:2:"},
		{File: "not-zap.xml", Is: reportio.ErrNotReport, Prefix: "not-zap.xml:2:"},
		{File: "truncated.xml", Prefix: "truncated.xml:"},
		{Parse: ParseJSON, File: "two-sites.xml", Prefix: "two-sites.xml: at byte"}, // XML given to the JSON parser
		{File: "bad-riskcode.xml", Prefix: "bad-riskcode.xml:3:", Contains: `riskcode "7"`},
	})
}

func TestDetect(t *testing.T) {
	for _, tc := range []struct {
		in        string
		xml, json bool
	}{
		{`<?xml version="1.0"?><OWASPZAPReport version="2.9.0">`, true, false},
		{"<!-- zap -->\n<OWASPZAPReport>", true, false},
		{`<NessusClientData_v2>`, false, false},
		{`{"@version": "2.14.0", "@generated": "x", "site": [`, false, true},
		{`{"version": "2.1.0", "runs": [`, false, false},
	} {
		if DetectXML(reportio.NewHead([]byte(tc.in))) != tc.xml || DetectJSON(reportio.NewHead([]byte(tc.in))) != tc.json {
			t.Errorf("detect %q: xml %v json %v", tc.in, DetectXML(reportio.NewHead([]byte(tc.in))), DetectJSON(reportio.NewHead([]byte(tc.in))))
		}
	}
}

func TestCorpus(t *testing.T) {
	scannertest.CorpusGolden(t, "zap", ParseXML)
}

// TestCorpusRescan checks the re-scan pair: alerts present in both scans
// keep their fingerprint even though their sets of URLs differ.
func TestCorpusRescan(t *testing.T) {
	dir := corpustest.Dir(t, "scans", "zap")
	first := scannertest.ParseFile(t, ParseXML, filepath.Join(dir, "zap-results-first-scan.xml"))
	second := scannertest.ParseFile(t, ParseXML, filepath.Join(dir, "zap-results-second-scan.xml"))
	in := map[string]string{}
	for _, f := range second {
		in[f.Fingerprint] = f.Title
	}
	var gone []string
	common := 0
	for _, f := range first {
		if _, ok := in[f.Fingerprint]; ok {
			common++
		} else {
			gone = append(gone, f.Title)
		}
	}
	if common != 14 || len(gone) != 1 || gone[0] != "PII Disclosure" {
		t.Errorf("%d alerts in both scans, gone %v; want 14 and [PII Disclosure]", common, gone)
	}
}

func FuzzParseXML(f *testing.F) {
	scannertest.FuzzDir(f, "testdata", ParseXML)
}

func FuzzParseJSON(f *testing.F) {
	scannertest.FuzzDir(f, "testdata", ParseJSON)
}
