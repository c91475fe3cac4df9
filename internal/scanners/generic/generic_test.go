package generic

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/scanners/reportio"
	"github.com/rampart-security/rampart/internal/scanners/scannertest"
)

func TestParseJSON(t *testing.T) {
	got := scannertest.ParseFileN(t, Parse, "testdata/findings.json", 2) // mitigated skipped
	a := got[0]
	if a.Severity != findings.Critical || a.Tool != "fwscan" || a.RuleID != "FW-SECRET-1" || a.UniqueID != "fw-001" || a.Locations[0] != (findings.Location{File: "rootfs/etc/shadow", Line: 1}) {
		t.Errorf("first: %+v", a)
	}
	if len(a.CWEs) != 2 || a.CWEs[0] != 259 || a.CWEs[1] != 798 || a.References[0] != "https://cwe.mitre.org/data/definitions/798.html" {
		t.Errorf("cwes %v references %v", a.CWEs, a.References)
	}
	b := got[1]
	if strings.Join(b.VulnerabilityIDs, ",") != "CVE-2022-28391,GHSA-xxxx-yyyy-zzzz" || b.Component.Name != "busybox" || b.FixedVersions[0] != "1.36.0" || *b.CVSS.V3Score != 8.8 || *b.EPSS.Score != 0.0719 || !b.KEV {
		t.Errorf("second: %+v", b)
	}
	want := []findings.Location{
		{URL: "https://192.0.2.1:8443/admin", Host: "192.0.2.1", Port: 8443, Protocol: "https", Path: "/admin"},
		{URL: "ssh://192.0.2.1:22", Host: "192.0.2.1", Port: 22, Protocol: "ssh"},
	}
	if len(b.Locations) != 2 || b.Locations[0] != want[0] || b.Locations[1] != want[1] {
		t.Errorf("endpoints %+v", b.Locations)
	}
}

func TestRejects(t *testing.T) {
	scannertest.Rejects(t, Parse, []scannertest.Reject{
		{File: "unknown-field.json", Is: reportio.ErrNotReport, Contains: "unknown-field.json: at byte 85: findings[0]: not a report of this format: fields not allowed in a generic finding: status"},
		{File: "missing-severity.json", Is: reportio.ErrNotReport, Contains: "missing-severity.json: at byte 48: findings[0]: not a report of this format: required fields are missing: severity"},
		{File: "bad-severity.json", Is: reportio.ErrNotReport, Contains: `severity "Severe" is not Info, Low, Medium, High or Critical`},
	})
	scannertest.NotReport(t, ParseCSV, "testdata/missing-column.csv", `missing-column.csv:1: Description: not a report of this format: required column "Description"`)
}

func TestParseCSV(t *testing.T) {
	got := scannertest.ParseFileN(t, ParseCSV, "testdata/findings.csv", 2) // rows merged, false positive skipped
	telnet := got[0]
	if telnet.Severity != findings.High || len(telnet.Locations) != 2 || telnet.Locations[1].Host != "192.0.2.2" || telnet.CWEs[0] != 319 || *telnet.EPSS.Score != 0.5 {
		t.Errorf("telnet: %+v", telnet)
	}
	if ssl := got[1]; ssl.Severity != findings.Info || ssl.VulnerabilityIDs[0] != "CVE-2016-2107" {
		t.Errorf("unknown severity word is info, as in DefectDojo: %+v", ssl)
	}
}

// TestCorpus: generic_empty.json and generic_invalid.json are deliberately
// invalid (their golden files record the error); the five rows of
// generic_report1.csv share one title, severity and description (one
// finding); both rows of generic_report3.csv are mitigated.
func TestCorpus(t *testing.T) {
	dir := scannertest.CorpusGolden(t, "generic", scannertest.ByExt(Parse, ".csv", ParseCSV))
	kev := scannertest.ParseFile(t, Parse, filepath.Join(dir, "generic_report_kev_cvssv4.json"))[0]
	if !kev.KEV || kev.CVSS.V4Score == nil || *kev.CVSS.V4Score != 7.3 || kev.CWEs[0] != 261 {
		t.Errorf("kev/cvss4: %+v", kev)
	}
	multi := scannertest.ParseFile(t, Parse, filepath.Join(dir, "generic_report_multi_cwe_fabricated.json"))[0]
	if len(multi.CWEs) != 3 {
		t.Errorf("multi cwe: %v", multi.CWEs)
	}
}

func FuzzParse(f *testing.F) {
	scannertest.FuzzDir(f, "testdata", Parse)
}

func FuzzParseCSV(f *testing.F) {
	scannertest.FuzzDir(f, "testdata", ParseCSV)
}
