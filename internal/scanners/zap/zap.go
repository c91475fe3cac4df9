// Package zap parses OWASP ZAP reports: the traditional XML report
// (<OWASPZAPReport>, also written by the "xml-plus" template) and the
// traditional JSON report ({"@version", "site": [...]}).
//
// One finding per alert per site, with one location per instance (URL,
// host, port, scheme as protocol, path). riskcode 0–3 maps to info, low,
// medium, high; the fingerprint is rule + site host + port, so the set of
// affected URLs can change between scans; alerts with confidence 0
// (marked false positive in ZAP) are skipped. The rule id is the alertRef
// (pluginid when absent), CWE from cweid, references are the URLs in
// <reference>, HTML in descriptions is turned into plain text; each
// instance's method, URL, parameter, evidence, attack and other info are
// listed in the description. Reports before ZAP 2.7 (an alertitem per URL,
// no <instances>) give the same one finding per alert on a site; ZAP
// 2.7.0's JSON report of one site has "site" as an object.
package zap

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

// Names of the two formats.
const (
	NameXML  = "zap"
	NameJSON = "zap-json"
)

// FormatXML describes the OWASP ZAP traditional XML report (also xml-plus) to the registry.
var FormatXML = reportio.Format{
	Name:        NameXML,
	Description: "OWASP ZAP traditional XML report (also xml-plus)",
	DetectRule:  "XML whose root element is <OWASPZAPReport>",
	Detect:      DetectXML,
	Parse:       ParseXML,
}

// FormatJSON describes the OWASP ZAP traditional JSON report to the registry.
var FormatJSON = reportio.Format{
	Name:        NameJSON,
	Description: "OWASP ZAP traditional JSON report",
	DetectRule:  `JSON object with "@version" and "site" keys (ZAP traditional JSON report)`,
	Detect:      DetectJSON,
	Parse:       ParseJSON,
}

// DetectXML reports whether head is a ZAP XML report.
func DetectXML(h *reportio.Head) bool { return h.HasRoot("OWASPZAPReport") }

// DetectJSON reports whether head is a ZAP JSON report.
func DetectJSON(h *reportio.Head) bool {
	return h.Start() == '{' && h.JSON().Has("@version") && h.JSON().Has("site")
}

type instance struct {
	URI       string `xml:"uri" json:"uri"`
	Method    string `xml:"method" json:"method"`
	Param     string `xml:"param" json:"param"`
	Attack    string `xml:"attack" json:"attack"`
	Evidence  string `xml:"evidence" json:"evidence"`
	OtherInfo string `xml:"otherinfo" json:"otherinfo"` // ZAP 2.12+
}

type alertItem struct {
	PluginID   string     `xml:"pluginid" json:"pluginid"`
	AlertRef   string     `xml:"alertRef" json:"alertRef"`
	Alert      string     `xml:"alert" json:"alert"`
	Name       string     `xml:"name" json:"name"`
	RiskCode   string     `xml:"riskcode" json:"riskcode"`
	Confidence string     `xml:"confidence" json:"confidence"`
	Desc       string     `xml:"desc" json:"desc"`
	Instances  []instance `xml:"instances>instance" json:"instances"`
	// Reports before ZAP 2.7 had no <instances>: one alertitem per URL.
	URI       string `xml:"uri" json:"uri"`
	Method    string `xml:"method" json:"method"`
	Param     string `xml:"param" json:"param"`
	Attack    string `xml:"attack" json:"attack"`
	Evidence  string `xml:"evidence" json:"evidence"`
	Solution  string `xml:"solution" json:"solution"`
	OtherInfo string `xml:"otherinfo" json:"otherinfo"`
	Reference string `xml:"reference" json:"reference"`
	CWEID     string `xml:"cweid" json:"cweid"`
	WASCID    string `xml:"wascid" json:"wascid"`
}

type site struct {
	Name string
	Host string
	Port string
	SSL  string
}

