package nessus

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
	got := scannertest.ParseFileN(t, Parse, "testdata/two-hosts.nessus", 3)
	php := got[0]
	if php.Title != "PHP 8.2.x < 8.2.20 Multiple Vulnerabilities" || php.Severity != findings.Critical || php.RuleID != "200162" {
		t.Errorf("php: %q %s %q", php.Title, php.Severity, php.RuleID)
	}
	if strings.Join(php.VulnerabilityIDs, ",") != "CVE-2024-4577,CVE-2024-5458" || len(php.CWEs) != 2 || php.CWEs[0] != 20 || php.CWEs[1] != 78 {
		t.Errorf("php ids %v cwes %v", php.VulnerabilityIDs, php.CWEs)
	}
	if !php.KEV || php.EPSS.Score == nil || *php.EPSS.Score != 0.9438 {
		t.Errorf("php kev %v epss %v", php.KEV, php.EPSS.Score)
	}
	if php.CVSS.V3Score == nil || *php.CVSS.V3Score != 9.8 {
		t.Errorf("score not computed from the v3.0 vector: %v", php.CVSS.V3Score)
	}
	if l := php.Locations; len(l) != 1 || l[0] != (findings.Location{Host: "10.0.0.5", Port: 443, Protocol: "tcp", Service: "https", HostName: "camera-01.lab"}) {
		t.Errorf("php location %+v", l)
	}
	if len(php.References) != 2 || php.Mitigation != "Upgrade to PHP 8.2.20 or later." || !strings.Contains(php.Description, "Plugin output:\nInstalled version : 8.2.10") {
		t.Errorf("php text: refs %v mitigation %q description %q", php.References, php.Mitigation, php.Description)
	}
	if info := got[1]; info.Severity != findings.Info || info.RuleID != "19506" {
		t.Errorf("info: %+v", info)
	}
	was := got[2]
	if was.Severity != findings.High || *was.CVSS.V3Score != 7.1 || was.CWEs[0] != 79 {
		t.Errorf("was: %+v", was)
	}
	if l := was.Locations[0]; l.Host != "portal.example.com" || l.URL != "https://portal.example.com/" || l.Port != 443 {
		t.Errorf("WAS location %+v", l)
	}
}

// TestParseCompliance reads a compliance audit: each failed or warning
// check is its own finding (plugin and check name as rule), passed checks
// are not findings. Before, every check of plugin 21156 on the host had
// one fingerprint, so the import kept the first and dropped the others,
// and passed checks were findings.
func TestParseCompliance(t *testing.T) {
	got := scannertest.ParseFileN(t, Parse, "testdata/compliance.nessus", 3)
	f := got[0]
	if f.RuleID != "21156:1.1.1 Ensure 'Enforce password history' is set to '24 or more password(s)'" || f.Title != "1.1.1 Ensure 'Enforce password history' is set to '24 or more password(s)'" ||
		f.Severity != findings.High || f.Mitigation != "Set the policy to 24 or more password(s)." || f.References[0] != "https://workbench.cisecurity.org/files/4000" {
		t.Errorf("failed check: %+v", f)
	}
	for _, w := range []string{"Result:\nFAILED", "Policy value:\n[24..MAX]", "Actual value:\n0", "Audit file:\nCIS_MS_Windows_11"} {
		if !strings.Contains(f.Description, w) {
			t.Errorf("failed check's description lacks %q: %q", w, f.Description)
		}
	}
	if got[1].RuleID != "21156:18.9.1 Ensure 'Allow Telemetry' is set" || got[1].Severity != findings.Low || got[1].Fingerprint == f.Fingerprint {
		t.Errorf("warning check: %+v", got[1])
	}
	if got[2].RuleID != "57608" || got[2].Title != "SMB Signing not required" {
		t.Errorf("ordinary plugin: %+v", got[2])
	}
	// The same audit exported as CSV: the check is named by the
	// description's opening "name" : [RESULT]; the same findings.
	csv := scannertest.ParseFileN(t, ParseCSV, "testdata/compliance.csv", 3)
	for i := range csv {
		if csv[i].RuleID != got[i].RuleID || csv[i].Title != got[i].Title || csv[i].Severity != got[i].Severity || csv[i].Fingerprint != got[i].Fingerprint {
			t.Errorf("csv %d: %s %q %s, xml %s %q %s", i, csv[i].RuleID, csv[i].Title, csv[i].Severity, got[i].RuleID, got[i].Title, got[i].Severity)
		}
	}
}

