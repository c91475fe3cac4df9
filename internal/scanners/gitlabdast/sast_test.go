package gitlabdast

import (
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/findings"
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
		{File: "dependency-scanning.json", Prefix: "dependency-scanning.json: at byte", Contains: `scan.type is "dependency_scanning"`},
		{File: "dast-v15.json", Prefix: "dast-v15.json: at byte", Contains: "read it as gitlab-dast"},
		{File: "truncated.json", Prefix: "truncated.json:"},
	})
	// The DAST parser names this format for a SAST report.
	scannertest.Rejects(t, Parse, []scannertest.Reject{{File: "sast-v15.json", Prefix: "sast-v15.json: at byte", Contains: "read it as gitlab-sast"}})
}

func TestDetectSAST(t *testing.T) {
	scannertest.Detects(t, DetectSAST, map[string]bool{
		`{"vulnerabilities":[{"location":{"file":"a.py","start_line":1}}],"scan":{"type":"sast"}}`:                        true,
		`{"version":"15.0.7","vulnerabilities":[],"scan":{"type":"secret_detection","status":"success"}}`:                 true,
		`{"vulnerabilities":[],"scan":{"type" : "sast"}}`:                                                                 true,
		`{"vulnerabilities":[{"location":{"file":"package-lock.json","dependency":{"package":{"name":"x"}}}}],"scan":{}}`: true, // refused by name
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
