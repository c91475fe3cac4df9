// Package semgrep parses Semgrep JSON output (`semgrep --json`: a
// "results" array of matches) and the Semgrep Supply Chain findings
// export ({"vulns": [...]}), streaming one result at a time.
//
// Code results: rule id check_id, file and start line, severity ERROR →
// high, WARNING → medium, INFO → low (newer CRITICAL/HIGH/MEDIUM/LOW as
// written), CWEs and references from metadata, the suggested fix as
// mitigation, the match fingerprint as unique id (the placeholder "requires
// login" is ignored); CVE/GHSA ids from metadata (sca-vuln-database-
// identifier, cve, ghsa). A Supply Chain result (extra.sca_info) also
// carries the dependency found as component, sca-fix-versions as fixed
// versions and sca-severity as severity. Output with no results and a
// fatal entry in "errors" (level error, no path: the scan did not run) is
// refused rather than imported as empty. Supply-chain vulns export:
// advisory id, CVEs, CWEs, the matched dependency as component and its
// file and line as location.
package semgrep

import (
	"cmp"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/scanners/reportio"
)

// Name is the format's registry name.
const Name = "semgrep"

// Format describes the Semgrep JSON output to the registry.
var Format = reportio.Format{
	Name:        Name,
	Description: "Semgrep JSON output (code findings) and Semgrep Supply Chain findings export",
	DetectRule:  `JSON object with "results" whose objects have "check_id" (and "extra"), or an empty "results" array beside "errors" and no "metrics"; or with "vulns" and "advisory" keys (Semgrep Supply Chain); keys in any order`,
	Detect:      Detect,
	Parse:       Parse,
}

// Detect reports whether head is Semgrep JSON output.
func Detect(h *reportio.Head) bool {
	k := h.JSONObject()
	if k == nil {
		return false
	}
	if k.Has("vulns") && (k.Has("advisory") || k.Has("hasMore")) {
		return true
	}
	if !k.HasTop("results") {
		return false
	}
	if k.HasPath("results[].check_id") || (k.Has("check_id") && k.Has("extra")) {
		return true
	}
	// An empty Semgrep run: {"errors": [...], "results": [], "paths": ...}.
	return k.TopKind("results") == '[' && !k.HasPathPrefix("results[]") && k.HasTop("errors") && !k.HasTop("metrics") &&
		(k.Complete || k.HasTop("paths") || k.HasTop("version"))
}

type position struct {
	Line int `json:"line"`
}

type result struct {
	CheckID string   `json:"check_id"`
	Path    string   `json:"path"`
	Start   position `json:"start"`
	Extra   struct {
		Message     string         `json:"message"`
		Severity    string         `json:"severity"`
		Fix         string         `json:"fix"`
		Fingerprint string         `json:"fingerprint"`
		Metadata    map[string]any `json:"metadata"`
		IsIgnored   bool           `json:"is_ignored"`
		SCAInfo     *struct {
			Reachable       bool `json:"reachable"`
			DependencyMatch struct {
				FoundDependency struct {
					Package      string `json:"package"`
					Version      string `json:"version"`
					Ecosystem    string `json:"ecosystem"`
					Transitivity string `json:"transitivity"`
				} `json:"found_dependency"`
			} `json:"dependency_match"`
		} `json:"sca_info"`
	} `json:"extra"`
}

type vuln struct {
	Title    string `json:"title"`
	Advisory struct {
		RuleID      string `json:"ruleId"`
		Title       string `json:"title"`
		Description string `json:"description"`
		Severity    string `json:"severity"`
		References  struct {
			CVEIDs []string `json:"cveIds"`
			CWEIDs []string `json:"cweIds"`
			URLs   []string `json:"urls"`
		} `json:"references"`
	} `json:"advisory"`
	MatchedDependency struct {
		Name             string `json:"name"`
		VersionSpecifier string `json:"versionSpecifier"`
	} `json:"matchedDependency"`
	DependencyFileLocation struct {
		Path      string `json:"path"`
		StartLine string `json:"startLine"`
	} `json:"dependencyFileLocation"`
	ClosestSafeDependency struct {
		VersionSpecifier string `json:"versionSpecifier"`
	} `json:"closestSafeDependency"`
	GroupKey     string `json:"groupKey"`
	ExposureType string `json:"exposureType"`
	// RepositoryName is the repository (owner/name) of the dependency
	// file in a deployment-wide export, which lists the vulnerabilities
	// of every repository of the Semgrep deployment.
	RepositoryName string `json:"repositoryName"`
}

