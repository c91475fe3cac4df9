// Package depcheck parses OWASP Dependency-Check reports, XML (<analysis>,
// schema 1.x and 2.x) and JSON (reportSchema 1.x), streaming one
// dependency at a time.
//
// One finding per vulnerability of a dependency (suppressed
// vulnerabilities are skipped): the vulnerability name as rule id (a CVE,
// GHSA, NPM or OSSINDEX id), the dependency's package URL as component
// (Maven coordinates as group:artifact, like other tools), the file path
// and the paths of related dependencies (the same library bundled
// elsewhere) as locations, severity from Dependency-Check's word (or the
// CVSS v3 score), CWEs, reference URLs, CISA KEV, and the fixed version of
// the vulnerable range the dependency matched (versionEndExcluding).
package depcheck

import (
	"cmp"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/scanners/reportio"
)

// Name is the format's registry name.
const Name = "dependency-check"

// Format describes the OWASP Dependency-Check XML report to the registry.
var Format = reportio.Format{
	Name:        Name,
	Aliases:     []string{"owasp-dependency-check", "dependency-check-xml"},
	Description: "OWASP Dependency-Check XML report",
	DetectRule:  `XML whose root element is <analysis> in a DependencyCheck namespace or followed by <scanInfo>/<projectInfo>`,
	Detect:      Detect,
	Parse:       Parse,
}

// Detect reports whether head is a Dependency-Check XML report.
func Detect(h *reportio.Head) bool {
	return h.HasRoot("analysis") && (h.Contains("DependencyCheck") || h.Contains("<scanInfo") || h.Contains("<projectInfo"))
}

type vulnerability struct {
	Source      string `xml:"source,attr"`
	Name        string `xml:"name"`
	Severity    string `xml:"severity"`
	Description string `xml:"description"`
	CVSSV3      cvss3  `xml:"cvssV3"`
	CVSSV2      struct {
		Score string `xml:"score"`
	} `xml:"cvssV2"`
	// CVSSV4 is written by Dependency-Check 11.1 and later (Dec 2024),
	// for vulnerabilities NVD scored with CVSS v4.
	CVSSV4 struct {
		VectorString string `xml:"vectorString"`
		BaseScore    string `xml:"baseScore"`
	} `xml:"cvssV4"`
	CWEs       []string `xml:"cwes>cwe"`
	CWE        string   `xml:"cwe"` // schema 1.x
	References []struct {
		URL  string `xml:"url"`
		Name string `xml:"name"`
	} `xml:"references>reference"`
	KEV *struct{} `xml:"knownExploitedVulnerability"`
	// Software are the vulnerable version ranges (CPEs); the one the
	// dependency matched is marked vulnerabilityIdMatched="true", and its
	// versionEndExcluding is the first fixed version.
	Software []software `xml:"vulnerableSoftware>software"`
	// From the JSON report.
	cvss4Vector string
}

// software is one vulnerable CPE range of a vulnerability.
type software struct {
	Matched      string `xml:"vulnerabilityIdMatched,attr" json:"vulnerabilityIdMatched"`
	EndExcluding string `xml:"versionEndExcluding,attr" json:"versionEndExcluding"`
}

// fixedVersions are the versionEndExcluding of the ranges the dependency
// matched: the versions that fix it.
func fixedVersions(sw []software) []string {
	var out []string
	for _, s := range sw {
		if strings.EqualFold(strings.TrimSpace(s.Matched), "true") && strings.TrimSpace(s.EndExcluding) != "" {
			out = append(out, strings.TrimSpace(s.EndExcluding))
		}
	}
	return out
}

// cvss3 is Dependency-Check's CVSS v3 block: the score and the metric
// values spelled out (NETWORK, LOW, …), from which the vector is rebuilt.
type cvss3 struct {
	BaseScore             string `xml:"baseScore" json:"baseScore"`
	AttackVector          string `xml:"attackVector" json:"attackVector"`
	AttackComplexity      string `xml:"attackComplexity" json:"attackComplexity"`
	PrivilegesRequired    string `xml:"privilegesRequired" json:"privilegesRequired"`
	UserInteraction       string `xml:"userInteraction" json:"userInteraction"`
	Scope                 string `xml:"scope" json:"scope"`
	ConfidentialityImpact string `xml:"confidentialityImpact" json:"confidentialityImpact"`
	IntegrityImpact       string `xml:"integrityImpact" json:"integrityImpact"`
	AvailabilityImpact    string `xml:"availabilityImpact" json:"availabilityImpact"`
	Version               string `xml:"version" json:"version"`
}

