package qualys

import (
	"encoding/xml"
	"strconv"
	"strings"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/scanners/reportio"
)

// The Qualys VM scan results XML (scan-1.dtd, the "Download results" of a
// scan and the API's scan fetch in XML): <SCAN value="scan/…"> with a
// <HEADER>, then an <IP value="address" name="DNS name"> per host, whose
// QIDs are grouped in <VULNS> (confirmed), <PRACTICES> (potential),
// <INFOS> and <SERVICES> (information gathered), each in <CAT value=
// "category" port= protocol= fqdn=> groups of <VULN>, <PRACTICE>, <INFO>
// or <SERVICE number="QID" severity="1–5" cveid="…"> with the QID's
// details inline (there is no glossary). A scan that failed is
// <SCAN><ERROR number="…">message</ERROR>.

// scanKinds maps a scan-1.dtd section to its detection type, as the asset
// data report's <TYPE> names it.
var scanKinds = map[string]string{"VULNS": "Vuln", "PRACTICES": "Practice", "INFOS": "Ig", "SERVICES": "Ig"}

// scanQID is one QID detected on a host (VULN, PRACTICE, INFO, SERVICE).
type scanQID struct {
	Number     string   `xml:"number,attr"`
	Severity   string   `xml:"severity,attr"`
	CVEIDs     string   `xml:"cveid,attr"`
	Title      string   `xml:"TITLE"`
	CVEs       []cveRef `xml:"CVE_ID_LIST>CVE_ID"`
	VendorRefs []struct {
		URL string `xml:"URL"`
	} `xml:"VENDOR_REFERENCE_LIST>VENDOR_REFERENCE"`
	CVSSBase      string `xml:"CVSS_BASE"`
	CVSSTemporal  string `xml:"CVSS_TEMPORAL"`
	CVSS3Base     string `xml:"CVSS3_BASE"`
	CVSS3Temporal string `xml:"CVSS3_TEMPORAL"`
	Diagnosis     string `xml:"DIAGNOSIS"`
	Consequence   string `xml:"CONSEQUENCE"`
	Solution      string `xml:"SOLUTION"`
	Result        string `xml:"RESULT"`
}

// parseScan streams the findings of a scan results XML whose <SCAN> was
// just read: one per QID per host, port and protocol, as the asset data
// report's.
//
// The <HEADER>'s <KEY value="STATUS"> is the scan's status: FINISHED for a
// complete scan; a scan that was canceled, paused, interrupted or ended in
// an error lists only the hosts it reached, so it is refused (once its
// findings are emitted, for an import as a partial scan).
func parseScan(dec *reportio.XMLDecoder, emit func(findings.Finding) error) error {
	var incomplete error
	err := dec.Walk(func(se xml.StartElement) error {
		switch se.Name.Local {
		case "HEADER":
			var h struct {
				Keys []struct {
					Name  string `xml:"value,attr"`
					Value string `xml:",chardata"`
				} `xml:"KEY"`
			}
			if err := dec.DecodeElement(&h, &se); err != nil {
				return err
			}
			for _, k := range h.Keys {
				if st := strings.TrimSpace(k.Value); strings.EqualFold(k.Name, "STATUS") && st != "" && !strings.EqualFold(st, "FINISHED") {
					incomplete = dec.Errorf(reportio.Incomplete("the scan's status is %q, not FINISHED: the file holds the results of the hosts it reached", st), `<HEADER><KEY value="STATUS">`)
				}
			}
			return nil
		case "ERROR":
			var msg string
			if err := dec.DecodeElement(&msg, &se); err != nil {
				return err
			}
			return dec.Errorf(reportio.NotReportf("Qualys returned error %s instead of scan results: %s",
				reportio.Attr(se, "number"), strings.TrimSpace(msg)), "<ERROR>")
		case "IP":
			host := ref{host: strings.TrimSpace(reportio.Attr(se, "value")), dns: strings.TrimSpace(reportio.Attr(se, "name"))}
			return dec.Walk(func(se xml.StartElement) error {
				typ, ok := scanKinds[se.Name.Local]
				if !ok {
					return dec.Skip()
				}
				return dec.Each("CAT", func(cat xml.StartElement) error {
					at := host
					at.typ = typ
					at.port, _ = strconv.Atoi(strings.TrimSpace(reportio.Attr(cat, "port")))
					at.protocol = strings.ToLower(strings.TrimSpace(reportio.Attr(cat, "protocol")))
					if fq := strings.TrimSpace(reportio.Attr(cat, "fqdn")); fq != "" {
						at.dns = fq
					}
					category := strings.TrimSpace(reportio.Attr(cat, "value"))
					return dec.Walk(func(se xml.StartElement) error {
						var q scanQID
						if err := dec.DecodeElement(&q, &se); err != nil {
							return err
						}
						return q.emit(at, category, emit)
					})
				})
			})
		}
		return dec.Skip()
	})
	if err != nil {
		return err
	}
	return incomplete
}

// emit turns the QID into the asset data report's glossary entry and
// detection, so both layouts give the same finding.
func (q scanQID) emit(at ref, category string, emit func(findings.Finding) error) error {
	d := details{
		QID: strings.TrimSpace(q.Number), Title: q.Title, Severity: q.Severity, Category: category,
		Threat: q.Diagnosis, Impact: q.Consequence, Solution: q.Solution,
		CVSS3Base: q.CVSS3Base, CVSS3Temporal: q.CVSS3Temporal, CVSSBase: q.CVSSBase, CVSSTemporal: q.CVSSTemporal,
	}
	if d.Title == "" {
		d.Title = "QID " + d.QID
	}
	d.CVEs = q.CVEs
	for _, id := range strings.Split(q.CVEIDs, ",") { // the same CVEs, when the list is absent
		d.CVEs = append(d.CVEs, cveRef{ID: id})
	}
	d.VendorRefs = q.VendorRefs
	at.evidence = labelled("Result", q.Result)
	return emitAll(d, []ref{at}, emit)
}
