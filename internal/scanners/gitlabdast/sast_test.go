package gitlabdast

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/scanners/reportio"
	"github.com/rampart-security/rampart/internal/scanners/scannertest"
)

// The fixtures follow GitLab's security report schemas (sast and
// secret_detection, v14 and v15) as GitLab's analyzers write them: "scan"
// after "vulnerabilities" (sast-v15.json, secret-detection.json) or before
// (sast-v14-legacy.json, with schema 14's confidence, message, cve and
// per-vulnerability scanner).
func TestParseSAST(t *testing.T) {
	got := scannertest.ParseFileN(t, ParseSAST, "testdata/sast-v15.json", 2)
	scannertest.CheckInvariants(t, got)
	sqli := got[0]
	if sqli.RuleID != "bandit.B608" || sqli.Severity != findings.High || sqli.Tool != "Semgrep" || len(sqli.CWEs) != 1 || sqli.CWEs[0] != 89 ||
		sqli.Locations[0] != (findings.Location{File: "app/views.py", Line: 42}) || sqli.Mitigation != "Use parameterized queries." ||
		!strings.HasPrefix(sqli.Title, "Improper neutralization") || !strings.HasPrefix(sqli.UniqueID, "6c2c1e6e") {
		t.Errorf("SQL injection: %+v", sqli)
	}
	if !strings.Contains(sqli.Description, "SQL query built from request.args") || !strings.Contains(sqli.Description, "In: ItemView.get") ||
		!strings.Contains(sqli.Description, "GitLab flagged this as a likely false positive (vet): the input is a validated integer") {
		t.Errorf("description %q", sqli.Description)
	}
	if len(sqli.References) != 2 || sqli.Triage != nil {
		t.Errorf("references %v triage %+v", sqli.References, sqli.Triage)
	}
	// A CWE id written as a number; Unknown severity is info.
	if md5 := got[1]; md5.Severity != findings.Info || md5.CWEs[0] != 327 || md5.RuleID != "bandit.B303-1" || md5.Locations[0].Line != 7 {
		t.Errorf("MD5: %+v", md5)
	}
	// Same CWE, file and line as Semgrep's own JSON: the same fingerprint.
	scannertest.CrossTool(t, sqli, findings.Finding{Tool: "semgrep", RuleID: "python.lang.security.sqli", CWEs: []int{89}, Locations: []findings.Location{{File: "app/views.py", Line: 42}}})

	legacy := scannertest.ParseFileN(t, ParseSAST, "testdata/sast-v14-legacy.json", 1)[0]
	if legacy.Title != "Predictable pseudorandom number generator" || legacy.RuleID != "PREDICTABLE_RANDOM" || legacy.Severity != findings.Medium ||
		legacy.Tool != "Find Security Bugs" || legacy.CWEs[0] != 330 || legacy.UniqueID != "b0f5c2d4-3a1e-4a0b-9c1d-2e3f4a5b6c7d" ||
		!strings.Contains(legacy.Description, "Confidence: high") || !strings.Contains(legacy.Description, "In: com.example.Token.next") || len(legacy.VulnerabilityIDs) != 0 {
		t.Errorf("legacy: %+v", legacy)
	}

	secret := scannertest.ParseFileN(t, ParseSAST, "testdata/secret-detection.json", 1)[0]
	if secret.RuleID != "AWS" || secret.Severity != findings.Critical || secret.Tool != "Gitleaks" || secret.Locations[0] != (findings.Location{File: "config/settings.py", Line: 12}) ||
		!strings.Contains(secret.Description, "Commit: 3f9c0d1e2b4a") || strings.Contains(secret.Description, "AKIA") {
		t.Errorf("secret: %+v", secret)
	}

	scannertest.ParseFileN(t, ParseSAST, "testdata/sast-empty.json", 0)
	scannertest.Rejects(t, ParseSAST, []scannertest.Reject{
		{File: "coverage-fuzzing.json", Prefix: "coverage-fuzzing.json: at byte", Contains: `scan.type is "coverage_fuzzing"`},
		{File: "dast-v15.json", Prefix: "dast-v15.json: at byte", Contains: "read it as gitlab-dast"},
		{File: "truncated.json", Prefix: "truncated.json:"},
	})
	// The DAST parser names this format for a SAST report.
	scannertest.Rejects(t, Parse, []scannertest.Reject{{File: "sast-v15.json", Prefix: "sast-v15.json: at byte", Contains: "read it as gitlab-sast"}})
}