// vector is the CVSS v3 vector string, or "" when a metric is missing.
func (c cvss3) vector() string {
	letter := func(v string, m map[string]string) string { return m[strings.ToUpper(strings.TrimSpace(v))] }
	nlh := map[string]string{"NONE": "N", "LOW": "L", "HIGH": "H"}
	parts := []struct{ k, v string }{
		{"AV", letter(c.AttackVector, map[string]string{"NETWORK": "N", "ADJACENT_NETWORK": "A", "ADJACENT": "A", "LOCAL": "L", "PHYSICAL": "P"})},
		{"AC", letter(c.AttackComplexity, map[string]string{"LOW": "L", "HIGH": "H"})},
		{"PR", letter(c.PrivilegesRequired, nlh)},
		{"UI", letter(c.UserInteraction, map[string]string{"NONE": "N", "REQUIRED": "R"})},
		{"S", letter(c.Scope, map[string]string{"UNCHANGED": "U", "CHANGED": "C"})},
		{"C", letter(c.ConfidentialityImpact, nlh)},
		{"I", letter(c.IntegrityImpact, nlh)},
		{"A", letter(c.AvailabilityImpact, nlh)},
	}
	ver := strings.TrimSpace(c.Version)
	if ver != "3.0" && ver != "3.1" {
		ver = "3.1"
	}
	out := "CVSS:" + ver
	for _, p := range parts {
		if p.v == "" {
			return ""
		}
		out += "/" + p.k + ":" + p.v
	}
	return out
}

type dependency struct {
	FileName    string `xml:"fileName"`
	FilePath    string `xml:"filePath"`
	Identifiers struct {
		Packages []struct {
			ID string `xml:"id"`
		} `xml:"package"`
	} `xml:"identifiers"`
	Related []struct {
		FilePath string `xml:"filePath"`
	} `xml:"relatedDependencies>relatedDependency"`
	Vulnerabilities []vulnerability `xml:"vulnerabilities>vulnerability"`
}

// Parse streams the findings of a Dependency-Check XML report. A report
// whose <scanInfo> lists analysis exceptions of analyzers is refused as
// an incomplete scan once its findings are emitted (see failedAnalysis).
func Parse(r io.Reader, name string, emit func(findings.Finding) error) error {
	dec := reportio.NewXMLDecoder(r, name)
	if _, empty, err := dec.Begin("analysis"); err != nil || empty {
		return err
	}
	var incomplete error
	err := dec.Walk(func(se xml.StartElement) error {
		switch se.Name.Local {
		case "scanInfo":
			var info struct {
				Exceptions []struct {
					Message string `xml:"message"`
				} `xml:"analysisExceptions>exception"`
			}
			if err := dec.DecodeElement(&info, &se); err != nil {
				return err
			}
			var messages []string
			for _, e := range info.Exceptions {
				messages = append(messages, e.Message)
			}
			if why := failedAnalysis(messages); why != "" {
				incomplete = dec.Errorf(reportio.Incomplete("%s", why), "<scanInfo><analysisExceptions>")
			}
			return nil
		case "dependencies":
			return reportio.DecodeEach(dec, "dependency", func(d dependency) error {
				return d.emit(emit)
			})
		}
		return dec.Skip()
	})
	if err != nil {
		return err
	}
	return incomplete
}

// updateException is the class Dependency-Check's Engine records when it
// could not update a data source and analysed with the local data
// instead ("Results may not include recent vulnerabilities"): every
// dependency was analysed, so the report is complete.
const updateException = "org.owasp.dependencycheck.data.update.exception.UpdateException"

