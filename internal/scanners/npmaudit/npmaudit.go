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
	"cmp"
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

// Format describes the output of npm audit --json to the registry.
var Format = reportio.Format{
	Name:        Name,
	Aliases:     []string{"npm"},
	Description: "npm audit --json (npm 6 and npm 7+)",
	DetectRule:  `JSON object with "auditReportVersion" (npm 7+); or with "advisories" and "actions"/"muted" keys, or "actions" whose entries have "resolves" (npm 6); or an npm error object mentioning audit`,
	Detect:      Detect,
	Parse:       Parse,
}

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
	// npm's error report: {"error": {"code": "ENOAUDIT", "summary": …,
	// "detail": …}} (npm 7–10), and npm 11's, whose error object may carry
	// only "code" and "message" or "detail": the document is nothing but
	// the error.
	k := h.JSONObject()
	if k == nil || k.TopKind("error") != '{' {
		return false
	}
	if k.Has("summary") && bytes.Contains(bytes.ToLower(h.Bytes()), []byte("audit")) {
		return true
	}
	for key := range k.Top {
		if key != "error" && key != "message" && key != "code" {
			return false
		}
	}
	return k.HasPath("error.code") && (k.HasPath("error.summary") || k.HasPath("error.detail") || k.HasPath("error.message"))
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
	// CVSS is written by the npm 6 registry's audit endpoint since the
	// advisories moved to the GitHub Advisory Database (2021).
	CVSS     cvss `json:"cvss"`
	Findings []struct {
		Version string   `json:"version"`
		Paths   []string `json:"paths"`
	} `json:"findings"`
}

type via struct {
	Source   json.Number `json:"source"`
	ID       json.Number `json:"id"` // npm 7.0–7.x wrote "id" where later versions write "source"
	Name     string      `json:"name"`
	Title    string      `json:"title"`
	URL      string      `json:"url"`
	Severity string      `json:"severity"`
	CWE      []string    `json:"cwe"`
	CVSS     cvss        `json:"cvss"`
	Range    string      `json:"range"`
}

// cvss is an advisory's {"score", "vectorString"}, the same in npm 6's
// advisories and npm 7+'s via objects.
type cvss struct {
	Score        *float64 `json:"score"`
	VectorString *string  `json:"vectorString"`
}

// apply sets f's CVSS v3 vector and score; npm writes a score of 0 and no
// vector for "no score".
func (c cvss) apply(f *findings.Finding) {
	f.CVSS.V3Score = c.Score
	if c.VectorString != nil {
		f.CVSS.V3Vector = *c.VectorString
	}
	if f.CVSS.V3Score != nil && *f.CVSS.V3Score == 0 && f.CVSS.V3Vector == "" {
		f.CVSS.V3Score = nil
	}
}

type vulnV7 struct {
	Name         string            `json:"name"`
	Severity     string            `json:"severity"`
	Via          []json.RawMessage `json:"via"`
	Range        string            `json:"range"`
	Nodes        []string          `json:"nodes"`
	Effects      []string          `json:"effects"`
	FixAvailable json.RawMessage   `json:"fixAvailable"`
}

// maxPaths bounds the dependency paths kept per finding.
const maxPaths = 20

// dependencyPaths walks npm 7+'s "effects" (the packages that depend on
// a vulnerable one) up to the packages nothing else lists, and returns the
// chains root first: "a > b > name".
func dependencyPaths(all *reportio.Ordered[string, *vulnV7], name string) []string {
	var out []string
	var walk func(n string, chain []string, seen map[string]bool)
	walk = func(n string, chain []string, seen map[string]bool) {
		if len(out) >= maxPaths {
			return
		}
		chain = append([]string{n}, chain...)
		v, _ := all.Get(n)
		var up []string
		if v != nil {
			for _, e := range v.Effects {
				if !seen[e] && len(chain) < 32 {
					up = append(up, e)
				}
			}
		}
		if len(up) == 0 {
			if len(chain) > 1 {
				out = append(out, strings.Join(chain, " > "))
			}
			return
		}
		seen[n] = true
		for _, e := range up {
			walk(e, chain, seen)
		}
		delete(seen, n)
	}
	walk(name, nil, map[string]bool{})
	sort.Strings(out)
	return out
}

