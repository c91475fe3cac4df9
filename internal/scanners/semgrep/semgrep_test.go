package semgrep

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/scanners/reportio"
	"github.com/rampart-security/rampart/internal/scanners/scannertest"
)

func TestParse(t *testing.T) {
	got := scannertest.ParseFileN(t, Parse, "testdata/results.json", 2) // ignored result skipped
	f := got[0]
	if f.Title != "String-formatted SQL query." || f.Severity != findings.High || f.CWEs[0] != 89 || f.UniqueID != "" || f.Locations[0] != (findings.Location{File: "internal/db/query.go", Line: 42}) {
		t.Errorf("sqli: %+v", f)
	}
	if !strings.HasPrefix(f.Mitigation, "Suggested fix:\ndb.Query(") || len(f.References) != 2 {
		t.Errorf("mitigation %q references %v", f.Mitigation, f.References)
	}
	if s := got[1]; s.Severity != findings.Low || s.UniqueID != "0a1b2c" || s.CWEs[0] != 798 {
		t.Errorf("secret: %+v", s)
	}
	sc := scannertest.ParseFile(t, Parse, "testdata/supply-chain.json")
	if len(sc) != 1 || sc[0].Severity != findings.Critical || sc[0].VulnerabilityIDs[0] != "CVE-2021-23337" || sc[0].Component.Name != "lodash" || sc[0].FixedVersions[0] != "4.17.21" || sc[0].Locations[0].Line != 120 {
		t.Errorf("supply chain: %+v", sc)
	}
	scannertest.NotReport(t, Parse, "testdata/no-check-id.json", "no-check-id.json: at byte")
}

// TestParseSupplyChainResults: `semgrep --json` with Supply Chain rules
// writes each dependency match as a result with extra.sca_info (Semgrep's
// output schema; the shape of its documented JSON example): the dependency
// is the component, "sca-fix-versions" the fixed versions, "sca-severity"
// the severity (critical, where the rule severity ERROR says high).
func TestParseSupplyChainResults(t *testing.T) {
	f := scannertest.ParseFileN(t, Parse, "testdata/sca-results.json", 1)[0]
	if f.Component != (findings.Component{Name: "github.com/gin-gonic/gin", Version: "1.6.3"}) || f.Severity != findings.Critical ||
		len(f.FixedVersions) != 1 || f.FixedVersions[0] != "1.9.1" || f.Mitigation != "Upgrade github.com/gin-gonic/gin to 1.9.1." {
		t.Errorf("supply chain result: component %+v severity %s fixed %v mitigation %q", f.Component, f.Severity, f.FixedVersions, f.Mitigation)
	}
	if strings.Join(f.VulnerabilityIDs, " ") != "CVE-2023-29401 GHSA-2c4m-59x9-fr2g" || f.CWEs[0] != 20 || f.Locations[0] != (findings.Location{File: "go.mod", Line: 6}) ||
		!strings.Contains(f.Description, "Supply chain: reachable: false, dependency: transitive, ecosystem: gomod") {
		t.Errorf("supply chain result: ids %v cwes %v locations %+v description %q", f.VulnerabilityIDs, f.CWEs, f.Locations, f.Description)
	}
}

// TestParseDeploymentExport: a Supply Chain deployment export lists one
// advisory in a package version once per repository; each entry is located
// at its repository's dependency file ("owner/name: path"), so the import,
// which merges the three into one finding, keeps all three repositories.
// Before, the repository was ignored and two of the three locations read
// the same "requirements3.txt". The export is one page of the API's
// results ("hasMore": true): the parse ends in ErrIncompleteScan, naming
// the field and the next cursor, so the import takes it as a partial scan
// and closes nothing the other pages hold; before, it was a complete scan.
func TestParseDeploymentExport(t *testing.T) {
	got, err := scannertest.ParseFileErr(Parse, "testdata/deployment-vulns.json")
	if !errors.Is(err, reportio.ErrIncompleteScan) || !strings.Contains(err.Error(), `deployment-vulns.json: at byte 15408: hasMore: the scan did not complete: the export is one page of the Supply Chain findings (hasMore is true, next cursor "19922841")`) || len(got) != 3 {
		t.Fatalf("one page of a deployment export: %d findings, error %v", len(got), err)
	}
	if list := scannertest.ParseEdited(t, Parse, "testdata/deployment-vulns.json", `"hasMore": true`, `"hasMore": false`); len(list) != 3 {
		t.Errorf("last page: %d findings, want 3", len(list))
	}
	want := []findings.Location{{File: "example/lmr: requirements3.txt", Line: 198},
		{File: "example/yg: generators/generator-examplelearn/app/templates/examplelearn-serving/requirements3.txt", Line: 231},
		{File: "example/wbm: requirements3.txt", Line: 229}}
	for i, f := range got {
		if len(f.Locations) != 1 || f.Locations[0] != want[i] || f.Fingerprint != got[0].Fingerprint {
			t.Errorf("entry %d: locations %+v fingerprint %s, want %+v, one issue", i, f.Locations, f.Fingerprint, want[i])
		}
	}
}

// TestParseFatalErrors: Semgrep writes a JSON document even when it could
// not scan (an invalid rule: exit code 7, an InvalidRuleSchemaError of level
// "error" with no path, no results). That is not an empty report: imported,
// it would close every open finding of the scope. Per-file errors (a path,
// level "warn" or a per-file timeout) leave a valid empty report.
func TestParseFatalErrors(t *testing.T) {
	scannertest.Rejects(t, Parse, []scannertest.Reject{{File: "fatal-config.json", Prefix: "fatal-config.json: at byte", Contains: "errors[]: the Semgrep run stopped with a fatal error and reported no results (the scan did not run; importing it would close every open finding): InvalidRuleSchemaError: Invalid rule schema"}})
	scannertest.ParseFileN(t, Parse, "testdata/file-errors.json", 0)
}

func TestDetect(t *testing.T) {
	scannertest.Detects(t, Detect, map[string]bool{
		`{"results": [{"check_id": "a", "path": "b", "extra": {}}]`:             true,
		`{"results": [], "errors": []}`:                                         true,
		`{"vulns": [{"title": "x", "advisory": {}}]`:                            true,
		`{"errors": [], "generated_at": "x", "metrics": {}, "results": []}`:     false,
		`{"version": "2.1.0", "runs": [{"results": [{"ruleId": "check_id"}]}]}`: false,
	})
}

func TestCorpus(t *testing.T) {
	dir := scannertest.CorpusGolden(t, "semgrep", Parse)
	// The re-scan pair: the same issue moved from line 31 to 24 keeps
	// Semgrep's match fingerprint as unique id.
	a := scannertest.ParseFile(t, Parse, filepath.Join(dir, "close_old_findings_report_line31.json"))[0]
	b := scannertest.ParseFile(t, Parse, filepath.Join(dir, "close_old_findings_report_second_run_line24.json"))[0]
	if a.UniqueID == "" || a.UniqueID != b.UniqueID {
		t.Errorf("unique ids %q / %q", a.UniqueID, b.UniqueID)
	}
}

func FuzzParse(f *testing.F) {
	scannertest.FuzzDir(f, "testdata", Parse)
}