// failedAnalysis says why a report whose scanInfo lists these analysis
// exceptions (each Throwable.toString(): class, then message) is
// incomplete, or "" when it is not. Dependency-Check's Engine records an
// analyzer that failed to initialise (and, when fatal, did not run) and
// every dependency an analyzer failed on (AnalysisException, e.g. the
// OSS Index analyzer's "Failed to request component-reports"), writes the
// report anyway and exits 14: the vulnerabilities those analyzers would
// have found are missing, and importing the report as complete would
// close them.
func failedAnalysis(messages []string) string {
	var failed []string
	for _, m := range messages {
		if m = strings.TrimSpace(m); m != "" && !strings.HasPrefix(m, updateException) {
			failed = append(failed, m)
		}
	}
	if len(failed) == 0 {
		return ""
	}
	return fmt.Sprintf("Dependency-Check recorded %d analysis exception(s), the first %q: the analyzers that failed did not report their vulnerabilities", len(failed), reportio.Clip(failed[0], 200))
}

// emit emits the finding of each of the dependency's vulnerabilities.
func (d dependency) emit(emit func(findings.Finding) error) error {
	for _, v := range d.Vulnerabilities {
		if err := emit(d.finding(v)); err != nil {
			return err
		}
	}
	return nil
}

// component names the dependency from its package URL: Maven as
// group:artifact, npm and others as namespace/name.
func (d dependency) component() findings.Component {
	for _, p := range d.Identifiers.Packages {
		id := strings.TrimSpace(p.ID)
		pu, err := packageurl.FromString(id)
		if err != nil {
			continue
		}
		n := pu.Name
		if pu.Namespace != "" {
			sep := "/"
			if pu.Type == packageurl.TypeMaven {
				sep = ":"
			}
			n = pu.Namespace + sep + pu.Name
		}
		return findings.Component{Name: n, Version: pu.Version, PURL: id}
	}
	return findings.Component{Name: d.FileName}
}

// identified names the identified package ("group:artifact 1.2.3"), else
// the file Dependency-Check scanned.
func identified(c findings.Component, file string) string {
	if c.PURL == "" {
		return file
	}
	return strings.TrimSpace(c.Name + " " + c.Version)
}

func (d dependency) finding(v vulnerability) findings.Finding {
	c := d.component()
	f := findings.Finding{
		Title:       v.Name + " in " + identified(c, d.FileName),
		RuleID:      v.Name,
		Component:   c,
		Description: strings.TrimSpace(v.Description),
		Locations:   []findings.Location{{File: d.FilePath}},
	}
	f.VulnerabilityIDs = findings.VulnIDsIn(v.Name)
	f.CVSS.V3Score = findings.ParseScore(v.CVSSV3.BaseScore)
	f.CVSS.V3Vector = v.CVSSV3.vector()
	f.CVSS.V4Vector = cmp.Or(v.cvss4Vector, strings.TrimSpace(v.CVSSV4.VectorString))
	f.CVSS.V4Score = findings.ParseScore(v.CVSSV4.BaseScore)
	f.KEV = v.KEV != nil
	if s, ok := findings.ParseSeverity(v.Severity); ok && v.Severity != "" {
		f.Severity = s
	} else if f.CVSS.V3Score != nil {
		f.Severity = findings.SeverityFromCVSS(f.CVSS.V3Score)
	} else if f.CVSS.V4Score != nil {
		f.Severity = findings.SeverityFromCVSS(f.CVSS.V4Score)
	} else {
		f.Severity = findings.SeverityFromCVSS(findings.ParseScore(v.CVSSV2.Score))
	}
	f.CWEs = append(f.CWEs, reportio.CWEsIn(append(v.CWEs, v.CWE))...)
	f.FixedVersions = fixedVersions(v.Software)
	f.Mitigation = reportio.Upgrade(c.Name, f.FixedVersions...)
	for _, rf := range v.References {
		f.References = append(f.References, strings.TrimSpace(rf.URL))
	}
	for _, rd := range d.Related {
		f.Locations = append(f.Locations, findings.Location{File: rd.FilePath})
	}
	f.Normalize()
	return f
}

// NameJSON is the JSON format's registry name.
const NameJSON = "dependency-check-json"

// FormatJSON describes the OWASP Dependency-Check JSON report to the registry.
var FormatJSON = reportio.Format{
	Name:        NameJSON,
	Description: "OWASP Dependency-Check JSON report",
	DetectRule:  `JSON object with "reportSchema" and "scanInfo" keys (Dependency-Check JSON report)`,
	Detect:      DetectJSON,
	Parse:       ParseJSON,
}

// DetectJSON reports whether head is a Dependency-Check JSON report.
func DetectJSON(h *reportio.Head) bool {
	return h.Start() == '{' && h.JSON().Has("reportSchema") && h.JSON().Has("scanInfo")
}