// Parse streams the findings of Semgrep JSON output.
func Parse(r io.Reader, name string, emit func(findings.Finding) error) error {
	dec := reportio.NewJSONDecoder(r, name)
	if empty, err := dec.BeginObject("Semgrep output must be a JSON object"); err != nil || empty {
		return err
	}
	known := false
	results := 0
	var fatal string // the first rule or configuration error
	var fatalAt int64
	var page struct { // a Supply Chain export's paging
		more   bool
		at     int64
		cursor string
	}
	err := dec.Object(func(key string) error {
		switch key {
		case "results":
			known = true
			return reportio.DecodeElements(dec, "results", func(res result) error {
				if res.CheckID == "" {
					return dec.Errorf(reportio.ErrNotReport, "result without check_id")
				}
				results++
				if res.Extra.IsIgnored {
					return nil // nosemgrep
				}
				return emit(res.finding())
			})
		case "errors":
			return reportio.DecodeElements(dec, "errors", func(e map[string]any) error {
				if fatal == "" {
					if msg, ok := fatalError(e); ok {
						fatal, fatalAt = msg, dec.Offset()
					}
				}
				return nil
			})
		case "vulns":
			known = true
			return reportio.DecodeElements(dec, "vulns", func(v vuln) error {
				return emit(v.finding())
			})
		case "hasMore":
			page.at = dec.Offset()
			return dec.Decode(&page.more, "hasMore")
		case "cursor":
			var c any // the API writes a string; a number is read as well
			if err := dec.Decode(&c, "cursor"); err != nil {
				return err
			}
			page.cursor = fmt.Sprint(c)
			return nil
		}
		return dec.Skip()
	})
	if err := dec.Known(known, err, `no "results" or "vulns": not Semgrep output`); err != nil {
		return err
	}
	if results == 0 && fatal != "" {
		return &reportio.ParseError{File: name, Offset: fatalAt, Field: "errors[]",
			Err: fmt.Errorf("the Semgrep run stopped with a fatal error and reported no results (the scan did not run; importing it would close every open finding): %s", fatal)}
	}
	if page.more {
		// One page of the Supply Chain findings API (GET
		// /deployments/{id}/ssc-vulns: hasMore, cursor): what the other
		// pages hold was not re-checked by this file.
		return reportio.IncompleteAt(name, page.at, "hasMore", "the export is one page of the Supply Chain findings (hasMore is true, next cursor %q): the other pages are not in this file", page.cursor)
	}
	return nil
}

// fatalError reports whether an entry of Semgrep's "errors" (cli_error in
// Semgrep's output schema) is fatal to the whole scan: level "error" and no
// path, as an invalid rule, configuration or language is (exit codes 2, 4,
// 7, 8); per-file parse errors and timeouts carry a path or level "warn".
func fatalError(e map[string]any) (string, bool) {
	level, _ := e["level"].(string)
	if level != "error" {
		return "", false
	}
	if p, ok := e["path"].(string); ok && p != "" {
		return "", false
	}
	typ, _ := e["type"].(string)
	msg, _ := e["message"].(string)
	if msg == "" {
		msg, _ = e["short_msg"].(string)
	}
	return strings.TrimSpace(cmp.Or(typ, "error") + ": " + reportio.FirstLine(msg)), true
}

