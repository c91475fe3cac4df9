package scanners_test

import (
	"bytes"
	"errors"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/corpustest"
	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/scanners"
	"github.com/rampart-security/rampart/internal/scanners/reportio"
)

// folderFormat maps the corpus folders this package supports to the format
// their files must be detected as (CSV files of a folder by csvFormat).
var folderFormat = map[string]struct{ xmlOrJSON, csv string }{
	"sarif":            {"sarif", ""},
	"zap":              {"zap", ""},
	"nessus":           {"nessus", "nessus-csv"},
	"nessus_was":       {"nessus", "nessus-csv"},
	"tenable":          {"", "nessus-csv"},
	"trivy":            {"trivy", ""},
	"anchore_grype":    {"grype", ""},
	"semgrep":          {"semgrep", ""},
	"gosec":            {"gosec", ""},
	"bandit":           {"bandit", ""},
	"nexpose":          {"nexpose", ""},
	"openvas":          {"openvas", "openvas-csv"},
	"osv_scanner":      {"osv-scanner", ""},
	"npm_audit":        {"npm-audit", ""},
	"npm_audit_7_plus": {"npm-audit", ""},
	"generic":          {"generic", "generic-csv"},
	"dependency_check": {"dependency-check", ""},
	"snyk":             {"snyk", ""},
	"burp":             {"burp", ""},
	"cyclonedx":        {"cyclonedx", ""},
	"qualys":           {"qualys", "qualys-csv"},
}

// undetectable lists corpus files whose content cannot identify a format.
var undetectable = map[string]string{
	"trivy/legacy_no_vuln.json":    "the whole file is `null`",
	"osv_scanner/no_findings.json": "the file is empty",
	"generic/generic_empty.json":   "its only finding is {}: nothing names the format",
}

// failing lists corpus files that are reports of a failed run: parsing
// them is an error (importing them as empty would close every finding).
var failing = map[string]string{
	"npm_audit/empty_with_error.json": "npm audit failed (ENOAUDIT)",
	"generic/generic_invalid.json":    "fields not allowed in a generic finding: invalid_field, last_status_update",
	// Plain SBOMs (no vulnerabilities section): importing one as a report
	// would close every finding of the scope (issue 12 item 6).
	"cyclonedx/cyclonedx_bom.xml":   "this is an SBOM: upload it to the release's SBOM",
	"cyclonedx/retirejs.latest.xml": "this is an SBOM: upload it to the release's SBOM",
	// A log that says no analysis ran lists nothing to take as a partial
	// scan: the parse ends in ErrIncompleteScan and the import refuses it.
	"sarif/no_runs.sarif": "the log has no run",
}

// incomplete lists corpus files that say their own scan did not complete
// but are readable: the parse emits their findings and ends in an error
// wrapping findings.ErrIncompleteScan that names why, and the import takes
// them as partial scans (findings.TakenAsPartial), which close nothing. The
// corpus suites read them as such: detection, encodings, key order, XML
// 1.1 and truncation (a cut one must still be rejected).
var incomplete = map[string]string{
	"nexpose/many_vulns.xml":             `scan 1 ("Localhost") has status "stopped", not finished`,
	"nexpose/no_vuln.xml":                `scan 1 ("Localhost") has status "stopped", not finished`,
	"sarif/spotbugs.sarif":               "invocations[0].executionSuccessful is false",
	"semgrep/sca-deployments-vulns.json": "the export is one page of the Supply Chain findings",
}

func head(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, scanners.HeadSize)
	n, err := io.ReadFull(f, b)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		t.Fatal(err)
	}
	return b[:n]
}

// TestDetectCorpus detects every file of the supported corpus folders from
// its content and parses it through the registry.
func TestDetectCorpus(t *testing.T) {
	files := corpusFiles(t)
	for _, path := range slices.Sorted(maps.Keys(files)) {
		rel, wantName := rel(path), files[path]
		t.Run(rel, func(t *testing.T) {
			if why, ok := undetectable[rel]; ok {
				if f, err := scanners.Detect(head(t, path)); err == nil {
					t.Errorf("detected as %s although %s", f.Name, why)
				}
				return
			}
			f, err := scanners.Detect(head(t, path))
			if err != nil || f.Name != wantName {
				t.Fatalf("detected %q (%v), want %q", f.Name, err, wantName)
			}
			r, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			_, list, err := scanners.Parse(r, rel, "")
			if why, bad := failing[rel]; bad {
				if err == nil || !strings.Contains(err.Error(), why) || findings.TakenAsPartial(err, len(list)) {
					t.Errorf("parse: %d findings, %v; want an error about %q that the import refuses", len(list), err, why)
				}
			} else if why, partial := incomplete[rel]; partial {
				if !findings.TakenAsPartial(err, len(list)) || !strings.Contains(err.Error(), why) {
					t.Errorf("parse: %d findings, %v; want findings and an incomplete-scan error about %q", len(list), err, why)
				}
			} else if err != nil {
				t.Errorf("parse: %v", err)
			}
		})
	}
}

