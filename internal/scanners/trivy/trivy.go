// Package trivy parses Trivy JSON reports (`trivy … --format json`):
// schema version 2 ({"SchemaVersion": 2, "Results": [...]}), the legacy
// list of results (Trivy < 0.20), and the Kubernetes reports
// ({"ClusterName", "Resources"} and the older {"ClusterName",
// "Vulnerabilities", "Misconfigurations"}). Results are streamed one at a
// time.
//
// Each result yields: one finding per vulnerability (component name,
// version and purl, fixed versions, CVSS from the severity source, then
// NVD, then any vendor; status not_affected is skipped: the vendor says the
// package is not vulnerable; will_not_fix, fix_deferred, end_of_life and
// under_investigation are said in the description), per failed
// misconfiguration (status FAIL),
// per secret and per license finding. Severities UNKNOWN map to info. A
// misconfiguration's rule id is its AVD id, the same in every Trivy
// version (see checkID).
package trivy

import (
	"cmp"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/scanners/reportio"
)

// Name is the format's registry name.
const Name = "trivy"

// Format describes the Trivy JSON report to the registry.
var Format = reportio.Format{
	Name:        Name,
	Description: "Trivy JSON report: vulnerabilities, misconfigurations, secrets, licenses (schema 2, legacy list, Kubernetes)",
	DetectRule:  `JSON object with "SchemaVersion" and "ArtifactName" or "Results" keys, or with "ClusterName"; or a JSON array of objects with "Target" and "Vulnerabilities" keys (legacy)`,
	Detect:      Detect,
	Parse:       Parse,
}

// Detect reports whether head is a Trivy JSON report.
func Detect(h *reportio.Head) bool {
	switch h.Start() {
	case '{':
		if h.JSON().Has("ClusterName") {
			return true
		}
		return h.JSON().Has("SchemaVersion") && (h.JSON().Has("ArtifactName") || h.JSON().Has("Results"))
	case '[':
		return h.JSON().Has("Target") && (h.JSON().Has("Vulnerabilities") || h.JSON().Has("Type"))
	}
	return false
}

type cvss struct {
	V3Vector  string   `json:"V3Vector"`
	V3Score   *float64 `json:"V3Score"`
	V40Vector string   `json:"V40Vector"`
	V40Score  *float64 `json:"V40Score"`
}

type vulnerability struct {
	VulnerabilityID string   `json:"VulnerabilityID"`
	VendorIDs       []string `json:"VendorIDs"`
	PkgName         string   `json:"PkgName"`
	PkgPath         string   `json:"PkgPath"`
	PkgIdentifier   struct {
		PURL string `json:"PURL"`
	} `json:"PkgIdentifier"`
	InstalledVersion string          `json:"InstalledVersion"`
	FixedVersion     string          `json:"FixedVersion"`
	Status           string          `json:"Status"`
	SeveritySource   string          `json:"SeveritySource"`
	PrimaryURL       string          `json:"PrimaryURL"`
	Title            string          `json:"Title"`
	Description      string          `json:"Description"`
	Severity         string          `json:"Severity"`
	CweIDs           []string        `json:"CweIDs"`
	CVSS             map[string]cvss `json:"CVSS"`
	References       []string        `json:"References"`
}

type misconfiguration struct {
	Type          string   `json:"Type"`
	ID            string   `json:"ID"`
	AVDID         string   `json:"AVDID"`
	Title         string   `json:"Title"`
	Description   string   `json:"Description"`
	Message       string   `json:"Message"`
	Resolution    string   `json:"Resolution"`
	Severity      string   `json:"Severity"`
	PrimaryURL    string   `json:"PrimaryURL"`
	References    []string `json:"References"`
	Status        string   `json:"Status"`
	CauseMetadata struct {
		Resource  string `json:"Resource"`
		StartLine int    `json:"StartLine"`
	} `json:"CauseMetadata"`
}

// checkID is a misconfiguration's rule id, the same in every Trivy version:
// its AVD id ("AVD-KSV-0001"). Trivy wrote the check's own id beside it
// ("KSV001", "DS002", tfsec's "s3-bucket-logging", or the AVD id again);
// since 0.6x (2026) it writes only "ID", the AVD id without its "AVD-"
// prefix ("KSV-0001", "AWS-0089"), which is put back. A re-scan with
// another Trivy version so names the same check, and its findings match.
func checkID(m misconfiguration) string {
	if m.AVDID != "" {
		return m.AVDID
	}
	if isAVDSuffix(m.ID) {
		return "AVD-" + m.ID
	}
	return m.ID
}

