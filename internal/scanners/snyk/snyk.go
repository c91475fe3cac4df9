// Package snyk parses Snyk CLI JSON output (`snyk test --json`, `snyk
// container test --json`): one project object, or an array of them with
// --all-projects. Snyk Code results are SARIF and read by the sarif
// package.
//
// Snyk lists a vulnerability once per dependency path; one finding per
// vulnerability, package and version, with every path ("introduced
// through") in the description and the project's target file as location.
// Severity severityWithCritical (else severity), CVEs and CWEs from
// identifiers, CVSS v3 vector and score (and v4 from cvssSources), EPSS,
// fixed versions, references.
// Container packages "source/binary" are named by the binary package, as
// other image scanners do. Ignored vulnerabilities (in "filtered") are not
// reported. A container test's "applications" (the application projects
// found in the image) are read as projects of their own, and the
// --group-issues layout (one entry per id, "from" a list of paths, "name"
// the package of each path) is read as the paths it lists.
package snyk

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/scanners/reportio"
)

// Name is the format's registry name.
const Name = "snyk"

// Format describes the Snyk CLI JSON output to the registry.
var Format = reportio.Format{
	Name:        Name,
	Description: "Snyk CLI JSON (snyk test, snyk container test, --all-projects); Snyk Code is SARIF",
	DetectRule:  `JSON object (or array of objects) with "vulnerabilities" and "packageManager", "dependencyCount" or "ok" keys, or whose vulnerabilities have "packageName" and "from" (keys in any order); or the CLI's error object ("ok": false, a string "error", "path" or "code", nothing else)`,
	Detect:      Detect,
	Parse:       Parse,
}

// Detect reports whether head is Snyk CLI JSON output.
func Detect(h *reportio.Head) bool {
	if isErrorObject(h.JSONObject()) {
		return true
	}
	k := h.JSON()
	if k == nil || !k.Has("vulnerabilities") {
		return false
	}
	if k.Has("packageManager") || k.Has("dependencyCount") || k.Has("ok") {
		return true
	}
	for _, p := range []string{"vulnerabilities[]", "[].vulnerabilities[]"} {
		if k.HasPath(p+".packageName") && k.HasPath(p+".from") {
			return true
		}
	}
	return false
}

// isErrorObject reports whether k is the Snyk CLI's error output (`snyk
// test --json` that failed: {"ok": false, "error": "…", "path": "…"}, and
// since CLI 1.500 a "code"), which is refused: read as a test with no
// vulnerabilities it would close every finding.
func isErrorObject(k *reportio.JSONKeys) bool {
	if k == nil || k.TopKind("error") != '"' || k.TopKind("ok") != 'f' || k.HasTop("vulnerabilities") {
		return false
	}
	for key := range k.Top {
		if key != "ok" && key != "error" && key != "path" && key != "code" {
			return false
		}
	}
	return k.HasTop("path") || k.HasTop("code")
}

type vuln struct {
	ID                   string   `json:"id"`
	Type                 string   `json:"type"` // "license" for a license issue, else a vulnerability
	Title                string   `json:"title"`
	Description          string   `json:"description"`
	Severity             string   `json:"severity"`
	SeverityWithCritical string   `json:"severityWithCritical"`
	PackageName          string   `json:"packageName"`
	Name                 string   `json:"-"`
	Version              string   `json:"version"`
	PackageManager       string   `json:"packageManager"`
	From                 []string `json:"-"`
	FixedIn              []string `json:"fixedIn"`
	// IsUpgradable and UpgradePath: the direct dependency upgrade that
	// fixes this path; UpgradePath parallels From (element 0, the project,
	// is false; an element is false where no upgrade is needed).
	IsUpgradable bool   `json:"isUpgradable"`
	UpgradePath  []any  `json:"upgradePath"`
	CVSSv3       string `json:"CVSSv3"`
	CVSSScore    any    `json:"cvssScore"`
	Identifiers  struct {
		CVE  []string `json:"CVE"`
		CWE  []string `json:"CWE"`
		GHSA []string `json:"GHSA"`
	} `json:"identifiers"`
	References []struct {
		URL string `json:"url"`
	} `json:"references"`
	// CVSSSources are Snyk's issue ratings since CVSS 4.0 came to its
	// database (2024, the v1 test API the CLI reads: assigner, severity,
	// baseScore, vector, cvssVersion, type primary or secondary); the CVSS
	// v4 vector is read from them (CVSSv3 keeps the v3 one).
	CVSSSources []struct {
		Type      string `json:"type"`
		Vector    string `json:"vector"`
		BaseScore any    `json:"baseScore"`
	} `json:"cvssSources"`
	EPSSDetails *struct {
		Percentile  any `json:"percentile"`
		Probability any `json:"probability"`
	} `json:"epssDetails"`

	grouped struct {
		from  [][]string
		names []string
	}
}

