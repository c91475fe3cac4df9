package qualys

import (
	"errors"
	"maps"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/scanners/reportio"
	"github.com/rampart-security/rampart/internal/scanners/scannertest"
)

// ruleSeverities lists the findings as "rule=severity".
func ruleSeverities(list []findings.Finding) string {
	var out []string
	for _, f := range list {
		out = append(out, f.RuleID+"="+string(f.Severity))
	}
	return strings.Join(out, " ")
}

func TestParse(t *testing.T) {
	got := scannertest.ParseFile(t, Parse, "testdata/report.xml")
	// Glossary order; the fixed detection is gone; QID 999 has no glossary entry.
	if ruleSeverities(got) != "qid:6=info qid:38626=high qid:38626=high qid:999=info" {
		t.Fatalf("got %v", ruleSeverities(got))
	}
	f := got[1]
	if f.Title != "OpenSSL padding oracle (CVE-2016-2107)" || f.VulnerabilityIDs[0] != "CVE-2016-2107" || *f.CVSS.V3Score != 5.9 || f.CVSS.V3Vector != "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N" {
		t.Errorf("openssl: %+v", f)
	}
	if f.Locations[0] != (findings.Location{Host: "192.0.2.20", Port: 443, Protocol: "tcp", Service: "https", HostName: "gw.lab"}) || f.Mitigation != "Upgrade OpenSSL." {
		t.Errorf("openssl details: %+v", f)
	}
	// The glossary's v3 and v2 base and temporal scores, and this host's
	// final scores, result and dates, are in the description.
	wantDesc := "A MITM attacker can decrypt traffic.\n\nDetection type: confirmed vulnerability\n\n" +
		"CVSS v3 base: 5.9 (AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N)\nCVSS v3 temporal: 5.3 (E:P/RL:O/RC:C)\nCVSS v2 base: 4.3 (AV:N/AC:M/Au:N/C:P/I:N/A:N)\nCVSS v2 temporal: 3.9 (E:POC/RL:OF/RC:C)\n\n" +
		"CVSS v3 final (this host): 5.3\nCVSS v2 final (this host): 3.9\nFirst found: 2024-01-02T03:04:05Z\nLast found: 2024-02-03T04:05:06Z\nTimes found: 12\nStatus: New\nResult:\nOpenSSL 1.0.2g detected in the server banner"
	if f.Description != wantDesc {
		t.Errorf("description\n got %q\nwant %q", f.Description, wantDesc)
	}
	// http with SSL is https; the detection's FQDN names the virtual host.
	if l := got[2].Locations[0]; l != (findings.Location{Host: "192.0.2.20", Port: 8443, Protocol: "tcp", Service: "https", HostName: "admin.gw.lab"}) {
		t.Errorf("8443: %+v", l)
	}
	if got[3].Title != "QID 999" {
		t.Errorf("undefined QID: %+v", got[3])
	}
	scannertest.NotReport(t, ParseCSV, "testdata/no-qid.csv", "no-qid.csv:2: QID:")
}

// TestParseScanResults reads Qualys's scan results XML (<SCAN>,
// scan-1.dtd), which was refused before ("root element is <SCAN>, want
// <ASSET_DATA_REPORT>"): one finding per QID per host, port and protocol,
// confirmed and potential vulnerabilities at their level, information
// gathered (INFOS, SERVICES) as info.
// TestParseScanCanceled: scan results whose header says the scan was
// canceled (or paused, interrupted, ended in error) list only the hosts it
// reached, and are refused naming the file, the key and the status after
// their findings are emitted; before, a canceled scan was imported as a
// complete one and closed the findings of the hosts it never reached.
func TestParseScanCanceled(t *testing.T) {
	scannertest.Rejects(t, Parse, []scannertest.Reject{{File: "scan-canceled.xml", Is: reportio.ErrIncompleteScan, Prefix: "scan-canceled.xml:",
		Contains: `<HEADER><KEY value="STATUS">: the scan did not complete: the scan's status is "CANCELED", not FINISHED`}})
	if list, _ := scannertest.ParseFileErr(Parse, "testdata/scan-canceled.xml"); len(list) == 0 {
		t.Error("no finding emitted before the refusal")
	}
	for _, st := range []string{"PAUSED", "INTERRUPTED", "ERROR", "Running"} {
		doc := strings.Replace(scannertest.ReadString(t, "testdata/scan.xml"), ">FINISHED<", ">"+st+"<", 1)
		if _, err := scannertest.ParseStringErr(Parse, "scan.xml", doc); !errors.Is(err, reportio.ErrIncompleteScan) {
			t.Errorf("status %s: %v, want a refusal", st, err)
		}
	}
}

