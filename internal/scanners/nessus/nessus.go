// Package nessus parses Tenable reports: the .nessus XML export
// (<NessusClientData_v2>, from Nessus, Tenable.sc, Tenable.io and Nessus
// WAS) streamed one ReportItem at a time, and the CSV exports of Nessus,
// Tenable.sc, Tenable.io (semicolon-separated, "asset.*"/"definition.*"
// columns) and Nessus WAS.
//
// One finding per plugin per host, port and protocol (a ReportItem; in CSV,
// consecutive rows that repeat a plugin on the same host and port once per
// CVE are merged; rows whose state is FIXED are skipped). severity 0–4
// (XML) or Risk/Severity (CSV) map to info…critical. Rule id is the plugin
// id; CVEs from <cve>, CWEs from <cwe> and "CWE:n" xrefs, CVSS v3/v4 vectors and scores, EPSS, KEV from the
// "CISA-KNOWN-EXPLOITED" xref, references from see_also. Each compliance
// check (XML cm:compliance-check-name; CSV: the description's opening
// `"check" : [FAILED]`) is its own finding; passed checks are skipped.
package nessus

import (
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/scanners/reportio"
)

// Name is the XML format's registry name.
const Name = "nessus"

// Format describes the Nessus / Tenable .nessus XML export to the registry.
var Format = reportio.Format{
	Name:        Name,
	Aliases:     []string{"tenable", "nessus-was", "tenable-xml"},
	Description: "Nessus / Tenable .nessus XML export (NessusClientData_v2; also Tenable.sc, Tenable.io, Nessus WAS)",
	DetectRule:  "XML whose root element is <NessusClientData_v2>",
	Detect:      Detect,
	Parse:       Parse,
}

// Detect reports whether head is a .nessus XML export.
func Detect(h *reportio.Head) bool { return h.HasRoot("NessusClientData_v2") }

type reportItem struct {
	Port         string   `xml:"port,attr"`
	SvcName      string   `xml:"svc_name,attr"`
	Protocol     string   `xml:"protocol,attr"`
	Severity     string   `xml:"severity,attr"`
	PluginID     string   `xml:"pluginID,attr"`
	PluginName   string   `xml:"pluginName,attr"`
	PluginFamily string   `xml:"pluginFamily,attr"`
	Name         string   `xml:"plugin_name"`
	Synopsis     string   `xml:"synopsis"`
	Description  string   `xml:"description"`
	Solution     string   `xml:"solution"`
	Output       string   `xml:"plugin_output"`
	RiskFactor   string   `xml:"risk_factor"`
	CVE          []string `xml:"cve"`
	CWE          []string `xml:"cwe"`
	Xref         []string `xml:"xref"`
	SeeAlso      []string `xml:"see_also"`
	CVSS3Vector  string   `xml:"cvss3_vector"`
	CVSS3Score   string   `xml:"cvss3_base_score"`
	CVSSv3       string   `xml:"cvssv3"` // Nessus WAS
	CVSS4Vector  string   `xml:"cvss4_vector"`
	CVSS4Score   string   `xml:"cvss4_base_score"`
	EPSS         string   `xml:"epss_score"`
	compliance
}

// compliance holds a compliance audit result (Nessus's "Policy
// Compliance" plugins write one ReportItem per audited check, all with the
// plugin's id, in the http://www.nessus.org/cm namespace).
type compliance struct {
	CheckID   string `xml:"compliance-check-id"`
	CheckName string `xml:"compliance-check-name"`
	Result    string `xml:"compliance-result"`
	Info      string `xml:"compliance-info"`
	Solution  string `xml:"compliance-solution"`
	Policy    string `xml:"compliance-policy-value"`
	Actual    string `xml:"compliance-actual-value"`
	SeeAlso   string `xml:"compliance-see-also"`
	Reference string `xml:"compliance-reference"`
	Audit     string `xml:"compliance-audit-file"`
}

type host struct {
	name, ip, fqdn string
}

