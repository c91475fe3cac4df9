// Package nexpose parses Rapid7 Nexpose / InsightVM "XML Export 2.0"
// reports (<NexposeReport version="1.0|2.0">).
//
// The report lists nodes (hosts) with the tests run on each node and each
// endpoint (port), then the vulnerability definitions. Tests are streamed
// and kept as small references (vulnerability id, host, port, protocol);
// each definition, when read, emits one finding with every host, port and
// protocol where a test found it (status vulnerable-exploited,
// vulnerable-version or vulnerable-potential; other statuses are not
// findings) as its locations, fingerprinted on the check. Severity: the CVSS v3 score when the definition has one, else
// Nexpose's 1–10 severity on the same scale (9–10 critical, 7–8 high, 4–6
// medium, 1–3 low). CVEs from references with source CVE, other URLs as
// references. A vulnerable test whose definition is missing from the report
// still gives a finding, titled by the test id, with severity info.
package nexpose

import (
	"encoding/xml"
	"io"
	"strconv"
	"strings"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/scanners/reportio"
)

// Name is the format's registry name.
const Name = "nexpose"

// Format describes the Rapid7 Nexpose / InsightVM XML Export 2.0 to the registry.
var Format = reportio.Format{
	Name:        Name,
	Aliases:     []string{"insightvm"},
	Description: "Rapid7 Nexpose / InsightVM XML Export 2.0",
	DetectRule:  "XML whose root element is <NexposeReport>",
	Detect:      Detect,
	Parse:       Parse,
}

// Detect reports whether head is a Nexpose XML export.
func Detect(h *reportio.Head) bool { return h.HasRoot("NexposeReport") }

type ref struct {
	host     string
	port     int
	protocol string
	service  string
	hostName string
	testID   string // for a vulnerable test whose definition is missing
}

type definition struct {
	ID          string `xml:"id,attr"`
	Title       string `xml:"title,attr"`
	Severity    string `xml:"severity,attr"`
	CVSSScore   string `xml:"cvssScore,attr"`
	CVSSVector  string `xml:"cvssVector,attr"`
	CVSSV3Score string `xml:"cvssV3Score,attr"`
	CVSSV3Vec   string `xml:"cvssV3Vector,attr"`
	Description struct {
		Inner string `xml:",innerxml"`
	} `xml:"description"`
	Solution struct {
		Inner string `xml:",innerxml"`
	} `xml:"solution"`
	References []struct {
		Source string `xml:"source,attr"`
		Value  string `xml:",chardata"`
	} `xml:"references>reference"`
}

type parser struct {
	dec     *reportio.XMLDecoder
	emit    func(findings.Finding) error
	pending reportio.Ordered[string, []ref] // by lower-case vulnerability id
	// incomplete is the error of a scan that did not finish, returned
	// once every finding is emitted (for an import as a partial scan).
	incomplete error
}

// Parse streams the findings of a Nexpose XML export.
func Parse(r io.Reader, name string, emit func(findings.Finding) error) error {
	dec := reportio.NewXMLDecoder(r, name)
	if _, empty, err := dec.Begin("NexposeReport"); err != nil || empty {
		return err
	}
	p := &parser{dec: dec, emit: emit}
	err := dec.Walk(func(se xml.StartElement) error {
		switch se.Name.Local {
		case "scans":
			return reportio.DecodeEach(dec, "scan", p.scan)
		case "nodes":
			return dec.Each("node", func(se xml.StartElement) error {
				return p.node(ref{host: reportio.Attr(se, "address")})
			})
		case "VulnerabilityDefinitions":
			return reportio.DecodeEach(dec, "vulnerability", p.define)
		}
		return dec.Skip()
	})
	if err != nil {
		return err
	}
	// Vulnerable tests without a definition in the report.
	if err := p.pending.Each(func(_ string, refs []ref) error {
		return p.flush(definition{ID: refs[0].testID}, refs, false)
	}); err != nil {
		return err
	}
	return p.incomplete
}

// scanRun is a <scan> of the report's <scans>: the scans its data comes
// from.
type scanRun struct {
	ID     string `xml:"id,attr"`
	Name   string `xml:"name,attr"`
	Status string `xml:"status,attr"`
}