// TestParseWASTimeLimit: a WAS report whose scan stopped at its time limit
// (APPENDIX SCAN_LIST STATUS other than Finished) is refused after its
// findings are emitted; before, it was imported as a complete scan.
func TestParseWASTimeLimit(t *testing.T) {
	scannertest.Rejects(t, ParseWAS, []scannertest.Reject{{File: "was-time-limit.xml", Is: reportio.ErrIncompleteScan, Prefix: "was-time-limit.xml:",
		Contains: `<SCAN_LIST><SCAN><STATUS>: the scan did not complete: scan was/1710276120000.2410933 ("Web Application Vulnerability Scan - Shop - 2024-03-12") has status "Time Limit Exceeded", not Finished`}})
	full, _ := scannertest.ParseFileErr(ParseWAS, "testdata/was.xml")
	if list, _ := scannertest.ParseFileErr(ParseWAS, "testdata/was-time-limit.xml"); len(list) != len(full) || len(list) == 0 {
		t.Errorf("%d findings emitted before the refusal, want %d", len(list), len(full))
	}
	done := strings.Replace(scannertest.ReadString(t, "testdata/was-time-limit.xml"), "<STATUS>Time Limit Exceeded</STATUS>\n", "<STATUS>Finished</STATUS>\n", 1)
	scannertest.ParseString(t, ParseWAS, "done.xml", done)
}

func TestParseScanResults(t *testing.T) {
	got := scannertest.ParseFileN(t, Parse, "testdata/scan.xml", 6)
	if ruleSeverities(got) != "qid:6=info qid:82023=info qid:38657=medium qid:86763=critical qid:150263=low qid:38657=medium" {
		t.Fatalf("got %v", ruleSeverities(got))
	}
	f := got[2]
	if f.Title != "Birthday attacks against TLS ciphers with 64bit block size vulnerability (Sweet32)" || strings.Join(f.VulnerabilityIDs, ",") != "CVE-2016-2183,CVE-2016-6329" ||
		*f.CVSS.V3Score != 7.5 || f.Mitigation != "Disable 64-bit block ciphers (3DES)." {
		t.Errorf("sweet32: %+v", f)
	}
	if f.Locations[0] != (findings.Location{Host: "192.0.2.30", Port: 443, Protocol: "tcp", HostName: "shop.lab"}) {
		t.Errorf("sweet32 location (the category's fqdn names the virtual host): %+v", f.Locations[0])
	}
	for _, want := range []string{"Legacy block ciphers", "Impact:\nAn attacker may recover plaintext.", "Category:\nGeneral remote services", "Detection type: confirmed vulnerability", "CVSS v2 base: 5.0", "Result:\nTLSv1.2 DES-CBC3-SHA"} {
		if !strings.Contains(f.Description, want) {
			t.Errorf("sweet32 description lacks %q: %q", want, f.Description)
		}
	}
	if l := got[0].Locations[0]; l != (findings.Location{Host: "192.0.2.30", HostName: "web01.lab"}) || !strings.Contains(got[0].Description, "information gathered") {
		t.Errorf("info: %+v", got[0])
	}
	if !strings.Contains(got[4].Description, "Detection type: potential vulnerability") {
		t.Errorf("practice: %q", got[4].Description)
	}
	// The same QID on another host is its own finding.
	if got[5].Locations[0].Host != "192.0.2.31" || got[5].Fingerprint == f.Fingerprint {
		t.Errorf("second host: %+v", got[5])
	}
	// A <SCAN> holding Qualys's <ERROR> is an error naming it, not an empty scan.
	_, err := scannertest.ParseFileErr(Parse, "testdata/scan-error.xml")
	if !errors.Is(err, reportio.ErrNotReport) || !strings.HasPrefix(err.Error(), "scan-error.xml:6:") || !strings.Contains(err.Error(), "Qualys returned error 999 instead of scan results: Scan results are not available") {
		t.Errorf("scan error: %v", err)
	}
	scannertest.Detects(t, Detect, map[string]bool{
		"<?xml version=\"1.0\"?>\n<!DOCTYPE SCAN SYSTEM \"https://qualysguard.qualys.com/scan-1.dtd\">\n<SCAN value=\"scan/1.2\">": true,
		`<SCAN value="scan/1704103200.12345"><HEADER>`: true,
		`<SCAN><IP value="10.0.0.1"/></SCAN>`:          false, // a <SCAN> of some other tool
		`<ASSET_DATA_REPORT>`:                          true,
	})
}

