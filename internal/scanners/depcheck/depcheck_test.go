package depcheck

import (
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/scanners/scannertest"
)

func TestParse(t *testing.T) {
	got := scannertest.ParseFileN(t, Parse, "testdata/report.xml", 1) // suppressed skipped
	f := got[0]
	if f.Title != "CVE-2021-44228 in org.apache.logging.log4j:log4j-core 2.14.1" || f.Severity != findings.Critical || *f.CVSS.V3Score != 10 || len(f.CWEs) != 2 {
		t.Errorf("finding: %+v", f)
	}
	if f.Component != (findings.Component{Name: "org.apache.logging.log4j:log4j-core", Version: "2.14.1", PURL: "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"}) || len(f.Locations) != 2 {
		t.Errorf("component %+v locations %v", f.Component, f.Locations)
	}
	// Trivy names Maven packages the same way: same fingerprint.
	scannertest.CrossTool(t, f, findings.Finding{Tool: "trivy", VulnerabilityIDs: []string{"CVE-2021-44228"}, Component: findings.Component{Name: "org.apache.logging.log4j:log4j-core", Version: "2.14.1"}})
	scannertest.Rejects(t, Parse, []scannertest.Reject{{File: "truncated.xml", Prefix: "truncated.xml:"}})
	scannertest.Detects(t, Detect, map[string]bool{
		`<?xml version="1.0"?><analysis xmlns="https://jeremylong.github.io/DependencyCheck/dependency-check.2.5.xsd">`: true,
		`<analysis><result/>`: false,
	})
}

func TestParseJSON(t *testing.T) {
	got := scannertest.ParseFile(t, ParseJSON, "testdata/report.json")
	x := scannertest.ParseFile(t, Parse, "testdata/report.xml")
	if len(got) != 1 {
		t.Fatalf("got %d findings", len(got))
	}
	f := got[0]
	if f.Severity != findings.Critical || !f.KEV || *f.CVSS.V3Score != 10 || len(f.CWEs) != 2 || len(f.Locations) != 2 || f.References[0] != "https://logging.apache.org/log4j/2.x/security.html" {
		t.Errorf("json: %+v", f)
	}
	// The same report as XML and JSON gives the same finding.
	if f.Fingerprint != x[0].Fingerprint || f.Component != x[0].Component || f.Title != x[0].Title {
		t.Errorf("XML and JSON disagree: %+v / %+v", f, x[0])
	}
	scannertest.Detects(t, DetectJSON, map[string]bool{`{"reportSchema": "1.1", "scanInfo": {`: true, `{"scanInfo": {}}`: false})
}

// TestCorpus: PR6439.xml has 191 dependencies and 26 vulnerabilities (8
// suppressed); single_vuln.xml spells its severity "Moderate".
func TestCorpus(t *testing.T) {
	dir := scannertest.CorpusGolden(t, "dependency_check", Parse)
	multi := scannertest.ParseFile(t, Parse, filepath.Join(dir, "version-6.5.3_multi_cwe_fabricated.xml"))[0]
	if len(multi.CWEs) != 2 || multi.CWEs[0] != 295 || multi.CWEs[1] != 297 || *multi.CVSS.V3Score != 3.7 {
		t.Errorf("multi cwe: %v %v", multi.CWEs, multi.CVSS.V3Score)
	}
}

func FuzzParse(f *testing.F) {
	scannertest.FuzzDir(f, "testdata", Parse)
}

func FuzzParseJSON(f *testing.F) {
	scannertest.FuzzDir(f, "testdata", ParseJSON)
}

// TestCVSS3Vector: the vector is rebuilt from Dependency-Check's spelled-out
// metrics (corpus version-6.5.3.xml: CVE-2020-9488, 3.7).
func TestCVSS3Vector(t *testing.T) {
	c := cvss3{BaseScore: "3.7", AttackVector: "NETWORK", AttackComplexity: "HIGH", PrivilegesRequired: "NONE", UserInteraction: "NONE",
		Scope: "UNCHANGED", ConfidentialityImpact: "LOW", IntegrityImpact: "NONE", AvailabilityImpact: "NONE", Version: "3.1"}
	if v := c.vector(); v != "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:N/A:N" {
		t.Errorf("vector %q", v)
	}
	c.Scope = ""
	if v := c.vector(); v != "" {
		t.Errorf("incomplete metrics gave %q", v)
	}
}

