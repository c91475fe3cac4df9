package nessus

import (
	"bufio"
	"bytes"
	"io"
	"regexp"
	"strings"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/scanners/reportio"
)

// NameCSV is the CSV format's registry name.
const NameCSV = "nessus-csv"

// FormatCSV describes the Nessus, Tenable.sc, Tenable.io and Nessus WAS CSV exports to the registry.
var FormatCSV = reportio.Format{
	Name:        NameCSV,
	Aliases:     []string{"tenable-csv", "nessus-was-csv"},
	Description: "Nessus, Tenable.sc, Tenable.io and Nessus WAS CSV exports",
	DetectRule:  `CSV (comma or semicolon) whose header has a plugin column ("Plugin ID", "Plugin" or "definition.id") and a host column ("Host", "IP Address" or "asset.display_ipv4_address")`,
	Detect:      DetectCSV,
	Parse:       ParseCSV,
}

// Column aliases across Nessus, Tenable.sc, Tenable.io and Nessus WAS exports.
var (
	colPlugin   = []string{"Plugin ID", "Plugin", "definition.id"}
	colName     = []string{"Name", "Plugin Name", "definition.name"}
	colSeverity = []string{"Risk", "Severity", "definition.severity", "Risk Factor"}
	colHost     = []string{"Host", "IP Address", "asset.display_ipv4_address", "FQDN", "DNS Name", "asset.host_name", "asset.display_fqdn"}
	// A row's host as the .nessus export's <ReportHost> names it: the
	// address (host-ip), the DNS name (host-fqdn) and the scan target
	// (the ReportHost name: Nessus's "Host" column).
	colAddress  = []string{"IP Address", "asset.display_ipv4_address", "asset.display_ipv6_address"}
	colFQDN     = []string{"FQDN", "DNS Name", "asset.display_fqdn"}
	colTarget   = []string{"Host", "asset.host_name"}
	colProtocol = []string{"Protocol"}
	colPort     = []string{"Port"}
	colCVE      = []string{"CVE", "definition.cve"}
	colCVSS3    = []string{"CVSS v3.0 Base Score", "CVSS V3 Base Score", "CVSSv3", "CVSS3 Base Score", "definition.cvss3.base_score"}
	colVector3  = []string{"CVSS V3 Vector", "CVSS v3.0 Vector", "CVSS3 Vector", "definition.cvss3.base_vector"}
	colCVSS4    = []string{"CVSS v4.0 Base Score", "definition.cvss4.base_score"}
	colVector4  = []string{"CVSS v4.0 Vector", "definition.cvss4.base_vector"}
	colEPSS     = []string{"EPSS Score", "definition.epss.score"}
	colSynopsis = []string{"Synopsis", "definition.synopsis"}
	colDesc     = []string{"Description", "definition.description", ""}
	colSolution = []string{"Solution", "Steps to Remediate", "definition.solution"}
	colSeeAlso  = []string{"See Also", "definition.see_also"}
	colOutput   = []string{"Plugin Output", "Plugin Text", "output"}
	colCWE      = []string{"definition.cwe", "CWE"}
	colXref     = []string{"XREF", "Cross References", "definition.references"}
	// Tenable.io and Tenable.sc exports can include vulnerabilities the
	// last scan found fixed (state FIXED beside NEW, ACTIVE, RESURFACED).
	colState = []string{"Vulnerability State", "state", "State"}
)

// DetectCSV reports whether head is a Nessus/Tenable CSV export.
func DetectCSV(h *reportio.Head) bool {
	cols := csvHeader(h.Bytes())
	return hasAny(cols, colPlugin) && hasAny(cols, colHost)
}

func csvHeader(head []byte) []string {
	line := head
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	if bytes.Count(line, []byte(";")) > bytes.Count(line, []byte(",")) {
		return reportio.CSVHeader(bytes.ReplaceAll(head, []byte(";"), []byte(",")))
	}
	return reportio.CSVHeader(head)
}

func hasAny(header []string, cols []string) bool {
	for _, c := range cols {
		if reportio.HeaderHas(header, strings.ToLower(c)) {
			return true
		}
	}
	return false
}

