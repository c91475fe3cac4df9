package semgrep

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/corpustest"
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

func TestDetect(t *testing.T) {
	for in, want := range map[string]bool{
		`{"results": [{"check_id": "a", "path": "b", "extra": {}}]`:             true,
		`{"results": [], "errors": []}`:                                         true,
		`{"vulns": [{"title": "x", "advisory": {}}]`:                            true,
		`{"errors": [], "generated_at": "x", "metrics": {}, "results": []}`:     false,
		`{"version": "2.1.0", "runs": [{"results": [{"ruleId": "check_id"}]}]}`: false,
	} {
		if Detect(reportio.NewHead([]byte(in))) != want {
			t.Errorf("Detect(%s) != %v", in, want)
		}
	}
}

func TestCorpus(t *testing.T) {
	dir := corpustest.Dir(t, "scans", "semgrep")
	type first struct {
		title, severity, rule, file string
		line                        int
		cwes                        string
		uid                         string
	}
	type corpusCase struct {
		count                             int
		critical, high, medium, low, info int
		first                             *first
	}
	cases := map[string]corpusCase{
		"close_old_findings_report_line31.json":                        {1, 0, 1, 0, 0, 0, &first{"Detected subprocess function 'run' with user controlled data. A malicious actor could leverage this to perform command injection. You may consider using 'shlex.quote()'.", "high", "python.lang.security.audit.dangerous-subprocess-use-tainted-env-args.dangerous-subprocess-use-tainted-env-args", "sample/brute.py", 31, "78", ""}},
		"close_old_findings_report_second_run_line24.json":             {1, 0, 1, 0, 0, 0, &first{"", "high", "", "sample/brute.py", 24, "78", ""}},
		"close_old_findings_report_third_run_different_unique_id.json": {1, 0, 1, 0, 0, 0, &first{"", "high", "", "sample/brute.py", 24, "78", ""}},
		"cwe_list.json":                       {1, 0, 0, 0, 1, 0, &first{"", "low", "javascript.express.security.audit.express-check-csurf-middleware-usage.express-check-csurf-middleware-usage", "index.js", 12, "352", ""}},
		"empty.json":                          {},
		"fingerprint_test.json":               {2, 0, 1, 1, 0, 0, &first{"", "high", "", "sample/brute.py", 31, "78", ""}},
		"high-medium-low-severities.json":     {3, 0, 0, 0, 3, 0, nil},
		"issue_8435.json":                     {1, 0, 1, 0, 0, 0, &first{"Twitter OAuth detected", "high", "generic.secrets.security.detected-twitter-oauth.detected-twitter-oauth", "/somedir/somefile.js", 1, "798", ""}},
		"many_findings.json":                  {3, 0, 0, 2, 1, 0, nil},
		"many_vulns.json":                     {48, 0, 13, 35, 0, 0, &first{"", "high", "python.lang.correctness.tempfile.flush.tempfile-without-flush", "tasks.py", 186, "", ""}},
		"multiple_cwes_fabricated.json":       {1, 0, 0, 1, 0, 0, &first{"", "medium", "java.lang.security.audit.cbc-padding-oracle.cbc-padding-oracle", "src/main/java/org/owasp/benchmark/testcode/BenchmarkTest02194.java", 64, "327,696", ""}},
		"one_finding.json":                    {1, 0, 0, 1, 0, 0, &first{"Using CBC with PKCS5Padding is susceptible to padding orcale attacks. A malicious actor", "medium", "java.lang.security.audit.cbc-padding-oracle.cbc-padding-oracle", "src/main/java/org/owasp/benchmark/testcode/BenchmarkTest02194.java", 64, "696", ""}},
		"repeated_findings.json":              {2, 0, 0, 2, 0, 0, nil},
		"sca-deployments-vulns.json":          {22, 1, 21, 0, 0, 0, &first{"Reachable Assertion in grpc", "high", "ssc-82207871-bbda-49be-b1af-49fd927a2f93", "requirements3.txt", 222, "617", "136260::::ssc-82207871-bbda-49be-b1af-49fd927a2f93::reachable"}},
		"semgrep_version_1_30_0_line_26.json": {5, 0, 0, 5, 0, 0, nil},
		"semgrep_version_1_30_0_line_27.json": {5, 0, 0, 5, 0, 0, nil},
	}
	scannertest.Corpus(t, dir, cases, func(t *testing.T, path string, want corpusCase) {
		got := scannertest.CheckFile(t, Parse, path, scannertest.Counts{Total: want.count, Critical: want.critical, High: want.high, Medium: want.medium, Low: want.low, Info: want.info})
		if w := want.first; w != nil {
			g := got[0]
			var cwes []string
			for _, c := range g.CWEs {
				cwes = append(cwes, strconv.Itoa(c))
			}
			if (w.title != "" && g.Title != w.title) || string(g.Severity) != w.severity || (w.rule != "" && g.RuleID != w.rule) || g.Locations[0].File != w.file || g.Locations[0].Line != w.line || strings.Join(cwes, ",") != w.cwes || (w.uid != "" && g.UniqueID != w.uid) {
				t.Errorf("first: %q %s %q %+v cwes %v uid %q", g.Title, g.Severity, g.RuleID, g.Locations[0], g.CWEs, g.UniqueID)
			}
		}
	})
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
