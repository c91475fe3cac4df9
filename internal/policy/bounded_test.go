package policy

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// boundedPolicy has component rules of three severities (one of them a
// copyleft rule like the default policy's), so the report's order
// interleaves rules and severities, and rules on other subjects.
const boundedPolicy = `rampart: policy/v1
rules:
  - id: copyleft
    severity: high
    on: component
    when: "!component.approved && license_requires_any(component.license, copyleft)"
    message: "{{ component.name }} {{ component.version }} is {{ component.license }}"
  - id: gpl3
    severity: critical
    on: component
    when: component.license == "GPL-3.0-only"
    message: "{{ component.name }} is GPL-3.0"
  - id: unlicensed
    severity: low
    on: component
    when: component.license == ""
    message: "{{ component.name }} declares no licence"
  - id: kev
    severity: critical
    on: vuln
    when: vuln.kev
    message: "{{ vuln.id }} in {{ vuln.component.name }}"
  - id: sast
    severity: medium
    on: finding
    when: severity_at_least(finding.severity, "medium")
    message: "{{ finding.rule_id }} at {{ finding.file }}"
  - id: never
    severity: high
    on: component
    when: "false"
`

// manyViolations is an input with n components (licences cycling
// through copyleft, permissive, GPL-3.0 and none; every 97th a duplicate
// of the one before, so equal subjects are ordered by firing), n/10
// vulnerabilities (a third in KEV) and n/10 findings.
func manyViolations(n int) *Input {
	in := &Input{Sources: map[string]string{OnComponent: "bom.json"}}
	lics := []string{"GPL-2.0-only", "MIT", "GPL-3.0-only", "", "LGPL-2.1-or-later", "Apache-2.0", "MIT OR GPL-2.0-only"}
	for i := range n {
		j := i
		if i%97 == 96 {
			j = i - 1
		}
		lic := lics[j%len(lics)]
		c := Component{Name: fmt.Sprintf("lib%d", (j*7919)%n), Version: "1." + fmt.Sprint(j%5), License: lic, LicenseValid: lic != "", New: true}
		if lic != "" {
			c.Licenses = []string{lic}
		}
		c.PURL = "pkg:generic/" + c.Name + "@" + c.Version
		in.Components = append(in.Components, c)
	}
	for i := range n / 10 {
		in.Vulns = append(in.Vulns, Vuln{ID: fmt.Sprintf("CVE-2026-%05d", (i*31)%(n/10+1)), KEV: i%3 == 0, Severity: "high", Component: in.Components[i]})
		in.Findings = append(in.Findings, Finding{Title: "t", Tool: "gosec", RuleID: fmt.Sprintf("G%03d", i%50), File: fmt.Sprintf("f%d.go", i),
			Severity: []string{"low", "medium", "high", "critical"}[i%4], Kind: "static", New: true})
	}
	return in
}

// boundedExceptions except part of the copyleft and KEV violations.
var boundedExceptions = []Exception{
	{Rule: "copyleft", Match: Match{Component: "pkg:generic/lib1*"}, Reason: "legal", Approver: "ana", Expires: "2030-01-01"},
	{Rule: "kev", Match: Match{ID: "CVE-2026-000*"}, Reason: "not reachable", Approver: "ana", Expires: "2030-01-01"},
}

