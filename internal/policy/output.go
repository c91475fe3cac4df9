package policy

import (
	"bufio"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/rampart-security/rampart/internal/findings"
)

// WriteJSON writes the report in the `rampart gate --format json` contract.
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
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
	status := "PASSED"
	if !r.Passed {
		status = "FAILED"
	}
	fmt.Fprintf(bw, "gate %s: %d rules, %d violations (%d excepted), %d expired exceptions; judged %d components, %d vulnerabilities, %d findings, %d threats, %d firmware issues, %d binaries\n",
		status, len(r.Rules), failing, len(r.Violations)-failing, len(r.ExpiredExceptions),
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
	rules := make([]findings.SARIFRule, 0, len(r.Rules)+1)
	for _, ru := range r.Rules {
		rules = append(rules, findings.SARIFRule{ID: ru.ID, Description: firstNonEmpty(ru.Description, ru.ID), Severity: findings.Severity(ru.Severity), Source: ru.Source,
			Help: fmt.Sprintf("Policy rule `%s` (%s), on `%s`:\n\n```\n%s\n```", ru.ID, ru.Source, ru.On, ru.When)})
	}
	results := make([]findings.SARIFResult, 0, len(r.Violations))
	for i := range r.Violations {
		v := &r.Violations[i]
		res := findings.SARIFResult{RuleID: v.Rule, Severity: findings.Severity(v.Severity), Message: v.Subject + ": " + v.Message,
			File: v.File, Line: v.Line, Fingerprint: v.Rule + "|" + v.Fingerprint, Suppressed: v.Excepted}
		if v.Exception != nil {
			res.Justification = fmt.Sprintf("%s (approved by %s, until %s)", v.Exception.Reason, v.Exception.Approver, v.Exception.Expires)
		}
		results = append(results, res)
	}
	if len(r.ExpiredExceptions) > 0 {
		rules = append(rules, findings.SARIFRule{ID: "expired-exception", Description: "A policy exception has expired: renew or remove it", Severity: findings.High})
		for _, e := range r.ExpiredExceptions {
			file, line := splitSource(e.Source)
			results = append(results, findings.SARIFResult{RuleID: "expired-exception", Severity: findings.High, File: file, Line: line,
				Message: fmt.Sprintf("exception for %s (%s) expired on %s", e.Rule, matchString(e.Match), e.Expires), Fingerprint: "expired|" + e.Rule + "|" + matchString(e.Match)})
		}
	}
	return findings.WriteSARIFRun(w, "Rampart gate", version, rules, results)
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
		if len(fail) > 0 {
			c.Failure = &junitFailure{Message: fmt.Sprintf("%d violation(s) of %s [%s]", len(fail), ru.ID, ru.Severity), Type: ru.Severity, Text: strings.Join(fail, "\n")}
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