func TestParseCSV(t *testing.T) {
	got := scannertest.ParseFileN(t, ParseCSV, "testdata/export.csv", 3) // one row per CVE merged
	if f := got[0]; f.Severity != findings.High || *f.CVSS.V3Score != 7.5 || *f.EPSS.Score != 0.3833 || len(f.References) != 2 || f.Locations[0].Port != 3389 {
		t.Errorf("sweet32: %+v", f)
	}
	if f := got[1]; strings.Join(f.VulnerabilityIDs, ",") != "CVE-2003-1567,CVE-2004-2320" || len(f.CWEs) != 2 || f.CWEs[1] != 200 {
		t.Errorf("trace: ids %v cwes %v", f.VulnerabilityIDs, f.CWEs)
	}
	if f := got[2]; f.Severity != findings.Info || f.Title != "Nessus Scan Information" {
		t.Errorf("info: %+v", f)
	}
	io := scannertest.ParseFile(t, ParseCSV, "testdata/tenable-io.csv")
	if len(io) != 1 || io[0].RuleID != "70658" || io[0].Severity != findings.Low || io[0].Locations[0].Host != "10.0.0.99" || io[0].CWEs[0] != 200 || *io[0].CVSS.V3Score != 2.6 {
		t.Errorf("tenable.io: %+v", io)
	}
	scannertest.ParseFileN(t, ParseCSV, "testdata/header-only.csv", 0)
	// Tenable.io's export of a fixed vulnerability (state FIXED) is not a
	// finding of the report; NEW, ACTIVE and RESURFACED are. Before, the
	// FIXED row was imported as open. (Column set of Tenable.io's
	// vulnerability export; "Vulnerability State" in Tenable.sc's.)
	states := scannertest.ParseFileN(t, ParseCSV, "testdata/tenable-io-states.csv", 3)
	if states[1].RuleID != "42873" || states[1].Locations[0].Host != "10.0.0.98" || states[2].RuleID != "10114" {
		t.Errorf("states: %+v", states)
	}
}

func TestRejects(t *testing.T) {
	scannertest.Rejects(t, Parse, []scannertest.Reject{
		{Parse: ParseCSV, File: "not-nessus.csv", Is: reportio.ErrNotReport, Prefix: "not-nessus.csv:1: not a report"},
		{Parse: ParseCSV, File: "bad-risk.csv", Is: reportio.ErrNotReport, Prefix: `bad-risk.csv:2: Risk: not a report of this format: severity "Catastrophic"`},
		{File: "parameter-entity.nessus", Is: reportio.ErrUnsafeXML, Prefix: "parameter-entity.nessus:2:"},
		{File: "bad-severity.nessus", Prefix: `bad-severity.nessus:2:`},
		{File: "export.csv", Prefix: "export.csv:1:"},
	})
}

// TestStoppedScanRefused: a .nessus export of a scan stopped while a host
// was being scanned (HOST_START without HOST_END) is refused, naming the
// file, the host and the property, after its findings are emitted; before,
// it was imported as a complete scan and closed what the unfinished host
// had not been re-checked for.
func TestStoppedScanRefused(t *testing.T) {
	scannertest.Rejects(t, Parse, []scannertest.Reject{{File: "stopped.nessus", Is: reportio.ErrIncompleteScan, Prefix: "stopped.nessus:",
		Contains: `HostProperties: the scan did not complete: ReportHost "10.0.0.6" has HOST_START but no HOST_END`}})
	if list, _ := scannertest.ParseFileErr(Parse, "testdata/stopped.nessus"); len(list) != 2 {
		t.Errorf("%d findings emitted before the refusal, want 2", len(list))
	}
	// The same export with the host ended is a complete scan; a host with
	// neither property (older exports, two-hosts.nessus) says nothing.
	done := strings.Replace(scannertest.ReadString(t, "testdata/stopped.nessus"), `<tag name="host-ip">10.0.0.6</tag>`, `<tag name="host-ip">10.0.0.6</tag><tag name="HOST_END">Mon Jan  1 10:40:00 2024</tag>`, 1)
	scannertest.ParseString(t, Parse, "done.nessus", done)
	scannertest.ParseFile(t, Parse, "testdata/two-hosts.nessus")
}

func TestDetect(t *testing.T) {
	scannertest.Detects(t, Detect, map[string]bool{
		"<?xml version=\"1.0\" ?>\n<NessusClientData_v2>\n<Policy>": true,
		"<OWASPZAPReport>": false,
	})
	scannertest.Detects(t, DetectCSV, map[string]bool{
		"Plugin ID,CVE,CVSS,Risk,Host,Protocol,Port,Name\n":                  true,
		`"Plugin","Plugin Name","Family","Severity","IP Address","Protocol"`: true,
		"age_in_days;asset.display_ipv4_address;definition.id;port\n":        true,
		"Date,Title,CweId,Url,Severity\n":                                    false,
	})
}

// TestCorpus covers the corpus folders nessus, nessus_was and tenable: all
// are .nessus XML or Nessus/Tenable CSV exports.
func TestCorpus(t *testing.T) {
	for _, folder := range []string{"nessus", "nessus_was", "tenable"} {
		t.Run(folder, func(t *testing.T) {
			scannertest.CorpusGolden(t, folder, scannertest.ByExt(Parse, ".csv", ParseCSV))
		})
	}
}

