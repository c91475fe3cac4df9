package cli

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"strings"
	"testing"
)

const gateDir = "testdata/gate/"

type gateJSON struct {
	Passed     bool `json:"passed"`
	Violations []struct {
		Rule     string `json:"rule"`
		Severity string `json:"severity"`
		Subject  string `json:"subject"`
		Message  string `json:"message"`
		Excepted bool   `json:"excepted"`
	} `json:"violations"`
	Expired []struct {
		Rule    string            `json:"rule"`
		Match   map[string]string `json:"match"`
		Expires string            `json:"expires"`
	} `json:"expired_exceptions"`
}

func gateRun(t *testing.T, args ...string) (int, gateJSON, string) {
	t.Helper()
	code, out, errs := run(t, "", append([]string{"gate", "--format", "json"}, args...)...)
	var g gateJSON
	if code != ExitError {
		if err := json.Unmarshal([]byte(out), &g); err != nil {
			t.Fatalf("exit %d, output not JSON: %v\n%s\n%s", code, err, out, errs)
		}
	}
	return code, g, errs
}

func TestGateDefaultPolicyAllInputs(t *testing.T) {
	code, g, errs := gateRun(t, "--sbom", bom, "--vulndb", vulndb, "--vulndb", kevDB, "--scan", gateDir+"gosec.sarif",
		"--threatmodel", gateDir+"threatmodel.yaml", "--firmware", gateDir+"firmware.json", "--exceptions", gateDir+"exceptions.yaml")
	if code != ExitFailure || g.Passed {
		t.Fatalf("exit %d passed %v: %s", code, g.Passed, errs)
	}
	got := map[string]bool{}
	for _, v := range g.Violations {
		key := v.Rule + " " + v.Subject
		if v.Excepted {
			key = "excepted " + key
		}
		got[key] = true
	}
	for _, want := range []string{
		"no-kev CVE-2099-0101 in busybox@1.35.0",
		"no-kev CVE-2099-1000 in ex-100 firmware@1.2",
		"no-critical-with-fix CVE-2099-1000 in ex-100 firmware@1.2",
		"no-new-high-sast gosec G101 at cmd/main.go:12",
		"no-new-high-sast gosec G201 at store/query.go:40",
		"no-open-unsigned-update DEV-003@cam",
		"no-firmware-credentials hardcoded_credential at /etc/shadow",
		"excepted binaries-hardened /usr/lib/legacy/blob.so",
	} {
		if !got[want] {
			t.Errorf("missing %q in %v", want, got)
		}
	}
	if len(got) != 8 {
		t.Errorf("got %d violations: %v", len(got), got)
	}
}

