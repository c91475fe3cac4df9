// Package burp parses Burp Suite "Report issues" XML exports (<issues
// burpVersion="…">), streaming one issue at a time. The export carries a
// DOCTYPE with an internal subset of element declarations; entity
// declarations are rejected like anywhere else.
//
// One finding per issue (Burp reports an issue type once per location):
// the issue type as rule id, the serial number as unique id, severity
// High/Medium/Low/Information (an issue the user set to "False positive"
// is imported as a false positive, severity info), the host and path as
// location, background and detail as description and remediation (HTML
// made text), CWEs from vulnerabilityClassifications, links from
// references. Request and response bodies are not kept.
package burp

import (
	"io"
	"net/url"
	"strings"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/scanners/reportio"
)

// Name is the format's registry name.
const Name = "burp"

// Format describes the Burp Suite XML issues export to the registry.
var Format = reportio.Format{
	Name:        Name,
	Aliases:     []string{"burp-xml"},
	Description: "Burp Suite XML issues export",
	DetectRule:  `XML whose root element is <issues> with a burpVersion attribute or Burp's DTD`,
	Detect:      Detect,
	Parse:       Parse,
}

// Detect reports whether head is a Burp XML issues export.
func Detect(h *reportio.Head) bool {
	return h.HasRoot("issues") && (h.Contains("burpVersion") || h.Contains("<!ELEMENT issue "))
}

type issue struct {
	SerialNumber string `xml:"serialNumber"`
	Type         string `xml:"type"`
	Name         string `xml:"name"`
	Host         struct {
		URL string `xml:",chardata"`
		IP  string `xml:"ip,attr"`
	} `xml:"host"`
	Path                  string   `xml:"path"`
	Location              string   `xml:"location"`
	Severity              string   `xml:"severity"`
	Confidence            string   `xml:"confidence"`
	IssueBackground       string   `xml:"issueBackground"`
	RemediationBackground string   `xml:"remediationBackground"`
	IssueDetail           string   `xml:"issueDetail"`
	IssueDetailItems      []string `xml:"issueDetailItems>issueDetailItem"`
	RemediationDetail     string   `xml:"remediationDetail"`
	References            string   `xml:"references"`
	Classifications       string   `xml:"vulnerabilityClassifications"`
}

// Parse streams the findings of a Burp XML issues export.
func Parse(r io.Reader, name string, emit func(findings.Finding) error) error {
	dec := reportio.NewXMLDecoder(r, name)
	if _, empty, err := dec.Begin("issues"); err != nil || empty {
		return err
	}
	return reportio.DecodeEach(dec, "issue", func(is issue) error {
		f, err := is.finding()
		if err != nil {
			return dec.Errorf(err, "issue %s", is.SerialNumber)
		}
		return emit(f)
	})
}

func (is issue) finding() (findings.Finding, error) {
	sev := findings.Info
	var triage *findings.Triage
	switch strings.ToLower(strings.TrimSpace(is.Severity)) {
	case "high":
		sev = findings.High
	case "medium":
		sev = findings.Medium
	case "low":
		sev = findings.Low
	case "information", "info":
	case "false positive":
		// Burp's fifth severity: the user marked the issue a false
		// positive (IScanIssue.getSeverity). Its original level is gone.
		triage = &findings.Triage{Status: findings.StatusFalsePositive, Reason: "marked false positive in Burp"}
	default:
		return findings.Finding{}, reportio.NotReportf("severity %q is not High, Medium, Low, Information or False positive", is.Severity)
	}
	f := findings.Finding{
		Title:    is.Name,
		Severity: sev,
		RuleID:   strings.TrimSpace(is.Type),
		UniqueID: strings.TrimSpace(is.SerialNumber),
		Triage:   triage,
	}
	var items []string
	for _, it := range is.IssueDetailItems {
		if t := reportio.PlainText(it); t != "" {
			items = append(items, "- "+t)
		}
	}
	f.Description = reportio.Paragraphs(reportio.PlainText(is.IssueDetail), strings.Join(items, "\n"), reportio.PlainText(is.IssueBackground),
		labelled("Confidence", is.Confidence), labelled("Location", is.Location))
	f.Mitigation = reportio.Paragraphs(reportio.PlainText(is.RemediationDetail), reportio.PlainText(is.RemediationBackground))
	f.References = reportio.URLs(is.References)
	f.CWEs = findings.CWEsIn(is.Classifications)
	f.Locations = []findings.Location{location(strings.TrimSpace(is.Host.URL), strings.TrimSpace(is.Path), is.Host.IP)}
	f.Normalize()
	return f, nil
}

func location(host, path, ip string) findings.Location {
	l := findings.Location{Path: path}
	u, err := url.Parse(host)
	if err != nil || u.Host == "" {
		l.Host = host
		if l.Host == "" {
			l.Host = ip
		}
		return l
	}
	l.Host = u.Hostname()
	l.Protocol = u.Scheme
	l.Port, _ = reportio.URLPort(u)
	l.URL = strings.TrimRight(host, "/") + path
	return l
}

func labelled(label, s string) string {
	if s = strings.TrimSpace(s); s == "" {
		return ""
	}
	return label + ": " + s
}
