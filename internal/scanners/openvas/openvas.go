// Package openvas parses Greenbone / OpenVAS reports: the XML report of
// GMP (<report> or <get_reports_response>, results streamed one at a
// time) and the CSV results export.
//
// One finding per result: the NVT OID as rule id, the NVT name as title,
// severity from the numeric severity (CVSS scale; "Log" results with 0.0
// are info), results overridden to false positive (severity < 0) and a
// delta report's gone results are skipped. Host and port ("443/tcp",
// "general/tcp") as location, CVEs and URLs from the NVT references,
// summary, insight, impact and the specific result as description, the
// solution as mitigation, the result id as unique id, EPSS from the CSV
// columns of GVM 23.
package openvas

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/scanners/reportio"
)

// Names of the two formats.
const (
	Name    = "openvas"
	NameCSV = "openvas-csv"
)

// Format describes the Greenbone / OpenVAS XML report (GMP) to the registry.
var Format = reportio.Format{
	Name:        Name,
	Aliases:     []string{"greenbone", "gvm"},
	Description: "Greenbone / OpenVAS XML report (GMP)",
	DetectRule:  "XML whose root element is <report> or <get_reports_response> with a <report_format>, <gmp>, <omp> or <nvt> element in the first kilobytes",
	Detect:      Detect,
	Parse:       Parse,
}

// FormatCSV describes the Greenbone / OpenVAS CSV results export to the registry.
var FormatCSV = reportio.Format{
	Name:        NameCSV,
	Aliases:     []string{"greenbone-csv"},
	Description: "Greenbone / OpenVAS CSV results export",
	DetectRule:  `CSV whose header has "NVT OID" or "NVT Name" and "IP" columns`,
	Detect:      DetectCSV,
	Parse:       ParseCSV,
}

// Detect reports whether head is a Greenbone XML report.
func Detect(h *reportio.Head) bool {
	if !h.HasRoot("report", "get_reports_response") {
		return false
	}
	for _, s := range []string{"<report_format", "<gmp>", "<omp>", "<nvt "} {
		if bytes.Contains(h.Bytes(), []byte(s)) {
			return true
		}
	}
	return false
}

// DetectCSV reports whether head is a Greenbone CSV results export.
func DetectCSV(h *reportio.Head) bool {
	cols := h.CSVHeader()
	return reportio.HeaderHas(cols, "ip") && (reportio.HeaderHas(cols, "nvt oid") || reportio.HeaderHas(cols, "nvt name"))
}

type result struct {
	ID   string `xml:"id,attr"`
	Name string `xml:"name"`
	Host struct {
		IP       string `xml:",chardata"`
		Hostname string `xml:"hostname"`
	} `xml:"host"`
	Port string `xml:"port"`
	NVT  struct {
		OID      string `xml:"oid,attr"`
		Name     string `xml:"name"`
		CVSSBase string `xml:"cvss_base"`
		Tags     string `xml:"tags"`
		Refs     []struct {
			ID   string `xml:"id,attr"`
			Type string `xml:"type,attr"`
		} `xml:"refs>ref"`
		CVE  string `xml:"cve"` // GMP < 8
		Xref string `xml:"xref"`
		// Severities (GMP 21.4 and later) lists the NVT's scores with
		// their vectors; the tags' cvss_base_vector may be absent.
		Severities []struct {
			Type  string `xml:"type,attr"`
			Value string `xml:"value"`
		} `xml:"severities>severity"`
	} `xml:"nvt"`
	Threat      string `xml:"threat"`
	Severity    string `xml:"severity"`
	Description string `xml:"description"`
	// Delta is a delta report's state of the result: new, same, changed,
	// or gone (found by the older report only).
	Delta struct {
		State string `xml:",chardata"`
	} `xml:"delta"`
}

// Parse streams the findings of a Greenbone XML report.
func Parse(r io.Reader, name string, emit func(findings.Finding) error) error {
	dec := reportio.NewXMLDecoder(r, name)
	if _, empty, err := dec.Begin("report", "get_reports_response"); err != nil || empty {
		return err
	}
	var walk func() error
	walk = func() error {
		var rep reportState
		err := dec.Walk(func(se xml.StartElement) error {
			switch se.Name.Local {
			case "report":
				return walk()
			case "scan_run_status":
				return rep.status(dec, &se)
			case "result_count":
				return dec.DecodeElement(&rep.count, &se)
			case "errors":
				return dec.DecodeElement(&rep.errors, &se)
			case "results":
				rep.hasResults = true
				return reportio.DecodeEach(dec, "result", func(res result) error {
					rep.results++
					f, ok := res.finding()
					if !ok {
						return nil
					}
					return emit(f)
				})
			}
			return dec.Skip()
		})
		if err != nil {
			return err
		}
		if rep.incomplete != nil {
			return rep.incomplete
		}
		return rep.check(dec)
	}
	return walk()
}

