package policy

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/inventory"
)

func TestDefaultPolicyCompiles(t *testing.T) {
	p := Default()
	if len(p.Rules) < 6 {
		t.Fatalf("default policy has %d rules", len(p.Rules))
	}
	for _, want := range []string{"no-kev", "no-critical-with-fix", "no-new-high-sast", "no-copyleft-in-firmware", "no-open-unsigned-update", "no-open-default-password"} {
		found := false
		for _, r := range p.Rules {
			found = found || r.ID == want
		}
		if !found {
			t.Errorf("default policy lacks %s", want)
		}
	}
}

func TestLoadErrorsNamePosition(t *testing.T) {
	tests := []struct {
		name      string
		src       string
		line, col int
		contains  string
	}{
		{"unknown field plain", "rampart: policy/v1\nrules:\n  - id: r1\n    on: finding\n    when: finding.severty == 'high'\n", 5, 18, "severty"},
		{"unknown field double quoted", "rampart: policy/v1\nrules:\n  - id: r1\n    on: vuln\n    when: \"vuln.kev && vuln.nope\"\n", 5, 28, "nope"},
		{"block literal second line", "rampart: policy/v1\nrules:\n  - id: r1\n    on: component\n    when: |\n      component.approved &&\n        component.bogus\n", 7, 18, "bogus"},
		{"syntax error", "rampart: policy/v1\nrules:\n  - id: r1\n    on: threat\n    when: threat.status == \n", 5, 0, "Syntax error"},
		{"subject of another rule kind", "rampart: policy/v1\nrules:\n  - id: r1\n    on: binary\n    when: finding.new\n", 5, 11, "undeclared reference to 'finding'"},
		{"type mismatch", "rampart: policy/v1\nrules:\n  - id: r1\n    on: finding\n    when: finding.severity > 3\n", 5, 0, "no matching overload"},
		{"not boolean", "rampart: policy/v1\nrules:\n  - id: r1\n    on: finding\n    when: finding.title\n", 5, 11, "must be a boolean"},
		{"bad on", "rampart: policy/v1\nrules:\n  - id: r1\n    on: package\n    when: 'true'\n", 4, 9, "want one of vuln"},
		{"bad severity", "rampart: policy/v1\nrules:\n  - id: r1\n    severity: urgent\n    on: vuln\n    when: vuln.kev\n", 4, 15, "severity"},
		{"unknown rule key", "rampart: policy/v1\nrules:\n  - id: r1\n    on: vuln\n    if: vuln.kev\n", 5, 5, "unknown rule key"},
		{"duplicate id", "rampart: policy/v1\nrules:\n  - {id: r1, on: vuln, when: vuln.kev}\n  - {id: r1, on: vuln, when: vuln.kev}\n", 4, 5, "already defined"},
		{"wrong version", "rampart: policy/v2\nrules: []\n", 1, 10, "not supported"},
		{"message bad placeholder", "rampart: policy/v1\nrules:\n  - id: r1\n    on: vuln\n    when: vuln.kev\n    message: '{{ vuln.idd }}'\n", 6, 14, "idd"},
		{"bad yaml", "rampart: policy/v1\nrules:\n  - id: [\n", 3, 0, "not valid YAML"},
		{"missing when", "rampart: policy/v1\nrules:\n  - id: r1\n    on: vuln\n", 3, 5, "missing `when`"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.src), "p.yaml")
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("err = %v, want a LoadError", err)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error does not wrap ErrInvalid")
			}
			if le.File != "p.yaml" || le.Line != tt.line || (tt.col != 0 && le.Column != tt.col) {
				t.Errorf("position = %s:%d:%d, want p.yaml:%d:%d (%v)", le.File, le.Line, le.Column, tt.line, tt.col, err)
			}
			if !strings.Contains(err.Error(), tt.contains) {
				t.Errorf("error %q lacks %q", err, tt.contains)
			}
		})
	}
}

func TestLoadFolder(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.yaml"), []byte("rampart: policy/v1\nrules:\n  - {id: a, on: vuln, when: vuln.kev}\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "b.yml"), []byte("rampart: policy/v1\nrules:\n  - {id: b, on: finding, when: finding.kev}\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "README.md"), []byte("not a policy"), 0o644)
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Rules) != 2 || p.Rules[0].ID != "a" || p.Rules[1].ID != "b" {
		t.Fatalf("rules = %+v", p.Rules)
	}
	os.WriteFile(filepath.Join(dir, "c.yaml"), []byte("rampart: policy/v1\nrules:\n  - {id: a, on: vuln, when: vuln.kev}\n"), 0o644)
	_, err = Load(dir)
	if err == nil || !strings.Contains(err.Error(), "c.yaml:3") || !strings.Contains(err.Error(), "a.yaml:3") {
		t.Fatalf("duplicate across files: %v", err)
	}
}

func rule(on, when string) *Policy {
	src := "rampart: policy/v1\nrules:\n  - id: r\n    on: " + on + "\n    when: '" + strings.ReplaceAll(when, "'", "''") + "'\n    message: 'hit'\n"
	p, err := Parse([]byte(src), "t.yaml")
	if err != nil {
		panic(err)
	}
	return p
}