// TestMaxViolations: a bounded evaluation keeps exactly the first n
// violations of the unbounded report, in its order, with the unbounded
// report's verdict and counts, total and per rule.
func TestMaxViolations(t *testing.T) {
	p, in := boundedInput(t, 3000)
	full := evaluate(t, p, in, Options{Exceptions: boundedExceptions})
	total := len(full.Violations)
	if total < 2000 || full.Truncated || full.ViolationsTotal != total || full.Passed {
		t.Fatalf("unbounded: %d violations, total %d, truncated %v, passed %v", total, full.ViolationsTotal, full.Truncated, full.Passed)
	}
	checkReportOrder(t, full)
	wantCounts := countByRule(p, full.Violations)
	if !reflect.DeepEqual(full.RuleCounts, wantCounts) {
		t.Fatalf("unbounded rule counts %+v, want %+v", full.RuleCounts, wantCounts)
	}
	excepted := 0
	for _, c := range wantCounts {
		excepted += c.Excepted
	}
	if excepted == 0 || excepted == total || full.ViolationsExcepted != excepted {
		t.Fatalf("excepted %d of %d, report says %d", excepted, total, full.ViolationsExcepted)
	}
	for _, n := range []int{1, 2, 7, 100, 1000, total - 1, total, total + 5} {
		rep := evaluate(t, p, in, Options{Exceptions: boundedExceptions, MaxViolations: n})
		keep := min(n, total)
		switch {
		case rep.Passed != full.Passed || rep.Failing() != full.Failing() || rep.Total() != total:
			t.Errorf("max %d: passed %v failing %d total %d, want %v %d %d", n, rep.Passed, rep.Failing(), rep.Total(), full.Passed, full.Failing(), total)
		case rep.ViolationsTotal != total || rep.ViolationsExcepted != excepted || rep.Truncated != (n < total):
			t.Errorf("max %d: total %d excepted %d truncated %v", n, rep.ViolationsTotal, rep.ViolationsExcepted, rep.Truncated)
		case !reflect.DeepEqual(rep.RuleCounts, wantCounts):
			t.Errorf("max %d: rule counts %+v, want %+v", n, rep.RuleCounts, wantCounts)
		case len(rep.Violations) != keep:
			t.Errorf("max %d: kept %d violations, want %d", n, len(rep.Violations), keep)
		case !reflect.DeepEqual(rep.Violations, full.Violations[:keep]):
			for i := range rep.Violations {
				if !reflect.DeepEqual(rep.Violations[i], full.Violations[i]) {
					t.Errorf("max %d: violation %d = %+v, want %+v", n, i, rep.Violations[i], full.Violations[i])
					break
				}
			}
		case !reflect.DeepEqual(rep.Evaluated, full.Evaluated) || !reflect.DeepEqual(rep.ExpiredExceptions, full.ExpiredExceptions):
			t.Errorf("max %d: evaluated %v expired %v", n, rep.Evaluated, rep.ExpiredExceptions)
		}
		// The batched evaluation (the platform's) gives the same report.
		for _, batch := range []int{1, 333, 2000} {
			ev := NewEvaluation(p, in.Release, Options{Exceptions: boundedExceptions, Now: boundedNow, MaxViolations: n})
			for i := 0; i < len(in.Components); i += batch {
				if err := ev.AddComponents(in.Components[i:min(i+batch, len(in.Components))], in.Sources); err != nil {
					t.Fatal(err)
				}
			}
			rest := *in
			rest.Components = nil
			got, err := ev.Finish(&rest)
			if err != nil {
				t.Fatal(err)
			}
			if got.Passed != rep.Passed || got.ViolationsTotal != total || !reflect.DeepEqual(got.RuleCounts, wantCounts) || len(got.Violations) != keep {
				t.Errorf("max %d, batch %d: passed %v total %d counts %+v kept %d", n, batch, got.Passed, got.ViolationsTotal, got.RuleCounts, len(got.Violations))
				continue
			}
			// The firing order differs between batches (all component
			// rules per batch), so seq does; the order of the report
			// does not.
			for i := range got.Violations {
				a, b := got.Violations[i], full.Violations[i]
				if a.Rule != b.Rule || a.Subject != b.Subject || a.Message != b.Message || a.Excepted != b.Excepted || a.Exception != b.Exception {
					t.Errorf("max %d, batch %d: violation %d = %s %s, want %s %s", n, batch, i, a.Rule, a.Subject, b.Rule, b.Subject)
					break
				}
			}
		}
	}
}

