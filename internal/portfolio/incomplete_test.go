package portfolio_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/scanners/reportio"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
)

// incompleteRuns are the scanner fixtures of runs that say they did not
// complete, each with the edit that makes it the report of a complete run
// (the same findings) and the finding that run has which the incomplete
// one lacks, so that a re-import of the incomplete one would close it.
var incompleteRuns = []struct {
	fixture  string // under internal/scanners
	old, new string // turns the fixture into a complete run's report
	extra    string // a finding of the complete run only: old2 → new2 adds it
	old2     string
}{
	{fixture: "sarif/testdata/failed-run.sarif", old: `"executionSuccessful": false`, new: `"executionSuccessful": true`,
		old2: `"results": [`, extra: `"results": [{"ruleId": "DM_DEFAULT_ENCODING", "message": {"text": "Found reliance on default encoding in com.example.Net.send()."}, "locations": [{"physicalLocation": {"artifactLocation": {"uri": "com/example/Net.java"}, "region": {"startLine": 9}}}]},`},
	{fixture: "nexpose/testdata/stopped.xml", old: `status="stopped"`, new: `status="finished"`,
		old2: `<test id="ssh-cve-2023-48795" status="vulnerable-version"/>`, extra: `<test id="ssh-cve-2023-48795" status="vulnerable-version"/><test id="generic-icmp-timestamp" status="vulnerable-exploited"/>`},
	{fixture: "openvas/testdata/interrupted.xml", old: ">Interrupted<", new: ">Done<",
		old2: `<result id="res-1">`, extra: `<result id="res-0"><name>Telnet</name><host>10.0.101.3</host><port>23/tcp</port><nvt oid="1.3.6.1.4.1.25623.1.0.100074"><name>Telnet Unencrypted Cleartext Login</name></nvt><threat>Medium</threat><severity>4.8</severity></result><result id="res-1">`},
	{fixture: "qualys/testdata/scan-canceled.xml", old: ">CANCELED<", new: ">FINISHED<",
		old2: "</IP>\n</SCAN>", extra: `</IP><IP value="192.0.2.31"><VULNS><CAT value="Web server" port="80" protocol="tcp"><VULN number="11827" severity="3"><TITLE>HTTP Security Header Not Detected</TITLE></VULN></CAT></VULNS></IP></SCAN>`},
	{fixture: "nessus/testdata/stopped.nessus", old: `<tag name="host-ip">10.0.0.6</tag>`, new: `<tag name="host-ip">10.0.0.6</tag><tag name="HOST_END">Mon Jan  1 10:40:00 2024</tag>`,
		old2: "</ReportItem>\n</ReportHost>\n</Report>", extra: `</ReportItem><ReportItem port="23" svc_name="telnet" protocol="tcp" severity="2" pluginID="42263" pluginName="Unencrypted Telnet Server" pluginFamily="Misc."><risk_factor>Medium</risk_factor></ReportItem></ReportHost></Report>`},
	{fixture: "gitlabdast/testdata/sast-failure.json", old: `"status": "failure"`, new: `"status": "success"`,
		old2: `"vulnerabilities": [`, extra: `"vulnerabilities": [{"id": "b2", "name": "Use of a weak hash", "severity": "Medium", "identifiers": [{"type": "semgrep_id", "name": "bandit.B303", "value": "bandit.B303"}], "location": {"file": "app/auth.py", "start_line": 7}},`},
	// Dependency-Check: the OSS Index analyzer failed; the complete run's
	// only exception is a data-source update failure.
	{fixture: "depcheck/testdata/analysis-exceptions.json", old: "org.owasp.dependencycheck.analyzer.exception.AnalysisException: Failed to request component-reports",
		new:  "org.owasp.dependencycheck.data.update.exception.UpdateException: Error updating the NVD Data",
		old2: `"vulnerabilities": [`, extra: `"vulnerabilities": [{"source": "OSSINDEX", "name": "CVE-2021-45046", "severity": "CRITICAL", "description": "Incomplete fix for CVE-2021-44228."},`},
}

// TestIncompleteRunClosesNothing: a complete scan is imported, then the
// report of the same scan that says it failed, was stopped or was cut
// short is imported as a partial scan, saying why and naming the file: its
// findings are seen again and it closes nothing of the scope, also when
// imported with --partial; a complete re-scan then closes what it no
// longer reports. Before, the incomplete report was imported as a
// complete re-scan and closed the finding it did not list as fixed.
func TestIncompleteRunClosesNothing(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		rel := ensureRelease(t, st, "Gateway", "2.4.1")
		imp := func(name, scope, body string, partial bool) (findings.ScanResult, error) {
			return portfolio.ImportScan(ctx, st, portfolio.ScanRequest{ReleaseID: rel.ID, FileName: name, Scope: scope, Actor: "ci", Report: strings.NewReader(body), Partial: partial})
		}
		active := func(scope string) int {
			all, _, err := st.Findings(ctx, findings.Query{ReleaseID: rel.ID, Status: "active", Limit: 500})
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, f := range all {
				if f.Scope == scope {
					n++
				}
			}
			return n
		}
		for _, c := range incompleteRuns {
			b, err := os.ReadFile(filepath.Join("..", "scanners", filepath.FromSlash(c.fixture)))
			if err != nil {
				t.Fatal(err)
			}
			failed := string(b)
			complete := strings.ReplaceAll(strings.Replace(failed, c.old2, c.extra, 1), c.old, c.new)
			name, scope := filepath.Base(c.fixture), "scope-"+filepath.Base(c.fixture)
			first, err := imp(name, scope, complete, false)
			if err != nil || first.New < 2 {
				t.Fatalf("%s: complete run: %+v %v", name, first, err)
			}
			res, err := imp(name, scope, failed, false)
			if err != nil || !res.Partial || res.Closed != 0 || !strings.Contains(res.PartialReason, name) || !strings.Contains(res.PartialReason, reportio.ErrIncompleteScan.Error()) {
				t.Fatalf("%s: incomplete run: %+v %v, want a partial import saying why", name, res, err)
			}
			if n := active(scope); n != first.New {
				t.Errorf("%s: %d findings active after the incomplete re-import, want %d (nothing closed)", name, n, first.New)
			}
			// The scan history keeps it partial with its reason; the
			// complete run before it is recorded complete.
			if scans, err := st.Scans(ctx, rel.ID); err != nil || len(scans) < 2 || scans[0].ScanID != res.ScanID || !scans[0].Partial ||
				scans[0].PartialReason != res.PartialReason || scans[1].ScanID != first.ScanID || scans[1].Partial || scans[1].PartialReason != "" {
				t.Errorf("%s: scan history %+v %v, want the incomplete run recorded partial with its reason after a complete one", name, scans, err)
			}
			// Asked for as a partial scan: its findings are seen again
			// and the one it lacks stays open.
			res, err = imp(name, scope, failed, true)
			if err != nil || !res.Partial || res.Closed != 0 || res.Unchanged != first.New-1 || res.New != 0 {
				t.Fatalf("%s: partial import: %+v %v, want %d unchanged, nothing closed", name, res, err, first.New-1)
			}
			if n := active(scope); n != first.New {
				t.Errorf("%s: %d findings active after the partial import, want %d", name, n, first.New)
			}
			// A complete re-scan without the finding still closes it.
			if res, err := imp(name, scope, strings.ReplaceAll(failed, c.old, c.new), false); err != nil || res.Closed != 1 {
				t.Errorf("%s: complete re-scan: %+v %v, want 1 closed", name, res, err)
			}
		}
	})
}