// reportState is what one <report> element says about its scan, checked
// when the element ends.
type reportState struct {
	// incomplete is the refusal of a scan that did not finish, returned
	// once the report's results are emitted (for an import as a partial
	// scan).
	incomplete error
	hasResults bool
	results    int // <result> elements listed, whatever they became
	// count is GMP's <result_count>: <filtered> is how many results
	// match the report's filter, all of which a complete export lists.
	count struct {
		Filtered string `xml:"filtered"`
	}
	// errors is GMP's <errors>: <count> and an <error> per NVT that
	// failed on a host (timeouts, dead hosts), with its description.
	errors struct {
		Count  string `xml:"count"`
		Errors []struct {
			Host        string `xml:"host"`
			Description string `xml:"description"`
		} `xml:"error"`
	}
}

// status notes a report whose <scan_run_status> is not Done (refused
// when the report ends). GMP's run
// statuses are New, Requested, Queued, Running, Stop Requested, Stopped
// (stopped by a user), Interrupted (the scanner failed or lost a host
// part-way), Processing, Delete Requested, Ultimate Delete Requested and
// Done; only Done is a complete scan. An empty status (the element of a
// task summary) says nothing.
func (rep *reportState) status(dec *reportio.XMLDecoder, se *xml.StartElement) error {
	var st string
	if err := dec.DecodeElement(&st, se); err != nil {
		return err
	}
	st = strings.TrimSpace(st)
	if st != "" && !strings.EqualFold(st, "Done") {
		rep.incomplete = dec.Errorf(reportio.Incomplete("scan_run_status is %q, not Done: the report holds the results of a scan that did not finish", st), "<scan_run_status>")
	}
	return nil
}

// check refuses a report that lists fewer results than its result_count
// says match its filter (one page of a paged export: GMP's <results
// start max> with rows less than the total), and one with no result
// whose <errors> say the scan failed on its targets.
func (rep *reportState) check(dec *reportio.XMLDecoder) error {
	if !rep.hasResults {
		return nil
	}
	if n, err := strconv.Atoi(strings.TrimSpace(rep.count.Filtered)); err == nil && n > rep.results {
		return dec.Errorf(reportio.Incomplete("result_count/filtered says %d results match the report's filter, the file lists %d: a page of the report (export it with rows=-1 to list all results)", n, rep.results), "<results>")
	}
	if n, _ := strconv.Atoi(strings.TrimSpace(rep.errors.Count)); rep.results == 0 && (n > 0 || len(rep.errors.Errors) > 0) {
		why := fmt.Sprintf("the report lists no result and %d scan errors", max(n, len(rep.errors.Errors)))
		if len(rep.errors.Errors) > 0 {
			e := rep.errors.Errors[0]
			why += fmt.Sprintf(", the first on %s: %s", strings.TrimSpace(e.Host), reportio.Clip(strings.TrimSpace(e.Description), 200))
		}
		return dec.Errorf(reportio.Incomplete("%s", why), "<errors>")
	}
	return nil
}

func (res result) finding() (findings.Finding, bool) {
	score := findings.ParseScore(res.Severity)
	if s := strings.TrimSpace(res.Severity); strings.HasPrefix(s, "-") || strings.EqualFold(res.Threat, "False Positive") {
		return findings.Finding{}, false
	}
	if strings.EqualFold(strings.TrimSpace(res.Delta.State), "gone") {
		return findings.Finding{}, false // a delta report's result the newer scan no longer finds
	}
	tags := parseTags(res.NVT.Tags)
	f := findings.Finding{
		Title:       firstNonEmpty(res.NVT.Name, res.Name),
		RuleID:      res.NVT.OID,
		UniqueID:    res.ID,
		Severity:    severity(score, res.Threat),
		Mitigation:  tags["solution"],
		Description: reportio.Paragraphs(tags["summary"], tags["insight"], reportio.Section("Impact", tags["impact"]), reportio.Section("Affected", tags["affected"]), reportio.Section("Detection result", res.Description)),
		Locations:   []findings.Location{location(strings.TrimSpace(res.Host.IP), res.Port, res.Host.Hostname)},
	}
	v := tags["cvss_base_vector"]
	for _, sv := range res.NVT.Severities {
		if val := strings.TrimSpace(sv.Value); v == "" && strings.HasPrefix(val, "CVSS:") {
			v = val
		}
	}
	if strings.HasPrefix(v, "CVSS:3") {
		f.CVSS.V3Vector = v
		f.CVSS.V3Score = score
	} else if strings.HasPrefix(v, "CVSS:4") {
		f.CVSS.V4Vector = v
		f.CVSS.V4Score = score
	}
	f.VulnerabilityIDs = findings.VulnIDsIn(f.RuleID) // CVE scans use the CVE as OID
	for _, ref := range res.NVT.Refs {
		reportio.AddTypedRef(&f, ref.Type, ref.ID)
	}
	for _, c := range strings.Split(res.NVT.CVE, ",") {
		if c = strings.TrimSpace(c); c != "" && c != "NOCVE" {
			f.VulnerabilityIDs = append(f.VulnerabilityIDs, c)
		}
	}
	f.Normalize()
	return f, true
}