// TestMaxViolationsVerdict: the verdict of a bounded report is that of
// every violation, also those left out: it passes when all of them are
// excepted, and an expired exception still fails it.
func TestMaxViolationsVerdict(t *testing.T) {
	p, in := boundedInput(t, 500)
	all := []Exception{{Rule: "*", Match: Match{Component: "*"}, Reason: "r", Approver: "a", Expires: "2030-01-01"},
		{Rule: "*", Match: Match{ID: "*"}, Reason: "r", Approver: "a", Expires: "2030-01-01"}}
	rep := evaluate(t, p, in, Options{Exceptions: all, MaxViolations: 10})
	if !rep.Passed || rep.Failing() != 0 || !rep.Truncated || rep.ViolationsExcepted != rep.ViolationsTotal || len(rep.Violations) != 10 {
		t.Errorf("all excepted: passed %v failing %d truncated %v excepted %d of %d, kept %d", rep.Passed, rep.Failing(), rep.Truncated, rep.ViolationsExcepted, rep.ViolationsTotal, len(rep.Violations))
	}
	expired := append(all, Exception{Rule: "kev", Match: Match{ID: "x"}, Reason: "r", Approver: "a", Expires: "2020-01-01"})
	rep = evaluate(t, p, in, Options{Exceptions: expired, MaxViolations: 10})
	if rep.Passed || len(rep.ExpiredExceptions) != 1 {
		t.Errorf("expired exception: passed %v, %d expired", rep.Passed, len(rep.ExpiredExceptions))
	}
}

