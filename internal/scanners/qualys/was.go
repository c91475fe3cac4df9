package qualys

import (
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/scanners/reportio"
)

// DetectWAS reports whether head is a Qualys WAS XML report.
func DetectWAS(h *reportio.Head) bool { return h.HasRoot("WAS_SCAN_REPORT", "WAS_WEBAPP_REPORT") }

// The WAS report (Qualys WAS "Scan Report" and "Web Application Report"
// in XML): <RESULTS> lists detections, in a WAS_WEBAPP_REPORT under one
// <WEB_APPLICATION> per application: <VULNERABILITY_LIST> (confirmed and
// potential vulnerabilities), <SENSITIVE_CONTENT_LIST> and
// <INFORMATION_GATHERED_LIST>, each entry a QID with the URL, parameter,
// status and, for information gathered, base64 <DATA>. The <GLOSSARY>
// that follows describes each QID (<QID_LIST><QID>: title, severity 1–5,
// group, CWE, description, impact, solution, CVSS).

type wasDetection struct {
	QID    string `xml:"QID"`
	URL    string `xml:"URL"`
	Param  string `xml:"PARAM"`
	Status string `xml:"STATUS"`
	Data   struct {
		Base64 string `xml:"base64,attr"`
		Text   string `xml:",chardata"`
	} `xml:"DATA"`
}

type wasGlossary struct {
	QID         string `xml:"QID"`
	Category    string `xml:"CATEGORY"`
	Severity    string `xml:"SEVERITY"`
	Title       string `xml:"TITLE"`
	Group       string `xml:"GROUP"`
	CWE         string `xml:"CWE"`
	OWASP       string `xml:"OWASP"`
	WASC        string `xml:"WASC"`
	Description string `xml:"DESCRIPTION"`
	Impact      string `xml:"IMPACT"`
	Solution    string `xml:"SOLUTION"`
	CVSSBase    string `xml:"CVSS_BASE"`
	CVSS3Base   string `xml:"CVSS_V3>BASE"`
}

// wasGroup is a QID's detections on one site (scheme, host and port):
// one finding with every URL, as ZAP's alerts and GitLab DAST's checks.
type wasGroup struct {
	qid, kind string
	site      findings.Location
	locations []findings.Location
	lines     reportio.Instances
}

// wasLists maps a results list to its detection kind.
var wasLists = map[string]string{
	"VULNERABILITY_LIST":        "VULNERABILITY",
	"SENSITIVE_CONTENT_LIST":    "SENSITIVE_CONTENT",
	"INFORMATION_GATHERED_LIST": "INFORMATION_GATHERED",
}

// ParseWAS reads a Qualys WAS XML report. Detections wait for their QID's
// glossary entry, which comes after the results; a QID the glossary does
// not describe is still a finding, titled "QID n", severity info.
func ParseWAS(r io.Reader, name string, emit func(findings.Finding) error) error {
	dec := reportio.NewXMLDecoder(r, name)
	if _, empty, err := dec.Begin("WAS_SCAN_REPORT", "WAS_WEBAPP_REPORT"); err != nil || empty {
		return err
	}
	var pending reportio.Ordered[string, []*wasGroup] // by QID
	groups := map[string]*wasGroup{}                  // by QID and site
	var results func() error
	results = func() error {
		return dec.Walk(func(se xml.StartElement) error {
			if se.Name.Local == "WEB_APPLICATION" {
				return results()
			}
			kind, ok := wasLists[se.Name.Local]
			if !ok {
				return dec.Skip()
			}
			return reportio.DecodeEach(dec, kind, func(d wasDetection) error {
				if strings.EqualFold(strings.TrimSpace(d.Status), "Fixed") {
					return nil
				}
				q := strings.TrimSpace(d.QID)
				if q == "" {
					return dec.Errorf(reportio.NotReportf("%s without a QID", kind), "<%s>", kind)
				}
				loc := wasLocation(d.URL)
				key := q + "\x00" + kind + "\x00" + loc.Protocol + "\x00" + loc.Host + "\x00" + fmt.Sprint(loc.Port)
				g, ok := groups[key]
				if !ok {
					g = &wasGroup{qid: q, kind: kind, site: findings.Location{Host: loc.Host, Port: loc.Port}}
					groups[key] = g
					list, _ := pending.Get(q)
					pending.Set(q, append(list, g))
				}
				g.add(loc, d)
				return nil
			})
		})
	}
	var unfinished error
	err := dec.Walk(func(se xml.StartElement) error {
		switch se.Name.Local {
		case "RESULTS":
			return results()
		case "GLOSSARY":
			return glossary(dec, "QID_LIST>QID", &pending, func(gl wasGlossary) string { return gl.QID },
				func(gl wasGlossary, list []*wasGroup) error { return emitWAS(gl, list, emit) })
		case "APPENDIX":
			return dec.Walk(func(se xml.StartElement) error {
				if se.Name.Local != "SCAN_LIST" {
					return dec.Skip()
				}
				return reportio.DecodeEach(dec, "SCAN", func(sc wasScan) error {
					if unfinished == nil {
						unfinished = sc.unfinished(dec)
					}
					return nil
				})
			})
		}
		return dec.Skip()
	})
	if err != nil {
		return err
	}
	if err := pending.Each(func(q string, list []*wasGroup) error {
		return emitWAS(wasGlossary{QID: q, Title: "QID " + q}, list, emit) // no level: info
	}); err != nil {
		return err
	}
	return unfinished
}