func TestCorpusDetails(t *testing.T) {
	dir := corpustest.Dir(t, "scans", "nessus")
	got := scannertest.ParseFile(t, ParseCSV, filepath.Join(dir, "nessus-template.csv"))
	php := got[3]
	if php.Title != "PHP 8.2.x < 8.2.20 Multiple Vulnerabilities" || !php.KEV || *php.CVSS.V3Score != 9.8 || *php.EPSS.Score != 0.9438 || php.VulnerabilityIDs[0] != "CVE-2024-4577" {
		t.Errorf("template row 4: %+v", php)
	}
	cwe := scannertest.ParseFile(t, Parse, filepath.Join(dir, "nessus_with_cwe-.nessus"))[0]
	if len(cwe.CWEs) < 3 || cwe.CWEs[0] != 94 || cwe.CWEs[1] != 119 || cwe.CWEs[2] != 399 || cwe.VulnerabilityIDs[0] != "CVE-2006-1015" {
		t.Errorf("cwe file: cwes %v ids %v", cwe.CWEs, cwe.VulnerabilityIDs)
	}
}

func FuzzParse(f *testing.F) {
	scannertest.FuzzDir(f, "testdata", Parse)
}

func FuzzParseCSV(f *testing.F) {
	scannertest.FuzzDir(f, "testdata", ParseCSV)
}

// TestCSVHostAsNessus: every CSV layout locates a row as the .nessus
// export of the same scan locates its ReportHost: the address (host-ip;
// CSV "IP Address", Tenable.io's asset.display_ipv4_address, else
// asset.display_ipv6_address), else the DNS name, else the scan target,
// with the DNS name (host-fqdn; CSV "FQDN", Tenable.sc's "DNS Name",
// Tenable.io's asset.display_fqdn) beside the address. Before, the CSV
// reader took the first of its host columns: Tenable.io's export (Host,
// IP Address, FQDN) was located at its host name, not its address, so it
// and the .nessus of the same scan were two findings, and no CSV kept the
// DNS name. (Column sets of DefectDojo's Tenable samples:
// unittests/scans/tenable/tenable_many_vuln.csv, issue_11102.csv,
// nessus/nessus_new.csv.)
func TestCSVHostAsNessus(t *testing.T) {
	const item = `<ReportItem port="443" protocol="tcp" severity="2" pluginID="42873" pluginName="SWEET32"><risk_factor>Medium</risk_factor></ReportItem>`
	nessus := scannertest.ParseString(t, Parse, "scan.nessus", `<NessusClientData_v2><Report name="r"><ReportHost name="cam.lab"><HostProperties>`+
		`<tag name="host-ip">10.0.0.5</tag><tag name="host-fqdn">cam.lab</tag></HostProperties>`+item+`</ReportHost>`+
		`<ReportHost name="fe80::1"><HostProperties><tag name="host-ip">fe80::1</tag></HostProperties>`+item+`</ReportHost></Report></NessusClientData_v2>`)
	want := []findings.Location{{Host: "10.0.0.5", Port: 443, Protocol: "tcp", HostName: "cam.lab"}, {Host: "fe80::1", Port: 443, Protocol: "tcp"}}
	for i, f := range nessus {
		if l := f.Locations[0]; l.Host != want[i].Host || l.HostName != want[i].HostName {
			t.Fatalf(".nessus host %d: %+v, want %+v", i, l, want[i])
		}
	}
	for name, doc := range map[string]string{
		"Tenable.io": "Plugin ID,Risk,Host,Protocol,Port,Name,IP Address,FQDN\n" +
			"42873,Medium,cam.lab,tcp,443,SWEET32,10.0.0.5,cam.lab\n" +
			"42873,Medium,fe80::1,tcp,443,SWEET32,fe80::1,\n",
		"Tenable.sc": "Plugin,Plugin Name,Severity,IP Address,Protocol,Port,DNS Name\n" +
			"42873,SWEET32,Medium,10.0.0.5,TCP,443,cam.lab\n" +
			"42873,SWEET32,Medium,fe80::1,TCP,443,\n",
		"Tenable Vulnerability Management": "asset.display_fqdn;asset.display_ipv4_address;asset.display_ipv6_address;asset.host_name;definition.id;definition.name;port;protocol;severity\n" +
			"cam.lab;10.0.0.5;fe80::5;cam.lab;42873;SWEET32;443;TCP;Medium\n" +
			";;fe80::1;fe80::1;42873;SWEET32;443;TCP;Medium\n",
	} {
		list, err := scannertest.ParseStringErr(ParseCSV, name+".csv", doc)
		if err != nil || len(list) != 2 {
			t.Fatalf("%s: %d findings, %v", name, len(list), err)
		}
		for i, f := range list {
			if l := f.Locations[0]; l.Host != want[i].Host || l.Port != 443 || l.HostName != want[i].HostName {
				t.Errorf("%s row %d: %+v, want %+v", name, i+1, l, want[i])
			}
			scannertest.CrossTool(t, f, nessus[i])
		}
	}
}