// metaStrings returns a metadata value as strings (a string or a list).
func metaStrings(m map[string]any, key string) []string {
	switch v := m[key].(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// severities are the words of a rule's severity: ERROR, WARNING, INFO.
var severities = map[string]findings.Severity{
	"ERROR":   findings.High,
	"WARNING": findings.Medium,
	"INFO":    findings.Low,
}

func severity(s string) findings.Severity { return findings.SeverityWith(severities, s) }

func (res result) finding() findings.Finding {
	e := res.Extra
	f := findings.Finding{
		Title:       reportio.FirstLine(e.Message),
		Severity:    severity(e.Severity),
		RuleID:      res.CheckID,
		Description: e.Message,
		Locations:   []findings.Location{{File: res.Path, Line: res.Start.Line}},
	}
	if f.Title == "" {
		f.Title = res.CheckID
	}
	if fp := e.Fingerprint; fp != "" && fp != "requires login" {
		f.UniqueID = fp
	}
	if e.Fix != "" {
		f.Mitigation = "Suggested fix:\n" + e.Fix
	}
	f.CWEs = append(f.CWEs, reportio.CWEsIn(metaStrings(e.Metadata, "cwe"))...)
	f.References = append(f.References, metaStrings(e.Metadata, "source-rule-url")...)
	f.References = append(f.References, metaStrings(e.Metadata, "references")...)
	f.References = append(f.References, metaStrings(e.Metadata, "source")...)
	for _, k := range []string{"sca-vuln-database-identifier", "cve", "ghsa"} {
		f.VulnerabilityIDs = append(f.VulnerabilityIDs, metaStrings(e.Metadata, k)...)
	}
	if e.SCAInfo != nil {
		res.supplyChain(&f)
	}
	f.Normalize()
	return f
}

// supplyChain fills in what a Semgrep Supply Chain result of `semgrep
// --json` says beyond a code match (Semgrep's output schema, sca_info): the
// dependency found in the lockfile as component, the fixed versions of
// metadata "sca-fix-versions" ([{"<package>": "<version>"}]), the
// advisory's own severity ("sca-severity", which keeps critical apart from
// high where the rule severity says ERROR), reachability and transitivity.
func (res result) supplyChain(f *findings.Finding) {
	e := res.Extra
	dep := e.SCAInfo.DependencyMatch.FoundDependency
	f.Component = findings.Component{Name: dep.Package, Version: dep.Version}
	if fix, ok := e.Metadata["sca-fix-versions"].([]any); ok {
		for _, m := range fix {
			obj, _ := m.(map[string]any)
			for pkg, v := range obj {
				if ver, ok := v.(string); ok && (pkg == dep.Package || len(obj) == 1) {
					f.FixedVersions = append(f.FixedVersions, ver)
				}
			}
		}
	}
	if len(f.FixedVersions) > 0 && f.Mitigation == "" {
		f.Mitigation = reportio.Upgrade(dep.Package, f.FixedVersions...)
	}
	if v := metaStrings(e.Metadata, "sca-severity"); len(v) > 0 && strings.TrimSpace(v[0]) != "" {
		if sev, ok := findings.ParseSeverity(v[0]); ok {
			f.Severity = sev
		}
	}
	facts := []string{"reachable: " + strconv.FormatBool(e.SCAInfo.Reachable)}
	if t := strings.TrimSpace(dep.Transitivity); t != "" {
		facts = append(facts, "dependency: "+t)
	}
	if eco := strings.TrimSpace(dep.Ecosystem); eco != "" {
		facts = append(facts, "ecosystem: "+eco)
	}
	f.Description = strings.TrimSpace(f.Description + "\n\nSupply chain: " + strings.Join(facts, ", "))
}

func (v vuln) finding() findings.Finding {
	a := v.Advisory
	f := findings.Finding{
		Title:            v.Title,
		Severity:         findings.SeverityOrInfo(a.Severity),
		RuleID:           a.RuleID,
		VulnerabilityIDs: a.References.CVEIDs,
		Description:      a.Description,
		References:       a.References.URLs,
		Component:        findings.Component{Name: v.MatchedDependency.Name, Version: v.MatchedDependency.VersionSpecifier},
		UniqueID:         v.GroupKey,
	}
	if f.Title == "" {
		f.Title = a.Title
	}
	f.CWEs = append(f.CWEs, reportio.CWEsIn(a.References.CWEIDs)...)
	if s := v.ClosestSafeDependency.VersionSpecifier; s != "" {
		f.FixedVersions = []string{s}
		f.Mitigation = reportio.Upgrade(v.MatchedDependency.Name, s)
	}
	if v.ExposureType != "" {
		f.Description = strings.TrimSpace(f.Description + "\n\nExposure: " + strings.ToLower(v.ExposureType))
	}
	line, _ := strconv.Atoi(v.DependencyFileLocation.StartLine)
	file := strings.TrimSpace(v.DependencyFileLocation.Path)
	if repo := strings.TrimSpace(v.RepositoryName); repo != "" {
		// The repository names the file in a deployment export ("owner/name:
		// requirements.txt", as Trivy names a workload's image), so one
		// advisory in many repositories keeps every repository's lockfile.
		file = strings.TrimSuffix(repo+": "+file, ": ")
	}
	f.Locations = []findings.Location{{File: file, Line: line}}
	f.Normalize()
	return f
}
