// Package qualys parses Qualys VM reports: the XML asset data report
// (<ASSET_DATA_REPORT>: hosts with their detections, then a glossary of
// vulnerability details), the scan results XML (<SCAN>, scan-1.dtd: hosts
// with their QIDs and details inline, see scan.go) and the CSV scan/report
// exports (including the PCI "monthly" layout).
//
// One finding per QID per host, port and protocol. A confirmed or
// potential vulnerability's Qualys level 1–5 maps to low, low, medium,
// high, critical; "information gathered" detections (type Ig) are info
// whatever their level (see severity). XML detections are
// streamed and kept as small references until their glossary entry is
// read (the glossary comes last); a detection whose QID has no glossary
// entry still gives a finding titled "QID n". CSV rows whose status is
// Fixed, or whose false-positive request was approved, are skipped.
package qualys

import (
	"bytes"
	"encoding/xml"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/scanners/reportio"
)

// Names of the three formats.
const (
	Name    = "qualys"
	NameCSV = "qualys-csv"
	NameWAS = "qualys-was"
)

// Format describes the Qualys VM XML asset data report to the registry.
var Format = reportio.Format{
	Name:        Name,
	Description: "Qualys VM XML asset data report and scan results XML (scan-1.dtd)",
	DetectRule:  `XML whose root element is <ASSET_DATA_REPORT>, or <SCAN> with the scan-1.dtd DOCTYPE or a value="scan/…" id`,
	Detect:      Detect,
	Parse:       Parse,
}

// FormatCSV describes the Qualys VM CSV export (scan and PCI reports) to the registry.
var FormatCSV = reportio.Format{
	Name:        NameCSV,
	Description: "Qualys VM CSV export (scan and PCI reports)",
	DetectRule:  `CSV whose header has "QID" and "IP" columns and a Qualys title column ("Title" or "VULN TITLE")`,
	Detect:      DetectCSV,
	Parse:       ParseCSV,
}

// FormatWAS describes the Qualys Web Application Scanning XML report to the registry.
var FormatWAS = reportio.Format{
	Name:        NameWAS,
	Aliases:     []string{"qualys-webapp"},
	Description: "Qualys Web Application Scanning (WAS) XML report (scan report and web application report)",
	DetectRule:  "XML whose root element is <WAS_SCAN_REPORT> or <WAS_WEBAPP_REPORT>",
	Detect:      DetectWAS,
	Parse:       ParseWAS,
}

// Detect reports whether head is a Qualys XML asset data report or scan
// results XML (<SCAN> is a common name: its scan-1.dtd DOCTYPE or its
// value="scan/…" id is required).
func Detect(h *reportio.Head) bool {
	return h.HasRoot("ASSET_DATA_REPORT") ||
		h.HasRoot("SCAN") && (h.Contains("scan-1.dtd") || h.Contains(`<SCAN value="scan/`))
}

// maxPreamble bounds the lines a Qualys CSV report writes above its
// header (report title, company, dates, summary: the header is usually
// on line 8).
const maxPreamble = 200

// DetectCSV reports whether head is a Qualys CSV export: its header is the
// first line or comes after Qualys's report preamble.
func DetectCSV(h *reportio.Head) bool {
	b := h.Bytes()
	for i := 0; i <= maxPreamble && len(b) > 0; i++ {
		cols := reportio.CSVHeader(b)
		if reportio.HeaderHas(cols, "qid", "ip") && (reportio.HeaderHas(cols, "title") || reportio.HeaderHas(cols, "vuln title")) {
			return true
		}
		nl := bytes.IndexByte(b, '\n')
		if nl < 0 {
			break
		}
		b = b[nl+1:]
	}
	return false
}

type detection struct {
	QID        string `xml:"QID"`
	Type       string `xml:"TYPE"`
	Port       string `xml:"PORT"`
	Service    string `xml:"SERVICE"`
	FQDN       string `xml:"FQDN"`
	Protocol   string `xml:"PROTOCOL"`
	SSL        string `xml:"SSL"`
	Result     string `xml:"RESULT"`
	FirstFound string `xml:"FIRST_FOUND"`
	LastFound  string `xml:"LAST_FOUND"`
	TimesFound string `xml:"TIMES_FOUND"`
	Status     string `xml:"VULN_STATUS"`
	CVSSFinal  string `xml:"CVSS_FINAL"`
	CVSS3Final string `xml:"CVSS3_FINAL"`
}

type ref struct {
	host, dns, typ, protocol string
	port                     int
	service                  string
	// evidence is what Qualys found on this host (result, dates, the
	// host's final CVSS scores), kept as text, its result cut at
	// maxResult bytes: detections wait for the glossary at the end.
	evidence string
}

// maxResult bounds the detection result kept per detection.
const maxResult = 512

