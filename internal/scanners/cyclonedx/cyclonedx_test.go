package cyclonedx

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
	got := scannertest.ParseFileN(t, Parse, "testdata/vdr.json", 3) // one per affected component; not_affected imported as not active
	if na := got[2]; na.Triage == nil || na.Triage.Status != findings.StatusFalsePositive || got[0].Triage != nil {
		t.Errorf("not_affected triage: %+v / %+v", na.Triage, got[0].Triage)
	}
	f := got[0]
	if f.Title != "CVE-2021-44228 in org.apache.logging.log4j:log4j-core 2.14.1" || f.Severity != findings.Critical || f.CVSS.V3Vector != "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H" || *f.CVSS.V3Score != 10 {
		t.Errorf("first: %+v", f)
	}
	if len(f.CWEs) != 2 || f.Mitigation != "Upgrade to 2.17.1." || f.References[0] != "https://nvd.nist.gov/vuln/detail/CVE-2021-44228" {
		t.Errorf("details: %+v", f)
	}
	// A ref that is not a bom-ref but a purl names the component itself.
	if c := got[1].Component; c.Name != "org.apache.logging.log4j:log4j-core" || c.Version != "2.14.0" {
		t.Errorf("purl ref: %+v", c)
	}
	scannertest.NotReport(t, Parse, "testdata/not-cyclonedx.json", "")
}

func TestParseXML(t *testing.T) {
	got := scannertest.ParseFileN(t, ParseXML, "testdata/ext.xml", 1)
	f := got[0]
	if f.Component.Name != "busybox" || f.Severity != findings.High || *f.CVSS.V3Score != 8.8 || f.CVSS.V3Vector != "CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H" || f.CWEs[0] != 20 || f.References[0] != "https://security.alpinelinux.org/vuln/CVE-2022-28391" {
		t.Errorf("ext: %+v", f)
	}
	scannertest.NotReport(t, ParseXML, "testdata/other-bom.xml", "")
}

func TestCorpus(t *testing.T) {
	dir := corpustest.Dir(t, "scans", "cyclonedx")
	type corpusCase struct {
		count                             int
		critical, high, medium, low, info int
		title, ids, comp                  string
	}
	cases := map[string]corpusCase{
		// SBOMs without vulnerabilities.
		"jake.xml":            {},
		"dd_1_15_0.xml":       {381, 4, 28, 175, 141, 33, "CVE-2011-3374 in apt 1.8.2.1", "CVE-2011-3374", "apt"},
		"grype.xml":           {327, 5, 24, 155, 133, 10, "CVE-2011-3374 in apt 1.8.2.1", "CVE-2011-3374", "apt"},
		"grype_dd_1_14_1.xml": {312, 5, 31, 139, 137, 0, "GHSA-xgxc-v2qg-chmh in Django 2.2.18", "GHSA-xgxc-v2qg-chmh", "Django"},
		// The only vulnerability is analysed as not_affected (VEX).
		"issue_8022.json": {count: 1, critical: 1, title: "SNYK-JAVA-COMFASTERXMLJACKSONCORE-32111 in com.fasterxml.jackson.core:jackson-databind 2.9.4", ids: "CVE-2018-7489", comp: "com.fasterxml.jackson.core:jackson-databind"}, // analysis not_affected: imported as not active
		// 10 vulnerabilities, some affecting several packages.
		"issue_9277.json":              {14, 0, 5, 5, 4, 0, "CVE-2016-2781 in coreutils 8.32-4.1ubuntu1", "CVE-2016-2781", "coreutils"},
		"jake2.json":                   {7, 0, 3, 4, 0, 0, "c7129ff8-08bc-4afe-82ec-7d97b9491741 in Django 2.0", "CVE-2021-33203", "Django"},
		"log4j.json":                   {8, 4, 1, 3, 0, 0, "CVE-2021-44228 in log4j-core 2.13.2", "CVE-2021-44228", "log4j-core"},
		"log4j.xml":                    {8, 4, 1, 3, 0, 0, "CVE-2021-44228 in log4j-core 2.13.2", "CVE-2021-44228", "log4j-core"},
		"multiple_cwes_fabricated.xml": {1, 1, 0, 0, 0, 0, "CVE-2021-99999 in example 1.0.0", "CVE-2021-99999", "example"},
		"nested-component-log4j.json":  {8, 4, 1, 3, 0, 0, "CVE-2021-44228 in log4j-core 2.13.2", "CVE-2021-44228", "log4j-core"},
		// No severity word: the CVSS score 10.0 decides.
		"no-severity.json":   {1, 1, 0, 0, 0, 0, "CVE-2021-44228 in gerbwetbqt", "CVE-2021-44228", "gerbwetbqt"},
		"spec1.xml":          {1, 1, 0, 0, 0, 0, "CVE-2018-7489 in com.fasterxml.jackson.core:jackson-databind 2.9.9", "CVE-2018-7489", "com.fasterxml.jackson.core:jackson-databind"},
		"spec1_lowfirst.xml": {1, 1, 0, 0, 0, 0, "CVE-2018-7489 in com.fasterxml.jackson.core:jackson-databind 2.9.9", "CVE-2018-7489", "com.fasterxml.jackson.core:jackson-databind"},
		// VDR 1.4: affects[].ref names the component; ratings, CWEs and
		// advisories kept; analysis not_affected is the recorded triage.
		"valid-vulnerability-1.4.json": {count: 1, critical: 1, title: "SNYK-JAVA-COMFASTERXMLJACKSONCORE-32111 in com.fasterxml.jackson.core:jackson-databind 2.9.4", ids: "CVE-2018-7489", comp: "com.fasterxml.jackson.core:jackson-databind"},
		"valid-vulnerability-1.4.xml":  {count: 1, critical: 1, title: "SNYK-JAVA-COMFASTERXMLJACKSONCORE-32111 in com.fasterxml.jackson.core:jackson-databind 2.9.4", ids: "CVE-2018-7489", comp: "com.fasterxml.jackson.core:jackson-databind"},
	}
	for name := range sbomOnly {
		cases[name] = corpusCase{} // checked apart: refused as an SBOM
	}
	scannertest.Corpus(t, dir, cases, func(t *testing.T, path string, w corpusCase) {
		if name := filepath.Base(path); sbomOnly[name] {
			_, err := scannertest.ParseFileErr(ParseXML, path)
			if !errors.Is(err, reportio.ErrSBOM) || !strings.Contains(err.Error(), "this is an SBOM: upload it to the release's SBOM") {
				t.Fatalf("plain SBOM %s: %v, want ErrSBOM", name, err)
			}
			return
		}
		parse := scannertest.ParserFor(path, Parse, ".xml", ParseXML)
		got := scannertest.CheckFile(t, parse, path, scannertest.Counts{Total: w.count, Critical: w.critical, High: w.high, Medium: w.medium, Low: w.low, Info: w.info})
		if w.count == 0 {
			return
		}
		f := got[0]
		if f.Title != w.title || strings.Join(f.VulnerabilityIDs, ",") != w.ids || f.Component.Name != w.comp {
			t.Errorf("first: %q %v %+v", f.Title, f.VulnerabilityIDs, f.Component)
		}
	})
}