func TestGateBaselineJudgesOnlyNew(t *testing.T) {
	code, g, errs := gateRun(t, "--policy", gateDir+"policy.yaml", "--scan", gateDir+"gosec.sarif", "--baseline", gateDir+"gosec-main.sarif")
	if code != ExitFailure {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if len(g.Violations) != 1 || g.Violations[0].Subject != "gosec G201 at store/query.go:40" || g.Violations[0].Message != "new G201 at store/query.go:40" {
		t.Errorf("violations = %+v", g.Violations)
	}
	// The same report as its own baseline adds nothing: the gate passes.
	code, g, errs = gateRun(t, "--policy", gateDir+"policy.yaml", "--scan", gateDir+"gosec.sarif", "--baseline", gateDir+"gosec.sarif")
	if code != ExitOK || !g.Passed || len(g.Violations) != 0 {
		t.Errorf("self-baseline: exit %d %+v %s", code, g, errs)
	}
}

func TestGateExpiredException(t *testing.T) {
	code, g, _ := gateRun(t, "--sbom", bom, "--vulndb", vulndb, "--vulndb", kevDB, "--exceptions", gateDir+"expired.yaml")
	if code != ExitFailure || len(g.Expired) != 1 {
		t.Fatalf("exit %d expired %+v", code, g.Expired)
	}
	e := g.Expired[0]
	if e.Rule != "no-kev" || e.Expires != "2020-01-31" || e.Match["id"] != "CVE-2099-0101" || e.Match["component"] != "busybox" {
		t.Errorf("expired = %+v", e)
	}
	for _, v := range g.Violations {
		if v.Excepted {
			t.Errorf("expired exception excepted %+v", v)
		}
	}
	// Text output lists it with what to do.
	_, out, _ := run(t, "", "gate", "--sbom", bom, "--vulndb", vulndb, "--exceptions", gateDir+"expired.yaml")
	if !strings.Contains(out, "EXPIRED exception for no-kev (id CVE-2099-0101, component busybox) expired on 2020-01-31 (testdata/gate/expired.yaml:2)") {
		t.Errorf("text:\n%s", out)
	}
}

func TestGateChecklistAndPass(t *testing.T) {
	// No binaries: the checklist rule has no subject, the gate passes.
	code, g, errs := gateRun(t, "--policy", gateDir+"policy.yaml", "--scan", gateDir+"gosec.sarif", "--baseline", gateDir+"gosec.sarif", "--firmware", gateDir+"firmware.json", "--baseline", gateDir+"firmware.json")
	if code != ExitFailure {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if len(g.Violations) != 2 || g.Violations[0].Rule != "code-review-done" {
		t.Errorf("violations = %+v", g.Violations)
	}
}

func TestGateUsageAndInputErrors(t *testing.T) {
	usage := func(name string, args []string, want string) cliCase {
		return cliCase{name: name, args: args, code: ExitError, errHas: []string{want}}
	}
	testCLI(t, []cliCase{
		usage("nothing to judge", []string{"gate"}, "nothing to judge"),
		usage("bad format", []string{"gate", "--sbom", bom, "--format", "xml"}, "--format"),
		usage("both vuln sources", []string{"gate", "--sbom", bom, "--vulndb", vulndb, "--data", "x"}, "alternatives"),
		usage("bad policy names line and column", []string{"gate", "--policy", gateDir + "bad-policy.yaml", "--sbom", bom}, "testdata/gate/bad-policy.yaml:5:58: rule typo: when: undefined field 'epsss'"),
		usage("missing policy", []string{"gate", "--policy", gateDir + "nope.yaml", "--sbom", bom}, "nope.yaml"),
		usage("bad exceptions", []string{"gate", "--exceptions", gateDir + "policy.yaml", "--sbom", bom}, "policy.yaml"),
		usage("not a report", []string{"gate", "--scan", gateDir + "exceptions.yaml"}, "exceptions.yaml"),
		usage("bad baseline", []string{"gate", "--sbom", bom, "--baseline", gateDir + "bad-policy.yaml"}, "--baseline"),
		usage("unknown flag", []string{"gate", "--sbom", bom, "--fail-on", "high"}, "unknown flag"),
		// A file that cannot be read names the flag that gave it.
		usage("missing sbom", []string{"gate", "--sbom", gateDir + "nope.json"}, "--sbom: open testdata/gate/nope.json"),
		usage("missing scan", []string{"gate", "--sbom", bom, "--scan", gateDir + "nope.sarif"}, "--scan: open testdata/gate/nope.sarif"),
		usage("missing threat model", []string{"gate", "--threatmodel", gateDir + "nope.yaml"}, "--threatmodel: open testdata/gate/nope.yaml"),
		usage("missing firmware", []string{"gate", "--firmware", gateDir + "nope.json"}, "--firmware: open testdata/gate/nope.json"),
		usage("missing approved", []string{"gate", "--sbom", bom, "--approved", gateDir + "approved.yaml"}, "--approved: open testdata/gate/approved.yaml"),
		usage("missing exceptions", []string{"gate", "--sbom", bom, "--exceptions", gateDir + "nope.yaml"}, "--exceptions: open testdata/gate/nope.yaml"),
	})
}

func TestGateSARIFAndJUnit(t *testing.T) {
	args := []string{"gate", "--scan", gateDir + "gosec.sarif", "--firmware", gateDir + "firmware.json", "--exceptions", gateDir + "exceptions.yaml"}
	code, out, errs := run(t, "", append(args, "--format", "sarif")...)
	if code != ExitFailure {
		t.Fatalf("exit %d %s", code, errs)
	}
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Results []struct {
				RuleID       string `json:"ruleId"`
				Suppressions []any  `json:"suppressions"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out), &log); err != nil || log.Version != "2.1.0" || len(log.Runs[0].Results) != 4 {
		t.Fatalf("sarif %v: %s", err, out)
	}
	code, out, _ = run(t, "", append(args, "--format", "junit")...)
	var suites struct {
		Suites []struct {
			Tests    int `xml:"tests,attr"`
			Failures int `xml:"failures,attr"`
			Cases    []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Text string `xml:",chardata"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal([]byte(out), &suites); err != nil || code != ExitFailure {
		t.Fatalf("junit %v exit %d: %s", err, code, out)
	}
	s := suites.Suites[0]
	if s.Tests != 8 || s.Failures != 2 { // no-new-high-sast and no-firmware-credentials; blob.so is excepted
		t.Errorf("junit tests %d failures %d\n%s", s.Tests, s.Failures, out)
	}
}

// TestGateReadsFirmwareAnalyze feeds the real JSON of `rampart firmware
// analyze` to the gate: the firmware and binary subjects read its contract.
func TestGateReadsFirmwareAnalyze(t *testing.T) {
	out := t.TempDir() + "/fw.json"
	code, js, errs := run(t, "", "firmware", "analyze", "../firmware/testdata/rootfs.sqsh", "--format", "json")
	if code != ExitOK {
		t.Fatalf("firmware analyze: exit %d %s", code, errs)
	}
	if err := os.WriteFile(out, []byte(js), 0o644); err != nil {
		t.Fatal(err)
	}
	code, g, errs := gateRun(t, "--firmware", out)
	if code != ExitFailure {
		t.Fatalf("exit %d %s", code, errs)
	}
	got := map[string]bool{}
	for _, v := range g.Violations {
		got[v.Rule+" "+v.Subject] = true
	}
	for _, want := range []string{"no-firmware-credentials default_password at /etc/shadow (root)", "no-firmware-credentials private_key at /etc/ssl/private/server.key",
		"binaries-hardened /usr/sbin/dropbear"} {
		if !got[want] {
			t.Errorf("missing %q in %v", want, got)
		}
	}
}