// Parse streams the findings of npm audit JSON output.
func Parse(r io.Reader, name string, emit func(findings.Finding) error) error {
	dec := reportio.NewJSONDecoder(r, name)
	if empty, err := dec.BeginObject("npm audit output must be a JSON object"); err != nil || empty {
		return err
	}
	known := false
	listed := -1 // npm 7+: the entries of "vulnerabilities"
	var meta struct {
		// npm 7+ counts the entries of "vulnerabilities" by severity and
		// in total (arborist's AuditReport.toJSON); npm 6's counts are of
		// advisory paths and have no total.
		Vulnerabilities struct {
			Total *int `json:"total"`
		} `json:"vulnerabilities"`
	}
	var metaAt int64
	err := dec.Object(func(key string) error {
		switch key {
		case "metadata":
			metaAt = dec.Offset()
			return dec.Decode(&meta, "metadata")
		case "error":
			var e struct {
				Code    string `json:"code"`
				Summary string `json:"summary"`
				Detail  string `json:"detail"`
				Message string `json:"message"`
			}
			if err := dec.Decode(&e, "error"); err != nil {
				return err
			}
			if e.Summary == "" {
				e.Summary = strings.TrimSpace(cmp.Or(e.Message, e.Detail))
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
			// The dependency paths need every package's "effects", so the
			// section (one entry per vulnerable package) is read whole.
			var all reportio.Ordered[string, *vulnV7]
			listed = 0
			err := dec.Object(func(pkg string) error {
				listed++
				var v vulnV7
				if err := dec.Decode(&v, "vulnerabilities."+pkg); err != nil {
					return err
				}
				if v.Name == "" {
					v.Name = pkg
				}
				all.Set(pkg, &v)
				return nil
			})
			if err != nil {
				return err
			}
			return all.Each(func(_ string, v *vulnV7) error {
				for _, f := range v.findings(&all) {
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
	if err := dec.Known(known, err, `no "advisories" or "vulnerabilities": not npm audit output`); err != nil {
		return err
	}
	if t := meta.Vulnerabilities.Total; t != nil && listed >= 0 && *t > listed {
		return reportio.IncompleteAt(name, metaAt, "metadata.vulnerabilities.total", "npm audit counted %d vulnerable packages, the file lists %d: the report is incomplete", *t, listed)
	}
	return nil
}

// findings gives one finding per installed version. npm 6 may list one
// version in several "findings" entries (they differ in the dev, optional
// and bundled flags: DefectDojo's npm_audit/multiple_cwes2.json has lodash
// 4.17.19 in four): their paths are one finding's locations, else the
// importer keeps the first entry's paths only (same fingerprint).
func (a advisoryV6) findings() []findings.Finding {
	var out []findings.Finding
	at := map[string]int{} // version → index in out
	for _, fd := range a.Findings {
		if i, ok := at[fd.Version]; ok {
			addPaths(&out[i], fd.Paths)
			out[i].Normalize()
			continue
		}
		f := findings.Finding{
			Title:            titleIn(a.Title, a.Module),
			Severity:         findings.SeverityOrInfo(a.Severity), // info, low, moderate, high, critical
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
		a.CVSS.apply(&f)
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
		addPaths(&f, fd.Paths)
		f.Normalize()
		at[fd.Version] = len(out)
		out = append(out, f)
	}
	return out
}

// addPaths adds npm 6 dependency paths ("a>b>c") as locations and (up to
// maxPaths) as dependency paths.
func addPaths(f *findings.Finding, paths []string) {
	for _, p := range paths {
		f.Locations = append(f.Locations, findings.Location{File: p})
		if len(f.DependencyPaths) < maxPaths {
			f.DependencyPaths = append(f.DependencyPaths, strings.Join(strings.Split(p, ">"), " > "))
		}
	}
}

func (v vulnV7) findings(all *reportio.Ordered[string, *vulnV7]) []findings.Finding {
	var out []findings.Finding
	paths := dependencyPaths(all, v.Name)
	for _, raw := range v.Via {
		var vi via
		if len(raw) == 0 || raw[0] != '{' || json.Unmarshal(raw, &vi) != nil {
			continue // a package name: affected through that dependency
		}
		// The advisory's identity is always part of the finding (and so of
		// its fingerprint): npm's advisory number ("source", or "id" in
		// npm 7.0 reports), else the advisory URL, else its title — two
		// advisories of one package never collapse into one finding.
		ident := vi.Source.String()
		if ident == "" {
			ident = vi.ID.String()
		}
		if ident == "" {
			ident = advisoryFromURL(vi.URL)
		}
		if ident == "" {
			ident = vi.Title
		}
		if vi.Title == "" { // an advisory without a title is still an advisory
			vi.Title = "Advisory " + ident + " in " + cmp.Or(vi.Name, v.Name)
		}
		f := findings.Finding{
			Title:            titleIn(vi.Title, cmp.Or(vi.Name, v.Name)),
			Severity:         findings.SeverityOrInfo(vi.Severity),
			RuleID:           "npm:" + ident,
			UniqueID:         ident,
			VulnerabilityIDs: findings.VulnIDsIn(vi.URL),
			DependencyPaths:  paths,
			Component:        findings.Component{Name: cmp.Or(vi.Name, v.Name)},
			Description:      fmt.Sprintf("%s versions %s are affected.", cmp.Or(vi.Name, v.Name), vi.Range),
			References:       []string{vi.URL},
		}
		vi.CVSS.apply(&f)
		f.CWEs = append(f.CWEs, reportio.CWEsIn(vi.CWE)...)
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

// titleIn is an advisory's title naming its package: npm's titles often
// name only the flaw ("Prototype Pollution").
func titleIn(title, pkg string) string {
	if pkg != "" && !strings.Contains(strings.ToLower(title), strings.ToLower(pkg)) {
		return title + " in " + pkg
	}
	return title
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

// advisoryFromURL is the last path element of an advisory URL
// ("https://npmjs.com/advisories/1179" gives "1179"; a GitHub advisory
// URL its GHSA id).
func advisoryFromURL(u string) string {
	u = strings.TrimRight(strings.TrimSpace(u), "/")
	if i := strings.LastIndexByte(u, '/'); i >= 0 && i < len(u)-1 {
		return u[i+1:]
	}
	return ""
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