// scan notes a report whose data comes from a scan that did not finish:
// the report is refused once its findings are emitted.
// Nexpose's scan statuses (the API's ScanStatus and the export's
// scan/@status) are running, finished, stopped (stopped by a user before
// it completed), error, aborted (the scan or the engine failed), paused,
// dispatched, integrating and unknown: only finished is a complete scan.
// A stopped scan's report lists what was found before it stopped, and
// importing it as complete would close every finding it never reached.
func (p *parser) scan(s scanRun) error {
	st := strings.ToLower(strings.TrimSpace(s.Status))
	if st != "" && st != "finished" && p.incomplete == nil {
		p.incomplete = p.dec.Errorf(reportio.Incomplete("scan %s (%q) has status %q, not finished: the report holds the results of an incomplete scan", s.ID, s.Name, s.Status), "scans/scan/@status")
	}
	return nil
}

// node walks a node's children, collecting vulnerable tests with the
// endpoint they were found on.
func (p *parser) node(at ref) error {
	return p.dec.Walk(func(se xml.StartElement) error {
		switch se.Name.Local {
		case "endpoint":
			ep := at
			ep.port, _ = strconv.Atoi(reportio.Attr(se, "port"))
			ep.protocol = strings.ToLower(reportio.Attr(se, "protocol"))
			return p.node(ep)
		case "service":
			sv := at
			if n := reportio.Attr(se, "name"); n != "<unknown>" { // what Nexpose writes for an unidentified service
				sv.service = n
			}
			return p.node(sv)
		case "names":
			var n struct {
				Names []string `xml:"name"`
			}
			if err := p.dec.DecodeElement(&n, &se); err != nil {
				return err
			}
			if len(n.Names) > 0 && strings.TrimSpace(n.Names[0]) != at.host {
				at.hostName = strings.TrimSpace(n.Names[0])
			}
			return nil
		case "endpoints", "services", "tests":
			return p.node(at)
		case "test":
			switch reportio.Attr(se, "status") {
			case "vulnerable-exploited", "vulnerable-version", "vulnerable-potential":
				id := reportio.Attr(se, "id")
				key := strings.ToLower(id)
				refs, _ := p.pending.Get(key)
				r := at
				if len(refs) == 0 {
					r.testID = id // remembered for a missing definition's title
				}
				p.pending.Set(key, append(refs, r))
			}
			return p.dec.Skip()
		}
		return p.dec.Skip()
	})
}

func (p *parser) define(d definition) error {
	key := strings.ToLower(d.ID)
	refs, ok := p.pending.Get(key)
	if !ok {
		return nil // defined but not found on any node
	}
	p.pending.Delete(key)
	return p.flush(d, refs, true)
}

// flush emits one finding for the check with every host, port and
// protocol it was found on (Nexpose reports a vulnerability once, with
// the nodes and endpoints its tests found it on; DefectDojo and ZAP keep
// such a vulnerability as one finding with all its endpoints). The
// fingerprint is the check's, not the first host's, so a re-scan that
// finds it on other hosts, or in another order, matches the same finding.
func (p *parser) flush(d definition, refs []ref, defined bool) error {
	f := findings.Finding{Title: d.Title, RuleID: d.ID}
	for _, r := range refs {
		f.Locations = append(f.Locations, findings.Location{Host: r.host, Port: r.port, Protocol: r.protocol, Service: strings.ToLower(r.service), HostName: r.hostName})
	}
	if !defined {
		f.Title = d.ID
		f.Severity = findings.Info
		f.Description = "The report has no definition for this check; Nexpose reported it as vulnerable."
	} else {
		f.Description = reportio.PlainText(d.Description.Inner)
		f.Mitigation = reportio.PlainText(d.Solution.Inner)
		f.CVSS.V3Score = findings.ParseScore(d.CVSSV3Score)
		f.CVSS.V3Vector = d.CVSSV3Vec
		f.Severity = severity(d)
		for _, rf := range d.References {
			reportio.AddTypedRef(&f, rf.Source, strings.TrimSpace(rf.Value))
		}
	}
	f.Fingerprint = findings.Fingerprint(findings.Finding{Tool: Name, RuleID: "check:" + strings.ToLower(d.ID)})
	f.Normalize()
	return p.emit(f)
}

// severity is the CVSS v3 score's, else that of Nexpose's 1–10 severity,
// which is on the CVSS scale (9–10 critical, 7–8 high, 4–6 medium, 1–3
// low), else the CVSS v2 score's.
func severity(d definition) findings.Severity {
	if s := findings.ParseScore(d.CVSSV3Score); s != nil {
		return findings.SeverityFromCVSS(s)
	}
	n, err := strconv.Atoi(strings.TrimSpace(d.Severity))
	if err != nil {
		return findings.SeverityFromCVSS(findings.ParseScore(d.CVSSScore))
	}
	return findings.SeverityFromCVSS(findings.Float(float64(n)))
}
