// Package npmaudit parses `npm audit --json` output: the npm 6 format
// ({"advisories": {id: advisory}}) and the npm 7+ format
// ({"auditReportVersion": 2, "vulnerabilities": {package: …}}).
//
// npm 6: one finding per advisory and installed version, with the
// dependency paths as locations. npm 7+: one finding per advisory (each
// object in a package's "via"; string entries only say the package is
// affected through a dependency, which has its own entry), with the
// package's node_modules paths as locations. Severity moderate → medium.
// An npm error report ({"error": {"code": …}}) is an error, not an empty
// audit: importing it would close every open finding.
package npmaudit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/scanners/reportio"
)

// Name is the format's registry name.
const Name = "npm-audit"

// DetectRule describes Detect.
const DetectRule = `JSON object with "auditReportVersion" (npm 7+); or with "advisories" and "actions"/"muted" keys, or "actions" whose entries have "resolves" (npm 6); or an npm error object mentioning audit`

// Detect reports whether head is npm audit JSON.
func Detect(h *reportio.Head) bool {
	if h.Start() != '{' {
		return false
	}
	if h.JSON().Has("auditReportVersion") {
		return true
	}
	switch {
	case h.JSON().Has("advisories") && (h.JSON().Has("actions") || h.JSON().Has("muted")):
		return true
	case h.JSON().Has("actions") && h.JSON().Has("resolves"):
		return true
	}
	// npm's error report: {"error": {"code": "ENOAUDIT", "summary": …}}
	return h.JSON().Has("error") && h.JSON().Has("summary") && bytes.Contains(bytes.ToLower(h.Bytes()), []byte("audit"))
}

type advisoryV6 struct {
	ID               json.Number `json:"id"`
	Title            string      `json:"title"`
	Module           string      `json:"module_name"`
	CVEs             []string    `json:"cves"`
	Patched          string      `json:"patched_versions"`
	Overview         string      `json:"overview"`
	Recommendation   string      `json:"recommendation"`
	References       string      `json:"references"`
	Severity         string      `json:"severity"`
	CWE              any         `json:"cwe"`
	URL              string      `json:"url"`
	GitHubAdvisoryID string      `json:"github_advisory_id"`
	Findings         []struct {
		Version string   `json:"version"`
		Paths   []string `json:"paths"`
	} `json:"findings"`
}

type via struct {
	Source   json.Number `json:"source"`
	Name     string      `json:"name"`
	Title    string      `json:"title"`
	URL      string      `json:"url"`
	Severity string      `json:"severity"`
	CWE      []string    `json:"cwe"`
	CVSS     struct {
		Score        *float64 `json:"score"`
		VectorString *string  `json:"vectorString"`
	} `json:"cvss"`
	Range string `json:"range"`
}

type vulnV7 struct {
	Name         string            `json:"name"`
	Severity     string            `json:"severity"`
	Via          []json.RawMessage `json:"via"`
	Range        string            `json:"range"`
	Nodes        []string          `json:"nodes"`
	FixAvailable json.RawMessage   `json:"fixAvailable"`
}

// Parse streams the findings of npm audit JSON output.
func Parse(r io.Reader, name string, emit func(findings.Finding) error) error {
	dec := reportio.NewJSONDecoder(r, name)
	delim, empty, err := dec.Begin()
	if err != nil || empty {
		return err
	}
	if delim != '{' {
		return reportio.NotReport(name, dec.Offset(), "npm audit output must be a JSON object")
	}
	known := false
	err = dec.Object(func(key string) error {
		switch key {
		case "error":
			var e struct {
				Code    string `json:"code"`
				Summary string `json:"summary"`
			}
			if err := dec.Decode(&e, "error"); err != nil {
				return err
			}
			return &reportio.ParseError{File: name, Offset: dec.Offset(), Field: "error", Err: fmt.Errorf("npm audit failed (%s): %s", e.Code, e.Summary)}
		case "advisories":
			known = true
			if err := dec.ExpectObject("advisories"); err != nil {
				return err
			}
			return dec.Object(func(id string) error {
				var a advisoryV6
				if err := dec.Decode(&a, "advisories."+id); err != nil {
					return err
				}
				for _, f := range a.findings() {
					if err := emit(f); err != nil {
						return err
					}
				}
				return nil
			})
		case "vulnerabilities":
			known = true
			if err := dec.ExpectObject("vulnerabilities"); err != nil {
				return err
			}
			return dec.Object(func(pkg string) error {
				var v vulnV7
				if err := dec.Decode(&v, "vulnerabilities."+pkg); err != nil {
					return err
				}
				for _, f := range v.findings() {
					if err := emit(f); err != nil {
						return err
					}
				}
				return nil
			})
		case "auditReportVersion":
			known = true
		}
		return dec.Skip()
	})
	if err != nil {
		return err
	}
	if !known {
		return reportio.NotReport(name, dec.Offset(), `no "advisories" or "vulnerabilities": not npm audit output`)
	}
	return nil
}