type details struct {
	QID        string   `xml:"QID"`
	Title      string   `xml:"TITLE"`
	Severity   string   `xml:"SEVERITY"`
	Category   string   `xml:"CATEGORY"`
	Threat     string   `xml:"THREAT"`
	Impact     string   `xml:"IMPACT"`
	Solution   string   `xml:"SOLUTION"`
	CVEs       []cveRef `xml:"CVE_ID_LIST>CVE_ID"`
	VendorRefs []struct {
		URL string `xml:"URL"`
	} `xml:"VENDOR_REFERENCE_LIST>VENDOR_REFERENCE"`
	CVSS3Base     string `xml:"CVSS3_SCORE>CVSS3_BASE"`
	CVSS3Temporal string `xml:"CVSS3_SCORE>CVSS3_TEMPORAL"`
	CVSS3Vector   string `xml:"CVSS3_SCORE>CVSS3_VECTOR"`
	CVSSBase      string `xml:"CVSS_SCORE>CVSS_BASE"`
	CVSSTemporal  string `xml:"CVSS_SCORE>CVSS_TEMPORAL"`
}

// cveRef is a CVE_ID of a CVE_ID_LIST.
type cveRef struct {
	ID  string `xml:"ID"`
	URL string `xml:"URL"`
}

// Parse streams the findings of a Qualys XML asset data report.
func Parse(r io.Reader, name string, emit func(findings.Finding) error) error {
	dec := reportio.NewXMLDecoder(r, name)
	root, empty, err := dec.Begin("ASSET_DATA_REPORT", "SCAN")
	if err != nil || empty {
		return err
	}
	if root.Name.Local == "SCAN" {
		return parseScan(dec, emit)
	}
	var pending reportio.Ordered[string, []ref] // by QID, until its glossary entry
	err = dec.Walk(func(se xml.StartElement) error {
		switch se.Name.Local {
		case "HOST_LIST":
			return dec.Each("HOST", func(se xml.StartElement) error {
				var host ref
				return dec.Walk(func(se xml.StartElement) error {
					switch se.Name.Local {
					case "IP":
						return dec.DecodeElement(&host.host, &se)
					case "DNS":
						return dec.DecodeElement(&host.dns, &se)
					case "VULN_INFO_LIST":
						return reportio.DecodeEach(dec, "VULN_INFO", func(d detection) error {
							if strings.EqualFold(d.Status, "Fixed") {
								return nil
							}
							rf := host
							rf.typ = d.Type
							rf.port, _ = strconv.Atoi(strings.TrimSpace(d.Port))
							rf.protocol = strings.ToLower(strings.TrimSpace(d.Protocol))
							rf.service = service(d.Service, d.SSL)
							if fq := strings.TrimSpace(d.FQDN); fq != "" {
								rf.dns = fq
							}
							rf.evidence = evidence(d)
							q := strings.TrimSpace(d.QID)
							refs, _ := pending.Get(q)
							pending.Set(q, append(refs, rf))
							return nil
						})
					}
					return dec.Skip()
				})
			})
		case "GLOSSARY":
			return glossary(dec, "VULN_DETAILS_LIST>VULN_DETAILS", &pending, func(d details) string { return d.QID },
				func(d details, refs []ref) error { return emitAll(d, refs, emit) })
		}
		return dec.Skip()
	})
	if err != nil {
		return err
	}
	return pending.Each(func(q string, refs []ref) error {
		return emitAll(details{QID: q, Title: "QID " + q}, refs, emit)
	})
}

// glossary reads the glossary entries at path (asset data report, WAS
// report) and calls fn with each entry and the detections waiting for its
// QID, which it removes from pending; entries nothing waits for are
// skipped.
func glossary[T, V any](dec *reportio.XMLDecoder, path string, pending *reportio.Ordered[string, V], qid func(T) string, fn func(T, V) error) error {
	return reportio.DecodeEach(dec, path, func(entry T) error {
		q := strings.TrimSpace(qid(entry))
		waiting, ok := pending.Get(q)
		if !ok {
			return nil
		}
		pending.Delete(q)
		return fn(entry, waiting)
	})
}