// groupedFields are a vulnerability's "from" and "name" as `snyk test
// --json` writes them (one path, one name) and as --group-issues writes
// them (one entry per vulnerability id: every path and, at the same index,
// the package name of that path).
type groupedFields struct {
	From json.RawMessage `json:"from"`
	Name json.RawMessage `json:"name"`
}

// UnmarshalJSON reads a vulnerability; a --group-issues entry is kept in
// grouped, to be expanded into one vulnerability per path by paths.
func (v *vuln) UnmarshalJSON(b []byte) error {
	type plain vuln
	var g groupedFields
	if err := json.Unmarshal(b, (*plain)(v)); err != nil {
		return err
	}
	if err := json.Unmarshal(b, &g); err != nil {
		return err
	}
	if len(g.Name) > 0 && g.Name[0] == '[' {
		if err := json.Unmarshal(g.Name, &v.grouped.names); err != nil {
			return err
		}
	} else if len(g.Name) > 0 && string(g.Name) != "null" {
		if err := json.Unmarshal(g.Name, &v.Name); err != nil {
			return err
		}
	}
	var from []json.RawMessage
	if len(g.From) > 0 && string(g.From) != "null" {
		if err := json.Unmarshal(g.From, &from); err != nil {
			return err
		}
	}
	if len(from) > 0 && from[0][0] == '[' {
		return json.Unmarshal(g.From, &v.grouped.from)
	}
	return json.Unmarshal(g.From, &v.From)
}

// expand returns the vulnerabilities one per dependency path: v itself,
// or, for a --group-issues entry, one per path with the package name at
// that index and the version of the path's last element (name@version).
func (v vuln) expand() []vuln {
	if len(v.grouped.from) == 0 && len(v.grouped.names) == 0 {
		return []vuln{v}
	}
	var out []vuln
	for i, path := range v.grouped.from {
		x := v
		x.grouped.from, x.grouped.names = nil, nil
		x.From = path
		if i < len(v.grouped.names) {
			x.Name = v.grouped.names[i]
		} else if len(v.grouped.names) > 0 {
			x.Name = v.grouped.names[0]
		}
		if n := len(path); n > 0 {
			if at := strings.LastIndexByte(path[n-1], '@'); at > 0 && at < len(path[n-1])-1 {
				x.Version = path[n-1][at+1:]
			}
		}
		out = append(out, x)
	}
	if len(out) == 0 {
		x := v
		x.grouped.from, x.grouped.names = nil, nil
		if len(v.grouped.names) > 0 {
			x.Name = v.grouped.names[0]
		}
		out = append(out, x)
	}
	return out
}

type project struct {
	Vulnerabilities   []vuln `json:"vulnerabilities"`
	DisplayTargetFile string `json:"displayTargetFile"`
	TargetFile        string `json:"targetFile"`
	Path              string `json:"path"`
	ProjectName       string `json:"projectName"`
	PackageManager    string `json:"packageManager"`
	// Applications are the application projects `snyk container test
	// --json` found in the image (--app-vulns, the default since CLI
	// 1.1090), each a project of its own.
	Applications []project `json:"applications"`
}