// TestCorpus: Qualys_Sample_Report.xml has 301 detections on 7 hosts, 209
// of them information gathered.
func TestCorpus(t *testing.T) {
	dir := scannertest.CorpusGolden(t, "qualys", scannertest.ByExt(Parse, ".csv", ParseCSV))
	csv := scannertest.ParseFile(t, ParseCSV, filepath.Join(dir, "Qualys_Sample_Report.csv"))[0]
	if *csv.CVSS.V3Score != 8.1 || csv.CVSS.V3Vector != "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H" {
		t.Errorf("csv cvss: %+v", csv.CVSS)
	}
	if !strings.Contains(csv.Description, "Detection type: confirmed vulnerability\n\nCVSS v3 base: 8.1 (AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H)\nCVSS v3 temporal: 7.4 (E:U/RL:U/RC:C)") {
		t.Errorf("csv description: %q", csv.Description)
	}
	pci := scannertest.ParseFile(t, ParseCSV, filepath.Join(dir, "monthly_pci_issue6932.csv"))[0]
	if !strings.Contains(pci.Description, "CVSS v2 base: ") {
		t.Errorf("PCI csv: the v2 base score is not kept: %q", pci.Description)
	}
	var shellshock *findings.Finding
	all := scannertest.ParseFile(t, Parse, filepath.Join(dir, "Qualys_Sample_Report.xml"))
	for i := range all {
		if all[i].RuleID == "qid:13038" {
			shellshock = &all[i]
			break
		}
	}
	// QID 370876 (AMD PSP) on 64.41.200.244: a potential vulnerability with
	// v3 and v2 base and temporal scores, and the host's final v3 score.
	services := map[string]int{}
	for _, f := range all {
		services[f.Locations[0].Service]++
		if f.RuleID == "qid:370876" && f.Locations[0].Host == "64.41.200.244" {
			for _, want := range []string{"Detection type: potential vulnerability", "CVSS v3 base: 9.0 (AV:N/AC:H/PR:N/UI:N/S:C/C:H/I:H/A:H)", "CVSS v3 temporal: 8.2 (E:U/RL:U/RC:C)",
				"CVSS v2 base: 9.3 (AV:N/AC:M/Au:N/C:C/I:C/A:C)", "CVSS v2 temporal: 7.9 (E:U/RL:U/RC:C)", "CVSS v3 final (this host): 8.2", "Times found: 950"} {
				if !strings.Contains(f.Description, want) {
					t.Errorf("AMD PSP: description lacks %q", want)
				}
			}
			// Qualys's level (4) decides the severity, not the CVSS score.
			if *f.CVSS.V3Score != 9.0 || f.Severity != findings.High {
				t.Errorf("AMD PSP: %v %s", *f.CVSS.V3Score, f.Severity)
			}
		}
	}
	// 147 detections on a port: "http over ssl" is https.
	if services["https"] != 77 || services["http"] != 23 || services["ssh"] != 15 || services["http over ssl"] != 0 {
		t.Errorf("services: %v", services)
	}
	if shellshock == nil || shellshock.Severity != findings.Critical || shellshock.VulnerabilityIDs[0] != "CVE-2014-6271" || shellshock.Locations[0].Host != "64.41.200.250" || shellshock.Locations[0].Port != 80 {
		t.Errorf("shellshock: %+v", shellshock)
	}
}