// ParseXML streams the findings of a ZAP XML report.
func ParseXML(r io.Reader, name string, emit func(findings.Finding) error) error {
	dec := reportio.NewXMLDecoder(r, name)
	if _, empty, err := dec.Begin("OWASPZAPReport"); err != nil || empty {
		return err
	}
	return dec.Each("site", func(se xml.StartElement) error {
		s := site{Name: reportio.Attr(se, "name"), Host: reportio.Attr(se, "host"), Port: reportio.Attr(se, "port"), SSL: reportio.Attr(se, "ssl")}
		sa := siteAlerts{site: s, emit: emit}
		err := reportio.DecodeEach(dec, "alerts>alertitem", func(a alertItem) error {
			if err := sa.add(a); err != nil {
				return dec.Errorf(err, "alertitem %q", a.PluginID)
			}
			return nil
		})
		if err != nil {
			return err
		}
		return sa.flush()
	})
}

// siteAlerts emits the findings of one site's alerts. Reports before ZAP
// 2.7 have no <instances>: they list an alert once per URL (an alertitem
// with a bare <uri>), so those alertitems are held until the site ends and
// the ones of one alert (same fingerprint: rule on the site) are one
// finding with every URL as a location, as ZAP 2.7 and later group them.
// Alerts with instances are emitted at once.
type siteAlerts struct {
	site    site
	emit    func(findings.Finding) error
	pending reportio.Ordered[string, *alertFinding]
}

// alertFinding is an alert's finding and its instances, listed in the
// description when it is emitted.
type alertFinding struct {
	f         findings.Finding
	otherInfo string
	instances reportio.Instances
}

func (af *alertFinding) add(insts []instance) {
	for _, in := range insts {
		var detail []string
		if e := strings.TrimSpace(in.Evidence); e != "" {
			detail = append(detail, "evidence "+e)
		}
		if a := strings.TrimSpace(in.Attack); a != "" {
			detail = append(detail, "attack "+a)
		}
		if oi := oneLine(reportio.PlainText(in.OtherInfo)); oi != "" && oi != af.otherInfo {
			detail = append(detail, oi)
		}
		af.instances.Add(in.Method, in.URI, in.Param, oneLine(strings.Join(detail, "; ")))
	}
}

// oneLine is s with its runs of white space made one space.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func (af *alertFinding) finding() findings.Finding {
	f := af.f
	f.Description = reportio.Paragraphs(f.Description, af.instances.Section("Instances"))
	f.Normalize() // de-duplicates merged locations; the fingerprint stays
	return f
}

func (sa *siteAlerts) add(a alertItem) error {
	f, ok, err := a.finding(sa.site)
	if err != nil || !ok {
		return err
	}
	if len(a.Instances) > 0 || a.URI == "" {
		af := alertFinding{f: f, otherInfo: oneLine(reportio.PlainText(a.OtherInfo))}
		af.add(a.Instances)
		return sa.emit(af.finding())
	}
	af, ok := sa.pending.Get(f.Fingerprint)
	if ok {
		af.f.Locations = append(af.f.Locations, f.Locations...)
	} else {
		af = &alertFinding{f: f, otherInfo: oneLine(reportio.PlainText(a.OtherInfo))}
		sa.pending.Set(f.Fingerprint, af)
	}
	af.add(a.instances())
	return nil
}

func (sa *siteAlerts) flush() error {
	return sa.pending.Each(func(_ string, af *alertFinding) error {
		return sa.emit(af.finding())
	})
}

// instances are the alert's instances; before ZAP 2.7 the alertitem is
// its one instance.
func (a alertItem) instances() []instance {
	if len(a.Instances) == 0 && a.URI != "" {
		return []instance{{URI: a.URI, Method: a.Method, Param: a.Param, Attack: a.Attack, Evidence: a.Evidence}}
	}
	return a.Instances
}

// ParseJSON streams the findings of a ZAP traditional JSON report.
func ParseJSON(r io.Reader, name string, emit func(findings.Finding) error) error {
	dec := reportio.NewJSONDecoder(r, name)
	if empty, err := dec.BeginObject("ZAP JSON report must be an object"); err != nil || empty {
		return err
	}
	sawSite := false
	err := dec.Object(func(key string) error {
		if key != "site" {
			return dec.Skip()
		}
		sawSite = true
		// ZAP 2.7.0 and earlier wrote "site" as an object when the report
		// had one site (zaproxy/zaproxy#5162); later versions always an array.
		return dec.Objects("site", func() error { return readSite(dec, emit) })
	})
	return dec.Known(sawSite, err, `no "site" array: not a ZAP JSON report`)
}