// Parse streams the findings of Snyk CLI JSON output, project by project.
func Parse(r io.Reader, name string, emit func(findings.Finding) error) error {
	dec := reportio.NewJSONDecoder(r, name)
	delim, empty, err := dec.Begin()
	if err != nil || empty {
		return err
	}
	if delim == '[' {
		for dec.More() {
			var p project
			if err := dec.Decode(&p, "[]"); err != nil {
				return err
			}
			if err := p.emit(emit); err != nil {
				return err
			}
		}
		return dec.End()
	}
	var p project
	var failure json.RawMessage // the CLI's error message, when the test failed
	fields := map[string]any{
		"error":             &failure,
		"vulnerabilities":   &p.Vulnerabilities,
		"displayTargetFile": &p.DisplayTargetFile,
		"targetFile":        &p.TargetFile,
		"path":              &p.Path,
		"projectName":       &p.ProjectName,
		"packageManager":    &p.PackageManager,
		"applications":      &p.Applications,
	}
	known := false
	err = dec.Object(func(key string) error {
		known = known || key == "vulnerabilities"
		return dec.DecodeField(key, "", fields)
	})
	var msg string
	if err == nil && !known && json.Unmarshal(failure, &msg) == nil && strings.TrimSpace(msg) != "" {
		return &reportio.ParseError{File: name, Offset: dec.Offset(), Field: "error", Err: fmt.Errorf("snyk test failed: %s (nothing was imported or closed)", strings.TrimSpace(msg))}
	}
	if err := dec.Known(known, err, `no "vulnerabilities": not Snyk CLI output`); err != nil {
		return err
	}
	return p.emit(emit)
}

func (p project) emit(emit func(findings.Finding) error) error {
	if err := p.emitOwn(emit); err != nil {
		return err
	}
	for _, a := range p.Applications {
		if err := a.emit(emit); err != nil {
			return err
		}
	}
	return nil
}

func (p project) emitOwn(emit func(findings.Finding) error) error {
	target := p.DisplayTargetFile
	if target == "" {
		target = p.TargetFile
	}
	if target == "" {
		target = p.Path
	}
	type key struct{ id, pkg, version string }
	var groups reportio.Ordered[key, []vuln]
	for _, g := range p.Vulnerabilities {
		for _, v := range g.expand() {
			k := key{v.ID, v.Name, v.Version}
			vs, _ := groups.Get(k)
			groups.Set(k, append(vs, v))
		}
	}
	return groups.Each(func(_ key, vs []vuln) error {
		v := vs[0]
		sev := v.SeverityWithCritical
		if sev == "" {
			sev = v.Severity
		}
		f := findings.Finding{
			Title:         v.Title,
			Severity:      findings.SeverityOrInfo(sev),
			RuleID:        v.ID,
			UniqueID:      v.ID,
			Component:     findings.Component{Name: componentName(v, p.PackageManager), Version: v.Version},
			FixedVersions: v.FixedIn,
			Description:   strings.TrimSpace(v.Description),
		}
		if target != "" {
			f.Locations = []findings.Location{{File: target}}
		}
		if v.Type == "license" && f.Component.Name != "" && !strings.Contains(f.Title, f.Component.Name) {
			// Snyk titles a license issue by the license alone ("LGPL-2.1 license").
			f.Title += " in " + f.Component.Name
		}
		f.VulnerabilityIDs = append(append(append([]string{}, v.Identifiers.CVE...), v.Identifiers.GHSA...), findings.VulnIDsIn(v.ID)...)
		f.CWEs = append(f.CWEs, reportio.CWEsIn(v.Identifiers.CWE)...)
		f.CVSS.V3Vector = v.CVSSv3
		f.CVSS.V3Score = score(v.CVSSScore)
		if strings.HasPrefix(f.CVSS.V3Vector, "CVSS:4") { // a v4 vector where v3 was
			f.CVSS.V4Vector, f.CVSS.V4Score = f.CVSS.V3Vector, f.CVSS.V3Score
			f.CVSS.V3Vector, f.CVSS.V3Score = "", nil
		}
		for _, primary := range []bool{true, false} {
			for _, c := range v.CVSSSources {
				if f.CVSS.V4Vector == "" && strings.HasPrefix(c.Vector, "CVSS:4") && strings.EqualFold(c.Type, "primary") == primary {
					f.CVSS.V4Vector, f.CVSS.V4Score = c.Vector, score(c.BaseScore)
				}
			}
		}
		if v.EPSSDetails != nil {
			f.EPSS.Score = score01(v.EPSSDetails.Probability)
			f.EPSS.Percentile = score01(v.EPSSDetails.Percentile)
		}
		for _, r := range v.References {
			f.References = append(f.References, r.URL)
		}
		f.Mitigation = reportio.Upgrade(v.PackageName, v.FixedIn...)
		if ups := directUpgrades(vs); len(ups) > 0 {
			f.Mitigation = reportio.Paragraphs(f.Mitigation, "Snyk's upgrade paths: upgrade "+strings.Join(ups, "; ")+".")
		}
		var paths []string
		for _, x := range vs {
			if len(x.From) > 0 {
				paths = append(paths, strings.Join(x.From, " > "))
			}
		}
		sort.Strings(paths)
		paths = slices.Compact(paths)
		f.DependencyPaths = paths
		if len(paths) > 0 {
			f.Description = strings.TrimSpace(f.Description + "\n\nIntroduced through:\n- " + strings.Join(paths, "\n- "))
		}
		f.Normalize()
		return emit(f)
	})
}