func FuzzParse(f *testing.F) {
	scannertest.FuzzDir(f, "testdata", Parse)
}

func FuzzParseCSV(f *testing.F) {
	scannertest.FuzzDir(f, "testdata", ParseCSV)
}

func FuzzParseWAS(f *testing.F) {
	scannertest.FuzzDir(f, "testdata", ParseWAS)
}

func TestLetterSeverities(t *testing.T) {
	for in, want := range map[string]findings.Severity{"M": findings.Medium, "h": findings.High, "L": findings.Low, "C": findings.Critical, "4": findings.High, "Medium": findings.Medium} {
		if got := severity(in, "Vuln"); got != want {
			t.Errorf("%q: %s, want %s", in, got, want)
		}
	}
}

// TestWASMinimalVulnerability: DefectDojo's Qualys WAS report
// (testdata/DEFECTDOJO.md) has QID 150246, a confirmed vulnerability of
// level 1 ("Minimal" in its SEVERITY_CATEGORY_LIST), on two URLs: low, not
// info (Qualys WAS lists what is only information under
// INFORMATION_GATHERED: its 18 QIDs stay info). 21 findings, 3 not info,
// as DefectDojo counts.
func TestWASMinimalVulnerability(t *testing.T) {
	got := scannertest.ParseFileN(t, ParseWAS, "testdata/defectdojo-qualys_webapp_many_vuln.xml", 21)
	notInfo := map[string]findings.Severity{}
	for _, f := range got {
		if f.Severity != findings.Info {
			notInfo[f.RuleID] = f.Severity
		}
	}
	want := map[string]findings.Severity{"qid:150004": findings.Low, "qid:150085": findings.Medium, "qid:150246": findings.Low}
	if !maps.Equal(notInfo, want) {
		t.Errorf("not info: %v, want %v", notInfo, want)
	}
}

