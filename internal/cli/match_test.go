package cli

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
)

const (
	bom    = "testdata/match/bom.cdx.json"
	vulndb = "testdata/match/vulndb"
	kevDB  = "testdata/match/kev.json"
)

func TestMatchJSON(t *testing.T) {
	code, out, errs := run(t, "", "match", bom, "--vulndb", vulndb, "--vulndb", kevDB, "--format", "json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var got struct {
		Matches []map[string]any `json:"matches"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Matches) != 3 {
		t.Fatalf("got %d matches:\n%s", len(got.Matches), out)
	}
	keys := func(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }
	if k := keys(got.Matches[0]); !reflect.DeepEqual(k, []string{"component", "cvss_score", "epss", "exploitation", "fixed_versions", "kev", "reason", "severity", "vulnerability"}) {
		t.Errorf("match keys %v", k)
	}
	if k := keys(got.Matches[0]["component"].(map[string]any)); !reflect.DeepEqual(k, []string{"cpe", "name", "purl", "version"}) {
		t.Errorf("component keys %v", k)
	}
	if k := keys(got.Matches[0]["vulnerability"].(map[string]any)); !reflect.DeepEqual(k, []string{"aliases", "id"}) {
		t.Errorf("vulnerability keys %v", k)
	}
	// Both KEV entries first (critical firmware, then high busybox), then
	// the unrated Go module.
	if got.Matches[0]["vulnerability"].(map[string]any)["id"] != "CVE-2099-1000" || got.Matches[0]["kev"] != true ||
		!strings.Contains(got.Matches[0]["reason"].(string), "implied by example:ex-100_firmware") {
		t.Errorf("first match %v", got.Matches[0])
	}
	second := got.Matches[1]
	if second["vulnerability"].(map[string]any)["id"] != "CVE-2099-0101" || second["kev"] != true || second["severity"] != "high" || second["cvss_score"] != 7.5 ||
		!strings.Contains(second["reason"].(string), "alias table") || second["component"].(map[string]any)["cpe"] != "cpe:2.3:a:busybox:busybox:1.35.0:*:*:*:*:*:*:*" {
		t.Errorf("second match %v", second)
	}
	third := got.Matches[2]
	if third["vulnerability"].(map[string]any)["id"] != "GO-2099-0100" || third["severity"] != "unknown" ||
		!reflect.DeepEqual(third["fixed_versions"], []any{"1.9.1"}) || !reflect.DeepEqual(third["vulnerability"].(map[string]any)["aliases"], []any{"CVE-2099-0100"}) {
		t.Errorf("third match %v", third)
	}
}

func TestMatchFailOnAndVEX(t *testing.T) {
	args := func(extra ...string) []string {
		return append([]string{"match", bom, "--vulndb", vulndb, "--format", "json"}, extra...)
	}
	testCLI(t, []cliCase{
		{name: "critical present", args: args("--vulndb", kevDB, "--fail-on", "critical"), code: ExitFailure},
		{name: "kev present", args: args("--vulndb", kevDB, "--fail-on", "kev"), code: ExitFailure},
		{name: "no fail-on", args: args("--vulndb", kevDB), code: ExitOK},
		{name: "high present without the KEV file", args: args("--fail-on", "high"), code: ExitFailure},
		// VEX suppresses the gin match: only firmware and busybox remain, and
		// --fail-on low still trips on them.
		{name: "vex", args: args("--vex", "testdata/match/vex.openvex.json", "--fail-on", "low"), code: ExitFailure, outLacks: []string{"CVE-2099-0100"}},
	})
}

func TestMatchFormats(t *testing.T) {
	code, out, errs := run(t, "", "match", bom, "--vulndb", vulndb, "--vulndb", kevDB)
	if code != ExitOK || !strings.Contains(out, "busybox 1.35.0") || !strings.Contains(out, "KEV") || !strings.Contains(out, "3 open matches in 3 components") {
		t.Errorf("table: exit %d %s\n%s", code, errs, out)
	}
	if strings.Index(out, "busybox") > strings.Index(out, "github.com/gin-gonic/gin") {
		t.Errorf("table not worst first:\n%s", out)
	}
	code, out, _ = run(t, "", "match", bom, "--vulndb", vulndb, "--format", "sarif")
	var sarif struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						ID string `json:"id"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				Level     string `json:"level"`
				Locations []any  `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out), &sarif); err != nil || code != ExitOK || sarif.Version != "2.1.0" || len(sarif.Runs[0].Results) != 3 || len(sarif.Runs[0].Tool.Driver.Rules) != 3 {
		t.Errorf("sarif: exit %d err %v\n%s", code, err, out)
	}
	for _, r := range sarif.Runs[0].Results {
		if len(r.Locations) == 0 {
			t.Error("sarif result without location")
		}
	}
	for _, f := range []string{"openvex", "cyclonedx-vex"} {
		code, out, errs = run(t, "", "match", bom, "--vulndb", vulndb, "--format", f)
		if code != ExitOK || !json.Valid([]byte(out)) || !strings.Contains(out, "CVE-2099-0100") {
			t.Errorf("%s: exit %d %s\n%s", f, code, errs, out)
		}
	}
}

func TestMatchUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"match", bom},
		{"match", bom, "--vulndb", vulndb, "--format", "xml"},
		{"match", bom, "--vulndb", vulndb, "--fail-on", "urgent"},
		{"match", "missing.json", "--vulndb", vulndb},
		{"match", bom, "--vulndb", "testdata/match/vex.openvex.json"},
	} {
		if code, _, errs := run(t, "", args...); code != ExitError || errs == "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, errs)
		}
	}
}

// TestMatchExploitationSignals: `rampart match` calls a match known
// exploited by the rule the server opens incidents by
// (vuln.ExploitationSignals): CISA KEV, and the EU Vulnerability
// Database's exploited list (testdata/match/euvd.json, written in the form
// of ENISA's /api/exploitedvulnerabilities, see
// internal/vuln/feeds/euvd/testdata) or CSAF exploit_status, read from
// --vulndb files and from the --data database alike. Before, the CLI only
// knew KEV: an EUVD-listed match was not exploited and --fail-on had no
// level for it.
func TestMatchExploitationSignals(t *testing.T) {
	const euvdDB = "testdata/match/euvd.json"
	data := t.TempDir()
	if code, _, errs := run(t, "", "vulndb", "import", vulndb, kevDB, euvdDB, "--data", data); code != ExitOK {
		t.Fatalf("vulndb import: exit %d: %s", code, errs)
	}
	for _, src := range [][]string{{"--vulndb", vulndb, "--vulndb", kevDB, "--vulndb", euvdDB}, {"--data", data}} {
		code, out, errs := run(t, "", append([]string{"match", bom, "--format", "json"}, src...)...)
		if code != ExitOK {
			t.Fatalf("%v: exit %d: %s", src, code, errs)
		}
		var got struct {
			Matches []struct {
				Vulnerability struct{ ID string } `json:"vulnerability"`
				KEV           bool                `json:"kev"`
				Exploitation  []struct{ Source, Detail string }
			} `json:"matches"`
		}
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatal(err)
		}
		signals := map[string]string{}
		for _, m := range got.Matches {
			var srcs []string
			for _, x := range m.Exploitation {
				srcs = append(srcs, x.Source)
			}
			signals[m.Vulnerability.ID] = strings.Join(srcs, ",")
		}
		if want := map[string]string{"CVE-2099-1000": "kev", "CVE-2099-0101": "kev", "GO-2099-0100": "euvd"}; !maps.Equal(signals, want) {
			t.Errorf("%v: signals %v, want %v\n%s", src, signals, want, out)
		}
	}
	// Without kev.json only the firmware's NVD record says KEV (its CISA
	// fields); the gin match is exploited by its EUVD listing alone.
	args := func(extra ...string) []string {
		return append([]string{"match", bom, "--vulndb", vulndb, "--vulndb", euvdDB}, extra...)
	}
	testCLI(t, []cliCase{
		{name: "exploited counts EUVD", args: args("--fail-on", "exploited"), code: ExitFailure, errHas: []string{"2 open vulnerability match(es) at or above --fail-on exploited"}},
		{name: "EUVD is not KEV", args: args("--fail-on", "kev"), code: ExitFailure, errHas: []string{"1 open vulnerability match(es) at or above --fail-on kev"}},
		{name: "table", args: args(), code: ExitOK, outHas: []string{"EPSS  KEV  EXPLOITED", "EUVD", "1 in CISA KEV; 2 known exploited"}},
		{name: "VEX suppresses the gin match", args: args("--vex", "testdata/match/vex.openvex.json", "--fail-on", "exploited"), code: ExitFailure,
			errHas: []string{"1 open vulnerability match(es) at or above --fail-on exploited"}},
	})
}
