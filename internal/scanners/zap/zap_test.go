package zap

import (
	"errors"
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
	// The alert's description, then each instance (method, URL, parameter).
	wantDesc := "The response does not protect against 'ClickJacking' attacks.\n\nInstances:\n" +
		"- GET https://device.example.com/login (parameter x-frame-options)\n- GET https://device.example.com:8443/admin?tab=1"
	if f.Description != wantDesc || f.Mitigation != "Set X-Frame-Options." {
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
	if f.Title != "Content Security Policy (CSP) Header Not Set" || f.Severity != findings.Medium || f.RuleID != "10038" || f.CWEs[0] != 693 || len(f.Locations) != 2 ||
		f.Description != "CSP is missing.\n\nInstances:\n- GET https://device.example.com/\n- GET https://device.example.com/robots.txt" {
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

// TestParseXMLBeforeInstances reads a report of ZAP before 2.7, which has
// no <instances> and lists an alert once per URL: the alertitems of one
// alert on a site are one finding with every URL. Before, each alertitem
// was a finding with the same fingerprint, so the import kept the first
// URL and dropped the others as duplicates.
func TestParseXMLBeforeInstances(t *testing.T) {
	got := scannertest.ParseFileN(t, ParseXML, "testdata/pre-2.7.xml", 2)
	xss, cto := got[0], got[1]
	if xss.RuleID != "10016" || xss.Severity != findings.Low || len(xss.CWEs) != 1 || xss.CWEs[0] != 933 {
		t.Errorf("merged alert: %+v", xss)
	}
	wantURLs := []string{"http://app.example.com/", "http://app.example.com/login", "http://app.example.com/robots.txt"}
	if len(xss.Locations) != len(wantURLs) {
		t.Fatalf("merged alert's locations %+v, want %v", xss.Locations, wantURLs)
	}
	for i, u := range wantURLs {
		if xss.Locations[i].URL != u || xss.Locations[i].Port != 80 {
			t.Errorf("merged alert's location %d: %+v, want %s", i, xss.Locations[i], u)
		}
	}
	// Each merged alertitem's URL and parameter is listed.
	if !strings.HasSuffix(xss.Description, "Instances:\n- http://app.example.com/ (parameter X-XSS-Protection)\n- http://app.example.com/login (parameter X-XSS-Protection)\n- http://app.example.com/robots.txt") {
		t.Errorf("merged alert's description %q", xss.Description)
	}
	if cto.RuleID != "10021" || len(cto.Locations) != 1 || cto.Locations[0].Path != "/style.css" || cto.Fingerprint == xss.Fingerprint {
		t.Errorf("second alert: %+v", cto)
	}
	// The same alert from a ZAP 2.7+ report (one alertitem with instances)
	// keeps the fingerprint, so upgrading ZAP does not reopen findings.
	modern := scannertest.ParseString(t, ParseXML, "modern.xml", `<OWASPZAPReport version="2.14.0">
<site name="http://app.example.com" host="app.example.com" port="80" ssl="false"><alerts><alertitem>
<pluginid>10016</pluginid><alert>Web Browser XSS Protection Not Enabled</alert><riskcode>1</riskcode><confidence>2</confidence>
<desc>&lt;p&gt;Web Browser XSS Protection is not enabled.&lt;/p&gt;</desc><cweid>933</cweid>
<instances><instance><uri>http://app.example.com/</uri></instance></instances>
</alertitem></alerts></site></OWASPZAPReport>`)
	if len(modern) != 1 || modern[0].Fingerprint != xss.Fingerprint {
		t.Errorf("fingerprint differs between ZAP 2.6 and 2.14 reports: %+v", modern)
	}
}

// TestParseJSONOneSiteObject reads a ZAP 2.7.0 JSON report of one site,
// which ZAP wrote as an object rather than a one-element array
// (zaproxy/zaproxy#5162, fixed in 2.8.0). Before, it was refused ("site
// is {, want an array").
// TestParseInstanceDetails: ZAP 2.12+ writes each instance's evidence,
// attack and other info; they are listed per instance (other info only
// when it differs from the alert's). Before, only the URLs were kept.
func TestParseInstanceDetails(t *testing.T) {
	got := scannertest.ParseString(t, ParseJSON, "details.json", `{"@version": "2.14.0", "site": [{"@name": "https://app.example.com", "@host": "app.example.com", "@port": "443", "@ssl": "true",
  "alerts": [{"pluginid": "40012", "alert": "Cross Site Scripting (Reflected)", "riskcode": "3", "confidence": "2", "desc": "<p>XSS.</p>",
    "instances": [
      {"uri": "https://app.example.com/search?q=x", "method": "GET", "param": "q", "attack": "<scrIpt>alert(1);</scRipt>", "evidence": "<scrIpt>alert(1);</scRipt>", "otherinfo": "Reflected in the body."},
      {"uri": "https://app.example.com/comment", "method": "POST", "param": "text", "attack": "", "evidence": "", "otherinfo": "<p>The alert's own other info.</p>"}],
    "otherinfo": "<p>The alert's own other info.</p>", "cweid": "79", "wascid": "8"}]}]}`)
	want := "XSS.\n\nThe alert's own other info.\n\nInstances:\n" +
		"- GET https://app.example.com/search?q=x (parameter q): evidence <scrIpt>alert(1);</scRipt>; attack <scrIpt>alert(1);</scRipt>; Reflected in the body.\n" +
		"- POST https://app.example.com/comment (parameter text)"
	if len(got) != 1 || got[0].Description != want {
		t.Errorf("description\n got %q\nwant %q", got[0].Description, want)
	}
}

func TestParseJSONOneSiteObject(t *testing.T) {
	got := scannertest.ParseFileN(t, ParseJSON, "testdata/one-site-2.7.json", 1)
	f := got[0]
	want := findings.Location{URL: "http://localhost:3000/api/v1/encrypt", Host: "localhost", Port: 3000, Protocol: "http", Path: "/api/v1/encrypt"}
	if f.RuleID != "50001" || f.Severity != findings.Low || len(f.CWEs) != 0 || len(f.Locations) != 1 || f.Locations[0] != want {
		t.Errorf("finding: %+v", f)
	}
	// A site that is neither an array nor an object is refused, naming the field.
	_, err := scannertest.ParseStringErr(ParseJSON, "bad.json", `{"@version": "2.7.0", "site": "http://x"}`)
	if !errors.Is(err, reportio.ErrNotReport) || !strings.Contains(err.Error(), "site is http://x, want an array or an object") {
		t.Errorf("string site: %v", err)
	}
	_, err = scannertest.ParseStringErr(ParseJSON, "cut.json", `{"@version": "2.7.0", "site": {"@name": "http://x", "alerts": [`)
	if err == nil || !strings.Contains(err.Error(), "cut.json") || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("truncated one-site report: %v", err)
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
