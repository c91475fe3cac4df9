package openvas

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
	got := scannertest.ParseFileN(t, Parse, "testdata/report.xml", 2) // false positive skipped
	f := got[0]
	if f.Title != "SSH Terrapin Prefix Truncation Weakness" || f.Severity != findings.Medium || f.RuleID != "1.3.6.1.4.1.25623.1.0.151443" || f.UniqueID != "res-1" {
		t.Errorf("terrapin: %+v", f)
	}
	if f.Locations[0] != (findings.Location{Host: "192.0.2.10", Port: 22, Protocol: "tcp", HostName: "gw.lab"}) || f.VulnerabilityIDs[0] != "CVE-2023-48795" || f.References[0] != "https://terrapin-attack.com/" {
		t.Errorf("terrapin location/ids: %+v %v %v", f.Locations, f.VulnerabilityIDs, f.References)
	}
	if f.CVSS.V3Vector != "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:N" || *f.CVSS.V3Score != 5.9 || f.Mitigation != "Update OpenSSH." || !strings.Contains(f.Description, "Detection result:\nVulnerable KEX") {
		t.Errorf("terrapin details: %+v %q %q", f.CVSS, f.Mitigation, f.Description)
	}
	if l := got[1]; l.Severity != findings.Info || l.Locations[0].Port != 0 || l.Locations[0].Protocol != "tcp" {
		t.Errorf("log result: %+v", l)
	}
	// Greenbone and Nessus reporting the same CVE on the same port agree.
	nessus := findings.Finding{Tool: "nessus", RuleID: "187315", VulnerabilityIDs: []string{"CVE-2023-48795"}, Locations: []findings.Location{{Host: "192.0.2.10", Port: 22, Protocol: "tcp"}}}
	if findings.Fingerprint(nessus) != f.Fingerprint {
		t.Error("cross-tool fingerprint differs")
	}
	_, err := scannertest.ParseFileErr(Parse, "testdata/truncated.xml")
	if err == nil || !strings.HasPrefix(err.Error(), "truncated.xml:") {
		t.Errorf("truncated: %v", err)
	}
}

func TestParseCSV(t *testing.T) {
	got := scannertest.ParseFileN(t, ParseCSV, "testdata/results.csv", 2)
	f := got[0]
	if f.Severity != findings.Medium || strings.Join(f.VulnerabilityIDs, ",") != "CVE-2023-48795,CVE-2023-51384" || *f.EPSS.Score != 0.9617 || *f.EPSS.Percentile != 0.99532 || f.Locations[0].Port != 22 {
		t.Errorf("csv: %+v", f)
	}
	if got[1].Severity != findings.Info {
		t.Errorf("log row: %s", got[1].Severity)
	}
	scannertest.NotReport(t, ParseCSV, "testdata/bad-severity.csv", "bad-severity.csv:2: Severity:")
}

func TestDetect(t *testing.T) {
	if !Detect(reportio.NewHead([]byte(`<report id="x" format_id="y"><owner/><report_format id="z">`))) || Detect(reportio.NewHead([]byte(`<report><title>other</title>`))) {
		t.Error("Detect")
	}
	if !DetectCSV(reportio.NewHead([]byte("IP,Hostname,Port,Port Protocol,CVSS,Severity,NVT Name,NVT OID\n"))) || DetectCSV(reportio.NewHead([]byte("Plugin ID,Host\n"))) {
		t.Error("DetectCSV")
	}
}

func TestCorpus(t *testing.T) {
	dir := corpustest.Dir(t, "scans", "openvas")
	type corpusCase struct {
		count                             int
		critical, high, medium, low, info int
		title, host                       string
		port, cves                        int
	}
	cases := map[string]corpusCase{
		// Severity from the numeric CVSS severity: 10.0 counts as critical.
		"many_vuln.csv":            {4, 1, 0, 2, 1, 0, "TCP timestamps", "192.168.118.212", 0, 0},
		"many_vuln.xml":            {44, 8, 11, 25, 0, 0, "The rexec service is running", "192.168.1.1001", 512, 1},
		"no_vuln.csv":              {},
		"no_vuln.xml":              {},
		"one_vuln.csv":             {1, 0, 0, 1, 0, 0, "SSH Weak Encryption Algorithms Supported", "10.0.0.8", 22, 0},
		"one_vuln.xml":             {1, 1, 0, 0, 0, 0, "Mozilla Firefox Security Update (mfsa_2023-32_2023-36) - Windows", "10.0.101.2", 0, 12},
		"report_combine_v2.csv":    {2, 0, 0, 0, 2, 0, "TCP Timestamps Information Disclosure", "45.33.32.156", 0, 0},
		"report_detail_v2.csv":     {1, 1, 0, 0, 0, 0, "Microsoft Windows Multiple Vulnerabilities (KB5062557)", "10.99.99.99", 42, 93},
		"report_detail_v2.xml":     {1, 1, 0, 0, 0, 0, "Microsoft Windows Multiple Vulnerabilities (KB5062557)", "10.99.99.99", 42, 93},
		"report_using_CVE.csv":     {43, 8, 13, 22, 0, 0, "CVE-2021-26690", "45.33.32.156", 0, 1},
		"report_using_openVAS.csv": {13, 0, 0, 0, 1, 12, "TCP Timestamps Information Disclosure", "45.33.32.156", 0, 0},
	}
	scannertest.Corpus(t, dir, cases, func(t *testing.T, path string, w corpusCase) {
		parse := scannertest.ParserFor(path, Parse, ".csv", ParseCSV)
		got := scannertest.CheckFile(t, parse, path, scannertest.Counts{Total: w.count, Critical: w.critical, High: w.high, Medium: w.medium, Low: w.low, Info: w.info})
		if w.count == 0 {
			return
		}
		f := got[0]
		if f.Title != w.title || f.Locations[0].Host != w.host || f.Locations[0].Port != w.port || len(f.VulnerabilityIDs) != w.cves {
			t.Errorf("first: %q %+v %d cves", f.Title, f.Locations[0], len(f.VulnerabilityIDs))
		}
	})
	// The same result exported as XML and CSV.
	x := scannertest.ParseFile(t, Parse, filepath.Join(dir, "report_detail_v2.xml"))[0]
	c := scannertest.ParseFile(t, ParseCSV, filepath.Join(dir, "report_detail_v2.csv"))[0]
	if x.Fingerprint != c.Fingerprint || x.UniqueID != c.UniqueID || *x.CVSS.V3Score != 9.8 {
		t.Errorf("XML/CSV disagree: %s %s / %s %s", x.Fingerprint, x.UniqueID, c.Fingerprint, c.UniqueID)
	}
}

func FuzzParse(f *testing.F) {
	scannertest.FuzzDir(f, "testdata", Parse)
}

func FuzzParseCSV(f *testing.F) {
	scannertest.FuzzDir(f, "testdata", ParseCSV)
}
