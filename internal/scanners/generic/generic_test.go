package generic

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
	for file, want := range map[string]string{
		"unknown-field.json":    "unknown-field.json: at byte 85: findings[0]: not a report of this format: fields not allowed in a generic finding: status",
		"missing-severity.json": "missing-severity.json: at byte 48: findings[0]: not a report of this format: required fields are missing: severity",
		"bad-severity.json":     `severity "Severe" is not Info, Low, Medium, High or Critical`,
	} {
		_, err := scannertest.ParseFileErr(Parse, filepath.Join("testdata", file))
		if !errors.Is(err, reportio.ErrNotReport) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v", file, err)
		}
	}
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

func TestCorpus(t *testing.T) {
	dir := corpustest.Dir(t, "scans", "generic")
	type want struct {
		count                             int
		critical, high, medium, low, info int
		title, ids, tool                  string
		err                               string
	}
	cases := map[string]want{
		"generic_csv_defect_dojo.csv":            {count: 4, low: 4, title: "Server leaks inodes via ETags, header found with file /, fields: 0xW/109b 0xpqG8TolgxCnpM/7cGOOI0GRS+rc"},
		"generic_csv_with_epss.csv":              {count: 1, low: 1, title: "Server leaks inodes via ETags, header found with file /, fields: 0xW/109b 0xpqG8TolgxCnpM/7cGOOI0GRS+rc"},
		"generic_custom_test.json":               {count: 1, medium: 1, title: "test title", ids: "CVE-2020-36234", tool: "Tool 1"},
		"generic_custom_test_with_meta.json":     {count: 1, medium: 1, title: "test title", tool: "Tool 1"},
		"generic_cve_and_vulnerability_ids.json": {count: 1, high: 1, title: "Test CVE + Vuln IDs", ids: "CVE-2020-36234,GHSA-5mrr-rgp6-x4gr,OSV-2021-1234"},
		// Deliberately invalid files.
		"generic_empty.json":                           {err: "findings[0]: not a report of this format: required fields are missing: title, severity, description"},
		"generic_invalid.json":                         {err: "findings[0]: not a report of this format: fields not allowed in a generic finding: invalid_field, last_status_update"},
		"generic_no_type.json":                         {count: 1, medium: 1, title: "Test Finding Without Type"},
		"generic_non_numeric_fields.json":              {count: 3, medium: 3, title: "numeric fields reported as placeholders"},
		"generic_one_finding_with_component_name.json": {count: 1, high: 1, title: "High"},
		// Five rows with one title, severity and description: one finding.
		"generic_report1.csv":            {count: 1, low: 1, title: "ASDF"},
		"generic_report1.json":           {count: 2, medium: 2, title: "test title", ids: "CVE-2020-36234"},
		"generic_report1_more_tags.json": {count: 2, medium: 2, title: "test title", ids: "CVE-2020-36234"},
		"generic_report2.json":           {count: 2, critical: 1, medium: 1, title: "test title3", ids: "CVE-2020-36234"},
		// Both rows are mitigated.
		"generic_report3.csv":                           {},
		"generic_report3.json":                          {count: 2, critical: 1, medium: 1, title: "test title with endpoints as dict", ids: "CVE-2020-36234"},
		"generic_report4.csv":                           {count: 4, info: 4, title: "Title1", ids: "CVE-2015-9235"},
		"generic_report4.json":                          {count: 1, low: 1, title: "title", ids: "CVE-2015-9235,GHSA-5mrr-rgp6-x4gr"},
		"generic_report_fix_version.csv":                {count: 2, high: 1, medium: 1, title: "Test finding with fix_version"},
		"generic_report_fix_version.json":               {count: 2, high: 1, medium: 1, title: "test title with fix_version", ids: "CVE-2025-12345"},
		"generic_report_kev_cvssv4.csv":                 {count: 1, low: 1, title: "Test finding"},
		"generic_report_kev_cvssv4.json":                {count: 2, medium: 2, title: "test title", ids: "CVE-2020-36234"},
		"generic_report_multi_cwe_fabricated.json":      {count: 3, high: 1, medium: 1, low: 1, title: "Multiple CWEs finding"},
		"generic_test_type_1.json":                      {count: 1, high: 1, title: "Test Finding 1", tool: "Tool1"},
		"generic_test_type_2.json":                      {count: 1, medium: 1, title: "Test Finding 2", tool: "Tool2"},
		"generic_test_type_equals_scan_type.json":       {count: 1, high: 1, title: "Test Finding With Type Equal To Scan Type", tool: "Generic Findings Import"},
		"generic_test_type_suffix.json":                 {count: 1, high: 1, title: "Test Finding Prisma", tool: "Prisma Cloud (Generic Findings Import)"},
		"generic_two_findings_same_component_name.json": {count: 2, critical: 1, high: 1, title: "Critical"},
		"test_import_report1.json":                      {count: 1, critical: 1, title: "Emma Jones", tool: "Unicorn"},
		"test_import_report2.json":                      {count: 1, critical: 1, title: "Henry Smith", tool: "Unicorn"},
		"test_with_image.json":                          {count: 1, medium: 1, title: "Vuln with image"},
		"test_with_image_no_ext.json":                   {count: 1, medium: 1, title: "Vuln with image and no extension"},
	}
	scannertest.Corpus(t, dir, cases, func(t *testing.T, path string, w want) {
		parse := scannertest.ParserFor(path, Parse, ".csv", ParseCSV)
		if w.err != "" {
			_, err := scannertest.ParseFileErr(parse, path)
			if err == nil || !strings.Contains(err.Error(), w.err) || !strings.HasPrefix(err.Error(), filepath.Base(path)+": at byte") {
				t.Errorf("error %v, want %q", err, w.err)
			}
			return
		}
		got := scannertest.CheckFile(t, parse, path, scannertest.Counts{Total: w.count, Critical: w.critical, High: w.high, Medium: w.medium, Low: w.low, Info: w.info})
		if w.count == 0 {
			return
		}
		f := got[0]
		if f.Title != w.title || strings.Join(f.VulnerabilityIDs, ",") != w.ids || f.Tool != w.tool {
			t.Errorf("first: %q %v tool %q", f.Title, f.VulnerabilityIDs, f.Tool)
		}
	})
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
