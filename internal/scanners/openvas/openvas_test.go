package openvas

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

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
	scannertest.CrossTool(t, f, findings.Finding{Tool: "nessus", RuleID: "187315", VulnerabilityIDs: []string{"CVE-2023-48795"}, Locations: []findings.Location{{Host: "192.0.2.10", Port: 22, Protocol: "tcp"}}})
	scannertest.Rejects(t, Parse, []scannertest.Reject{{File: "truncated.xml", Prefix: "truncated.xml:"}})
}

// TestIncompleteScansRefused: a report of a scan that did not finish, a
// page of a paged export and a scan that reached nothing are refused,
// naming the file, the element and what it says; before, the first two
// were imported as complete scans with 1 and 2 findings and the third as
// an empty one, closing every finding they did not list.
func TestIncompleteScansRefused(t *testing.T) {
	scannertest.Rejects(t, Parse, []scannertest.Reject{
		{File: "interrupted.xml", Is: reportio.ErrIncompleteScan, Prefix: "interrupted.xml:12:",
			Contains: `<scan_run_status>: the scan did not complete: scan_run_status is "Interrupted", not Done`},
		{File: "page.xml", Is: reportio.ErrIncompleteScan, Prefix: "page.xml:",
			Contains: "<results>: the scan did not complete: result_count/filtered says 3 results match the report's filter, the file lists 2: a page of the report (export it with rows=-1"},
		{File: "errors-only.xml", Is: reportio.ErrIncompleteScan, Prefix: "errors-only.xml:",
			Contains: "<errors>: the scan did not complete: the report lists no result and 1 scan errors, the first on 192.0.2.20: Host access denied."},
	})
	for _, st := range []string{"Stopped", "Running", "Stop Requested"} {
		doc := strings.ReplaceAll(scannertest.ReadString(t, "testdata/interrupted.xml"), ">Interrupted</", ">"+st+"</")
		if _, err := scannertest.ParseStringErr(Parse, "r.xml", doc); !errors.Is(err, reportio.ErrIncompleteScan) {
			t.Errorf("status %s: error %v, want a refusal", st, err)
		}
	}
	// The same report Done, complete and with its errors beside results
	// is a scan: the errors are per-NVT failures the scanner did not
	// judge fatal.
	doc := strings.ReplaceAll(scannertest.ReadString(t, "testdata/interrupted.xml"), ">Interrupted</", ">Done</")
	scannertest.ParseString(t, Parse, "done.xml", doc)
}

// TestParseXMLSeverities reads a GMP 22.4 result whose CVSS vector is only
// in the NVT's <severities> (no cvss_base_vector tag). Before, the finding
// had its score as severity but no CVSS vector or score.
func TestParseXMLSeverities(t *testing.T) {
	f := scannertest.ParseFileN(t, Parse, "testdata/severities.xml", 1)[0]
	if f.CVSS.V3Vector != "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N" || f.CVSS.V3Score == nil || *f.CVSS.V3Score != 7.5 || f.Severity != findings.High {
		t.Errorf("cvss %+v severity %s", f.CVSS, f.Severity)
	}
	if f.VulnerabilityIDs[0] != "CVE-2021-41773" || f.Locations[0] != (findings.Location{Host: "192.0.2.40", Port: 443, Protocol: "tcp", HostName: "www.lab"}) {
		t.Errorf("ids %v location %+v", f.VulnerabilityIDs, f.Locations)
	}
}

// TestParseDelta reads a delta report: results the newer scan no longer
// finds (delta "gone") are not findings; new, same and changed ones are.
// Before, gone results were imported as open findings.
func TestParseDelta(t *testing.T) {
	got := scannertest.ParseFileN(t, Parse, "testdata/delta.xml", 2)
	if got[0].UniqueID != "res-new" || got[1].UniqueID != "res-changed" || got[1].Locations[0].Port != 443 {
		t.Errorf("delta: %+v", got)
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
	scannertest.Detects(t, Detect, map[string]bool{`<report id="x" format_id="y"><owner/><report_format id="z">`: true, `<report><title>other</title>`: false})
	scannertest.Detects(t, DetectCSV, map[string]bool{"IP,Hostname,Port,Port Protocol,CVSS,Severity,NVT Name,NVT OID\n": true, "Plugin ID,Host\n": false})
}

// TestCorpus: in many_vuln.csv the severity comes from the numeric CVSS
// severity, and 10.0 counts as critical.
func TestCorpus(t *testing.T) {
	dir := scannertest.CorpusGolden(t, "openvas", scannertest.ByExt(Parse, ".csv", ParseCSV))
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