// parseTags splits the NVT's "key=value|key=value" tags.
func parseTags(s string) map[string]string {
	out := map[string]string{}
	for _, kv := range strings.Split(s, "|") {
		k, v, ok := strings.Cut(kv, "=")
		if ok {
			out[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return out
}

// severity maps the numeric severity (CVSS scale); without one, the
// threat word (Log and Debug are info).
func severity(score *float64, threat string) findings.Severity {
	if score != nil {
		return findings.SeverityFromCVSS(score)
	}
	return findings.SeverityWith(threats, threat)
}

var threats = map[string]findings.Severity{"LOG": findings.Info, "DEBUG": findings.Info, "": findings.Info}

// location reads "443/tcp" or "general/tcp" on host, named name.
func location(host, port, name string) findings.Location {
	l := findings.Location{Host: host, HostName: reportio.HostName(name, host)}
	p, proto, ok := strings.Cut(strings.TrimSpace(port), "/")
	if ok {
		l.Protocol = strings.ToLower(proto)
	}
	l.Port, _ = strconv.Atoi(p)
	return l
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if strings.TrimSpace(x) != "" {
			return x
		}
	}
	return ""
}

// ParseCSV streams the findings of a Greenbone CSV results export.
func ParseCSV(r io.Reader, name string, emit func(findings.Finding) error) error {
	c, err := reportio.NewCSVReader(r, name)
	if err != nil || c.Header == nil {
		return err // no header: an empty report
	}
	if !c.Has("IP") || !c.HasAny("NVT OID", "NVT Name") {
		return c.NotReportHeader("", `header has no "IP" and "NVT OID" columns: not a Greenbone CSV export`)
	}
	return c.Each(func() error {
		score := findings.ParseScore(c.Get("CVSS"))
		word := c.Get("Severity")
		if _, ok := findings.ParseSeverity(word); !ok && score == nil {
			return c.Errorf("Severity", reportio.NotReportf("severity %q is not a Greenbone threat level", word))
		}
		f := findings.Finding{
			Title:       c.Get("NVT Name"),
			RuleID:      c.Get("NVT OID"),
			UniqueID:    c.Get("Result ID"),
			Severity:    severity(score, word),
			Mitigation:  c.Get("Solution"),
			Description: reportio.Paragraphs(c.Get("Summary"), c.Get("Vulnerability Insight"), reportio.Section("Impact", c.Get("Impact")), reportio.Section("Affected", c.Get("Affected Software/OS")), reportio.Section("Detection result", c.Get("Specific Result"))),
			References:  reportio.URLs(c.Get("Other References")),
		}
		l := findings.Location{Host: c.Get("IP"), Protocol: strings.ToLower(c.Get("Port Protocol"))}
		l.Port, _ = strconv.Atoi(c.Get("Port"))
		l.HostName = reportio.HostName(c.Get("Hostname"), l.Host)
		f.Locations = []findings.Location{l}
		f.VulnerabilityIDs = findings.VulnIDsIn(f.RuleID) // CVE scans use the CVE as OID
		for _, id := range strings.Split(c.Get("CVEs"), ",") {
			f.VulnerabilityIDs = append(f.VulnerabilityIDs, strings.TrimSpace(id))
		}
		if s := c.Get("Max Severity EPSS score"); s != "" {
			if v, err := strconv.ParseFloat(s, 64); err == nil && v >= 0 && v <= 1 {
				f.EPSS.Score = &v
			}
			if v, err := strconv.ParseFloat(c.Get("Max Severity EPSS percentile"), 64); err == nil && v >= 0 && v <= 1 {
				f.EPSS.Percentile = &v
			}
		}
		f.Normalize()
		return emit(f)
	})
}
