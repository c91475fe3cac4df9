package gitlabdast

// GitLab SAST, secret detection, dependency scanning and container
// scanning reports (gl-sast-report.json, gl-secret-detection-report.json,
// gl-dependency-scanning-report.json, gl-container-scanning-report.json):
// the GitLab security report schema's sast, secret_detection,
// dependency_scanning and container_scanning report types, versions 2 to
// 15, written by GitLab's analyzers (Semgrep-based SAST, SpotBugs,
// Gitleaks-based secret detection, Gemnasium, Trivy-based container
// scanning), `semgrep --gitlab-sast` / `--gitlab-secrets` and other tools
// that export for GitLab (Checkov, Fortify fcli, …).
//
// One finding per vulnerability (the schema lists one per code location):
// rule id the first identifier that is not a CWE, CVE, WASC or OWASP id (the
// schema's primary identifier comes first: semgrep_id, gitleaks_rule_id,
// find_sec_bugs_type, …), CWEs and CVEs from the identifiers, severity as
// written (Unknown and Undefined → info), the file and start line as
// location (dependency scanning: the package and version as component and
// the lock file as location; container scanning: the package and version
// as component and the image as location, its operating system in the
// description), solution as mitigation, links and identifier URLs as
// references, the vulnerability id (schema 2: the "cve" compare key) as
// unique id, the scan's scanner name (else the vulnerability's, schemas up
// to 14) as tool. The confidence (up to schema 14), class and method, the
// commit of a secret and GitLab's "likely false positive" flags are stated
// in the description; raw_source_code_extract is not kept (for a secret it
// is the secret).

import (
	"cmp"
	"io"
	"regexp"
	"strings"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/scanners/reportio"
)

// NameSAST is the SAST format's registry name.
const NameSAST = "gitlab-sast"

// FormatSAST describes the GitLab SAST and secret detection JSON reports.
var FormatSAST = reportio.Format{
	Name:        NameSAST,
	Aliases:     []string{"gitlab-sast-json", "gitlab-secret-detection", "gitlab-dependency-scanning", "gitlab-container-scanning"},
	Description: "GitLab SAST, secret detection, dependency scanning and container scanning JSON report (security report schema v2–v15; GitLab analyzers, semgrep --gitlab-sast/--gitlab-secrets, other exporters)",
	DetectRule:  `JSON object with "vulnerabilities" and "scan" ("scan" may be past the head: GitLab writes it last; schemas before 15 may have none: then vulnerabilities with "identifiers" and "location", or none and "version" and "remediations") (no "scan.scanned_resources", no location "hostname": those are DAST) whose vulnerabilities' locations have "file", "image" or "dependency", or whose scan type is "sast", "secret_detection", "dependency_scanning" or "container_scanning" (keys in any order)`,
	Detect:      DetectSAST,
	Parse:       ParseSAST,
}

var sastType = regexp.MustCompile(`"type"\s*:\s*"(sast|secret_detection|dependency_scanning|container_scanning)"`)

// DetectSAST reports whether head is a GitLab SAST, secret detection,
// dependency scanning or container scanning report.
func DetectSAST(h *reportio.Head) bool {
	k := h.JSONObject()
	if !gitlabReport(k) || k.HasPath("vulnerabilities[].location.hostname") || k.HasPath("scan.scanned_resources") {
		return false
	}
	return k.HasPath("vulnerabilities[].location.file") || k.HasPath("vulnerabilities[].location.image") || k.HasPath("vulnerabilities[].location.dependency") ||
		(!k.HasPathPrefix("vulnerabilities[]") && (sastType.Match(h.Bytes()) || !k.HasTop("scan") && k.HasTop("version") && k.HasTop("remediations")))
}

type sastVulnerability struct {
	ID          string       `json:"id"`
	Category    string       `json:"category"` // the report type, schemas up to 14
	CVE         string       `json:"cve"`      // schema 2: a compare key, not a CVE
	Name        string       `json:"name"`
	Message     string       `json:"message"`
	Description string       `json:"description"`
	Severity    string       `json:"severity"`
	Confidence  string       `json:"confidence"`
	Solution    string       `json:"solution"`
	Identifiers []identifier `json:"identifiers"`
	Links       []struct {
		URL string `json:"url"`
	} `json:"links"`
	Scanner struct {
		Name string `json:"name"`
	} `json:"scanner"`
	Location struct {
		File      string `json:"file"`
		StartLine int    `json:"start_line"`
		Class     string `json:"class"`
		Method    string `json:"method"`
		Commit    struct {
			SHA string `json:"sha"`
		} `json:"commit"`
		// Dependency and container scanning: the vulnerable package.
		Dependency struct {
			Package struct {
				Name string `json:"name"`
			} `json:"package"`
			Version string `json:"version"`
			Direct  *bool  `json:"direct"`
		} `json:"dependency"`
		Image           string `json:"image"`
		OperatingSystem string `json:"operating_system"`
	} `json:"location"`
	Flags []struct {
		Type        string `json:"type"`
		Origin      string `json:"origin"`
		Description string `json:"description"`
	} `json:"flags"`
}

// sastHint names the format a GitLab report of scan type t is read as.
func sastHint(t string) string {
	switch t {
	case "sast", "secret_detection", "dependency_scanning", "container_scanning":
		return ": read it as " + NameSAST
	}
	return ""
}