func emitAll(d details, refs []ref, emit func(findings.Finding) error) error {
	seen := map[ref]bool{}
	for _, r := range refs {
		k := ref{host: r.host, port: r.port, protocol: r.protocol}
		if seen[k] {
			continue
		}
		seen[k] = true
		f := findings.Finding{
			Title:    d.Title,
			RuleID:   "qid:" + d.QID,
			Severity: severity(d.Severity, r.typ),
			Description: join(reportio.PlainText(d.Threat), labelled("Impact", reportio.PlainText(d.Impact)), labelled("Category", d.Category),
				typeName(r.typ), cvssText(d), r.evidence),
			Mitigation: reportio.PlainText(d.Solution),
			Locations:  []findings.Location{{Host: r.host, Port: r.port, Protocol: r.protocol, Service: r.service, HostName: reportio.HostName(r.dns, r.host)}},
		}
		for _, c := range d.CVEs {
			f.VulnerabilityIDs = append(f.VulnerabilityIDs, strings.TrimSpace(c.ID))
			f.References = append(f.References, strings.TrimSpace(c.URL))
		}
		for _, v := range d.VendorRefs {
			f.References = append(f.References, strings.TrimSpace(v.URL))
		}
		f.CVSS.V3Score, f.CVSS.V3Vector = cvss3(d.CVSS3Base)
		if d.CVSS3Vector != "" {
			f.CVSS.V3Vector = d.CVSS3Vector
		}
		f.Normalize()
		if err := emit(f); err != nil {
			return err
		}
	}
	return nil
}

// severity maps a detection's Qualys level and type. Qualys's
// KnowledgeBase has three categories: confirmed vulnerabilities and
// potential vulnerabilities (levels 1 Minimal, 2 Medium, 3 Serious,
// 4 Critical, 5 Urgent) and information gathered; Qualys rates a host,
// site or QID "Low" when a confirmed or potential vulnerability of level
// 2 or 1 is found and "Info" only for information gathered (Qualys's
// severity levels page, which DefectDojo's non-legacy mapping cites).
// So a vulnerability (VM Vuln and Practice, the PCI layout's CONFIRMED,
// VULNERABILITY and POTENTIAL, WAS confirmed and potential
// vulnerabilities and sensitive content) is low…critical at levels 1–5;
// information gathered is info at every level; a detection whose type
// the report does not state is read from its level alone, 1 as info
// (information gathered has levels 1–3 too).
func severity(level, typ string) findings.Severity {
	switch kindOf(typ) {
	case informational:
		return findings.Info
	case vulnerability:
		if strings.TrimSpace(level) == "1" {
			return findings.Low
		}
	}
	return findings.SeverityWith(levels, level)
}

// Qualys detection categories, as kindOf reads a report's type.
const (
	unstated = iota
	vulnerability
	informational
)

// kindOf reads the detection type a Qualys report writes: the VM XML's
// and CSV's TYPE (Vuln, Practice, Ig), the PCI layout's words and the WAS
// report's result lists.
func kindOf(typ string) int {
	switch strings.ToUpper(strings.TrimSpace(typ)) {
	case "IG", "INFO", "INFORMATION GATHERED", "INFORMATION_GATHERED":
		return informational
	case "VULN", "PRACTICE", "CONFIRMED", "POTENTIAL", "VULNERABILITY", "SENSITIVE_CONTENT":
		return vulnerability
	}
	return unstated
}

// levels are Qualys's severity levels 1–5 and the one letter Qualys
// HackerGuardian (PCI) CSV exports write.
var levels = map[string]findings.Severity{
	"5": findings.Critical, "4": findings.High, "3": findings.Medium, "2": findings.Low, "1": findings.Info,
	"C": findings.Critical, "H": findings.High, "M": findings.Medium, "L": findings.Low, "I": findings.Info,
}

// service names the application protocol Qualys detected on the port:
// "http over ssl" (and http with SSL) is https; other names are kept.
func service(name, ssl string) string {
	n := strings.ToLower(strings.TrimSpace(name))
	switch {
	case n == "http over ssl" || n == "http" && strings.EqualFold(strings.TrimSpace(ssl), "true"):
		return "https"
	case strings.HasSuffix(n, " over ssl"):
		return strings.TrimSuffix(n, " over ssl") + "s"
	}
	return n
}

// typeName spells out Qualys's detection type.
func typeName(t string) string {
	switch strings.ToLower(strings.TrimSpace(t)) {
	case "vuln":
		return "Detection type: confirmed vulnerability"
	case "practice":
		return "Detection type: potential vulnerability"
	case "ig", "info":
		return "Detection type: information gathered"
	case "":
		return ""
	}
	return "Detection type: " + strings.TrimSpace(t)
}

// cvssText states the glossary's CVSS scores: v3 and v2, base and
// temporal, with their vectors (the v3 base is also the finding's CVSS).
func cvssText(d details) string {
	return strings.Join(filled([][2]string{
		{"CVSS v3 base", d.CVSS3Base}, {"CVSS v3 temporal", d.CVSS3Temporal},
		{"CVSS v2 base", d.CVSSBase}, {"CVSS v2 temporal", d.CVSSTemporal},
	}), "\n")
}