// readSite reads the members of a site object whose '{' was just read.
func readSite(dec *reportio.JSONDecoder, emit func(findings.Finding) error) error {
	var s site
	var alerts []alertItem
	err := dec.Object(func(key string) error {
		return dec.DecodeField(key, "site[].", map[string]any{
			"@name":  &s.Name,
			"@host":  &s.Host,
			"@port":  &s.Port,
			"@ssl":   &s.SSL,
			"alerts": &alerts,
		})
	})
	if err != nil {
		return err
	}
	sa := siteAlerts{site: s, emit: emit}
	for _, a := range alerts {
		if err := sa.add(a); err != nil {
			return dec.Errorf(err, "alert %q", a.PluginID)
		}
	}
	return sa.flush()
}

// riskCodes are ZAP's risk levels 0–3.
var riskCodes = map[string]findings.Severity{"0": findings.Info, "1": findings.Low, "2": findings.Medium, "3": findings.High}

func (a alertItem) finding(s site) (findings.Finding, bool, error) {
	if strings.TrimSpace(a.Confidence) == "0" {
		return findings.Finding{}, false, nil // false positive, marked in ZAP
	}
	sev, ok := findings.SeverityIn(riskCodes, a.RiskCode)
	if !ok {
		return findings.Finding{}, false, fmt.Errorf("riskcode %q is not 0–3", a.RiskCode)
	}
	f := findings.Finding{Severity: sev}
	f.Title = a.Alert
	if f.Title == "" {
		f.Title = a.Name
	}
	f.RuleID = strings.TrimSpace(a.AlertRef)
	if f.RuleID == "" {
		f.RuleID = strings.TrimSpace(a.PluginID)
	}
	f.Description = reportio.PlainText(a.Desc)
	if oi := reportio.PlainText(a.OtherInfo); oi != "" {
		f.Description += "\n\n" + oi
	}
	f.Mitigation = reportio.PlainText(a.Solution)
	f.References = reportio.URLs(a.Reference)
	if n, err := strconv.Atoi(strings.TrimSpace(a.CWEID)); err == nil && n > 0 {
		f.CWEs = []int{n}
	}
	for _, in := range a.instances() {
		f.Locations = append(f.Locations, location(strings.TrimSpace(in.URI), s))
	}
	if len(f.Locations) == 0 {
		f.Locations = append(f.Locations, location(s.Name, s))
	}
	// ZAP groups every instance of an alert on a site into one alert, so
	// the fingerprint is the alert on the site (rule + host + port): the set
	// of affected URLs may change between scans without making it new.
	site := location(s.Name, s)
	key := f
	key.Locations = []findings.Location{{Host: site.Host, Port: site.Port}}
	if site.Host == "" && len(f.Locations) > 0 {
		key.Locations = []findings.Location{{Host: f.Locations[0].Host, Port: f.Locations[0].Port}}
	}
	f.Fingerprint = findings.Fingerprint(key)
	f.Normalize()
	return f, true, nil
}

func location(uri string, s site) findings.Location {
	l := findings.Location{URL: uri, Host: s.Host}
	l.Port, _ = strconv.Atoi(s.Port)
	if u, err := url.Parse(uri); err == nil && u.Host != "" {
		l.Host = u.Hostname()
		l.Protocol = u.Scheme
		l.Path = u.EscapedPath()
		if p, ok := reportio.URLPort(u); ok {
			l.Port = p
		}
	} else if l.Protocol == "" {
		if s.SSL == "true" {
			l.Protocol = "https"
		} else {
			l.Protocol = "http"
		}
	}
	if ip := net.ParseIP(l.Host); ip != nil {
		l.Host = ip.String()
	}
	return l
}