// TestCVSS4: Dependency-Check 11.1 and later report NVD's CVSS v4 (the
// <cvssV4> block of the XML report, "cvssv4" in JSON); a vulnerability
// scored with v4 only keeps its v4 vector and score, the same from both.
func TestCVSS4(t *testing.T) {
	for _, c := range []struct {
		file  string
		parse scannertest.ParseFunc
	}{{"testdata/cvss4.xml", Parse}, {"testdata/cvss4.json", ParseJSON}} {
		f := scannertest.ParseFileN(t, c.parse, c.file, 1)[0]
		if f.CVSS.V4Vector != "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N" || f.CVSS.V4Score == nil || *f.CVSS.V4Score != 8.7 ||
			f.CVSS.V3Score != nil || f.Severity != findings.High || f.CWEs[0] != 611 {
			t.Errorf("%s: %+v %+v", c.file, f.CVSS, f)
		}
	}
}

// TestFixedVersions: the fixed version is the versionEndExcluding of the
// vulnerable range the dependency matched (vulnerabilityIdMatched), in the
// XML and the JSON report alike; a range bounded by versionEndIncluding
// names no fix, and ranges the dependency did not match are not its fix.
// The JSON report writes no "severity" for a scored vulnerability: the
// CVSS v3 score gives it.
func TestFixedVersions(t *testing.T) {
	for _, c := range []struct {
		file  string
		parse func(r io.Reader, name string, emit func(findings.Finding) error) error
	}{{"testdata/fixed.xml", Parse}, {"testdata/fixed.json", ParseJSON}} {
		got := scannertest.ParseFileN(t, c.parse, c.file, 2)
		a, b := got[0], got[1]
		if strings.Join(a.FixedVersions, ",") != "2.12.6.1" || a.Mitigation != "Upgrade com.fasterxml.jackson.core:jackson-databind to 2.12.6.1." || a.Severity != findings.High {
			t.Errorf("%s: fixed %v mitigation %q severity %s", c.file, a.FixedVersions, a.Mitigation, a.Severity)
		}
		if a.CVSS.V3Vector != "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H" {
			t.Errorf("%s: vector %q", c.file, a.CVSS.V3Vector)
		}
		if len(b.FixedVersions) != 0 || b.Mitigation != "" || b.Severity != findings.High {
			t.Errorf("%s: no fix: %v %q", c.file, b.FixedVersions, b.Mitigation)
		}
	}
}

// TestAnalysisExceptions: a report whose scanInfo lists analysis
// exceptions is of a run in which analyzers failed (Dependency-Check's
// Engine records an analyzer that did not initialise and each dependency
// an analyzer failed on, writes the report anyway and exits 14; its OSS
// Index analyzer failing "leads to fewer CVEs found in the report",
// dependency-check/DependencyCheck#6731). Before, such a report was
// imported as complete and closed what the failed analyzers had found;
// now its findings are emitted and it is refused as an incomplete scan
// naming the file, where and the first exception. A report whose only
// exception is an UpdateException (a data source could not be updated:
// every dependency was analysed with the local data) is complete. The
// fixtures follow Dependency-Check's xmlReport.vsl and jsonReport.vsl
// (dependency-check/DependencyCheck 4c5c5956).
func TestAnalysisExceptions(t *testing.T) {
	const why = `Dependency-Check recorded 1 analysis exception(s), the first "org.owasp.dependencycheck.analyzer.exception.AnalysisException: Failed to request component-reports"`
	for _, c := range []struct {
		parse scannertest.ParseFunc
		file  string
		at    string
	}{
		{Parse, "analysis-exceptions.xml", "analysis-exceptions.xml:21:"},
		{ParseJSON, "analysis-exceptions.json", "analysis-exceptions.json: at byte 39: scanInfo.analysisExceptions:"},
	} {
		scannertest.Rejects(t, c.parse, []scannertest.Reject{{File: c.file, Is: findings.ErrIncompleteScan, Prefix: c.at, Contains: why}})
		if list, _ := scannertest.ParseFileErr(c.parse, filepath.Join("testdata", c.file)); len(list) != 1 {
			t.Errorf("%s: %d findings emitted before the refusal, want 1", c.file, len(list))
		}
		stale := "org.owasp.dependencycheck.data.update.exception.UpdateException: Error updating the NVD Data"
		scannertest.ParseEdited(t, c.parse, filepath.Join("testdata", c.file), "org.owasp.dependencycheck.analyzer.exception.AnalysisException: Failed to request component-reports", stale)
	}
}