func fired(t *testing.T, p *Policy, in *Input) int {
	t.Helper()
	rep, err := Evaluate(p, in, Options{Now: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	return len(rep.Violations)
}

// TestSubjectFields checks every field of every subject is bound (one
// expression that is true on the subject, and its negation that is false).
func TestSubjectFields(t *testing.T) {
	comp := Component{Name: "openssl", Version: "1.1.1k", Group: "org", PURL: "pkg:generic/openssl@1.1.1k", Type: "library",
		Licenses: []string{"Apache-2.0"}, License: "Apache-2.0", LicenseValid: true, LicenseApproved: true, Supplier: "OpenSSL", Approved: true, New: true}
	in := &Input{
		Components: []Component{comp},
		Vulns: []Vuln{{ID: "CVE-2021-3711", Aliases: []string{"GHSA-1"}, Severity: "critical", CVSS: 9.8, EPSS: 0.5, KEV: true,
			Fixed: []string{"1.1.1l"}, Summary: "SM2 overflow", Component: comp, New: true}},
		Findings: []Finding{{Title: "SQL injection", Severity: "high", Tool: "semgrep", RuleID: "sqli", CWEs: []int64{89},
			VulnerabilityIDs: []string{"CVE-1"}, KEV: true, EPSS: 0.25, CVSS: 7.5, File: "app/db.go", Line: 42, URL: "https://x/", Component: "pkg:golang/x@1",
			Fingerprint: "fp1", Kind: "static", New: true}},
		Threats:  []Threat{{ID: "DEV-003@cam", Rule: "DEV-003", Title: "Unsigned", STRIDE: "Tampering", Severity: "high", Status: "open", Target: "cam", CWEs: []string{"CWE-347"}, New: true}},
		Firmware: []FirmwareIssue{{Kind: "hardcoded_credential", Severity: "critical", Path: "/etc/shadow", Detail: "root hash", Account: "root", Port: 23, New: true}},
		Binaries: []Binary{{Path: "/bin/busybox", NX: true, PIE: true, RELRO: "full", Canary: true, Fortify: true, Stripped: true, New: true}},
		Release:  Release{Product: "cam", Version: "2.0", Checklist: map[string]bool{"code_review": true}, ApprovedLicenses: []string{"MIT"}},
	}
	tests := []struct{ on, when string }{
		{"component", "component.name == 'openssl'"}, {"component", "component.version == '1.1.1k'"}, {"component", "component.group == 'org'"},
		{"component", "component.purl.startsWith('pkg:generic/')"}, {"component", "component.type == 'library'"},
		{"component", "'Apache-2.0' in component.licenses"}, {"component", "component.license == 'Apache-2.0'"}, {"component", "component.license_valid"},
		{"component", "component.license_approved"}, {"component", "component.supplier == 'OpenSSL'"}, {"component", "component.approved"}, {"component", "component.new"},
		{"vuln", "vuln.id == 'CVE-2021-3711'"}, {"vuln", "'GHSA-1' in vuln.aliases"}, {"vuln", "vuln.severity == 'critical'"}, {"vuln", "vuln.cvss >= 9.0"},
		{"vuln", "vuln.epss > 0.4"}, {"vuln", "vuln.kev"}, {"vuln", "'1.1.1l' in vuln.fixed"}, {"vuln", "vuln.summary.contains('SM2')"},
		{"vuln", "vuln.component.name == 'openssl'"}, {"vuln", "vuln.component.approved"}, {"vuln", "vuln.new"},
		{"finding", "finding.title == 'SQL injection'"}, {"finding", "finding.severity == 'high'"}, {"finding", "finding.tool == 'semgrep'"},
		{"finding", "finding.rule_id == 'sqli'"}, {"finding", "89 in finding.cwes"}, {"finding", "'CVE-1' in finding.vulnerability_ids"},
		{"finding", "finding.kev"}, {"finding", "finding.epss == 0.25"}, {"finding", "finding.cvss == 7.5"}, {"finding", "finding.file.endsWith('.go')"},
		{"finding", "finding.line == 42"}, {"finding", "finding.url != ''"}, {"finding", "finding.component.contains('golang')"},
		{"finding", "finding.fingerprint == 'fp1'"}, {"finding", "finding.kind == 'static'"}, {"finding", "finding.new"},
		{"threat", "threat.id == 'DEV-003@cam'"}, {"threat", "threat.rule == 'DEV-003'"}, {"threat", "threat.title == 'Unsigned'"},
		{"threat", "threat.stride == 'Tampering'"}, {"threat", "threat.severity == 'high'"}, {"threat", "threat.status == 'open'"},
		{"threat", "threat.target == 'cam'"}, {"threat", "'CWE-347' in threat.cwes"}, {"threat", "threat.new"},
		{"firmware", "firmware.kind == 'hardcoded_credential'"}, {"firmware", "firmware.severity == 'critical'"}, {"firmware", "firmware.path == '/etc/shadow'"},
		{"firmware", "firmware.detail == 'root hash'"}, {"firmware", "firmware.account == 'root'"}, {"firmware", "firmware.port == 23"}, {"firmware", "firmware.new"},
		{"binary", "binary.path == '/bin/busybox'"}, {"binary", "binary.nx"}, {"binary", "binary.pie"}, {"binary", "binary.relro == 'full'"},
		{"binary", "binary.canary"}, {"binary", "binary.fortify"}, {"binary", "binary.stripped"}, {"binary", "binary.new"},
		{"binary", "release.checklist.code_review"}, {"binary", "!release.checklist.penetration_test"}, {"binary", "release.product == 'cam'"},
		{"binary", "release.version == '2.0'"}, {"binary", "'MIT' in release.approved_licenses"},
		{"finding", "severity_at_least(finding.severity, 'medium')"}, {"finding", "finding.file.glob('app/*.go')"},
		{"component", "license_allowed(component.license, ['Apache-2.0'])"}, {"component", "!license_requires_any(component.license, copyleft)"},
	}
	for _, tt := range tests {
		t.Run(tt.when, func(t *testing.T) {
			if n := fired(t, rule(tt.on, tt.when), in); n != 1 {
				t.Errorf("%s: fired %d times, want 1", tt.when, n)
			}
			if n := fired(t, rule(tt.on, "!("+tt.when+")"), in); n != 0 {
				t.Errorf("!(%s): fired %d times, want 0", tt.when, n)
			}
		})
	}
}

func TestMessageInterpolation(t *testing.T) {
	p, err := Parse([]byte(`rampart: policy/v1
rules:
  - id: m
    on: vuln
    when: vuln.kev
    message: "{{ vuln.component.name }} has {{ vuln.id }} (cvss {{ vuln.cvss }}, fixed {{ vuln.fixed }}, kev {{ vuln.kev }}, n {{ size(vuln.fixed) }})"
`), "m.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Evaluate(p, &Input{Vulns: []Vuln{{ID: "CVE-9", KEV: true, CVSS: 9.8, Fixed: []string{"1.2", "2.0"}, Component: Component{Name: "zlib"}}}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := "zlib has CVE-9 (cvss 9.8, fixed 1.2, 2.0, kev true, n 2)"
	if got := rep.Violations[0].Message; got != want {
		t.Errorf("message = %q, want %q", got, want)
	}
	if rep.Violations[0].Subject != "CVE-9 in zlib" {
		t.Errorf("subject = %q", rep.Violations[0].Subject)
	}
}

func TestDefaultPolicyOnInputs(t *testing.T) {
	in := &Input{
		Components: []Component{
			{Name: "busybox", Version: "1.36.1", License: "GPL-2.0-only", LicenseValid: true},
			{Name: "linux", Version: "6.1", License: "GPL-2.0-only", LicenseValid: true, Approved: true},
			{Name: "zlib", Version: "1.3", License: "Zlib", LicenseValid: true},
			{Name: "dual", Version: "1", License: "MIT OR GPL-2.0-only", LicenseValid: true},
		},
		Vulns: []Vuln{
			{ID: "CVE-KEV", Severity: "medium", KEV: true, Component: Component{Name: "a"}},
			{ID: "CVE-CRIT-FIX", Severity: "critical", Fixed: []string{"2"}, Component: Component{Name: "b"}},
			{ID: "CVE-CRIT-NOFIX", Severity: "critical", Fixed: []string{}, Component: Component{Name: "c"}},
		},
		Findings: []Finding{
			{RuleID: "g101", Severity: "high", Kind: "static", File: "a.go", New: true},
			{RuleID: "g102", Severity: "high", Kind: "static", File: "b.go", New: false},
			{RuleID: "g103", Severity: "medium", Kind: "static", File: "c.go", New: true},
			{RuleID: "CVE-X", Severity: "critical", Kind: "dependency", New: true},
		},
		Threats: []Threat{
			{ID: "DEV-003@cam", Rule: "DEV-003", Status: "open"},
			{ID: "DEV-001@cam", Rule: "DEV-001", Status: "mitigated"},
		},
		Firmware: []FirmwareIssue{{Kind: "hardcoded_credential", Severity: "high", Path: "/etc/passwd"}, {Kind: "world_writable_dir", Severity: "high", Path: "/tmp"}},
		Binaries: []Binary{{Path: "/bin/a", NX: false, RELRO: "full"}, {Path: "/bin/b", NX: true, RELRO: "partial"}},
	}
	rep, err := Evaluate(Default(), in, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, v := range rep.Violations {
		got[v.Rule+" "+v.Subject] = true
	}
	want := []string{
		"no-kev CVE-KEV in a", "no-critical-with-fix CVE-CRIT-FIX in b", "no-new-high-sast g101 at a.go",
		"no-copyleft-in-firmware busybox@1.36.1", "no-open-unsigned-update DEV-003@cam",
		"no-firmware-credentials hardcoded_credential at /etc/passwd", "binaries-hardened /bin/a",
	}
	for _, w := range want {
		if !got[w] {
			t.Errorf("missing violation %q", w)
		}
	}
	if len(rep.Violations) != len(want) {
		t.Errorf("violations = %v, want %d", got, len(want))
	}
	if rep.Passed {
		t.Error("passed with violations")
	}
	if rep, _ := Evaluate(Default(), &Input{}, Options{}); !rep.Passed {
		t.Error("empty input does not pass")
	}
}

func TestLicenseExpressions(t *testing.T) {
	tests := []struct {
		expr            string
		valid           bool
		requiresCopy    bool
		allowedByPermit bool // allowed by [MIT, Apache-2.0, BSD-3-Clause]
	}{
		{"MIT", true, false, true},
		{"GPL-2.0-only", true, true, false},
		{"GPL-2.0-or-later", true, true, false},
		{"MIT OR GPL-2.0-only", true, false, true},
		{"MIT AND GPL-2.0-only", true, true, false},
		{"(MIT OR Apache-2.0) AND BSD-3-Clause", true, false, true},
		{"(MIT AND LGPL-2.1-only) OR Apache-2.0", true, false, true},
		{"GPL-2.0-only WITH Classpath-exception-2.0", true, true, false},
		{"LGPL-2.1-only OR GPL-3.0-only", true, true, false},
		{"Zlib", true, false, false},
		{"Apache License 2.0", false, false, false},
		{"", false, false, false},
	}
	permit := []string{"MIT", "Apache-2.0", "BSD-3-Clause"}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			if got := LicenseValid(tt.expr); got != tt.valid {
				t.Errorf("LicenseValid = %v, want %v", got, tt.valid)
			}
			if got := LicenseRequiresAny(tt.expr, Copyleft); got != tt.requiresCopy {
				t.Errorf("LicenseRequiresAny(copyleft) = %v, want %v", got, tt.requiresCopy)
			}
			if got := LicenseAllowed(tt.expr, permit); got != tt.allowedByPermit {
				t.Errorf("LicenseAllowed = %v, want %v", got, tt.allowedByPermit)
			}
		})
	}
	if got := LicenseExpression([]string{"MIT", "GPL-2.0-only OR BSD-2-Clause"}); got != "MIT AND (GPL-2.0-only OR BSD-2-Clause)" {
		t.Errorf("LicenseExpression = %q", got)
	}
}

const exceptionsYAML = `exceptions:
  - rule: no-kev
    match: {id: CVE-2024-1}
    reason: not reachable, WAF rule in place
    approver: alice
    expires: 2026-12-31
  - rule: no-critical-with-fix
    match: {component: "pkg:npm/lodash"}
    reason: upgrade scheduled for 2.1
    approver: bob
    expires: 2026-01-31
  - rule: binaries-hardened
    match: {path: "/usr/lib/legacy/*"}
    reason: vendor blob
    approver: carol
    expires: 2026-06-01
`

func TestExceptions(t *testing.T) {
	exc, err := ParseExceptions([]byte(exceptionsYAML), "exc.yaml")
	if err != nil {
		t.Fatal(err)
	}
	in := &Input{
		Vulns: []Vuln{
			{ID: "CVE-2024-1", KEV: true, Component: Component{PURL: "pkg:npm/a@1"}},
			{ID: "CVE-2024-2", KEV: true, Component: Component{PURL: "pkg:npm/a@1"}, Aliases: []string{"GHSA-x"}},
			{ID: "CVE-2024-3", Severity: "critical", Fixed: []string{"2"}, Component: Component{PURL: "pkg:npm/lodash@4.17.0"}},
		},
		Binaries: []Binary{{Path: "/usr/lib/legacy/blob.so", RELRO: "none", NX: true}, {Path: "/usr/bin/new", RELRO: "none", NX: true}},
	}
	cases := []struct {
		name         string
		now          time.Time
		wantExcepted []string
		wantFailing  []string
		wantExpired  []string
		passed       bool
	}{
		{"all valid", time.Date(2026, 1, 31, 23, 0, 0, 0, time.UTC),
			[]string{"no-kev CVE-2024-1 in pkg:npm/a@1", "no-critical-with-fix CVE-2024-3 in pkg:npm/lodash@4.17.0", "binaries-hardened /usr/lib/legacy/blob.so"},
			[]string{"no-kev CVE-2024-2 in pkg:npm/a@1", "binaries-hardened /usr/bin/new"}, nil, false},
		{"one expired", time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC),
			[]string{"no-kev CVE-2024-1 in pkg:npm/a@1", "binaries-hardened /usr/lib/legacy/blob.so"},
			[]string{"no-kev CVE-2024-2 in pkg:npm/a@1", "no-critical-with-fix CVE-2024-3 in pkg:npm/lodash@4.17.0", "binaries-hardened /usr/bin/new"},
			[]string{"no-critical-with-fix"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep, err := Evaluate(Default(), in, Options{Exceptions: exc, Now: c.now})
			if err != nil {
				t.Fatal(err)
			}
			var excepted, failing, expired []string
			for _, v := range rep.Violations {
				if v.Excepted {
					excepted = append(excepted, v.Rule+" "+v.Subject)
				} else {
					failing = append(failing, v.Rule+" "+v.Subject)
				}
			}
			for _, e := range rep.ExpiredExceptions {
				expired = append(expired, e.Rule)
			}
			if !sameSet(excepted, c.wantExcepted) || !sameSet(failing, c.wantFailing) || !sameSet(expired, c.wantExpired) || rep.Passed != c.passed {
				t.Errorf("excepted %v failing %v expired %v passed %v", excepted, failing, expired, rep.Passed)
			}
		})
	}
	// An expired exception fails an otherwise clean gate.
	rep, err := Evaluate(Default(), &Input{}, Options{Exceptions: exc, Now: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Passed || len(rep.ExpiredExceptions) != 3 {
		t.Errorf("expired: passed %v, %d expired", rep.Passed, len(rep.ExpiredExceptions))
	}
}

func TestExceptionScope(t *testing.T) {
	v := func(rule string, ids []string, comp, path string) *Violation {
		return &Violation{Rule: rule, ids: ids, component: comp, path: path}
	}
	tests := []struct {
		name string
		e    Exception
		v    *Violation
		want bool
	}{
		{"same rule and id", Exception{Rule: "r", Match: Match{ID: "CVE-1"}}, v("r", []string{"CVE-1"}, "", ""), true},
		{"alias matches", Exception{Rule: "r", Match: Match{ID: "GHSA-1"}}, v("r", []string{"CVE-1", "GHSA-1"}, "", ""), true},
		{"other rule", Exception{Rule: "r2", Match: Match{ID: "CVE-1"}}, v("r", []string{"CVE-1"}, "", ""), false},
		{"other id", Exception{Rule: "r", Match: Match{ID: "CVE-2"}}, v("r", []string{"CVE-1"}, "", ""), false},
		{"component any version", Exception{Rule: "r", Match: Match{Component: "pkg:npm/lodash"}}, v("r", nil, "pkg:npm/lodash@4.17.0", ""), true},
		{"component exact version", Exception{Rule: "r", Match: Match{Component: "pkg:npm/lodash@4.17.0"}}, v("r", nil, "pkg:npm/lodash@4.17.0", ""), true},
		{"component other version", Exception{Rule: "r", Match: Match{Component: "pkg:npm/lodash@4.17.21"}}, v("r", nil, "pkg:npm/lodash@4.17.0", ""), false},
		{"component prefix is not a match", Exception{Rule: "r", Match: Match{Component: "pkg:npm/lodash"}}, v("r", nil, "pkg:npm/lodash.merge@1", ""), false},
		{"id and component both needed", Exception{Rule: "r", Match: Match{ID: "CVE-1", Component: "pkg:npm/a"}}, v("r", []string{"CVE-1"}, "pkg:npm/b@1", ""), false},
		{"path glob", Exception{Rule: "r", Match: Match{Path: "vendor/*"}}, v("r", nil, "", "vendor/x/y.go"), true},
		{"path outside glob", Exception{Rule: "r", Match: Match{Path: "vendor/*"}}, v("r", nil, "", "src/y.go"), false},
		{"path on subject without path", Exception{Rule: "r", Match: Match{Path: "*"}}, v("r", []string{"x"}, "", ""), false},
		{"any rule", Exception{Rule: "*", Match: Match{ID: "CVE-1"}}, v("r", []string{"CVE-1"}, "", ""), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.e.covers(tt.v); got != tt.want {
				t.Errorf("covers = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestViolationScope: the scope the platform suggests for an exception
// request covers the violation it came from, and not its neighbours.
func TestViolationScope(t *testing.T) {
	p, err := Parse([]byte(`rampart: policy/v1
rules:
  - {id: v, on: vuln, when: "true"}
  - {id: f, on: finding, when: "true"}
  - {id: c, on: component, when: "true"}
  - {id: t, on: threat, when: "true"}
  - {id: fw, on: firmware, when: "true"}
  - {id: b, on: binary, when: "true"}
  - {id: r, on: release, when: "true"}
`), "p.yaml")
	if err != nil {
		t.Fatal(err)
	}
	in := &Input{
		Vulns:      []Vuln{{ID: "CVE-1", Component: Component{PURL: "pkg:npm/a@1"}}, {ID: "CVE-1", Component: Component{PURL: "pkg:npm/b@1"}}},
		Findings:   []Finding{{RuleID: "G101", File: "a.go", Line: 3, Fingerprint: "fp1"}, {RuleID: "G101", File: "b.go", Line: 3, Fingerprint: "fp2"}},
		Components: []Component{{Name: "busybox", Version: "1.36.1", PURL: "pkg:generic/busybox@1.36.1"}, {Name: "zlib", Version: "1"}},
		Threats:    []Threat{{ID: "DEV-001@cam", Rule: "DEV-001", Target: "cam"}, {ID: "DEV-001@hub", Rule: "DEV-001", Target: "hub"}},
		Firmware:   []FirmwareIssue{{Kind: "private_key", Path: "/etc/a.key"}, {Kind: "private_key", Path: "/etc/b.key"}},
		Binaries:   []Binary{{Path: "/bin/a"}, {Path: "/bin/b"}},
	}
	rep, err := Evaluate(p, in, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Violations) != 13 {
		t.Fatalf("%d violations", len(rep.Violations))
	}
	for _, v := range rep.Violations {
		m := v.Scope()
		if m == (Match{}) {
			t.Errorf("%s %s: empty scope", v.Rule, v.Subject)
			continue
		}
		e := Exception{Rule: v.Rule, Match: m, Reason: "r", Approver: "a", Expires: "2999-01-01"}
		got, err := Evaluate(p, in, Options{Exceptions: []Exception{e}, Now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		var excepted []string
		for _, w := range got.Violations {
			if w.Excepted {
				excepted = append(excepted, w.Rule+" "+w.Subject)
			}
		}
		if len(excepted) != 1 || excepted[0] != v.Rule+" "+v.Subject {
			t.Errorf("scope %+v of %s %s excepts %v", m, v.Rule, v.Subject, excepted)
		}
	}
}

// TestReleaseSubject: a rule `on: release` is judged once per evaluation
// over release.* (e.g. the SDL checklist), whatever the number of other
// subjects; `release` subjects cannot name another subject's variable.
func TestReleaseSubject(t *testing.T) {
	p, err := Parse([]byte(`rampart: policy/v1
rules:
  - id: code-review
    on: release
    when: "!release.checklist.code_review && release.version.startsWith('2.')"
    message: "{{ release.product }} {{ release.version }}: no security code review recorded"
`), "p.yaml")
	if err != nil {
		t.Fatal(err)
	}
	comps := []Component{{Name: "a"}, {Name: "b"}, {Name: "c"}}
	for _, tt := range []struct {
		version  string
		reviewed bool
		want     []string
	}{
		{"2.0", false, []string{"cam 2.0: cam 2.0: no security code review recorded"}},
		{"2.0", true, nil},
		{"1.9", false, nil},
	} {
		in := &Input{Components: comps, Release: Release{Product: "cam", Version: tt.version, Checklist: map[string]bool{"code_review": tt.reviewed}}}
		rep, err := Evaluate(p, in, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, v := range rep.Violations {
			got = append(got, v.Subject+": "+v.Message)
		}
		if strings.Join(got, "|") != strings.Join(tt.want, "|") || rep.Passed != (len(tt.want) == 0) {
			t.Errorf("%s reviewed=%v: %q", tt.version, tt.reviewed, got)
		}
	}
	if _, err := Parse([]byte("rampart: policy/v1\nrules:\n  - {id: x, on: release, when: component.name == 'a'}\n"), "bad.yaml"); err == nil || !strings.Contains(err.Error(), "component") {
		t.Errorf("release rule using component: %v", err)
	}
}

func TestParseExceptionsErrors(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"no expiry", "exceptions:\n  - rule: r\n    match: {id: x}\n    reason: r\n    approver: a\n", "exc.yaml:2:5: exception for r has no `expires"},
		{"no approver", "exceptions:\n  - rule: r\n    match: {id: x}\n    reason: r\n    expires: 2026-01-01\n", "has no `approver`"},
		{"no reason", "exceptions:\n  - rule: r\n    match: {id: x}\n    approver: a\n    expires: 2026-01-01\n", "has no `reason`"},
		{"bad date", "exceptions:\n  - rule: r\n    match: {id: x}\n    reason: r\n    approver: a\n    expires: 31/12/2026\n", "not a date"},
		{"empty match", "exceptions:\n  - rule: r\n    reason: r\n    approver: a\n    expires: 2026-01-01\n", "empty `match`"},
		{"unknown key", "exceptions:\n  - rule: r\n    match: {id: x, purl: y}\n    reason: r\n    approver: a\n    expires: 2026-01-01\n", "exc.yaml:3:20: unknown key \"purl\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseExceptions([]byte(tt.src), "exc.yaml")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestBaseline(t *testing.T) {
	old := &Input{
		Components: []Component{{Name: "a", PURL: "pkg:npm/a@1"}},
		Vulns:      []Vuln{{ID: "CVE-1", Component: Component{PURL: "pkg:npm/a@1"}}},
		Findings:   []Finding{{Fingerprint: "fp-old"}},
		Threats:    []Threat{{ID: "T@x"}},
		Firmware:   []FirmwareIssue{{Kind: "k", Path: "/p"}},
		Binaries:   []Binary{{Path: "/bin/old"}},
	}
	cur := &Input{
		Components: []Component{{Name: "a", PURL: "pkg:npm/a@2", New: true}, {Name: "a", PURL: "pkg:npm/a@1", New: true}},
		Vulns: []Vuln{{ID: "CVE-1", Component: Component{PURL: "pkg:npm/a@2"}, New: true}, // upgraded, still vulnerable: not new
			{ID: "CVE-2", Component: Component{PURL: "pkg:npm/a@2"}, New: true}},
		Findings: []Finding{{Fingerprint: "fp-old", New: true}, {Fingerprint: "fp-new", New: true}},
		Threats:  []Threat{{ID: "T@x", New: true}, {ID: "T@y", New: true}},
		Firmware: []FirmwareIssue{{Kind: "k", Path: "/p", New: true}, {Kind: "k", Path: "/q", New: true}},
		Binaries: []Binary{{Path: "/bin/old", New: true}, {Path: "/bin/new", New: true}},
	}
	NewBaseline(old).Apply(cur)
	checks := []struct {
		name string
		got  bool
		want bool
	}{
		{"component new version", cur.Components[0].New, true},
		{"component same", cur.Components[1].New, false},
		{"vuln same on upgraded package", cur.Vulns[0].New, false},
		{"vuln new", cur.Vulns[1].New, true},
		{"finding old", cur.Findings[0].New, false},
		{"finding new", cur.Findings[1].New, true},
		{"threat old", cur.Threats[0].New, false},
		{"threat new", cur.Threats[1].New, true},
		{"firmware old", cur.Firmware[0].New, false},
		{"firmware new", cur.Firmware[1].New, true},
		{"binary old", cur.Binaries[0].New, false},
		{"binary new", cur.Binaries[1].New, true},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: new = %v, want %v", c.name, c.got, c.want)
		}
	}
	// Only new high static findings fail no-new-high-sast.
	in := &Input{Findings: []Finding{{RuleID: "a", Severity: "high", Kind: "static", File: "x.go", Fingerprint: "fp-old", New: true},
		{RuleID: "b", Severity: "high", Kind: "static", File: "y.go", Fingerprint: "fp-new", New: true}}}
	NewBaseline(old).Apply(in)
	rep, _ := Evaluate(Default(), in, Options{})
	if len(rep.Violations) != 1 || rep.Violations[0].Subject != "b at y.go" {
		t.Errorf("violations with baseline = %+v", rep.Violations)
	}
}

func TestApproved(t *testing.T) {
	a, err := ParseApproved([]byte(`approved:
  - purl: pkg:generic/linux
    versions: ">=5.10 <7"
    reason: kernel
  - purl: "pkg:npm/@acme/*"
  - name: busybox
    versions: "1.36.x"
licenses: [MIT, Apache-2.0]
`), "approved.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		c    inventory.Component
		want bool
	}{
		{inventory.Component{Name: "linux", Version: "6.1.0", PURL: "pkg:generic/linux@6.1.0"}, true},
		{inventory.Component{Name: "linux", Version: "4.19", PURL: "pkg:generic/linux@4.19"}, false},
		{inventory.Component{Name: "linux", Version: "7.0", PURL: "pkg:generic/linux@7.0"}, false},
		{inventory.Component{Name: "x", Version: "1", PURL: "pkg:npm/@acme/x@1"}, true},
		{inventory.Component{Name: "x", Version: "1", PURL: "pkg:npm/x@1"}, false},
		{inventory.Component{Name: "busybox", Version: "1.36.1"}, true},
		{inventory.Component{Name: "busybox", Version: "1.35.0"}, false},
	}
	for _, tt := range tests {
		if got := a.Approves(&tt.c); got != tt.want {
			t.Errorf("Approves(%s %s) = %v, want %v", tt.c.PURL, tt.c.Version, got, tt.want)
		}
	}
	comps := FromComponents([]inventory.Component{{Name: "q", Licenses: []string{"MIT OR GPL-3.0-only"}}, {Name: "r", Licenses: []string{"GPL-3.0-only"}}}, a)
	if !comps[0].LicenseApproved || comps[1].LicenseApproved {
		t.Errorf("license_approved = %v, %v", comps[0].LicenseApproved, comps[1].LicenseApproved)
	}
	for _, bad := range []string{"approved:\n  - purl: pkg:npm/a@1\n", "approved:\n  - reason: x\n", "licenses: [Not-A-Licence]\n", "approved:\n  - purl: pkg:npm/a\n    version: 1\n"} {
		if _, err := ParseApproved([]byte(bad), "a.yaml"); err == nil {
			t.Errorf("ParseApproved(%q) accepted", bad)
		}
	}
}

// TestMergeApproved: the platform's global list and a product's list
// combine (entries of both, licences once), and the merged YAML is read
// back by ParseApproved as `rampart gate --approved` reads it.
func TestMergeApproved(t *testing.T) {
	global, err := ParseApproved([]byte("approved:\n  - purl: pkg:generic/linux\n    versions: \">=5.10\"\n    reason: legal\nlicenses: [MIT, Apache-2.0]\n"), "global")
	if err != nil {
		t.Fatal(err)
	}
	product, err := ParseApproved([]byte("approved:\n  - name: busybox\n    versions: 1.36.x\nlicenses: [Apache-2.0, BSD-3-Clause]\n"), "product")
	if err != nil {
		t.Fatal(err)
	}
	m := MergeApproved(global, nil, product)
	if len(m.Components) != 2 || strings.Join(m.Licenses, ",") != "MIT,Apache-2.0,BSD-3-Clause" {
		t.Fatalf("merged = %+v", m)
	}
	data, err := m.YAML()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseApproved(data, "effective.yaml")
	if err != nil {
		t.Fatalf("merged YAML does not parse: %v\n%s", err, data)
	}
	for _, tt := range []struct {
		c    inventory.Component
		want bool
	}{
		{inventory.Component{Name: "linux", Version: "6.1", PURL: "pkg:generic/linux@6.1"}, true},
		{inventory.Component{Name: "linux", Version: "4.4", PURL: "pkg:generic/linux@4.4"}, false},
		{inventory.Component{Name: "busybox", Version: "1.36.1"}, true},
		{inventory.Component{Name: "busybox", Version: "1.37.0"}, false},
	} {
		if got := back.Approves(&tt.c); got != tt.want {
			t.Errorf("round-tripped Approves(%s@%s) = %v, want %v", tt.c.Name, tt.c.Version, got, tt.want)
		}
	}
	empty, _ := MergeApproved().YAML()
	if a, err := ParseApproved(empty, "empty"); err != nil || len(a.Components) != 0 || len(a.Licenses) != 0 {
		t.Errorf("empty list YAML %q: %+v %v", empty, a, err)
	}
}

func TestFirmwareJSON(t *testing.T) {
	src := `{"image":"cam.bin","issues":[{"kind":"hardcoded_credential","severity":"HIGH","path":"/etc/shadow","detail":"root"}],
"binaries":[{"path":"/bin/busybox","arch":"arm","nx":true,"pie":false,"relro":"partial","canary":false,"fortify":false,"stripped":true}]}`
	issues, bins, err := ParseFirmware(strings.NewReader(src), "fw.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(issues) != 1 || issues[0].Severity != "high" || issues[0].Path != "/etc/shadow" {
		t.Errorf("issues = %+v", issues)
	}
	if len(bins) != 1 || !bins[0].NX || bins[0].PIE || bins[0].RELRO != "partial" || !bins[0].Stripped {
		t.Errorf("binaries = %+v", bins)
	}
	for _, bad := range []string{`{"binaries":[{"path":"x","relro":"maybe"}]}`, `{"issues":[{"path":"x"}]}`, `[`} {
		if _, _, err := ParseFirmware(strings.NewReader(bad), "fw.json"); err == nil || !strings.Contains(err.Error(), "fw.json") {
			t.Errorf("ParseFirmware(%s) err = %v", bad, err)
		}
	}
}

func TestOutputs(t *testing.T) {
	exc, _ := ParseExceptions([]byte(exceptionsYAML), "exc.yaml")
	in := &Input{
		Vulns:    []Vuln{{ID: "CVE-2024-1", KEV: true, Component: Component{PURL: "pkg:npm/a@1"}}, {ID: "CVE-2024-9", KEV: true, Component: Component{PURL: "pkg:npm/b@1"}}},
		Findings: []Finding{{RuleID: "g1", Severity: "high", Kind: "static", File: "a.go", Line: 3, Fingerprint: "f", New: true}},
		Sources:  map[string]string{OnVuln: "bom.json"},
	}
	rep, err := Evaluate(Default(), in, Options{Exceptions: exc, Now: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	var js bytes.Buffer
	if err := WriteJSON(&js, rep); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Passed     *bool `json:"passed"`
		Violations []struct {
			Rule, Severity, Subject, Message string
			Excepted                         *bool
		} `json:"violations"`
		Expired []map[string]any `json:"expired_exceptions"`
	}
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Passed == nil || *doc.Passed || len(doc.Violations) != 3 || len(doc.Expired) != 1 {
		t.Fatalf("json = %s", js.String())
	}
	var raw map[string]json.RawMessage
	json.Unmarshal(js.Bytes(), &raw)
	if len(raw) != 3 {
		t.Errorf("JSON keys = %d, want passed, violations, expired_exceptions", len(raw))
	}
	if m := doc.Expired[0]["match"].(map[string]any); m["component"] != "pkg:npm/lodash" || doc.Expired[0]["expires"] != "2026-01-31" {
		t.Errorf("expired = %v", doc.Expired[0])
	}

	var txt bytes.Buffer
	WriteText(&txt, rep)
	lines := strings.Split(strings.TrimSpace(txt.String()), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[0], "FAIL no-kev [critical] CVE-2024-9 in pkg:npm/b@1: ") ||
		!strings.HasPrefix(lines[2], "EXCEPTED no-kev") || !strings.Contains(lines[2], "approved by alice") ||
		!strings.HasPrefix(lines[3], "EXPIRED exception for no-critical-with-fix") || !strings.HasPrefix(lines[4], "gate FAILED") {
		t.Errorf("text:\n%s", txt.String())
	}

	var sf bytes.Buffer
	if err := WriteSARIF(&sf, rep, "test"); err != nil {
		t.Fatal(err)
	}
	var sarif struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Rules []struct{ ID string } `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID       string            `json:"ruleId"`
				Level        string            `json:"level"`
				Suppressions []json.RawMessage `json:"suppressions"`
				Locations    []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string } `json:"artifactLocation"`
						Region           struct{ StartLine int }
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(sf.Bytes(), &sarif); err != nil {
		t.Fatal(err)
	}
	if sarif.Version != "2.1.0" || len(sarif.Runs[0].Tool.Driver.Rules) != len(Default().Rules)+1 || len(sarif.Runs[0].Results) != 4 {
		t.Fatalf("sarif: %s", sf.String())
	}
	suppressed := 0
	for _, r := range sarif.Runs[0].Results {
		suppressed += len(r.Suppressions)
		if r.RuleID == "no-new-high-sast" && (r.Locations[0].PhysicalLocation.ArtifactLocation.URI != "a.go" || r.Locations[0].PhysicalLocation.Region.StartLine != 3 || r.Level != "error") {
			t.Errorf("sast result = %+v", r)
		}
	}
	if suppressed != 1 {
		t.Errorf("suppressed results = %d, want 1", suppressed)
	}

	var ju bytes.Buffer
	if err := WriteJUnit(&ju, rep); err != nil {
		t.Fatal(err)
	}
	var suites junitSuites
	if err := xml.Unmarshal(ju.Bytes(), &suites); err != nil {
		t.Fatal(err)
	}
	s := suites.Suites[0]
	if s.Tests != len(Default().Rules)+1 || s.Failures != 3 {
		t.Errorf("junit tests %d failures %d:\n%s", s.Tests, s.Failures, ju.String())
	}
	for _, c := range s.Cases {
		if strings.HasPrefix(c.Name, "no-kev:") && (c.Failure == nil || !strings.Contains(c.Failure.Text, "CVE-2024-9") || strings.Contains(c.Failure.Text, "CVE-2024-1 ") || !strings.Contains(c.SystemOut, "CVE-2024-1")) {
			t.Errorf("no-kev case = %+v", c)
		}
		if strings.HasPrefix(c.Name, "no-kev") == false && strings.HasPrefix(c.Name, "binaries-hardened") && c.Failure != nil {
			t.Errorf("passing rule has a failure: %+v", c)
		}
	}
}

func TestEvalErrorNamesRule(t *testing.T) {
	p := rule("vuln", "vuln.fixed[3] == 'x'")
	_, err := Evaluate(p, &Input{Vulns: []Vuln{{ID: "CVE-1", Component: Component{Name: "z"}}}}, Options{})
	var ee *EvalError
	if !errors.As(err, &ee) || !strings.Contains(err.Error(), "t.yaml:3") || !strings.Contains(err.Error(), "CVE-1 in z") {
		t.Errorf("err = %v", err)
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]int{}
	for _, x := range a {
		m[x]++
	}
	for _, x := range b {
		m[x]--
	}
	for _, n := range m {
		if n != 0 {
			return false
		}
	}
	return true
}
