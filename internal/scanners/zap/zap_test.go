package zap

import (
	"errors"
	"os"
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
	b, err := os.ReadFile("testdata/report.json")
	if err != nil {
		t.Fatal(err)
	}
	fewer := strings.Replace(string(b), `{"uri": "https://device.example.com/robots.txt", "method": "GET"}`, `{"uri": "https://device.example.com/other"}`, 1)
	fewer = strings.Replace(fewer, `{"uri": "https://device.example.com/", "method": "GET", "param": "", "attack": "", "evidence": ""},`, "", 1)
	var again []findings.Finding
	if err := ParseJSON(strings.NewReader(fewer), "fewer.json", func(x findings.Finding) error { again = append(again, x); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(again) != 1 || len(again[0].Locations) != 1 || again[0].Fingerprint != f.Fingerprint {
		t.Errorf("fingerprint depends on the affected URLs: %+v", again)
	}
}

func TestRejects(t *testing.T) {
	for file, want := range map[string]error{
		"xxe.xml":            reportio.ErrUnsafeXML,
		"billion-laughs.xml": reportio.ErrUnsafeXML,
		"not-zap.xml":        reportio.ErrNotReport,
	} {
		_, err := scannertest.ParseFileErr(ParseXML, filepath.Join("testdata", file))
		if !errors.Is(err, want) || !strings.HasPrefix(err.Error(), file+":2:") {
			t.Errorf("%s: error %v, want %v at line 2", file, err, want)
		}
	}
	_, err := scannertest.ParseFileErr(ParseXML, "testdata/bad-riskcode.xml")
	if err == nil || !strings.Contains(err.Error(), `bad-riskcode.xml:3:`) || !strings.Contains(err.Error(), `riskcode "7"`) {
		t.Errorf("bad riskcode: %v", err)
	}
	_, err = scannertest.ParseFileErr(ParseXML, "testdata/truncated.xml")
	if err == nil || !strings.HasPrefix(err.Error(), "truncated.xml:") {
		t.Errorf("truncated: %v", err)
	}
	_, err = scannertest.ParseFileErr(ParseJSON, "testdata/two-sites.xml")
	if err == nil || !strings.HasPrefix(err.Error(), "two-sites.xml: at byte") {
		t.Errorf("XML given to the JSON parser: %v", err)
	}
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
	dir := corpustest.Dir(t, "scans", "zap")
	type first struct {
		title, severity, rule, url string
		cwe, locations             int
	}
	type corpusCase struct {
		count                   int
		high, medium, low, info int
		first                   *first
	}
	cases := map[string]corpusCase{
		"0_zap_sample.xml":                                             {4, 0, 1, 3, 0, &first{"zap1: Cookie Without Secure Flag", "low", "10011", "https://mainsite.com/dashboard", 614, 2}},
		"0_zap_sample_without_zap3.xml":                                {3, 0, 0, 3, 0, nil},
		"1_zap_sample_0_and_new_absent.xml":                            {4, 0, 1, 3, 0, nil},
		"2_zap_sample_0_and_new_endpoint.xml":                          {4, 0, 1, 3, 0, nil},
		"3_zap_sampl_0_and_different_severities.xml":                   {4, 0, 3, 1, 0, nil},
		"5_zap_sample_one.xml":                                         {2, 0, 0, 2, 0, nil},
		"dvwa_baseline_dojo.xml":                                       {19, 0, 4, 8, 7, &first{"X-Frame-Options Header Not Set", "medium", "10020", "http://172.17.0.2/vulnerabilities/brute/", 16, 11}},
		"dvwa_baseline_dojo_fabricated_internal_duplicates.xml":        {13, 0, 4, 5, 4, nil},
		"dvwa_baseline_dojo_fabricated_internal_duplicates_subset.xml": {6, 0, 4, 1, 1, nil},
		"dvwa_baseline_dojo_subset.xml":                                {10, 0, 3, 3, 4, nil},
		"empty_2.9.0.xml":                                              {0, 0, 0, 0, 0, nil},
		"juicy2.xml":                                                   {6, 0, 2, 2, 2, &first{"Incomplete or No Cache-control Header Set", "low", "10015", "https://juice-shop.herokuapp.com/assets/public/assets/public/assets/public/assets/public/main-es2018.js", 525, 0}},
		"some_2.9.0.xml":                                               {7, 0, 1, 5, 1, nil},
		"zap-results-first-scan.xml":                                   {15, 4, 3, 4, 4, &first{"User Controllable HTML Element Attribute (Potential XSS)", "info", "10031", "http://bodgeit.securecodebox-demo.svc:8080/bodgeit/product.jsp?prodid=22", 20, 10}},
		"zap-results-second-scan.xml":                                  {18, 4, 3, 6, 5, nil},
		"zap-xml-plus-format.xml":                                      {1, 0, 1, 0, 0, &first{"Insecure HTTP Method - PUT", "medium", "90028", "http://localhost:8080/bodgeit/js/qndto7n63d", 200, 0}},
		"zap_2.16.1_with_req_resp.xml":                                 {4, 0, 0, 0, 4, &first{"Authentication Request Identified", "info", "10111", "https://example-domain.com/cpapi/api/account/verifypasswordless", 0, 1}},
	}
	scannertest.Corpus(t, dir, cases, func(t *testing.T, path string, want corpusCase) {
		got := scannertest.CheckFile(t, ParseXML, path, scannertest.Counts{Total: want.count, High: want.high, Medium: want.medium, Low: want.low, Info: want.info})
		if w := want.first; w != nil {
			g := got[0]
			if g.Title != w.title || string(g.Severity) != w.severity || g.RuleID != w.rule || g.Locations[0].URL != w.url {
				t.Errorf("first: %q %s %q %q", g.Title, g.Severity, g.RuleID, g.Locations[0].URL)
			}
			if w.cwe > 0 && (len(g.CWEs) != 1 || g.CWEs[0] != w.cwe) {
				t.Errorf("cwes %v, want %d", g.CWEs, w.cwe)
			}
			if w.locations > 0 && len(g.Locations) != w.locations {
				t.Errorf("%d locations, want %d", len(g.Locations), w.locations)
			}
		}
	})
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