// TestParseWAS reads Qualys WAS XML reports, which no format read before
// (docs listed "Qualys WAS" as not supported): one finding per QID per
// site with every URL as a location, severity from the glossary's level,
// information gathered as info, fixed detections skipped.
func TestParseWAS(t *testing.T) {
	got := scannertest.ParseFileN(t, ParseWAS, "testdata/was.xml", 4)
	// Glossary order; QID 150999 has no glossary entry.
	if ruleSeverities(got) != "qid:150001=critical qid:150003=low qid:150204=info qid:150999=info" {
		t.Fatalf("got %v", ruleSeverities(got))
	}
	xss := got[0]
	if xss.Title != "Reflected Cross-Site Scripting (XSS) Vulnerabilities" || len(xss.CWEs) != 1 || xss.CWEs[0] != 79 || *xss.CVSS.V3Score != 6.1 ||
		xss.Mitigation != "Filter and encode user input." {
		t.Errorf("xss: %+v", xss)
	}
	want := []findings.Location{
		{URL: "https://shop.example.com/search?q=1", Host: "shop.example.com", Port: 443, Protocol: "https", Path: "/search"},
		{URL: "https://shop.example.com/account/profile", Host: "shop.example.com", Port: 443, Protocol: "https", Path: "/account/profile"},
	}
	if len(xss.Locations) != 2 || xss.Locations[0] != want[0] || xss.Locations[1] != want[1] {
		t.Errorf("xss locations (the fixed detection is gone): %+v", xss.Locations)
	}
	for _, w := range []string{"XSS vulnerabilities occur", "Impact:\nAn attacker can run script", "Category:\nConfirmed Vulnerability", "OWASP: A7", "WASC: WASC-8",
		"- https://shop.example.com/search?q=1 (parameter q)", "- https://shop.example.com/account/profile (parameter name)"} {
		if !strings.Contains(xss.Description, w) {
			t.Errorf("xss description lacks %q: %q", w, xss.Description)
		}
	}
	if strings.Contains(got[1].Description, "N/A") || got[1].Mitigation != "" || got[1].Locations[0].Port != 8080 {
		t.Errorf("N/A kept: %+v", got[1])
	}
	if !strings.Contains(got[2].Description, "X-Xss-Protection: Header missing") || got[2].Title != "Missing header: X-XSS-Protection" {
		t.Errorf("information gathered (base64 data): %+v", got[2])
	}
	if got[3].Title != "QID 150999" || !strings.Contains(got[3].Description, "Crawled 12 links.") {
		t.Errorf("undefined QID: %+v", got[3])
	}
	// The same QID on fewer URLs of the site keeps its fingerprint.
	again := scannertest.ParseEdited(t, ParseWAS, "testdata/was.xml", "<URL>https://shop.example.com/account/profile</URL>", "<URL>https://shop.example.com/other</URL>")
	if again[0].Fingerprint != xss.Fingerprint {
		t.Errorf("fingerprint depends on the URLs")
	}
	// A web application report: one finding per application (site).
	apps := scannertest.ParseFileN(t, ParseWAS, "testdata/was-webapp.xml", 2)
	if apps[0].Locations[0].Host != "shop.example.com" || apps[1].Locations[0].Host != "blog.example.com" || apps[0].Fingerprint == apps[1].Fingerprint ||
		apps[1].Severity != findings.Critical {
		t.Errorf("web application report: %+v", apps)
	}
	scannertest.NotReport(t, ParseWAS, "testdata/scan.xml", "scan.xml:")
	scannertest.Detects(t, DetectWAS, map[string]bool{
		"<?xml version='1.0' encoding='UTF-8'?>\n<WAS_SCAN_REPORT>": true,
		"<WAS_WEBAPP_REPORT>": true,
		"<ASSET_DATA_REPORT>": false,
	})
}

// TestParseCSVPreamble reads a Qualys CSV scan report whose header comes
// after Qualys's preamble (report title, company, user, host summary: the
// header is on line 8), as the Qualys UI writes it. Before, the first
// preamble line was taken for the header and the report refused.
func TestParseCSVPreamble(t *testing.T) {
	got := scannertest.ParseFileN(t, ParseCSV, "testdata/scan-report-preamble.csv", 2)
	if ruleSeverities(got) != "qid:91847=high qid:38657=medium" {
		t.Fatalf("got %v", ruleSeverities(got))
	}
	f := got[0]
	if f.VulnerabilityIDs[0] != "CVE-2024-0056" || *f.CVSS.V3Score != 8.7 || f.Locations[0] != (findings.Location{Host: "192.0.2.50", Port: 1433, Protocol: "tcp", HostName: "db01.lab"}) {
		t.Errorf("first: %+v", f)
	}
	scannertest.Detects(t, DetectCSV, map[string]bool{
		"\"Scan Report\",\"01/15/2024\"\n\"Example Co.\"\n\n\"IP\",\"DNS\",\"QID\",\"Title\",\"Severity\"\n": true,
		"\"Scan Report\",\"01/15/2024\"\n\"Example Co.\"\n\n\"Host\",\"Plugin ID\"\n":                        false,
	})
	// A file of preamble lines with no header is refused, not empty.
	_, err := scannertest.ParseStringErr(ParseCSV, "nohead.csv", "\"Scan Report\",\"01/15/2024\"\n\"Example Co.\",\"1 Main Street\"\n")
	if !errors.Is(err, reportio.ErrNotReport) || !strings.Contains(err.Error(), "nohead.csv") {
		t.Errorf("preamble only: %v", err)
	}
	// Files whose header is the first line read as before.
	scannertest.NotReport(t, ParseCSV, "testdata/no-qid.csv", "no-qid.csv:2: QID:")
}