// wasScan is a scan of the report's <APPENDIX><SCAN_LIST>: the scans its
// detections come from.
type wasScan struct {
	Name      string `xml:"NAME"`
	Reference string `xml:"REFERENCE"`
	Status    string `xml:"STATUS"`
}

// unfinished refuses a report with a scan whose status is not Finished.
// WAS scan statuses are Submitted, Running, Finished, Time Limit
// Exceeded (the scan stopped at its time limit, part of the application
// untested), Scan Not Launched, Scanner Not Available, Error and
// Canceled; only Finished is a complete scan. No status says nothing.
func (sc wasScan) unfinished(dec *reportio.XMLDecoder) error {
	st := strings.TrimSpace(sc.Status)
	if st == "" || strings.EqualFold(st, "Finished") {
		return nil
	}
	return dec.Errorf(reportio.Incomplete("scan %s (%q) has status %q, not Finished: its detections cover part of the application", strings.TrimSpace(sc.Reference), strings.TrimSpace(sc.Name), st),
		"<SCAN_LIST><SCAN><STATUS>")
}

// wasLocation reads a detection's URL.
func wasLocation(raw string) findings.Location {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return findings.Location{URL: raw}
	}
	l := findings.Location{URL: raw, Host: u.Hostname(), Protocol: u.Scheme, Path: u.EscapedPath()}
	l.Port, _ = reportio.URLPort(u)
	return l
}

func (g *wasGroup) add(loc findings.Location, d wasDetection) {
	if !loc.IsZero() {
		g.locations = append(g.locations, loc)
	}
	g.lines.Add("", loc.URL, d.Param, wasData(d))
}

// wasData is an information-gathered detection's data (base64 when the
// attribute says so) on one line.
func wasData(d wasDetection) string {
	s := strings.TrimSpace(d.Data.Text)
	if strings.EqualFold(d.Data.Base64, "true") {
		b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
		if err != nil {
			return ""
		}
		s = string(b)
	}
	return strings.Join(strings.Fields(s), " ")
}

var wasKinds = map[string]string{
	"VULNERABILITY":        "Detection type: vulnerability",
	"SENSITIVE_CONTENT":    "Detection type: sensitive content",
	"INFORMATION_GATHERED": "Detection type: information gathered",
}

func emitWAS(gl wasGlossary, list []*wasGroup, emit func(findings.Finding) error) error {
	for _, g := range list {
		f := findings.Finding{
			Title:     gl.Title,
			RuleID:    "qid:" + g.qid,
			Severity:  severity(gl.Severity, g.kind),
			CWEs:      findings.CWEsIn(gl.CWE),
			Locations: g.locations,
			Description: join(reportio.PlainText(gl.Description), labelled("Impact", reportio.PlainText(gl.Impact)),
				labelled("Category", gl.Category), wasKinds[g.kind],
				strings.Join(filled([][2]string{{"Group", gl.Group}, {"OWASP", gl.OWASP}, {"WASC", gl.WASC},
					{"CVSS v3 base", gl.CVSS3Base}, {"CVSS v2 base", gl.CVSSBase}}), "\n")),
			Mitigation: join(reportio.PlainText(gl.Solution)), // join drops Qualys's "N/A"
		}
		f.CVSS.V3Score = findings.ParseScore(gl.CVSS3Base)
		f.Description = join(f.Description, g.lines.Section("Detections"))
		// The QID on the site, as ZAP's alerts: the set of URLs it is
		// found on may change between scans without making it new.
		key := f
		key.Locations = []findings.Location{g.site}
		f.Fingerprint = findings.Fingerprint(key)
		f.Normalize()
		if err := emit(f); err != nil {
			return err
		}
	}
	return nil
}