type jsonDependency struct {
	FileName string `json:"fileName"`
	FilePath string `json:"filePath"`
	Packages []struct {
		ID string `json:"id"`
	} `json:"packages"`
	Related []struct {
		FilePath string `json:"filePath"`
	} `json:"relatedDependencies"`
	Vulnerabilities []struct {
		Name     string `json:"name"`
		Severity string `json:"severity"`
		CVSSv3   *struct {
			BaseScore json.Number `json:"baseScore"`
			cvss3
		} `json:"cvssv3"`
		CVSSv2 *struct {
			Score json.Number `json:"score"`
		} `json:"cvssv2"`
		CVSSv4 *struct {
			VectorString string      `json:"vectorString"`
			BaseScore    json.Number `json:"baseScore"`
		} `json:"cvssv4"`
		CWEs        []string  `json:"cwes"`
		Description string    `json:"description"`
		KEV         *struct{} `json:"knownExploitedVulnerability"`
		References  []struct {
			URL  string `json:"url"`
			Name string `json:"name"`
		} `json:"references"`
		VulnerableSoftware []struct {
			Software software `json:"software"`
		} `json:"vulnerableSoftware"`
	} `json:"vulnerabilities"`
}

// dependency converts the JSON shape into the XML one.
func (j jsonDependency) dependency() dependency {
	d := dependency{FileName: j.FileName, FilePath: j.FilePath}
	for _, p := range j.Packages {
		d.Identifiers.Packages = append(d.Identifiers.Packages, struct {
			ID string `xml:"id"`
		}{p.ID})
	}
	for _, r := range j.Related {
		d.Related = append(d.Related, struct {
			FilePath string `xml:"filePath"`
		}{r.FilePath})
	}
	for _, jv := range j.Vulnerabilities {
		v := vulnerability{Name: jv.Name, Severity: jv.Severity, Description: jv.Description, CWEs: jv.CWEs, KEV: jv.KEV}
		for _, s := range jv.VulnerableSoftware {
			v.Software = append(v.Software, s.Software)
		}
		if jv.CVSSv3 != nil {
			v.CVSSV3 = jv.CVSSv3.cvss3
			v.CVSSV3.BaseScore = jv.CVSSv3.BaseScore.String()
		}
		if jv.CVSSv2 != nil {
			v.CVSSV2.Score = jv.CVSSv2.Score.String()
		}
		if jv.CVSSv4 != nil {
			v.cvss4Vector = jv.CVSSv4.VectorString
			v.CVSSV4.BaseScore = jv.CVSSv4.BaseScore.String()
		}
		for _, r := range jv.References {
			v.References = append(v.References, struct {
				URL  string `xml:"url"`
				Name string `xml:"name"`
			}{r.URL, r.Name})
		}
		d.Vulnerabilities = append(d.Vulnerabilities, v)
	}
	return d
}

// ParseJSON streams the findings of a Dependency-Check JSON report.
func ParseJSON(r io.Reader, name string, emit func(findings.Finding) error) error {
	dec := reportio.NewJSONDecoder(r, name)
	if empty, err := dec.BeginObject("Dependency-Check JSON report must be an object"); err != nil || empty {
		return err
	}
	known := false
	var incomplete error
	err := dec.Object(func(key string) error {
		switch key {
		case "reportSchema":
			known = true
		case "scanInfo":
			at := dec.Offset()
			var info struct {
				Exceptions []struct {
					Exception struct {
						Message string `json:"message"`
					} `json:"exception"`
				} `json:"analysisExceptions"`
			}
			if err := dec.Decode(&info, "scanInfo"); err != nil {
				return err
			}
			var messages []string
			for _, e := range info.Exceptions {
				messages = append(messages, e.Exception.Message)
			}
			if why := failedAnalysis(messages); why != "" {
				incomplete = reportio.IncompleteAt(name, at, "scanInfo.analysisExceptions", "%s", why)
			}
			return nil
		case "dependencies":
			known = true
			return reportio.DecodeElements(dec, "dependencies", func(j jsonDependency) error {
				return j.dependency().emit(emit)
			})
		}
		return dec.Skip()
	})
	if err := dec.Known(known, err, `no "reportSchema" or "dependencies": not a Dependency-Check JSON report`); err != nil {
		return err
	}
	return incomplete
}