// TestCorpusFoldersCovered fails when the corpus gains a folder that no
// format claims.
func TestCorpusFoldersCovered(t *testing.T) {
	root := corpustest.Dir(t, "scans")
	ents, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if _, ok := folderFormat[e.Name()]; e.IsDir() && !ok {
			t.Errorf("corpus folder %s is not covered by any format", e.Name())
		}
	}
}

func TestRegistry(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range scanners.Formats() {
		for _, n := range append([]string{f.Name}, f.Aliases...) {
			if seen[n] {
				t.Errorf("name %q registered twice", n)
			}
			seen[n] = true
		}
		if f.Description == "" || f.DetectRule == "" || f.Detect == nil || f.Parse == nil {
			t.Errorf("format %s incomplete", f.Name)
		}
		if f.Detect(reportio.NewHead(nil)) || f.Detect(reportio.NewHead([]byte("hello"))) {
			t.Errorf("%s detects junk", f.Name)
		}
	}
	if f, ok := scanners.Lookup("TENABLE"); !ok || f.Name != "nessus" {
		t.Errorf("alias lookup: %v %v", f.Name, ok)
	}
}

func TestStream(t *testing.T) {
	zap := `<?xml version="1.0"?><OWASPZAPReport version="2.9.0"><site name="http://h" host="h" port="80" ssl="false"><alerts><alertitem><pluginid>1</pluginid><alert>A</alert><riskcode>3</riskcode><confidence>2</confidence><instances><instance><uri>http://h/x</uri></instance></instances></alertitem></alerts></site></OWASPZAPReport>`
	var got []findings.Finding
	name, err := scanners.Stream(strings.NewReader(zap), "r.xml", "", func(f findings.Finding) error { got = append(got, f); return nil })
	if err != nil || name != "zap" || len(got) != 1 || got[0].Severity != findings.High {
		t.Fatalf("stream: %s %v %+v", name, err, got)
	}
	// The callback's error stops the parse and is returned.
	stop := errors.New("stop")
	if _, err := scanners.Stream(strings.NewReader(zap), "r.xml", "", func(findings.Finding) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("callback error: %v", err)
	}
	if _, err := scanners.Stream(strings.NewReader("a,b\n1,2\n"), "x.csv", "", func(findings.Finding) error { return nil }); !errors.Is(err, scanners.ErrUnknownFormat) || !strings.HasPrefix(err.Error(), "x.csv: ") {
		t.Errorf("unknown: %v", err)
	}
	if _, err := scanners.Stream(strings.NewReader(zap), "r.xml", "trivy", func(findings.Finding) error { return nil }); err == nil || !strings.Contains(err.Error(), "trivy report: r.xml: at byte 1: invalid JSON") {
		t.Errorf("wrong tool: %v", err)
	}
	if _, err := scanners.Stream(strings.NewReader(`{"a": 1}`), "r.json", "grype", func(findings.Finding) error { return nil }); !errors.Is(err, reportio.ErrNotReport) || !strings.Contains(err.Error(), "r.json: at byte 8: not a report") {
		t.Errorf("wrong tool: %v", err)
	}
	if _, err := scanners.Stream(strings.NewReader(""), "empty", "", func(findings.Finding) error { return nil }); err == nil || !strings.Contains(err.Error(), "empty file") {
		t.Errorf("empty without tool: %v", err)
	}
	if name, got, err := scanners.Parse(strings.NewReader(""), "empty", "sarif"); err != nil || name != "sarif" || len(got) != 0 {
		t.Errorf("empty with tool: %v %v", err, got)
	}
}

func FuzzDetect(f *testing.F) {
	f.Add([]byte(`{"version":"2.1.0","runs":[`))
	f.Add([]byte(`<?xml version="1.0"?><OWASPZAPReport>`))
	f.Add([]byte("Plugin ID,CVE,Risk,Host,Protocol,Port,Name\n"))
	f.Add([]byte(`{"SchemaVersion": 2, "Results": []}`))
	f.Add([]byte(`{"matches": [{"vulnerability": {}}]}`))
	f.Fuzz(func(t *testing.T, head []byte) {
		fm, err := scanners.Detect(head)
		if err == nil {
			// Whatever was detected must parse or fail cleanly.
			_ = fm.Parse(bytes.NewReader(head), "fuzz", func(findings.Finding) error { return nil })
		}
	})
}