// ParseCSV streams the findings of a Nessus or Tenable CSV export.
func ParseCSV(r io.Reader, name string, emit func(findings.Finding) error) error {
	br := bufio.NewReader(r)
	first, _ := br.Peek(4096)
	var sep rune = ','
	if line, _, _ := bytes.Cut(first, []byte("\n")); bytes.Count(line, []byte(";")) > bytes.Count(line, []byte(",")) {
		sep = ';'
	}
	c, err := reportio.NewCSVReaderSep(br, name, sep)
	if err != nil || c.Header == nil {
		return err // no header: an empty report
	}
	c.LastColumns(colOutput...) // Nessus's default export ends with the plugin output
	if !c.HasAny(colPlugin...) || !c.HasAny(colHost...) || !c.HasAny(colName...) {
		return c.NotReportHeader("", "header has no plugin, host or name column: not a Nessus/Tenable CSV export")
	}
	var cur *findings.Finding
	var curKey string
	flush := func() error {
		if cur == nil {
			return nil
		}
		cur.Normalize()
		err := emit(*cur)
		cur = nil
		return err
	}
	err = c.Each(func() error {
		if strings.EqualFold(c.Get(colState...), "fixed") {
			return nil // not a finding of this report: fixed since
		}
		// The location the .nessus export of the same scan gives: the
		// address, else the DNS name, else the target, with the DNS name
		// beside the address (Nessus WAS: the target URL).
		l := host{ip: c.Get(colAddress...), fqdn: c.Get(colFQDN...), name: c.Get(colTarget...)}.location("", c.Get(colProtocol...))
		if p := c.Get(colPort...); p != "" {
			l.Port = atoi(p)
		}
		plugin := c.Get(colPlugin...)
		check, result := complianceCheck(c.Get(colDesc...))
		if strings.EqualFold(result, "PASSED") {
			return nil // a compliance check the host passes: not a finding
		}
		key := plugin + "\x00" + check + "\x00" + l.Host + "\x00" + l.Protocol + "\x00" + c.Get(colPort...)
		cves := splitList(c.Get(colCVE...))
		if cur != nil && key == curKey {
			cur.VulnerabilityIDs = append(cur.VulnerabilityIDs, cves...)
			return nil
		}
		if err := flush(); err != nil {
			return err
		}
		sevWord := c.Get(colSeverity...)
		sev, ok := findings.ParseSeverity(sevWord)
		if !ok {
			return c.Errorf("Risk", reportio.NotReportf("severity %q is not a Nessus risk", sevWord))
		}
		if plugin == "" {
			return c.Errorf("Plugin ID", reportio.NotReportf("empty plugin id"))
		}
		f := findings.Finding{
			Title:            c.Get(colName...),
			Severity:         sev,
			RuleID:           plugin,
			VulnerabilityIDs: cves,
			Mitigation:       c.Get(colSolution...),
			References:       reportio.URLs(c.Get(colSeeAlso...)),
			Locations:        []findings.Location{l},
		}
		f.Description = reportio.Paragraphs(c.Get(colSynopsis...), c.Get(colDesc...))
		if out := c.Get(colOutput...); out != "" {
			f.Description = reportio.Paragraphs(f.Description, "Plugin output:\n"+strings.TrimPrefix(out, "Plugin Output:"))
		}
		f.CVSS.V3Score = csvScore(c.Get(colCVSS3...))
		f.CVSS.V3Vector = c.Get(colVector3...)
		f.CVSS.V4Score = csvScore(c.Get(colCVSS4...))
		f.CVSS.V4Vector = c.Get(colVector4...)
		f.EPSS.Score = csvEPSS(c.Get(colEPSS...))
		f.CWEs = append(f.CWEs, reportio.CWEs(splitList(c.Get(colCWE...)))...)
		for _, x := range splitList(c.Get(colXref...)) {
			applyXref(&f, strings.Replace(x, " #", ":", 1)) // Tenable.sc writes "CWE #310"
		}
		if check != "" {
			f.RuleID, f.Title = checkRule(plugin, check), check
		}
		cur, curKey = &f, key
		return nil
	})
	if err != nil {
		return err
	}
	return flush()
}

// complianceLine is how a compliance check's description opens in a
// Nessus CSV export: the check's name in quotes, then its result.
var complianceLine = regexp.MustCompile(`^"([^\n]+)"\s*:\s*\[(PASSED|FAILED|WARNING|ERROR)\]`)

// complianceCheck returns the check and result a compliance row's
// description opens with, or "" for an ordinary plugin's row.
func complianceCheck(desc string) (check, result string) {
	m := complianceLine.FindStringSubmatch(strings.TrimSpace(desc))
	if m == nil {
		return "", ""
	}
	return strings.TrimSpace(m[1]), m[2]
}

func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == ';' || r == '\r' })
}

func atoi(s string) int {
	n := 0
	for _, r := range strings.TrimSpace(s) {
		if r < '0' || r > '9' {
			return 0
		}
		n = n*10 + int(r-'0')
		if n > 65535 {
			return 0
		}
	}
	return n
}

// csvScore reads a CVSS score. Some exports drop the decimal separator
// ("75" for 7.5, "100" for 10.0): an integer above 10 is read that way.
func csvScore(s string) *float64 {
	s = strings.TrimSpace(s)
	if s != "" && !strings.ContainsAny(s, ".,") {
		if n := atoi(s); n > 10 && n <= 100 {
			return findings.Float(float64(n) / 10)
		}
	}
	return findings.ParseScore(strings.Replace(s, ",", ".", 1))
}

// csvEPSS reads an EPSS probability: "0.9438", a percentage "94.38", or
// the digits after "0." when the export dropped the separator ("9438").
func csvEPSS(s string) *float64 {
	s = strings.TrimSpace(s)
	if s != "" && !strings.ContainsAny(s, ".,") && atoi(s) > 1 {
		return epss("0." + s)
	}
	return epss(strings.Replace(s, ",", ".", 1))
}
