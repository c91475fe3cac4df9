// Package gitlabdast parses GitLab DAST JSON reports (gl-dast-report.json,
// the GitLab security report schema for DAST, versions 2 to 15): what
// GitLab's DAST analyzers (the ZAP-based and the browser-based one) and
// DAST API write, and what other tools export for GitLab.
//
// The report lists one vulnerability per instance: per URL, method and
// parameter. Instances of the same check with the same severity on the same
// site (scheme, host and port of location.hostname) are one finding with
// every instance as a location, as ZAP groups an alert's instances and as
// DefectDojo merges them; its fingerprint is the check on the site, so the
// set of affected URLs may change between scans without making the finding
// new. Rule id: the scanner's own identifier (ZAProxy_PluginId, a browser
// check id; not CWE, WASC or OWASP), else the name. CWEs and CVEs from the
// identifiers, severity as written (Unknown is info), solution, links,
// method, parameter and evidence summary per instance in the description.
// A report of another GitLab scan type is refused: its locations are files
// or packages, not URLs. SAST and secret detection reports are the
// package's second format, gitlab-sast (sast.go); dependency and container
// scanning reports are refused by both.
package gitlabdast

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/scanners/reportio"
)

// Name is the format's registry name.
const Name = "gitlab-dast"

// Format describes the GitLab DAST JSON report to the registry.
var Format = reportio.Format{
	Name:        Name,
	Aliases:     []string{"gitlab-dast-json", "gitlab-dast-api"},
	Description: "GitLab DAST JSON report (security report schema for DAST, v2–v15; DAST and DAST API analyzers)",
	DetectRule:  `JSON object with "vulnerabilities" and "scan" ("scan" may be past the head: GitLab writes it last; schemas before 15 may have none: then vulnerabilities with "identifiers" and "location") whose scan has "scanned_resources" or whose vulnerabilities' locations have "hostname" (keys in any order)`,
	Detect:      Detect,
	Parse:       Parse,
}

// Detect reports whether head is a GitLab DAST report.
func Detect(h *reportio.Head) bool {
	k := h.JSONObject()
	if !gitlabReport(k) {
		return false
	}
	return k.HasPath("scan.scanned_resources") || k.HasPath("vulnerabilities[].location.hostname")
}

// gitlabReport reports whether k is the head of a GitLab security report:
// an object with "vulnerabilities" and
//   - "scan", required since schema 15. GitLab's analyzers write "scan"
//     after "vulnerabilities", so in a report larger than the head it is
//     not seen: a head that ends inside the document is enough then;
//   - or, as schemas 2 to 14 allowed and their analyzers wrote (no "scan"),
//     vulnerabilities with GitLab's "identifiers" list and "location"
//     object, or none and the schema's "version" and "remediations".
//
// The vulnerabilities' locations (or scan.type) then tell the report type.
func gitlabReport(k *reportio.JSONKeys) bool {
	if k == nil || !k.HasTop("vulnerabilities") {
		return false
	}
	if k.HasTop("scan") || !k.Complete {
		return true
	}
	if k.TopKind("vulnerabilities") != '[' {
		return false
	}
	if k.HasPathPrefix("vulnerabilities[]") {
		return k.HasPath("vulnerabilities[].identifiers") && k.HasPathPrefix("vulnerabilities[].location")
	}
	return k.HasTop("version") && k.HasTop("remediations")
}

// reportTypes are GitLab's report types, as scan.type and (schemas up to
// 14) a vulnerability's category name them.
var reportTypes = map[string]bool{"sast": true, "secret_detection": true, "dependency_scanning": true, "container_scanning": true,
	"dast": true, "api_fuzzing": true, "coverage_fuzzing": true, "cluster_image_scanning": true}

// checkCategory checks vulnerability i's category as checkType checks
// scan.type, when it is one of GitLab's report types: exporters write their
// own words there (Checkmarx One: "Checkmarx-sast"), which say nothing of
// the locations.
func checkCategory(format, name string, offset int64, i int, category string) error {
	if !reportTypes[strings.ToLower(strings.TrimSpace(category))] {
		return nil
	}
	return checkType(format, name, offset, fmt.Sprintf("vulnerabilities[%d].category", i), category)
}