// The fixtures follow GitLab's dependency-scanning-report-format and
// container-scanning-report-format schemas (v15) as Gemnasium and GitLab
// Container Scanning (Trivy) write them: the package and version under
// location.dependency, the lock file or the image as where it was found.
func TestParseDependencyAndContainerScanning(t *testing.T) {
	deps := scannertest.ParseFileN(t, ParseSAST, "testdata/dependency-scanning.json", 2)
	scannertest.CheckInvariants(t, deps)
	lodash := deps[0]
	if lodash.Component != (findings.Component{Name: "lodash", Version: "4.17.20"}) || lodash.Severity != findings.High || lodash.Tool != "Gemnasium" ||
		lodash.RuleID != "9b5c2e8a-3d1f-4c7e-a6b0-2f8d9e1c4a7b" || strings.Join(lodash.VulnerabilityIDs, ",") != "CVE-2021-23337,GHSA-35jh-r3h4-6jhm" ||
		len(lodash.CWEs) != 1 || lodash.CWEs[0] != 94 || lodash.Locations[0] != (findings.Location{File: "package-lock.json"}) ||
		lodash.Mitigation != "Upgrade to version 4.17.21 or above." || !strings.Contains(lodash.Description, "Direct dependency") {
		t.Errorf("lodash: %+v", lodash)
	}
	if minimatch := deps[1]; minimatch.Component.Name != "minimatch" || minimatch.Component.Version != "3.0.4" ||
		!strings.Contains(minimatch.Description, "Transitive dependency") || minimatch.Severity != findings.Medium {
		t.Errorf("minimatch: %+v", minimatch)
	}
	// The same CVE in the same package as another tool's report: one finding.
	scannertest.CrossTool(t, lodash, findings.Finding{Tool: "trivy", VulnerabilityIDs: []string{"CVE-2021-23337"}, Component: findings.Component{Name: "lodash", Version: "4.17.20"}})

	images := scannertest.ParseFileN(t, ParseSAST, "testdata/container-scanning.json", 2)
	scannertest.CheckInvariants(t, images)
	crypto, ssl := images[0], images[1]
	if crypto.Component != (findings.Component{Name: "libcrypto3", Version: "3.1.3-r0"}) || crypto.Tool != "Trivy" || crypto.VulnerabilityIDs[0] != "CVE-2023-5363" ||
		crypto.Locations[0].File != "registry.example.com/camera/gateway:2.4.0" || !strings.Contains(crypto.Description, "Operating system: alpine 3.18.4") ||
		crypto.Mitigation != "Upgrade libcrypto3 to 3.1.4-r0" {
		t.Errorf("libcrypto3: %+v", crypto)
	}
	// One CVE in two packages of the image: two findings.
	if ssl.Component.Name != "libssl3" || ssl.Fingerprint == crypto.Fingerprint {
		t.Errorf("libssl3 %+v shares the fingerprint of libcrypto3", ssl)
	}
}

func TestDetectSAST(t *testing.T) {
	scannertest.Detects(t, DetectSAST, map[string]bool{
		`{"vulnerabilities":[{"location":{"file":"a.py","start_line":1}}],"scan":{"type":"sast"}}`:                        true,
		`{"version":"15.0.7","vulnerabilities":[],"scan":{"type":"secret_detection","status":"success"}}`:                 true,
		`{"vulnerabilities":[],"scan":{"type" : "sast"}}`:                                                                 true,
		`{"vulnerabilities":[{"location":{"file":"package-lock.json","dependency":{"package":{"name":"x"}}}}],"scan":{}}`: true,
		`{"vulnerabilities":[{"location":{"image":"alpine:3.19","dependency":{"package":{"name":"x"}}}}],"scan":{}}`:      true,
		`{"vulnerabilities":[],"scan":{"type":"dast","scanned_resources":[]}}`:                                            false,
		`{"vulnerabilities":[{"location":{"hostname":"https://a","path":"/"}}],"scan":{}}`:                                false,
		`{"vulnerabilities":[],"scan":{"type":"container_scanning"}}`:                                                     true,
		`{"vulnerabilities":[],"scan":{"type":"coverage_fuzzing"}}`:                                                       false,
		`{"bomFormat":"CycloneDX","vulnerabilities":[]}`:                                                                  false,
	})
}

func FuzzParseSAST(f *testing.F) {
	scannertest.FuzzDir(f, "testdata", ParseSAST)
}

// TestPendingRoundTrip: every vulnerability of the fixtures, converted and
// packed as findings wait for "scan", unpacks to a Finding deeply equal to
// the one packed (nil and empty lists told apart), so holding them packed
// does not change the output; a finding() that set a field the packing
// does not carry would fail here.
func TestPendingRoundTrip(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil {
		t.Fatal(err)
	}
	var want []findings.Finding
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Vulnerabilities []sastVulnerability `json:"vulnerabilities"`
		}
		if json.Unmarshal(data, &doc) != nil {
			continue // truncated.json
		}
		for _, v := range doc.Vulnerabilities {
			want = append(want, v.finding())
		}
	}
	want = append(want, findings.Finding{Tool: "t", Severity: findings.Low, UniqueID: "u", Mitigation: "m", RuleID: "r", Title: "ti", Description: "d\n\nx",
		Component: findings.Component{Name: "c", Version: "1"}, VulnerabilityIDs: []string{}, References: []string{"a", ""}, CWEs: []int{-1, 79},
		Locations: []findings.Location{{File: "f", Line: -3}, {}}}, findings.Finding{})
	if len(want) < 10 {
		t.Fatalf("%d fixture findings", len(want))
	}
	var p pendingFindings
	for _, f := range want {
		p.add(f)
	}
	var got []findings.Finding
	if err := p.each(func(f findings.Finding) error { got = append(got, f); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d findings unpacked, want %d", len(got), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("finding %d:\n got %#v\nwant %#v", i, got[i], want[i])
		}
	}
}

