package policy

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/sarif"
)

// WriteJSON writes the report in the `rampart gate --format json`
// contract: passed, violations and expired_exceptions, and for a report
// evaluated with Options.MaxViolations (the platform's stored result)
// also its counts, so a reader of a truncated list knows what it lacks.
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if r.MaxViolations > 0 {
		return enc.Encode(boundedJSON{Report: r, ViolationsTotal: r.ViolationsTotal, ViolationsExcepted: r.ViolationsExcepted,
			Truncated: r.Truncated, RuleCounts: r.RuleCounts})
	}
	return enc.Encode(r)
}

// boundedJSON is the JSON form of a bounded report: the report's fields
// and then its counts.
type boundedJSON struct {
	*Report
	ViolationsTotal    int         `json:"violations_total"`
	ViolationsExcepted int         `json:"violations_excepted"`
	Truncated          bool        `json:"truncated"`
	RuleCounts         []RuleCount `json:"rule_counts"`
}

// JSONString returns exactly what WriteJSON writes, built in one string of
// its final size. The platform stores every gate result as this text; for
// a release of 640,000 components the default policy's copyleft rule
// yields ~140,000 violations and a ~55 MB text, and WriteJSON into a
// buffer held it three times over (json.Encoder marshals the whole report
// into its own growing buffer, then copies it into the writer's, which
// the caller copied again into a string), next to the violations
// themselves (docs/performance.md). Here each violation is encoded on its
// own, twice: once to add up the size, once into the string.
func JSONString(r *Report) (string, error) {
	if len(r.Violations) == 0 {
		var sb strings.Builder
		err := WriteJSON(&sb, r)
		return sb.String(), err
	}
	// The report without its violations, split where they go.
	skel := *r
	skel.Violations = []Violation{}
	var head strings.Builder
	if err := WriteJSON(&head, &skel); err != nil {
		return "", err
	}
	const field = `"violations": [`
	at := strings.Index(head.String(), field)
	if at < 0 || !strings.HasPrefix(head.String()[at+len(field):], "]") {
		return "", fmt.Errorf("gate report JSON has no violations array")
	}
	pre, post := head.String()[:at+len(field)], head.String()[at+len(field):]
	// Encoder.SetIndent indents the compact encoding, so the array's
	// elements are the compact encodings indented at depth 2.
	var compact, indented bytes.Buffer
	enc := json.NewEncoder(&compact)
	enc.SetEscapeHTML(false)
	each := func(fn func(i int, elem []byte)) error {
		for i := range r.Violations {
			compact.Reset()
			indented.Reset()
			if err := enc.Encode(&r.Violations[i]); err != nil {
				return err
			}
			if err := json.Indent(&indented, bytes.TrimSuffix(compact.Bytes(), []byte("\n")), "    ", "  "); err != nil {
				return err
			}
			fn(i, indented.Bytes())
		}
		return nil
	}
	const first, sep, last = "\n    ", ",\n    ", "\n  "
	size := len(pre) + len(first) + len(last) + len(post) + (len(r.Violations)-1)*len(sep)
	if err := each(func(_ int, elem []byte) { size += len(elem) }); err != nil {
		return "", err
	}
	var sb strings.Builder
	sb.Grow(size)
	sb.WriteString(pre)
	sb.WriteString(first)
	if err := each(func(i int, elem []byte) {
		if i > 0 {
			sb.WriteString(sep)
		}
		sb.Write(elem)
	}); err != nil {
		return "", err
	}
	sb.WriteString(last)
	sb.WriteString(post)
	return sb.String(), nil
}

