package gitlabdast

import (
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/scanners/scannertest"
)

func TestParse(t *testing.T) {
	got := scannertest.ParseFile(t, Parse, "testdata/dast-v15.json")
	scannertest.CheckInvariants(t, got)
	type want struct {
		rule, title string
		sev         findings.Severity
		urls        string
		cwes        int
	}
	// Five instances: two of 10021 on the shop site are one finding; 10021
	// on the admin site is its own (another site); Unknown is info.
	wants := []want{
		{"10021", "X-Content-Type-Options Header Missing", findings.Low, "https://shop.example.test/assets/app.js https://shop.example.test/cart", 693},
		{"40018", "SQL Injection", findings.High, "https://shop.example.test/api/items?sort=name", 89},
		{"10021", "X-Content-Type-Options Header Missing", findings.Low, "http://admin.example.test:8080/", 0},
		{"10109", "Modern Web Application", findings.Info, "https://shop.example.test/", 0},
	}
	if len(got) != len(wants) {
		t.Fatalf("got %d findings, want %d", len(got), len(wants))
	}
	for i, w := range wants {
		f := got[i]
		var urls []string
		for _, l := range f.Locations {
			urls = append(urls, l.URL)
		}
		cwe := 0
		if len(f.CWEs) > 0 {
			cwe = f.CWEs[0]
		}
		if f.RuleID != w.rule || f.Title != w.title || f.Severity != w.sev || strings.Join(urls, " ") != w.urls || cwe != w.cwes || f.Tool != "OWASP Zed Attack Proxy (ZAP)" {
			t.Errorf("finding %d: %q %q %s %v %v %q", i, f.RuleID, f.Title, f.Severity, urls, f.CWEs, f.Tool)
		}
	}
	hdr := got[0]
	if l := hdr.Locations[1]; l != (findings.Location{Host: "shop.example.test", Port: 443, Protocol: "https", Path: "/cart", URL: "https://shop.example.test/cart"}) {
		t.Errorf("location %+v", l)
	}
	if !strings.Contains(hdr.Description, "Instances:\n- GET https://shop.example.test/assets/app.js (parameter X-Content-Type-Options)\n- GET https://shop.example.test/cart (parameter X-Content-Type-Options)") ||
		!strings.HasPrefix(hdr.Mitigation, "Ensure that the application") || len(hdr.References) != 1 {
		t.Errorf("description %q mitigation %q references %v", hdr.Description, hdr.Mitigation, hdr.References)
	}
	if sqli := got[1]; sqli.Locations[0].Path != "/api/items" || !strings.Contains(sqli.Description, "POST https://shop.example.test/api/items?sort=name (parameter id): The page results were successfully manipulated") {
		t.Errorf("SQL injection: %+v", sqli)
	}
	if got[0].Fingerprint == got[2].Fingerprint {
		t.Error("one check on two sites has one fingerprint")
	}
	// A re-scan that finds the header missing on one URL only is the same
	// finding (the check on the site).
	again := scannertest.ParseEdited(t, Parse, "testdata/dast-v15.json", `"path": "/cart"`, `"path": "/assets/app.js"`)
	if len(again[0].Locations) != 1 || again[0].Fingerprint != got[0].Fingerprint {
		t.Errorf("re-scan: %d locations, fingerprint changed %v", len(again[0].Locations), again[0].Fingerprint != got[0].Fingerprint)
	}
}

func TestParseLegacyAndEdges(t *testing.T) {
	legacy := scannertest.ParseFileN(t, Parse, "testdata/dast-v2-legacy.json", 1)
	f := legacy[0]
	// Schema 2: the title is in "message"; a bare host name has no scheme.
	if f.Title != "Content Security Policy (CSP) Header Not Set" || f.RuleID != "10038" || f.Severity != findings.Medium || len(f.VulnerabilityIDs) != 0 || f.CWEs[0] != 16 ||
		f.Locations[0] != (findings.Location{Host: "legacy.example.test", Path: "/robots.txt", URL: "legacy.example.test/robots.txt"}) || f.Tool != "ZAProxy" {
		t.Errorf("legacy: %+v", f)
	}
	scannertest.ParseFileN(t, Parse, "testdata/empty.json", 0)
	scannertest.Rejects(t, Parse, []scannertest.Reject{
		{File: "sast.json", Prefix: `sast.json: at byte`, Contains: `scan.type is "sast"`},
		{File: "truncated.json", Prefix: `truncated.json:`},
	})
}

func TestDetect(t *testing.T) {
	scannertest.Detects(t, Detect, map[string]bool{
		scannertest.ReadString(t, "testdata/dast-v15.json"):                                                                true,
		`{"vulnerabilities":[],"scan":{"type":"dast","scanned_resources":[]}}`:                                             true,
		`{"scan":{"scanner":{"id":"zaproxy"}},"vulnerabilities":[{"location":{"hostname":"https://a","path":"/"}}]}`:       true,
		`{"vulnerabilities":[{"location":{"file":"a.py"}}],"scan":{"type":"sast"}}`:                                        false,
		`{"vulnerabilities":[{"location":{"dependency":{"package":{"name":"x"}}}}],"scan":{"type":"dependency_scanning"}}`: false,
		`{"bomFormat":"CycloneDX","vulnerabilities":[]}`:                                                                   false,
	})
}

func FuzzParse(f *testing.F) {
	scannertest.FuzzDir(f, "testdata", Parse)
}

// DefectDojo's DAST test reports (testdata/PROVENANCE.md): the v14 one has
// no "scan" (its type is each vulnerability's category), and the
// fabricated one writes "evidence": [] for the schema's object.
func TestDASTWithoutScanAndEvidenceArray(t *testing.T) {
	scannertest.Detects(t, Detect, map[string]bool{
		scannertest.ReadString(t, "testdata/defectdojo-gitlab_dast_one_vul_v14.json"):                                true,
		`{"version":"14.0.0","vulnerabilities":[{"identifiers":[],"location":{"hostname":"https://a","path":"/"}}]}`: true,
		`{"vulnerabilities":[{"location":{"hostname":"https://a","path":"/"}}]}`:                                     false,
	})
	f := scannertest.ParseFileN(t, Parse, "testdata/defectdojo-gitlab_dast_one_vul_v14.json", 1)[0]
	if f.RuleID != "10062" || f.Title != "PII Disclosure" || f.Severity != findings.High || f.Locations[0].URL != "http://api-server/v1/trees" || f.CWEs[0] != 359 {
		t.Errorf("v14: %+v", f)
	}
	f = scannertest.ParseFileN(t, Parse, "testdata/defectdojo-gitlab_dast_multiple_cwe_fabricated_v15.json", 1)[0]
	if len(f.CWEs) != 2 || f.CWEs[0] != 200 || f.CWEs[1] != 359 || f.RuleID != "10062" || f.Locations[0].URL != "http://api-server/v1/trees" {
		t.Errorf("multiple CWEs: %+v", f)
	}
	if _, err := scannertest.ParseStringErr(Parse, "evidence.json", `{"vulnerabilities":[{"evidence":[{"summary":"x"}]}],"scan":{}}`); err == nil || !strings.Contains(err.Error(), "vulnerabilities[0]") {
		t.Errorf("non-empty evidence array: %v", err)
	}
}