// Parse streams the findings of a .nessus XML report.
//
// The format has no scan status; what says a host's scan ended is its
// HOST_END property (beside HOST_START, as Nessus writes both when the
// host is done). A host that started but has no end was still being
// scanned when the scan was stopped or aborted: the report is refused
// once its findings are emitted (for an import as a partial scan).
func Parse(r io.Reader, name string, emit func(findings.Finding) error) error {
	dec := reportio.NewXMLDecoder(r, name)
	if _, empty, err := dec.Begin("NessusClientData_v2"); err != nil || empty {
		return err
	}
	var unfinished error // the first host whose scan did not end
	err := dec.Each("Report>ReportHost", func(se xml.StartElement) error {
		h := host{name: reportio.Attr(se, "name")}
		return dec.Walk(func(se xml.StartElement) error {
			switch se.Name.Local {
			case "HostProperties":
				var props struct {
					Tags []struct {
						Name  string `xml:"name,attr"`
						Value string `xml:",chardata"`
					} `xml:"tag"`
				}
				if err := dec.DecodeElement(&props, &se); err != nil {
					return err
				}
				started, ended := false, false
				for _, t := range props.Tags {
					switch t.Name {
					case "host-ip":
						h.ip = strings.TrimSpace(t.Value)
					case "host-fqdn":
						h.fqdn = strings.TrimSpace(t.Value)
					case "HOST_START", "HOST_START_TIMESTAMP":
						started = true
					case "HOST_END", "HOST_END_TIMESTAMP":
						ended = ended || strings.TrimSpace(t.Value) != ""
					}
				}
				if started && !ended && unfinished == nil {
					unfinished = dec.Errorf(reportio.Incomplete("ReportHost %q has HOST_START but no HOST_END: its scan did not finish (the scan was stopped or aborted while it ran)", h.name), "HostProperties")
				}
				return nil
			case "ReportItem":
				var it reportItem
				if err := dec.DecodeElement(&it, &se); err != nil {
					return err
				}
				if it.passed() {
					return nil // a compliance check the host passes: not a finding
				}
				f, err := it.finding(h)
				if err != nil {
					return dec.Errorf(err, "ReportItem pluginID %q", it.PluginID)
				}
				return emit(f)
			}
			return dec.Skip()
		})
	})
	if err != nil {
		return err
	}
	return unfinished
}

var severityByNumber = map[string]findings.Severity{"0": findings.Info, "1": findings.Low, "2": findings.Medium, "3": findings.High, "4": findings.Critical}

func (it reportItem) finding(h host) (findings.Finding, error) {
	var f findings.Finding
	sev, ok := findings.SeverityIn(severityByNumber, it.Severity)
	if !ok {
		if sev, ok = findings.ParseSeverity(it.RiskFactor); !ok || it.RiskFactor == "" {
			return f, fmt.Errorf("severity %q is not 0–4", it.Severity)
		}
	}
	f.Severity = sev
	f.RuleID = strings.TrimSpace(it.PluginID)
	f.Title = it.PluginName
	if f.Title == "" {
		f.Title = it.Name
	}
	f.Description = reportio.Paragraphs(it.Synopsis, it.Description)
	if out := strings.TrimSpace(it.Output); out != "" {
		f.Description = reportio.Paragraphs(f.Description, "Plugin output:\n"+out)
	}
	f.Mitigation = strings.TrimSpace(it.Solution)
	f.VulnerabilityIDs = it.CVE
	for _, c := range it.CWE {
		if n, ok := findings.ParseCWE(strings.TrimSpace(c)); ok {
			f.CWEs = append(f.CWEs, n)
		}
	}
	for _, x := range it.Xref {
		applyXref(&f, x)
	}
	for _, s := range it.SeeAlso {
		f.References = append(f.References, reportio.URLs(s)...)
	}
	f.CVSS.V3Vector = it.CVSS3Vector
	f.CVSS.V3Score = findings.ParseScore(it.CVSS3Score)
	if f.CVSS.V3Score == nil {
		f.CVSS.V3Score = findings.ParseScore(it.CVSSv3)
	}
	f.CVSS.V4Vector = it.CVSS4Vector
	f.CVSS.V4Score = findings.ParseScore(it.CVSS4Score)
	f.EPSS.Score = epss(it.EPSS)
	loc := h.location(it.Port, it.Protocol)
	if sv := strings.TrimSpace(it.SvcName); sv != "" && sv != "general" {
		loc.Service = strings.TrimSuffix(sv, "?") // "www?" when Nessus guessed
		if loc.Service == "www" {                 // Nessus's name for HTTP and HTTPS alike
			loc.Service = "http"
			if loc.Port == 443 || loc.Port == 8443 {
				loc.Service = "https"
			}
		}
	}
	f.Locations = []findings.Location{loc}
	if it.SvcName != "" && it.SvcName != "general" {
		f.Description = reportio.Paragraphs(f.Description, "Service: "+it.SvcName)
	}
	it.compliance.apply(&f)
	f.Normalize()
	return f, nil
}