// isAVDSuffix reports whether id is "PROVIDER-NNNN" (upper-case letters or
// digits, a dash, four or more digits), an AVD id without "AVD-".
func isAVDSuffix(id string) bool {
	p, n, ok := strings.Cut(id, "-")
	if !ok || p == "" || p == "AVD" || len(n) < 4 || strings.Trim(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != "" {
		return false
	}
	return strings.Trim(n, "0123456789") == ""
}

type secret struct {
	RuleID    string `json:"RuleID"`
	Category  string `json:"Category"`
	Severity  string `json:"Severity"`
	Title     string `json:"Title"`
	StartLine int    `json:"StartLine"`
	Match     string `json:"Match"`
}

type license struct {
	Severity   string  `json:"Severity"`
	Category   string  `json:"Category"`
	PkgName    string  `json:"PkgName"`
	FilePath   string  `json:"FilePath"`
	Name       string  `json:"Name"`
	Confidence float64 `json:"Confidence"`
	Link       string  `json:"Link"`
}

type result struct {
	Target            string             `json:"Target"`
	Class             string             `json:"Class"`
	Type              string             `json:"Type"`
	Vulnerabilities   []vulnerability    `json:"Vulnerabilities"`
	Misconfigurations []misconfiguration `json:"Misconfigurations"`
	Secrets           []secret           `json:"Secrets"`
	Licenses          []license          `json:"Licenses"`
}

// resource is a Kubernetes workload and its results.
type resource struct {
	Namespace string   `json:"Namespace"`
	Kind      string   `json:"Kind"`
	Name      string   `json:"Name"`
	Results   []result `json:"Results"`
}

func (r resource) prefix() string {
	var parts []string
	for _, p := range []string{r.Namespace, r.Kind, r.Name} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, "/")
}

// Parse streams the findings of a Trivy JSON report.
func Parse(r io.Reader, name string, emit func(findings.Finding) error) error {
	dec := reportio.NewJSONDecoder(r, name)
	delim, empty, err := dec.Begin()
	if err != nil || empty {
		return err
	}
	eachResult := func(field, prefix string) error {
		var res result
		if err := dec.Decode(&res, field); err != nil {
			return err
		}
		return emitResult(res, prefix, emit)
	}
	if delim == '[' { // legacy: a list of results
		for dec.More() {
			if err := eachResult("[]", ""); err != nil {
				return err
			}
		}
		return dec.End()
	}
	known := false
	err = dec.Object(func(key string) error {
		switch key {
		case "SchemaVersion", "ClusterName", "ArtifactName":
			known = true
			return dec.Skip()
		case "Results":
			known = true
			return dec.Array("Results", func() error { return eachResult("Results[]", "") })
		case "Resources", "Vulnerabilities", "Misconfigurations":
			known = true
			return reportio.DecodeElements(dec, key, func(res resource) error {
				for _, rr := range res.Results {
					if err := emitResult(rr, res.prefix(), emit); err != nil {
						return err
					}
				}
				return nil
			})
		}
		return dec.Skip()
	})
	return dec.Known(known, err, "no SchemaVersion, Results or ClusterName: not a Trivy report")
}