func (a advisoryV6) findings() []findings.Finding {
	var out []findings.Finding
	for _, fd := range a.Findings {
		title := a.Title
		if !strings.Contains(strings.ToLower(title), strings.ToLower(a.Module)) {
			title += " in " + a.Module
		}
		f := findings.Finding{
			Title:            title,
			Severity:         severity(a.Severity),
			RuleID:           "npm:" + a.ID.String(),
			UniqueID:         a.ID.String(),
			VulnerabilityIDs: append([]string{a.GitHubAdvisoryID}, a.CVEs...),
			Component:        findings.Component{Name: a.Module, Version: fd.Version, PURL: purl(a.Module, fd.Version)},
			Description:      a.Overview,
			Mitigation:       a.Recommendation,
			References:       append([]string{a.URL}, reportio.URLs(a.References)...),
		}
		if a.Patched != "" {
			f.FixedVersions = []string{a.Patched}
		}
		switch c := a.CWE.(type) {
		case string:
			f.CWEs = findings.CWEsIn(c)
		case []any:
			for _, x := range c {
				if s, ok := x.(string); ok {
					f.CWEs = append(f.CWEs, findings.CWEsIn(s)...)
				}
			}
		}
		for _, p := range fd.Paths {
			f.Locations = append(f.Locations, findings.Location{File: p})
		}
		f.Normalize()
		out = append(out, f)
	}
	return out
}

func (v vulnV7) findings() []findings.Finding {
	var out []findings.Finding
	for _, raw := range v.Via {
		var vi via
		if json.Unmarshal(raw, &vi) != nil || vi.Title == "" {
			continue // a package name: affected through that dependency
		}
		f := findings.Finding{
			Title:            vi.Title,
			Severity:         severity(vi.Severity),
			RuleID:           "npm:" + vi.Source.String(),
			UniqueID:         vi.Source.String(),
			VulnerabilityIDs: findings.VulnIDsIn(vi.URL),
			Component:        findings.Component{Name: firstNonEmpty(vi.Name, v.Name)},
			Description:      fmt.Sprintf("%s versions %s are affected.", firstNonEmpty(vi.Name, v.Name), vi.Range),
			References:       []string{vi.URL},
		}
		f.CVSS.V3Score = vi.CVSS.Score
		if vi.CVSS.VectorString != nil {
			f.CVSS.V3Vector = *vi.CVSS.VectorString
		}
		if f.CVSS.V3Score != nil && *f.CVSS.V3Score == 0 && f.CVSS.V3Vector == "" {
			f.CVSS.V3Score = nil // npm writes 0 for "no score"
		}
		for _, c := range vi.CWE {
			f.CWEs = append(f.CWEs, findings.CWEsIn(c)...)
		}
		for _, n := range v.Nodes {
			f.Locations = append(f.Locations, findings.Location{File: n})
		}
		if fix := fixText(v.FixAvailable); fix != "" {
			f.Mitigation = fix
		}
		f.Normalize()
		out = append(out, f)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].UniqueID < out[j].UniqueID })
	return out
}

// fixText describes npm's fixAvailable: true, false or {name, version,
// isSemVerMajor}.
func fixText(raw json.RawMessage) string {
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		if b {
			return "Run `npm audit fix`."
		}
		return ""
	}
	var fx struct {
		Name          string `json:"name"`
		Version       string `json:"version"`
		IsSemVerMajor bool   `json:"isSemVerMajor"`
	}
	if json.Unmarshal(raw, &fx) != nil || fx.Name == "" {
		return ""
	}
	s := "Upgrade " + fx.Name + " to " + fx.Version
	if fx.IsSemVerMajor {
		s += " (a semver-major change: `npm audit fix --force`)"
	}
	return s + "."
}

func severity(s string) findings.Severity {
	if strings.EqualFold(s, "moderate") {
		return findings.Medium
	}
	return findings.SeverityOrInfo(s)
}

func purl(name, version string) string {
	if name == "" || version == "" {
		return ""
	}
	n := name
	if strings.HasPrefix(n, "@") {
		n = "%40" + n[1:]
	}
	return "pkg:npm/" + n + "@" + version
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