// WriteText writes one line per violation with its why, expired
// exceptions, and a summary line.
func WriteText(w io.Writer, r *Report) error {
	bw := bufio.NewWriter(w)
	for i := range r.Violations {
		v := &r.Violations[i]
		if v.Excepted {
			e := v.Exception
			fmt.Fprintf(bw, "EXCEPTED %s [%s] %s: %s (exception until %s, approved by %s: %s)\n", v.Rule, v.Severity, v.Subject, v.Message, e.Expires, e.Approver, e.Reason)
			continue
		}
		fmt.Fprintf(bw, "FAIL %s [%s] %s: %s\n", v.Rule, v.Severity, v.Subject, v.Message)
	}
	for _, e := range r.ExpiredExceptions {
		fmt.Fprintf(bw, "EXPIRED exception for %s (%s) expired on %s (%s): renew it with a new expiry and approval, or remove it\n", e.Rule, matchString(e.Match), e.Expires, e.Source)
	}
	failing := r.Failing()
	if r.Truncated {
		fmt.Fprintf(bw, "TRUNCATED: the first %d of %d violations are listed; per rule:", len(r.Violations), r.ViolationsTotal)
		for _, c := range r.RuleCounts {
			if c.Violations > 0 {
				fmt.Fprintf(bw, " %s %d (%d excepted)", c.Rule, c.Violations, c.Excepted)
			}
		}
		fmt.Fprintln(bw)
	}
	status := "PASSED"
	if !r.Passed {
		status = "FAILED"
	}
	fmt.Fprintf(bw, "gate %s: %d rules, %d violations (%d excepted), %d expired exceptions; judged %d components, %d vulnerabilities, %d findings, %d threats, %d firmware issues, %d binaries\n",
		status, len(r.Rules), failing, r.Total()-failing, len(r.ExpiredExceptions),
		r.Evaluated[OnComponent], r.Evaluated[OnVuln], r.Evaluated[OnFinding], r.Evaluated[OnThreat], r.Evaluated[OnFirmware], r.Evaluated[OnBinary])
	return bw.Flush()
}

func matchString(m Match) string {
	var parts []string
	if m.ID != "" {
		parts = append(parts, "id "+m.ID)
	}
	if m.Component != "" {
		parts = append(parts, "component "+m.Component)
	}
	if m.Path != "" {
		parts = append(parts, "path "+m.Path)
	}
	return strings.Join(parts, ", ")
}

// WriteSARIF writes the violations as SARIF 2.1.0 (one rule per policy
// rule, one result per violation; excepted violations are suppressed).
// Expired exceptions are results of the pseudo-rule "expired-exception".
func WriteSARIF(w io.Writer, r *Report, version string) error {
	run := sarif.Run{Tool: sarif.Tool{Name: "Rampart gate", Version: version},
		Rules: make([]sarif.Rule, 0, len(r.Rules)+1), Results: make([]sarif.Result, 0, len(r.Violations)+len(r.ExpiredExceptions))}
	declared := map[string]bool{}
	for _, ru := range r.Rules {
		declared[ru.ID] = true
		run.Rules = append(run.Rules, sarifRule(ru.ID, firstNonEmpty(ru.Description, ru.ID), findings.Severity(ru.Severity), ru.Source,
			fmt.Sprintf("Policy rule `%s` (%s), on `%s`:\n\n```\n%s\n```", ru.ID, ru.Source, ru.On, ru.When)))
	}
	for i := range r.Violations {
		v := &r.Violations[i]
		if !declared[v.Rule] { // a violation of a rule the report does not list still needs a rule
			declared[v.Rule] = true
			run.Rules = append(run.Rules, sarif.Rule{ID: v.Rule, ShortDescription: v.Rule})
		}
		res := sarifResult(v.Rule, findings.Severity(v.Severity), v.Subject+": "+v.Message, v.File, v.Line, v.Rule+"|"+v.Fingerprint)
		if v.Excepted {
			res.Suppression = &sarif.Suppression{Kind: "external", Status: "accepted"}
			if v.Exception != nil {
				res.Suppression.Justification = fmt.Sprintf("%s (approved by %s, until %s)", v.Exception.Reason, v.Exception.Approver, v.Exception.Expires)
			}
		}
		run.Results = append(run.Results, res)
	}
	if len(r.ExpiredExceptions) > 0 {
		const expired = "expired-exception"
		if !declared[expired] {
			run.Rules = append(run.Rules, sarifRule(expired, "A policy exception has expired: renew or remove it", findings.High, "", ""))
		}
		for _, e := range r.ExpiredExceptions {
			file, line := splitSource(e.Source)
			run.Results = append(run.Results, sarifResult(expired, findings.High,
				fmt.Sprintf("exception for %s (%s) expired on %s", e.Rule, matchString(e.Match), e.Expires), file, line, "expired|"+e.Rule+"|"+matchString(e.Match)))
		}
	}
	return sarif.Write(w, run)
}