// passed reports whether the item is a compliance check the host passed.
func (it reportItem) passed() bool {
	return it.isCheck() && strings.EqualFold(strings.TrimSpace(it.Result), "PASSED")
}

// checkRule is the rule id of one compliance check of plugin.
func checkRule(plugin, check string) string { return plugin + ":" + check }

func (c compliance) isCheck() bool { return strings.TrimSpace(c.CheckID+c.CheckName) != "" }

// apply makes f the finding of one audited check: the check is the rule
// (plugin id and check name, as the CSV export names it; the check id
// without a name), so each failed check is its own finding, not a
// duplicate of the first; its result, policy and actual values describe
// it.
func (c compliance) apply(f *findings.Finding) {
	if !c.isCheck() {
		return
	}
	name := strings.TrimSpace(c.CheckName)
	if name == "" {
		name = strings.TrimSpace(c.CheckID)
	}
	f.RuleID, f.Title = checkRule(f.RuleID, name), name
	f.Description = reportio.Paragraphs(reportio.Section("Result", c.Result), strings.TrimSpace(c.Info),
		reportio.Section("Policy value", c.Policy), reportio.Section("Actual value", c.Actual),
		reportio.Section("Reference", c.Reference), reportio.Section("Audit file", c.Audit), f.Description)
	if sol := strings.TrimSpace(c.Solution); sol != "" {
		f.Mitigation = sol
	}
	f.References = append(f.References, reportio.URLs(c.SeeAlso)...)
}

// applyXref reads the cross references Nessus gives as "TYPE:value".
func applyXref(f *findings.Finding, x string) {
	typ, val, ok := strings.Cut(strings.TrimSpace(x), ":")
	if !ok {
		return
	}
	switch strings.ToUpper(strings.TrimSpace(typ)) {
	case "CWE":
		if n, ok := findings.ParseCWE(strings.TrimSpace(val)); ok {
			f.CWEs = append(f.CWEs, n)
		}
	case "CISA-KNOWN-EXPLOITED":
		f.KEV = true
	case "GHSA":
		f.VulnerabilityIDs = append(f.VulnerabilityIDs, strings.TrimSpace(val))
	}
}

func epss(s string) *float64 {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || !(v >= 0) { // false for NaN too
		return nil
	}
	if v > 1 { // some exports give a percentage
		v /= 100
	}
	if v > 1 {
		return nil
	}
	return &v
}

func (h host) location(port, proto string) findings.Location {
	l := findings.Location{Host: h.ip, Protocol: strings.ToLower(strings.TrimSpace(proto))}
	if l.Host == "" {
		l.Host = h.fqdn
	}
	if l.Host == "" {
		l.Host = h.name
	}
	// Nessus WAS names hosts by URL.
	if u, err := url.Parse(l.Host); err == nil && u.Host != "" && strings.Contains(l.Host, "://") {
		l.URL = l.Host
		l.Host = u.Hostname()
		l.Path = u.EscapedPath()
	}
	l.Port, _ = strconv.Atoi(strings.TrimSpace(port))
	if l.URL == "" {
		for _, n := range []string{h.fqdn, h.name} {
			if n != "" && n != l.Host && net.ParseIP(n) == nil {
				l.HostName = n
				break
			}
		}
	}
	return l
}