// maxUpgrades bounds the direct upgrades named in a mitigation.
const maxUpgrades = 20

// directUpgrades are the upgrades of direct dependencies that Snyk says fix
// the paths of vs ("react-scripts@3.4.4 to react-scripts@4.0.0"), sorted;
// a path whose direct dependency stays at its version (only the lockfile
// changes) names none, nor does one where the vulnerable package is the
// direct dependency and its fixed versions are known.
func directUpgrades(vs []vuln) []string {
	var out []string
	for _, v := range vs {
		if !v.IsUpgradable || len(v.UpgradePath) < 2 || len(v.From) < 2 || (len(v.From) == 2 && len(v.FixedIn) > 0) {
			continue // a direct dependency: "Upgrade pkg to fixedIn" says it
		}
		to, ok := v.UpgradePath[1].(string)
		if ok && to != "" && to != v.From[1] {
			out = append(out, v.From[1]+" to "+to)
		}
	}
	sort.Strings(out)
	out = slices.Compact(out)
	if len(out) > maxUpgrades {
		out = out[:maxUpgrades]
	}
	return out
}

// componentName uses the binary package of an OS package "source/binary";
// other names ("@scope/pkg", "group:artifact") are kept.
func componentName(v vuln, projectManager string) string {
	n := v.Name
	if n == "" {
		n = v.PackageName
	}
	pm := v.PackageManager
	if pm == "" {
		pm = projectManager
	}
	switch {
	case strings.HasPrefix(pm, "debian"), strings.HasPrefix(pm, "ubuntu"), strings.HasPrefix(pm, "alpine"),
		strings.HasPrefix(pm, "rhel"), strings.HasPrefix(pm, "centos"), strings.HasPrefix(pm, "deb"),
		strings.HasPrefix(pm, "apk"), strings.HasPrefix(pm, "rpm"), strings.HasPrefix(pm, "linux"):
		if i := strings.LastIndexByte(n, '/'); i >= 0 {
			return n[i+1:]
		}
	}
	return n
}

func score(v any) *float64 {
	switch x := v.(type) {
	case float64:
		return findings.ParseScore(strconv.FormatFloat(x, 'f', -1, 64))
	case string:
		return findings.ParseScore(x)
	case json.Number:
		return findings.ParseScore(x.String())
	}
	return nil
}

func score01(v any) *float64 {
	s := score(v)
	if s == nil || *s > 1 {
		return nil
	}
	return s
}