// TestMaxViolationsOutputs: the JSON carries the counts and the flag, the
// text and JUnit outputs count every violation, not only those listed.
func TestMaxViolationsOutputs(t *testing.T) {
	p, in := boundedInput(t, 700)
	full := evaluate(t, p, in, Options{Exceptions: boundedExceptions})
	rep := evaluate(t, p, in, Options{Exceptions: boundedExceptions, MaxViolations: 50})
	js, err := JSONString(rep)
	if err != nil {
		t.Fatal(err)
	}
	if js != written(t, WriteJSON, rep) {
		t.Error("JSONString of a bounded report differs from WriteJSON")
	}
	for _, want := range []string{fmt.Sprintf(`"violations_total": %d,`, full.ViolationsTotal), fmt.Sprintf(`"violations_excepted": %d,`, full.ViolationsExcepted),
		`"truncated": true,`, `"rule_counts": [`, `"rule": "never",` + "\n      \"violations\": 0,"} {
		if !strings.Contains(js, want) {
			t.Errorf("JSON lacks %q", want)
		}
	}
	// Bounded but complete: the counts, not truncated.
	whole := evaluate(t, p, in, Options{Exceptions: boundedExceptions, MaxViolations: full.ViolationsTotal})
	if wjs := written(t, WriteJSON, whole); !strings.Contains(wjs, `"truncated": false,`) || !strings.Contains(wjs, fmt.Sprintf(`"violations_total": %d,`, full.ViolationsTotal)) {
		t.Error("bounded complete JSON lacks \"truncated\": false or the total")
	}
	// Unbounded (`rampart gate`): the three fields of the CLI's contract
	// only, the same bytes as before the counts existed.
	fjs, err := JSONString(full)
	if err != nil {
		t.Fatal(err)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal([]byte(fjs), &keys); err != nil || len(keys) != 3 || keys["passed"] == nil || keys["violations"] == nil || keys["expired_exceptions"] == nil {
		t.Errorf("unbounded JSON keys %v (%v)", slices.Collect(maps.Keys(keys)), err)
	}
	var bkeys []string
	dec := json.NewDecoder(strings.NewReader(js))
	dec.Token()
	for dec.More() {
		k, _ := dec.Token()
		bkeys = append(bkeys, k.(string))
		var skip json.RawMessage
		dec.Decode(&skip)
	}
	if want := []string{"passed", "violations", "expired_exceptions", "violations_total", "violations_excepted", "truncated", "rule_counts"}; !reflect.DeepEqual(bkeys, want) {
		t.Errorf("bounded JSON keys %q, want %q", bkeys, want)
	}
	text, fullText := written(t, WriteText, rep), written(t, WriteText, full)
	last := func(s string) string { l := strings.Split(strings.TrimSpace(s), "\n"); return l[len(l)-1] }
	if last(text) != last(fullText) {
		t.Errorf("summary %q, want %q", last(text), last(fullText))
	}
	if !strings.Contains(text, fmt.Sprintf("TRUNCATED: the first 50 of %d violations are listed", full.ViolationsTotal)) || strings.Contains(fullText, "TRUNCATED") {
		t.Errorf("text:\n%s", text[strings.LastIndex(text, "\nTRUNC")+1:])
	}
	msgs := func(s string) []string {
		var out []string
		for _, l := range strings.Split(s, "\n") {
			if i := strings.Index(l, `<failure message="`); i >= 0 {
				out = append(out, l[i:strings.Index(l[i:], `" type=`)+i])
			}
		}
		return out
	}
	if got, want := msgs(written(t, WriteJUnit, rep)), msgs(written(t, WriteJUnit, full)); !reflect.DeepEqual(got, want) || len(want) < 3 {
		t.Errorf("JUnit failures %q, want %q", got, want)
	}
}

// written returns what write writes of r, failing the test on an error.
func written(t *testing.T, write func(io.Writer, *Report) error, r *Report) string {
	t.Helper()
	var b strings.Builder
	if err := write(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// boundedInput parses boundedPolicy and returns it with an input of n
// components' violations.
func boundedInput(t *testing.T, n int) (*Policy, *Input) {
	t.Helper()
	p, err := Parse([]byte(boundedPolicy), "bounded.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return p, manyViolations(n)
}

// boundedNow is when the bounded tests evaluate: boundedExceptions are in
// force.
var boundedNow = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

// evaluate evaluates p on in with o at boundedNow, failing the test on an
// error.
func evaluate(t *testing.T, p *Policy, in *Input, o Options) *Report {
	t.Helper()
	o.Now = boundedNow
	rep, err := Evaluate(p, in, o)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// checkReportOrder checks the report's order: failing before excepted,
// most severe first, rule id, subject, and the firing order for equal
// ones (what a stable sort by the first four gives).
func checkReportOrder(t *testing.T, r *Report) {
	t.Helper()
	dups := 0
	for i := 1; i < len(r.Violations); i++ {
		a, b := &r.Violations[i-1], &r.Violations[i]
		ka := fmt.Sprintf("%v %d %s %s", a.Excepted, 9-SeverityRank(a.Severity), a.Rule, a.Subject)
		kb := fmt.Sprintf("%v %d %s %s", b.Excepted, 9-SeverityRank(b.Severity), b.Rule, b.Subject)
		if ka == kb {
			dups++
			if a.seq >= b.seq {
				t.Fatalf("violations %d and %d are equal but not in firing order", i-1, i)
			}
			continue
		}
		if a.Excepted != b.Excepted {
			if a.Excepted {
				t.Fatalf("excepted violation %d before failing %d", i-1, i)
			}
			continue
		}
		if sa, sb := SeverityRank(a.Severity), SeverityRank(b.Severity); sa != sb {
			if sa < sb {
				t.Fatalf("violation %d (%s) before more severe %d (%s)", i-1, a.Severity, i, b.Severity)
			}
			continue
		}
		if a.Rule+"\x00"+a.Subject > b.Rule+"\x00"+b.Subject {
			t.Fatalf("violation %d %s %s before %s %s", i-1, a.Rule, a.Subject, b.Rule, b.Subject)
		}
	}
	if dups == 0 {
		t.Fatal("the input has no equal violations: the firing order is not tested")
	}
}

func countByRule(p *Policy, vs []Violation) []RuleCount {
	out := make([]RuleCount, len(p.Rules))
	for i, r := range p.Rules {
		out[i].Rule = r.ID
		for _, v := range vs {
			if v.Rule == r.ID {
				out[i].Violations++
				if v.Excepted {
					out[i].Excepted++
				}
			}
		}
	}
	return out
}