// TestLevelOneBySeverityClass: Qualys rates a QID "Low" when a confirmed
// or potential vulnerability of level 1 (Minimal) or 2 is found, and
// "Info" only for information gathered (Qualys's KnowledgeBase severity
// levels). Before, the VM readers (asset data report, scan results XML,
// CSV) made a level-1 confirmed or potential vulnerability info, while the
// WAS reader made it low; now every Qualys reader maps the same way, and
// information gathered stays info at every level. A CSV row of no stated
// type is read from its level alone (information gathered has levels 1–3).
func TestLevelOneBySeverityClass(t *testing.T) {
	adr := func(typ string) string {
		return `<ASSET_DATA_REPORT><HOST_LIST><HOST><IP>192.0.2.1</IP><VULN_INFO_LIST><VULN_INFO><QID>1</QID><TYPE>` + typ +
			`</TYPE></VULN_INFO></VULN_INFO_LIST></HOST></HOST_LIST><GLOSSARY><VULN_DETAILS_LIST><VULN_DETAILS><QID>1</QID><TITLE>t</TITLE><SEVERITY>1</SEVERITY></VULN_DETAILS></VULN_DETAILS_LIST></GLOSSARY></ASSET_DATA_REPORT>`
	}
	scan := func(section, elem string) string {
		return `<!DOCTYPE SCAN SYSTEM "scan-1.dtd"><SCAN value="scan/1"><IP value="192.0.2.1"><` + section + `><CAT value="c"><` + elem +
			` number="1" severity="1"><TITLE>t</TITLE></` + elem + `></CAT></` + section + `></IP></SCAN>`
	}
	csv := func(typ string) string { return "IP,QID,Title,Type,Severity\n192.0.2.1,1,t," + typ + ",1\n" }
	for _, c := range []struct {
		name, doc string
		parse     scannertest.ParseFunc
		want      findings.Severity
	}{
		{"asset data report, confirmed", adr("Vuln"), Parse, findings.Low},
		{"asset data report, potential", adr("Practice"), Parse, findings.Low},
		{"asset data report, information gathered", adr("Ig"), Parse, findings.Info},
		{"scan results, confirmed", scan("VULNS", "VULN"), Parse, findings.Low},
		{"scan results, potential", scan("PRACTICES", "PRACTICE"), Parse, findings.Low},
		{"scan results, information gathered", scan("INFOS", "INFO"), Parse, findings.Info},
		{"scan results, service", scan("SERVICES", "SERVICE"), Parse, findings.Info},
		{"CSV, confirmed", csv("Vuln"), ParseCSV, findings.Low},
		{"CSV, potential", csv("Practice"), ParseCSV, findings.Low},
		{"CSV PCI layout, potential", csv("POTENTIAL"), ParseCSV, findings.Low},
		{"CSV, information gathered", csv("Ig"), ParseCSV, findings.Info},
		{"CSV, type not stated", csv(""), ParseCSV, findings.Info},
	} {
		got := scannertest.ParseString(t, c.parse, "level1", c.doc)
		if len(got) != 1 || got[0].Severity != c.want {
			t.Errorf("%s: %s, want qid:1=%s", c.name, ruleSeverities(got), c.want)
		}
	}
}