// checkType checks a GitLab report type (scan.type, or a vulnerability's
// category: the report type of schemas before 15, which need no "scan")
// against the report types format reads; an empty type is not known and
// passes. A type of the package's other format names it.
func checkType(format, name string, offset int64, field, typ string) error {
	t := strings.ToLower(strings.TrimSpace(typ))
	var reader string
	switch t {
	case "":
		return nil
	case "sast", "secret_detection", "dependency_scanning", "container_scanning":
		reader = NameSAST
	case "dast", "api_fuzzing":
		reader = Name
	}
	if reader == format {
		return nil
	}
	if format == Name {
		return reportio.NotReport(name, offset, "%s is %q: a GitLab %s report, not DAST (its locations are not URLs)%s", field, typ, t, sastHint(t))
	}
	if reader == Name {
		return reportio.NotReport(name, offset, "%s is %q: a GitLab %s report, not SAST: read it as %s", field, typ, t, Name)
	}
	// coverage_fuzzing, cluster_image_scanning, …: other locations
	return reportio.NotReport(name, offset, "%s is %q: a GitLab %s report, not SAST, secret detection, dependency or container scanning", field, typ, t)
}

type identifier struct {
	Type  string  `json:"type"`
	Name  string  `json:"name"`
	Value idValue `json:"value"`
	URL   string  `json:"url"`
}

// idValue is an identifier's value: a string as the schema says, or a
// number as some exporters write a CWE id ("value": 79).
type idValue string

func (v *idValue) UnmarshalJSON(b []byte) error {
	var n json.Number
	if err := json.Unmarshal(b, &n); err == nil {
		*v = idValue(n.String())
		return nil
	}
	var s *string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("identifier value %s is not a string or a number", b)
	}
	if s != nil {
		*v = idValue(*s)
	}
	return nil
}

// identify files a vulnerability's identifiers into f: CWE and CVE ids,
// and as rule id the first other identifier (the scanner's own: ZAP's
// plugin id, a Semgrep rule id, a Gitleaks rule; the schema lists the
// primary identifier first). WASC and OWASP categories are not rules.
func identify(f *findings.Finding, ids []identifier) {
	for _, id := range ids {
		val := strings.TrimSpace(string(id.Value))
		switch strings.ToLower(strings.TrimSpace(id.Type)) {
		case "cwe":
			if n, ok := findings.ParseCWE(val); ok {
				f.CWEs = append(f.CWEs, n)
			}
		case "cve", "ghsa":
			f.VulnerabilityIDs = append(f.VulnerabilityIDs, val)
		case "wasc", "owasp":
		default:
			if f.RuleID == "" && val != "" {
				f.RuleID = val
			}
		}
	}
}

type vulnerability struct {
	ID          string       `json:"id"`
	Category    string       `json:"category"`
	Name        string       `json:"name"`
	Message     string       `json:"message"`
	Description string       `json:"description"`
	Severity    string       `json:"severity"`
	Solution    string       `json:"solution"`
	Identifiers []identifier `json:"identifiers"`
	Links       []struct {
		Name string `json:"name"`
		URL  string `json:"url"`
	} `json:"links"`
	Location struct {
		Hostname string `json:"hostname"`
		Method   string `json:"method"`
		Param    string `json:"param"`
		Path     string `json:"path"`
	} `json:"location"`
	Evidence evidence `json:"evidence"`
}

// evidence is a vulnerability's evidence: an object (the schema's), or an
// empty array as some exporters write none ("evidence": [], DefectDojo's
// gitlab_dast_multiple_cwe_fabricated_v15.json): no summary.
type evidence struct {
	Summary string
}