// TestFailedScanRefused: a GitLab report whose scan.status is "failure"
// (the analyzer says its scan failed) is refused after its findings are
// emitted, naming the file, the field and the fatal message, SAST and DAST
// alike; before, the SAST one was imported as a complete scan with 1
// finding and the DAST one as an empty scan, closing every other finding.
func TestFailedScanRefused(t *testing.T) {
	scannertest.Rejects(t, ParseSAST, []scannertest.Reject{
		{File: "sast-failure.json", Is: reportio.ErrIncompleteScan, Prefix: "sast-failure.json: at byte ",
			Contains: `scan.status: the scan did not complete: scan.status is "failure": the analyzer says its scan failed: [semgrep] Analysis timed out after 3600s`},
		{Parse: Parse, File: "dast-failure.json", Is: reportio.ErrIncompleteScan, Prefix: "dast-failure.json: at byte ",
			Contains: "scan.status: the scan did not complete: scan.status is \"failure\": the analyzer says its scan failed: Target https://portal.example.test is not reachable"},
	})
	if list, _ := scannertest.ParseFileErr(ParseSAST, "testdata/sast-failure.json"); len(list) != 1 {
		t.Errorf("%d findings emitted before the refusal, want 1", len(list))
	}
}

// Reports of schemas 2 to 14 need no "scan" (DefectDojo's test reports,
// testdata/PROVENANCE.md): gl-sast-report-1-vuln_v14.json is TruffleHog's
// schema 2.3 report, its type in each vulnerability's "category"; the
// empty one has only "version", "vulnerabilities" and "remediations".
func TestSASTWithoutScan(t *testing.T) {
	one := readFile(t, "testdata/defectdojo-gl-sast-report-1-vuln_v14.json")
	empty := readFile(t, "testdata/defectdojo-gl-sast-report-0-vuln.json")
	dast := readFile(t, "testdata/defectdojo-gitlab_dast_one_vul_v14.json")
	scannertest.Detects(t, DetectSAST, map[string]bool{
		one:   true,
		empty: true,
		dast:  false,
		`{"version":"14.0.4","vulnerabilities":[{"identifiers":[],"location":{"image":"alpine:3.19","dependency":{"package":{"name":"x"}}}}]}`: true,
		`{"version":"2.3","vulnerabilities":[]}`:                                        false,
		`{"vulnerabilities":[{"identifiers":{"CVE":[]},"packageName":"x"}],"ok":false}`: false,
		`{"vulnerabilities":[{"location":{"file":"a.py"}}]}`:                            false,
	})
	f := scannertest.ParseFileN(t, ParseSAST, "testdata/defectdojo-gl-sast-report-1-vuln_v14.json", 1)[0]
	if f.Title != "Password in URL" || f.RuleID != "Password in URL" || f.Severity != findings.Critical || f.Tool != "TruffleHog" ||
		f.Locations[0] != (findings.Location{File: "docker-compose.override.unit_tests.yml", Line: 19}) {
		t.Errorf("TruffleHog: %+v", f)
	}
	scannertest.ParseFileN(t, ParseSAST, "testdata/defectdojo-gl-sast-report-0-vuln.json", 0)
	// Without "scan" the category is the report type.
	if _, err := scannertest.ParseStringErr(ParseSAST, "dast.json", strings.Replace(one, `"category": "sast"`, `"category": "dast"`, 1)); err == nil ||
		!strings.Contains(err.Error(), `vulnerabilities[0].category is "dast"`) || !strings.Contains(err.Error(), "read it as gitlab-dast") {
		t.Errorf("a dast category: %v", err)
	}
	// An exporter's own category (Checkmarx One writes "Checkmarx-sast") is
	// not a report type.
	if got := scannertest.ParseString(t, ParseSAST, "checkmarx.json", strings.Replace(one, `"category": "sast"`, `"category": "Checkmarx-sast"`, 1)); len(got) != 1 {
		t.Errorf("an exporter's category: %d findings", len(got))
	}
	scannertest.Rejects(t, Parse, []scannertest.Reject{{File: "defectdojo-gl-sast-report-1-vuln_v14.json", Prefix: "defectdojo-gl-sast-report-1-vuln_v14.json: at byte",
		Contains: `vulnerabilities[0].category is "sast": a GitLab sast report, not DAST (its locations are not URLs): read it as gitlab-sast`}})
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