// sarifRule is the SARIF rule of a policy rule: its severity as
// problem.severity and security-severity, and where it is defined.
func sarifRule(id, desc string, sev findings.Severity, source, help string) sarif.Rule {
	props := map[string]any{"problem.severity": findings.SARIFLevel(sev)}
	if source != "" {
		props["source"] = source
	}
	if s := findings.SecuritySeverity(sev); s != "" {
		props["security-severity"] = s
	}
	return sarif.Rule{ID: id, Name: id, ShortDescription: desc, HelpMarkdown: help, Tags: []string{"security", "policy"}, Properties: props}
}

func sarifResult(rule string, sev findings.Severity, msg, file string, line int, fingerprint string) sarif.Result {
	res := sarif.Result{RuleID: rule, Level: findings.SARIFLevel(sev), Message: msg}
	if fingerprint != "" {
		res.PartialFingerprints = map[string]string{"rampart/v1": fingerprint}
	}
	if file != "" {
		loc := sarif.Location{URI: file}
		if line > 0 {
			loc.StartLine, loc.EndLine = line, line
		}
		res.Locations = []sarif.Location{loc}
	}
	return res
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes JUnit XML with one testcase per rule: it fails when the
// rule has violations that are not excepted (the failure lists them, one per
// line); excepted violations are listed in system-out. Expired exceptions
// add a failing testcase "expired-exceptions".
func WriteJUnit(w io.Writer, r *Report) error {
	byRule := map[string][]*Violation{}
	for i := range r.Violations {
		v := &r.Violations[i]
		byRule[v.Rule] = append(byRule[v.Rule], v)
	}
	s := junitSuite{Name: "rampart gate"}
	for _, ru := range r.Rules {
		c := junitCase{Name: ru.ID + ": " + firstNonEmpty(ru.Description, ru.ID), Classname: "rampart.policy." + ru.On}
		var fail, exc []string
		for _, v := range byRule[ru.ID] {
			line := v.Subject + ": " + v.Message
			if v.Excepted {
				exc = append(exc, "excepted: "+line+" (until "+v.Exception.Expires+", approved by "+v.Exception.Approver+": "+v.Exception.Reason+")")
			} else {
				fail = append(fail, line)
			}
		}
		failing := len(fail)
		if r.Truncated { // the count of them all, not of the ones listed
			rc := r.RuleCount(ru.ID)
			failing = rc.Violations - rc.Excepted
		}
		if failing > 0 {
			c.Failure = &junitFailure{Message: fmt.Sprintf("%d violation(s) of %s [%s]", failing, ru.ID, ru.Severity), Type: ru.Severity, Text: strings.Join(fail, "\n")}
			s.Failures++
		}
		if len(exc) > 0 {
			c.SystemOut = strings.Join(exc, "\n")
		}
		s.Cases = append(s.Cases, c)
	}
	if len(r.ExpiredExceptions) > 0 {
		var lines []string
		for _, e := range r.ExpiredExceptions {
			lines = append(lines, fmt.Sprintf("exception for %s (%s) expired on %s (%s)", e.Rule, matchString(e.Match), e.Expires, e.Source))
		}
		s.Cases = append(s.Cases, junitCase{Name: "expired-exceptions", Classname: "rampart.policy.exceptions",
			Failure: &junitFailure{Message: fmt.Sprintf("%d expired exception(s)", len(lines)), Type: "expired", Text: strings.Join(lines, "\n")}})
		s.Failures++
	}
	s.Tests = len(s.Cases)
	doc := junitSuites{Name: "rampart gate", Tests: s.Tests, Failures: s.Failures, Suites: []junitSuite{s}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