func FuzzParse(f *testing.F) {
	scannertest.FuzzDir(f, "testdata", Parse)
}

func FuzzParseXML(f *testing.F) {
	scannertest.FuzzDir(f, "testdata", ParseXML)
}

// sbomOnly are corpus CycloneDX documents with no vulnerabilities section:
// inventories, refused as scan reports (issue 12 item 6).
var sbomOnly = map[string]bool{"cyclonedx_bom.xml": true, "retirejs.latest.xml": true}

// TestPlainSBOMIsNotAReport: a CycloneDX SBOM without a vulnerabilities
// array is refused (it would close every finding of the scope); one with
// an empty array is a report with no findings.
func TestPlainSBOMIsNotAReport(t *testing.T) {
	sbom := `{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"type":"library","name":"openssl","version":"3.0.1","bom-ref":"a"}]}`
	err := Parse(strings.NewReader(sbom), "sbom.json", func(findings.Finding) error { return nil })
	if !errors.Is(err, reportio.ErrSBOM) || !strings.Contains(err.Error(), "sbom.json") {
		t.Errorf("plain SBOM: %v", err)
	}
	xmlSBOM := `<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.5"><components><component type="library"><name>zlib</name></component></components></bom>`
	if err := ParseXML(strings.NewReader(xmlSBOM), "sbom.xml", func(findings.Finding) error { return nil }); !errors.Is(err, reportio.ErrSBOM) {
		t.Errorf("plain XML SBOM: %v", err)
	}
	vdr := `{"bomFormat":"CycloneDX","specVersion":"1.5","components":[],"vulnerabilities":[]}`
	if err := Parse(strings.NewReader(vdr), "vdr.json", func(findings.Finding) error { return nil }); err != nil {
		t.Errorf("empty VDR: %v", err)
	}
}

// A VEX document names components of another BOM by BOM-Link: a bom-ref
// that is a package URL still gives the package and its version; any
// other stays the link itself.
func TestBOMLinkAffects(t *testing.T) {
	got := scannertest.ParseFileN(t, Parse, "testdata/vex-bomlink.json", 2)
	if c := got[0].Component; c.Name != "com.fasterxml.jackson.core:jackson-databind" || c.Version != "2.13.3" || !strings.HasPrefix(c.PURL, "pkg:maven/") {
		t.Errorf("purl bom-link: %+v", c)
	}
	if c := got[1].Component; c.Name != "urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#gateway-firmware" || c.Version != "" {
		t.Errorf("plain bom-link: %+v", c)
	}
}