// filled is a "label: value" line for each pair of label and value whose
// value Qualys filled in (not blank, not "-").
func filled(pairs [][2]string) []string {
	var out []string
	for _, p := range pairs {
		if v := strings.TrimSpace(p[1]); v != "" && v != "-" {
			out = append(out, p[0]+": "+v)
		}
	}
	return out
}

// evidence is what Qualys found on one host: final CVSS scores (Qualys's
// score for this host), dates and the result.
func evidence(d detection) string {
	parts := filled([][2]string{
		{"CVSS v3 final (this host)", d.CVSS3Final}, {"CVSS v2 final (this host)", d.CVSSFinal},
		{"First found", d.FirstFound}, {"Last found", d.LastFound}, {"Times found", d.TimesFound}, {"Status", d.Status},
	})
	if res := strings.TrimSpace(d.Result); res != "" {
		parts = append(parts, "Result:\n"+reportio.Clip(res, maxResult))
	}
	return strings.Join(parts, "\n")
}

var cvssWithVector = regexp.MustCompile(`^\s*([0-9.]+)\s*(?:\(([^)]*)\)?)?`)

// cvss3 reads Qualys's "8.1 (AV:N/AC:H/…)" (vector without prefix).
func cvss3(s string) (*float64, string) {
	m := cvssWithVector.FindStringSubmatch(s)
	if m == nil {
		return nil, ""
	}
	vec := ""
	if strings.HasPrefix(m[2], "AV:") {
		vec = "CVSS:3.1/" + m[2]
	}
	return findings.ParseScore(m[1]), vec
}

// ParseCSV streams the findings of a Qualys CSV export.
func ParseCSV(r io.Reader, name string, emit func(findings.Finding) error) error {
	c, err := reportio.NewCSVReader(r, name)
	if err != nil || c.Header == nil {
		return err // no header: an empty report
	}
	// Qualys's CSV reports open with a preamble (title, company, dates,
	// summary) above the detections' header.
	found, err := c.SeekHeader(maxPreamble, func() bool { return c.Has("QID", "IP") && c.HasAny("Title", "VULN TITLE") })
	if err != nil {
		return err
	}
	if !found {
		return c.NotReportHeader("", `header has no "QID", "IP" and title columns (in the first %d lines): not a Qualys CSV export`, maxPreamble)
	}
	seen := map[string]bool{}
	return c.Each(func() error {
		if strings.EqualFold(c.Get("Vuln Status"), "Fixed") || strings.EqualFold(c.Get("FALSE POSITIVE STATUS"), "Approved") ||
			strings.EqualFold(c.Get("QID"), "QID") { // the header repeated
			return nil
		}
		qid := c.Get("QID")
		if qid == "" {
			return c.Errorf("QID", reportio.NotReportf("empty QID"))
		}
		level := c.Get("Q_SEVERITY", "Severity")
		f := findings.Finding{
			Title:    c.Get("Title", "VULN TITLE"),
			RuleID:   "qid:" + qid,
			Severity: severity(level, c.Get("Type", "TYPE")),
			Description: join(reportio.PlainText(c.Get("Threat")), labelled("Impact", reportio.PlainText(c.Get("Impact"))), typeName(c.Get("Type", "TYPE")),
				cvssText(details{CVSS3Base: c.Get("CVSS3 Base"), CVSS3Temporal: c.Get("CVSS3 Temporal"), CVSSBase: c.Get("CVSS Base", "CVSS_BASE", "CVSS"), CVSSTemporal: c.Get("CVSS Temporal", "CVSS_TEMPORAL")}),
				labelled("Result", c.Get("Results", "RESULT"))),
			Mitigation: reportio.PlainText(c.Get("Solution")),
		}
		l := findings.Location{Host: c.Get("IP"), Protocol: strings.ToLower(c.Get("Protocol"))}
		l.Port, _ = strconv.Atoi(c.Get("Port"))
		l.HostName = reportio.HostName(c.Get("FQDN", "DNS", "HOSTNAME", "DNS Name"), l.Host)
		f.Locations = []findings.Location{l}
		key := qid + "\x00" + l.Host + "\x00" + strconv.Itoa(l.Port) + "\x00" + l.Protocol
		if seen[key] {
			return nil
		}
		seen[key] = true
		f.VulnerabilityIDs = append(f.VulnerabilityIDs, strings.FieldsFunc(c.Get("CVE ID", "CVEID"), func(r rune) bool { return r == ',' || r == ' ' })...)
		f.CVSS.V3Score, f.CVSS.V3Vector = cvss3(c.Get("CVSS3 Base"))
		f.Normalize()
		return emit(f)
	})
}

func labelled(label, s string) string {
	if s = strings.TrimSpace(s); s == "" || s == "N/A" {
		return ""
	}
	return label + ":\n" + s
}

func join(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" && p != "N/A" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "\n\n")
}