func emitResult(res result, prefix string, emit func(findings.Finding) error) error {
	target := res.Target
	if prefix != "" {
		target = prefix + ": " + target
	}
	for _, v := range res.Vulnerabilities {
		if strings.EqualFold(v.Status, "not_affected") {
			continue
		}
		f := vulnFinding(v, target)
		if err := emit(f); err != nil {
			return err
		}
	}
	for _, m := range res.Misconfigurations {
		if m.Status != "" && !strings.EqualFold(m.Status, "FAIL") {
			continue
		}
		f := findings.Finding{
			Title:       m.Title,
			Severity:    findings.SeverityOrInfo(m.Severity),
			RuleID:      checkID(m),
			Description: reportio.Paragraphs(m.Description, m.Message),
			Mitigation:  m.Resolution,
			References:  append([]string{m.PrimaryURL}, m.References...),
			Locations:   []findings.Location{{File: res.Target, Line: m.CauseMetadata.StartLine}},
		}
		if m.ID != "" && m.ID != f.RuleID {
			f.Description = reportio.Paragraphs(f.Description, "Trivy check ID: "+m.ID)
		}
		if prefix != "" {
			f.Description = reportio.Paragraphs(f.Description, "Resource: "+prefix)
		}
		if m.CauseMetadata.Resource != "" {
			f.Description = reportio.Paragraphs(f.Description, "Cause: "+m.CauseMetadata.Resource)
		}
		f.Normalize()
		if err := emit(f); err != nil {
			return err
		}
	}
	for _, s := range res.Secrets {
		f := findings.Finding{
			Title:       s.Title,
			Severity:    findings.SeverityOrInfo(s.Severity),
			RuleID:      s.RuleID,
			Description: reportio.Paragraphs("Secret of category "+s.Category+" found in "+target+".", "Match: "+s.Match),
			Mitigation:  "Remove the secret from the file and its history, and revoke it.",
			Locations:   []findings.Location{{File: res.Target, Line: s.StartLine}},
		}
		f.CWEs = []int{798} // use of hard-coded credentials
		f.Normalize()
		if err := emit(f); err != nil {
			return err
		}
	}
	for _, l := range res.Licenses {
		// A package's license (class license) names the package; a
		// license found in a file (class license-file) only the file.
		what, subject := "Package", l.PkgName
		if subject == "" {
			what, subject = "File", cmp.Or(l.FilePath, res.Target)
		}
		f := findings.Finding{
			Title:       fmt.Sprintf("License %s (%s) in %s", l.Name, l.Category, subject),
			Severity:    findings.SeverityOrInfo(l.Severity),
			RuleID:      "license:" + l.Name,
			Description: fmt.Sprintf("%s %s is under the %s license, of category %s.", what, subject, l.Name, l.Category),
			Component:   findings.Component{Name: l.PkgName},
			References:  []string{l.Link},
			Locations:   []findings.Location{{File: cmp.Or(l.FilePath, res.Target)}},
		}
		f.Normalize()
		if err := emit(f); err != nil {
			return err
		}
	}
	return nil
}

func vulnFinding(v vulnerability, target string) findings.Finding {
	f := findings.Finding{
		Title:            v.Title,
		Severity:         findings.SeverityOrInfo(v.Severity), // CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN
		RuleID:           v.VulnerabilityID,
		VulnerabilityIDs: append([]string{v.VulnerabilityID}, v.VendorIDs...),
		Component:        findings.Component{Name: v.PkgName, Version: v.InstalledVersion, PURL: v.PkgIdentifier.PURL},
		Description:      v.Description,
		References:       append([]string{v.PrimaryURL}, v.References...),
		Locations:        []findings.Location{{File: cmp.Or(v.PkgPath, target)}},
	}
	switch {
	case f.Title == "" && v.VulnerabilityID == "":
		f.Title = "Unidentified vulnerability in " + v.PkgName
	case f.Title == "":
		f.Title = v.PkgName + ": " + v.VulnerabilityID
	default:
		f.Title = v.PkgName + ": " + f.Title
	}
	for _, fv := range strings.Split(v.FixedVersion, ",") {
		f.FixedVersions = append(f.FixedVersions, strings.TrimSpace(fv))
	}
	if fv := v.FixedVersion; fv != "" {
		f.Mitigation = reportio.Upgrade(v.PkgName, fv)
	}
	if why, ok := statusText[strings.ToLower(v.Status)]; ok {
		f.Description = reportio.Paragraphs(f.Description, "Status: "+v.Status+" ("+why+").")
	}
	f.CWEs = append(f.CWEs, reportio.CWEs(v.CweIDs)...)
	if c, ok := pickCVSS(v); ok {
		f.CVSS = findings.CVSS{V3Vector: c.V3Vector, V3Score: c.V3Score, V4Vector: c.V40Vector, V4Score: c.V40Score}
	}
	f.Normalize()
	return f
}

// statusText says what the vendor's Status means when it is more than
// "affected" or "fixed" (Trivy's types.Status; not_affected is skipped).
var statusText = map[string]string{
	"will_not_fix":        "the vendor will not fix it",
	"fix_deferred":        "the vendor deferred the fix",
	"end_of_life":         "the package is end of life: no fix will come",
	"under_investigation": "the vendor is investigating",
}

// pickCVSS prefers the source Trivy took the severity from, then NVD,
// then the first other source by name.
func pickCVSS(v vulnerability) (cvss, bool) {
	order := []string{v.SeveritySource, "nvd"}
	rest := make([]string, 0, len(v.CVSS))
	for k := range v.CVSS {
		rest = append(rest, k)
	}
	sort.Strings(rest)
	for _, k := range append(order, rest...) {
		if c, ok := v.CVSS[k]; ok && (c.V3Vector != "" || c.V3Score != nil || c.V40Vector != "" || c.V40Score != nil) {
			return c, true
		}
	}
	return cvss{}, false
}