// ParseSAST reads a GitLab SAST, secret detection, dependency scanning or
// container scanning report. GitLab's
// analyzers write "scan" after "vulnerabilities": findings wait for it,
// packed (pendingFindings; the scanner's name is their tool, its type says
// the report is of this kind); when "scan" comes first they are streamed.
func ParseSAST(r io.Reader, name string, emit func(findings.Finding) error) error {
	dec := reportio.NewJSONDecoder(r, name)
	if empty, err := dec.BeginObject("a GitLab SAST report is a JSON object"); err != nil || empty {
		return err
	}
	var sc scan
	seenScan, seenVulns := false, false
	i := 0 // vulnerabilities read
	var pending pendingFindings
	out := func(f findings.Finding) error {
		if f.Tool == "" {
			f.Tool = strings.TrimSpace(sc.Scanner.Name)
		}
		f.Normalize()
		return emit(f)
	}
	err := dec.Object(func(key string) error {
		switch key {
		case "scan":
			if err := dec.Decode(&sc, "scan"); err != nil {
				return err
			}
			seenScan, sc.at = true, dec.Offset()
			return checkType(NameSAST, name, dec.Offset(), "scan.type", sc.Type)
		case "vulnerabilities":
			seenVulns = true
			return reportio.DecodeElements(dec, "vulnerabilities", func(v sastVulnerability) error {
				i++
				if err := checkCategory(NameSAST, name, dec.Offset(), i-1, v.Category); err != nil {
					return err
				}
				f := v.finding()
				if seenScan {
					return out(f)
				}
				pending.add(f)
				return nil
			})
		}
		return dec.Skip()
	})
	if err := dec.Known(seenVulns, err, `no "vulnerabilities": not a GitLab security report`); err != nil {
		return err
	}
	if err := pending.each(out); err != nil {
		return err
	}
	return sc.failed(name)
}

// finding converts a vulnerability; the tool is the vulnerability's
// scanner (schemas up to 14), else the scan's, set when it is known.
func (v sastVulnerability) finding() findings.Finding {
	f := findings.Finding{
		Tool:       strings.TrimSpace(v.Scanner.Name),
		Severity:   findings.SeverityOrInfo(v.Severity),
		UniqueID:   strings.TrimSpace(v.ID),
		Mitigation: reportio.PlainText(v.Solution),
	}
	if f.UniqueID == "" {
		f.UniqueID = strings.TrimSpace(v.CVE)
	}
	identify(&f, v.Identifiers)
	f.Title = strings.TrimSpace(v.Name)
	if f.Title == "" {
		f.Title = reportio.FirstLine(v.Message)
	}
	if f.Title == "" {
		f.Title = reportio.FirstLine(reportio.PlainText(v.Description))
	}
	if f.Title == "" && len(v.Identifiers) > 0 {
		f.Title = strings.TrimSpace(v.Identifiers[0].Name)
	}
	desc := []string{reportio.PlainText(v.Description)}
	if desc[0] == "" {
		desc[0] = reportio.PlainText(v.Message)
	}
	l := v.Location
	if c := strings.TrimSpace(v.Confidence); c != "" {
		desc = append(desc, "Confidence: "+strings.ToLower(c))
	}
	if in := strings.Trim(strings.TrimSpace(l.Class)+"."+strings.TrimSpace(l.Method), "."); in != "" {
		desc = append(desc, "In: "+in)
	}
	if sha := strings.TrimSpace(l.Commit.SHA); sha != "" {
		desc = append(desc, "Commit: "+sha)
	}
	if pkg := strings.TrimSpace(l.Dependency.Package.Name); pkg != "" {
		f.Component = findings.Component{Name: pkg, Version: strings.TrimSpace(l.Dependency.Version)}
		if d := l.Dependency.Direct; d != nil {
			desc = append(desc, map[bool]string{true: "Direct dependency", false: "Transitive dependency"}[*d])
		}
	}
	if img := strings.TrimSpace(l.Image); img != "" {
		desc = append(desc, "Image: "+img)
	}
	if osName := strings.TrimSpace(l.OperatingSystem); osName != "" {
		desc = append(desc, "Operating system: "+osName)
	}
	for _, fl := range v.Flags {
		if strings.TrimSpace(fl.Type) == "flagged-as-likely-false-positive" {
			note := "GitLab flagged this as a likely false positive"
			if o := strings.TrimSpace(fl.Origin); o != "" {
				note += " (" + o + ")"
			}
			if d := strings.TrimSpace(fl.Description); d != "" {
				note += ": " + d
			}
			desc = append(desc, note)
		}
	}
	f.Description = strings.Join(desc, "\n\n")
	for _, lk := range v.Links {
		f.References = append(f.References, strings.TrimSpace(lk.URL))
	}
	for _, id := range v.Identifiers {
		f.References = append(f.References, strings.TrimSpace(id.URL))
	}
	if file := cmp.Or(strings.TrimSpace(l.File), strings.TrimSpace(l.Image)); file != "" || l.StartLine > 0 {
		f.Locations = []findings.Location{{File: file, Line: l.StartLine}} // a container's image, as Trivy's target
	}
	return f
}