func (e *evidence) UnmarshalJSON(b []byte) error {
	var list []json.RawMessage
	if json.Unmarshal(b, &list) == nil {
		if len(list) > 0 {
			return fmt.Errorf("evidence is a non-empty array, not an object")
		}
		return nil
	}
	var o *struct {
		Summary string `json:"summary"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return fmt.Errorf("evidence is not an object: %w", err)
	}
	if o != nil {
		e.Summary = o.Summary
	}
	return nil
}

type scan struct {
	Type    string `json:"type"`
	Scanner struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"scanner"`
	// Status is the analyzer's result (the security report schemas'
	// required scan.status, "success" or "failure"); Messages are what it
	// logged (level info, warn or fatal).
	Status   string `json:"status"`
	Messages []struct {
		Level string `json:"level"`
		Value string `json:"value"`
	} `json:"messages"`
	at int64 // where "scan" ends in the file
}

// failed returns the refusal of a report whose scan.status is "failure":
// the analyzer says its scan failed, so what the report does not list was
// not necessarily checked. It names the first fatal message (else the
// first message). Nil for "success" or no status (schemas before 14).
func (sc scan) failed(name string) error {
	if !strings.EqualFold(strings.TrimSpace(sc.Status), "failure") {
		return nil
	}
	why := `scan.status is "failure": the analyzer says its scan failed`
	msg := ""
	for _, m := range sc.Messages {
		if v := strings.TrimSpace(m.Value); v != "" && (msg == "" || strings.EqualFold(m.Level, "fatal")) {
			msg = v
			if strings.EqualFold(m.Level, "fatal") {
				break
			}
		}
	}
	if msg != "" {
		why += ": " + reportio.Clip(msg, 300)
	}
	return reportio.IncompleteAt(name, sc.at, "scan.status", "%s", why)
}

type group struct {
	f         findings.Finding
	site      findings.Location
	instances reportio.Instances
}

// Parse reads a GitLab DAST report. Instances are grouped, so findings are
// emitted when the whole report has been read.
func Parse(r io.Reader, name string, emit func(findings.Finding) error) error {
	dec := reportio.NewJSONDecoder(r, name)
	if empty, err := dec.BeginObject("a GitLab DAST report is a JSON object"); err != nil || empty {
		return err
	}
	var sc scan
	seenVulns := false
	i := 0 // vulnerabilities read
	var groups reportio.Ordered[string, *group]
	err := dec.Object(func(key string) error {
		switch key {
		case "scan":
			err := dec.Decode(&sc, "scan")
			sc.at = dec.Offset()
			return err
		case "vulnerabilities":
			seenVulns = true
			return dec.Array("vulnerabilities", func() error {
				var v vulnerability
				if err := dec.Decode(&v, fmt.Sprintf("vulnerabilities[%d]", i)); err != nil {
					return err
				}
				i++
				if err := checkCategory(Name, name, dec.Offset(), i-1, v.Category); err != nil {
					return err
				}
				add(&groups, v)
				return nil
			})
		}
		return dec.Skip()
	})
	if err := dec.Known(seenVulns, err, `no "vulnerabilities": not a GitLab DAST report`); err != nil {
		return err
	}
	if err := checkType(Name, name, dec.Offset(), "scan.type", sc.Type); err != nil {
		return err
	}
	tool := strings.TrimSpace(sc.Scanner.Name)
	if err := groups.Each(func(_ string, g *group) error {
		f := g.f
		f.Tool = tool
		f.Description = reportio.Paragraphs(f.Description, g.instances.Section("Instances"))
		key := f
		key.Locations = []findings.Location{{Host: g.site.Host, Port: g.site.Port}}
		f.Fingerprint = findings.Fingerprint(key)
		f.Normalize()
		return emit(f)
	}); err != nil {
		return err
	}
	return sc.failed(name)
}

func add(groups *reportio.Ordered[string, *group], v vulnerability) {
	loc := location(v.Location.Hostname, v.Location.Path)
	var f findings.Finding
	identify(&f, v.Identifiers)
	f.Title = strings.TrimSpace(v.Name)
	if f.Title == "" {
		f.Title = strings.TrimSpace(v.Message)
	}
	if f.Title == "" && len(v.Identifiers) > 0 {
		f.Title = strings.TrimSpace(v.Identifiers[0].Name)
	}
	sev := findings.SeverityOrInfo(v.Severity)
	key := strings.Join([]string{strings.ToLower(f.RuleID), strings.ToLower(f.Title), string(sev), strings.ToLower(loc.Host), strconv.Itoa(loc.Port)}, "|")
	g, ok := groups.Get(key)
	if !ok {
		f.Severity = sev
		f.Description = reportio.PlainText(v.Description)
		if f.Description == "" {
			f.Description = reportio.PlainText(v.Message)
		}
		f.Mitigation = reportio.PlainText(v.Solution)
		for _, l := range v.Links {
			f.References = append(f.References, strings.TrimSpace(l.URL))
		}
		g = &group{f: f, site: loc}
		groups.Set(key, g)
	}
	if !loc.IsZero() {
		g.f.Locations = append(g.f.Locations, loc)
	}
	g.instances.Add(v.Location.Method, loc.URL, v.Location.Param, v.Evidence.Summary)
}

// location reads location.hostname ("https://app.example.com:8443", or a
// bare host name) and location.path.
func location(hostname, path string) findings.Location {
	hostname, path = strings.TrimSpace(hostname), strings.TrimSpace(path)
	if hostname == "" && path == "" {
		return findings.Location{}
	}
	raw := hostname
	if raw != "" && !strings.Contains(raw, "://") {
		raw = "http://" + raw // a bare host: the scheme is not known
	}
	u, err := url.Parse(strings.TrimRight(raw, "/") + path)
	if err != nil || u.Host == "" {
		return findings.Location{Host: hostname, Path: path, URL: hostname + path}
	}
	l := findings.Location{Host: u.Hostname(), Protocol: u.Scheme, Path: u.EscapedPath(), URL: u.String()}
	l.Port, _ = reportio.URLPort(u)
	if !strings.Contains(hostname, "://") {
		// The scheme is not known: neither is a default port.
		l.Protocol, l.URL = "", hostname+path
		l.Port, _ = strconv.Atoi(u.Port())
	}
	return l
}
