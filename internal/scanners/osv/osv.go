// Package osv parses OSV-Scanner JSON output (`osv-scanner --format
// json`), one result (lockfile, SBOM, image) at a time.
//
// osv-scanner reports every OSV record that matches a package and groups
// the records describing the same issue (e.g. a GHSA and its PYSEC twin).
// One finding per group per package (records outside any group, as
// osv-scanner before 1.3 writes them, are grouped when one names another
// as an alias): all ids and aliases, the highest severity (the group's
// max_severity, the GitHub or Ubuntu severity word, or the CVSS vectors of
// the record or the affected package, v4 over v3), the fixed versions of
// the package's affected ranges, CWEs, references. The component is the
// package (an OS package by its binary package) with its version and
// package URL (built from the ecosystem when the report has none); the
// location is the scanned source file (lockfile, SBOM, image); the
// ecosystem, source type, dependency groups (dev, optional), image layer
// and call analysis are in the description. A license violation and a
// deprecated package are findings too. osv-scanner records no dependency
// chain, so a finding has no dependency paths.
package osv

import (
	"cmp"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/scanners/reportio"
)

// Name is the format's registry name.
const Name = "osv-scanner"

// Format describes the OSV-Scanner JSON output to the registry.
var Format = reportio.Format{
	Name:        Name,
	Aliases:     []string{"osv"},
	Description: "OSV-Scanner JSON output",
	DetectRule:  `JSON object with "results" and "packages" keys and a "source" or "experimental_config" key, or a top-level "results" array beside a top-level "experimental_config" object (a scan that found nothing)`,
	Detect:      Detect,
	Parse:       Parse,
}

// Detect reports whether head is OSV-Scanner JSON output. A scan that
// found nothing is {"results": [], "experimental_config": {…}}: no
// "packages" key, but the top-level "experimental_config" is osv-scanner's
// own (1.4 and later).
func Detect(h *reportio.Head) bool {
	k := h.JSONObject()
	if k.TopKind("results") == '[' && k.TopKind("experimental_config") == '{' {
		return true
	}
	return k.Has("results") && k.Has("packages") && (k.Has("source") || k.Has("experimental_config"))
}

// severity is an OSV severity entry: a CVSS vector (CVSS_V2, CVSS_V3,
// CVSS_V4) or, for type Ubuntu, Ubuntu's priority word (negligible, low,
// medium, high, critical), which osv-scanner does not count in
// max_severity.
type severity struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

type record struct {
	ID       string     `json:"id"`
	Aliases  []string   `json:"aliases"`
	Summary  string     `json:"summary"`
	Details  string     `json:"details"`
	Severity []severity `json:"severity"`
	Affected []struct {
		Package struct {
			Name      string `json:"name"`
			Ecosystem string `json:"ecosystem"`
		} `json:"package"`
		// Severity is the package's own severity (OSV 1.5 and later).
		Severity []severity `json:"severity"`
		Ranges   []struct {
			Events []map[string]string `json:"events"`
		} `json:"ranges"`
		DatabaseSpecific struct {
			CWEs []struct {
				CWEID string `json:"cweId"`
			} `json:"cwes"`
		} `json:"database_specific"`
	} `json:"affected"`
	References []struct {
		URL string `json:"url"`
	} `json:"references"`
	DatabaseSpecific struct {
		Severity string   `json:"severity"`
		CWEIDs   []string `json:"cwe_ids"`
	} `json:"database_specific"`
}

type result struct {
	Source struct {
		Path string `json:"path"`
		Type string `json:"type"`
	} `json:"source"`
	Packages []struct {
		Package struct {
			Name string `json:"name"`
			// OSPackageName is the binary package of an OS package whose
			// name is its source package (osv-scanner 2 image scans:
			// "util-linux" for fdisk and libblkid1).
			OSPackageName string `json:"os_package_name"`
			Version       string `json:"version"`
			Ecosystem     string `json:"ecosystem"`
			PURL          string `json:"purl"`
			Commit        string `json:"commit"`
			// Deprecated: the registry marks this version deprecated
			// (osv-scanner 2.2 and later fail the scan on it).
			Deprecated bool `json:"deprecated"`
			// ImageOrigin is the layer that added the package: osv-scanner
			// 1.8.4–1.9's imageOrigin (layerID, originCommand, inBaseImage;
			// index, diff_id and command are read too), and osv-scanner 2's
			// image_origin_details, which holds only the index of the layer
			// in the top-level image_metadata written after the results.
			ImageOrigin *imageOrigin `json:"imageOrigin"`
			OriginV2    *imageOrigin `json:"image_origin_details"`
		} `json:"package"`
		DepGroups       []string `json:"dependency_groups"`
		Vulnerabilities []record `json:"vulnerabilities"`
		Groups          []struct {
			IDs         []string `json:"ids"`
			Aliases     []string `json:"aliases"`
			MaxSeverity string   `json:"max_severity"`
			// ExperimentalAnalysis is osv-scanner's call analysis per
			// record id: called (the vulnerable code is reached) and
			// unimportant (Debian's "unimportant" urgency). osv-scanner
			// hides uncalled and unimportant groups from its table and
			// exit code, but writes them to JSON.
			ExperimentalAnalysis map[string]struct {
				Called      bool `json:"called"`
				Unimportant bool `json:"unimportant"`
			} `json:"experimental_analysis"`
		} `json:"groups"`
		// LicenseViolations are the package's licenses outside the
		// --licenses allowlist (osv-scanner fails the scan on them).
		Licenses          []string `json:"licenses"`
		LicenseViolations []string `json:"license_violations"`
	} `json:"packages"`
}

type imageOrigin struct {
	Index         *int   `json:"index"`
	DiffID        string `json:"diff_id"`
	Command       string `json:"command"`
	LayerID       string `json:"layerID"`
	OriginCommand string `json:"originCommand"`
	InBaseImage   bool   `json:"inBaseImage"`
}

// describe is the layer line of a finding's description, "" when the
// report says nothing of the layer.
func (o *imageOrigin) describe() string {
	if o == nil {
		return ""
	}
	layer := "Image layer"
	if o.Index != nil {
		layer += fmt.Sprintf(" %d", *o.Index)
	}
	if id := strings.TrimSpace(cmp.Or(o.DiffID, o.LayerID)); id != "" {
		layer += " (" + id + ")"
	}
	if c := strings.TrimSpace(cmp.Or(o.Command, o.OriginCommand)); c != "" {
		layer += ": " + c
	}
	if o.InBaseImage {
		layer += " (in the base image)"
	}
	if layer == "Image layer" {
		return ""
	}
	return layer
}

// Parse streams the findings of OSV-Scanner JSON output. An empty file
// (what osv-scanner writes when it finds nothing in some modes) gives no
// findings.
func Parse(r io.Reader, name string, emit func(findings.Finding) error) error {
	dec := reportio.NewJSONDecoder(r, name)
	if empty, err := dec.BeginObject("OSV-Scanner output must be a JSON object"); err != nil || empty {
		return err
	}
	known, err := reportio.DecodeArray(dec, "results", func(res result) error {
		return res.emit(emit)
	})
	return dec.Known(known, err, `no "results": not OSV-Scanner output`)
}

func (res result) emit(emit func(findings.Finding) error) error {
	for _, p := range res.Packages {
		byID := map[string]*record{}
		for i := range p.Vulnerabilities {
			byID[p.Vulnerabilities[i].ID] = &p.Vulnerabilities[i]
		}
		type group struct {
			records               []*record
			aliases               []string
			max                   string
			uncalled, unimportant bool
		}
		var groups []group
		grouped := map[string]bool{}
		for _, g := range p.Groups {
			gr := group{aliases: g.Aliases, max: g.MaxSeverity}
			// As osv-scanner decides (GroupInfo.IsCalled and
			// IsGroupUnimportant): uncalled when an analysis exists and
			// none says called; unimportant when any says so.
			gr.uncalled = len(g.ExperimentalAnalysis) > 0
			for _, a := range g.ExperimentalAnalysis {
				gr.uncalled = gr.uncalled && !a.Called
				gr.unimportant = gr.unimportant || a.Unimportant
			}
			for _, id := range g.IDs {
				if rec, ok := byID[id]; ok && !grouped[id] {
					gr.records = append(gr.records, rec)
					grouped[id] = true
				}
			}
			if len(gr.records) > 0 {
				groups = append(groups, gr)
			}
		}
		// Records outside every group (osv-scanner before 1.3 wrote no
		// groups) that name each other as aliases are one issue too.
		byAlias := map[string]int{} // id or alias -> index in groups
		for i := range p.Vulnerabilities {
			rec := &p.Vulnerabilities[i]
			if grouped[rec.ID] {
				continue
			}
			names := append([]string{rec.ID}, rec.Aliases...)
			at := -1
			for _, n := range names {
				if gi, ok := byAlias[strings.ToUpper(n)]; ok {
					at = gi
					break
				}
			}
			if at < 0 {
				at = len(groups)
				groups = append(groups, group{})
			}
			groups[at].records = append(groups[at].records, rec)
			for _, n := range names {
				if _, ok := byAlias[strings.ToUpper(n)]; !ok {
					byAlias[strings.ToUpper(n)] = at
				}
			}
		}
		// An OS package is named by its binary package, as other image
		// scanners name it; the OSV records name the source package.
		compName := cmp.Or(strings.TrimSpace(p.Package.OSPackageName), p.Package.Name)
		purl := p.Package.PURL
		if purl == "" {
			purl = packageURL(p.Package.Ecosystem, compName, p.Package.Version)
		}
		for _, g := range groups {
			f := findings.Finding{
				Component: findings.Component{Name: compName, Version: p.Package.Version, PURL: purl},
				Locations: []findings.Location{{File: res.Source.Path}},
			}
			// Where the package comes from, as osv-scanner reports it: the
			// ecosystem, the kind of source, the dependency groups (dev,
			// optional: osv-scanner records no dependency chain) and, in a
			// container image, the layer that added it.
			var context []string
			if e := strings.TrimSpace(p.Package.Ecosystem); e != "" {
				context = append(context, "Ecosystem: "+e)
			}
			if t := strings.TrimSpace(res.Source.Type); t != "" {
				context = append(context, "Source: "+t+" "+res.Source.Path)
			}
			if len(p.DepGroups) > 0 {
				context = append(context, "Dependency groups: "+strings.Join(p.DepGroups, ", "))
			}
			if compName != p.Package.Name {
				context = append(context, "Source package: "+p.Package.Name)
			}
			if c := strings.TrimSpace(p.Package.Commit); c != "" {
				context = append(context, "Commit: "+c)
			}
			if l := cmp.Or(p.Package.OriginV2, p.Package.ImageOrigin).describe(); l != "" {
				context = append(context, l)
			}
			if g.uncalled {
				context = append(context, "osv-scanner call analysis: the vulnerable code is not called (hidden by osv-scanner without --all-vulns)")
			}
			if g.unimportant {
				context = append(context, "osv-scanner marks this vulnerability unimportant (hidden by osv-scanner without --all-vulns)")
			}
			ids := g.aliases
			var sevWord string
			for _, rec := range g.records {
				ids = append(ids, rec.ID)
				ids = append(ids, rec.Aliases...)
				if f.Title == "" {
					f.Title = rec.Summary
				}
				if f.Description == "" {
					f.Description = strings.TrimSpace(rec.Details)
				}
				// word keeps the highest severity word; one that says
				// nothing (Ubuntu's "untriaged", "unknown") is no word.
				word := func(w string) {
					sw, ok := findings.ParseSeverity(w)
					if ok && sw != findings.Info && (sevWord == "" || sw.Rank() > findings.SeverityOrInfo(sevWord).Rank()) {
						sevWord = w
					}
				}
				word(rec.DatabaseSpecific.Severity)
				sevs := rec.Severity
				for _, a := range rec.Affected {
					if a.Package.Name == "" || a.Package.Name == p.Package.Name {
						sevs = append(sevs, a.Severity...)
					}
				}
				for _, s := range sevs {
					switch {
					case strings.HasPrefix(s.Type, "CVSS_V4") && f.CVSS.V4Vector == "":
						f.CVSS.V4Vector = s.Score
					case strings.HasPrefix(s.Type, "CVSS_V3") && f.CVSS.V3Vector == "":
						f.CVSS.V3Vector = s.Score
					case strings.EqualFold(s.Type, "Ubuntu"):
						word(s.Score)
					}
				}
				f.CWEs = append(f.CWEs, reportio.CWEs(rec.DatabaseSpecific.CWEIDs)...)
				for _, a := range rec.Affected {
					if a.Package.Name != "" && a.Package.Name != p.Package.Name {
						continue
					}
					for _, c := range a.DatabaseSpecific.CWEs {
						if n, ok := findings.ParseCWE(c.CWEID); ok {
							f.CWEs = append(f.CWEs, n)
						}
					}
					for _, rg := range a.Ranges {
						for _, ev := range rg.Events {
							if v := ev["fixed"]; v != "" {
								f.FixedVersions = append(f.FixedVersions, v)
							}
						}
					}
				}
				for _, ref := range rec.References {
					f.References = append(f.References, ref.URL)
				}
			}
			sort.Strings(ids)
			f.VulnerabilityIDs = ids
			f.RuleID = preferredID(ids)
			if f.Title == "" {
				f.Title = f.RuleID + " in " + p.Package.Name
			}
			f.Normalize() // computes CVSS scores from the vectors
			switch {
			case g.max != "" && findings.ParseScore(g.max) != nil:
				f.Severity = findings.SeverityFromCVSS(findings.ParseScore(g.max))
			case sevWord != "":
				f.Severity = findings.SeverityOrInfo(sevWord)
			}
			f.Mitigation = reportio.Upgrade(p.Package.Name, f.FixedVersions...)
			if len(context) > 0 {
				f.Description = strings.TrimSpace(f.Description + "\n\n" + strings.Join(context, "\n"))
			}
			if err := emit(f); err != nil {
				return err
			}
		}
		if p.Package.Deprecated {
			f := findings.Finding{
				Title:       fmt.Sprintf("Deprecated package %s %s", compName, p.Package.Version),
				Severity:    findings.Info,
				RuleID:      "deprecated-package",
				Component:   findings.Component{Name: compName, Version: p.Package.Version, PURL: purl},
				Description: fmt.Sprintf("The %s registry marks %s %s as deprecated: it gets no more fixes.", p.Package.Ecosystem, compName, p.Package.Version),
				Mitigation:  "Move to a maintained version or replacement of " + compName + ".",
				Locations:   []findings.Location{{File: res.Source.Path}},
			}
			f.Normalize()
			if err := emit(f); err != nil {
				return err
			}
		}
		for _, l := range p.LicenseViolations {
			if err := emit(res.licenseFinding(l, compName, p.Package.Version, purl, p.Licenses)); err != nil {
				return err
			}
		}
	}
	return nil
}

// licenseFinding is a license of a package outside osv-scanner's
// --licenses allowlist. osv-scanner gives it no severity: low.
func (res result) licenseFinding(license, name, version, purl string, all []string) findings.Finding {
	f := findings.Finding{
		Title:       fmt.Sprintf("License %s of %s is not allowed", license, name),
		Severity:    findings.Low,
		RuleID:      "license:" + license,
		Component:   findings.Component{Name: name, Version: version, PURL: purl},
		Description: fmt.Sprintf("osv-scanner found package %s %s under the license %s, which is not in the allowed licenses (the package's licenses: %s).", name, version, license, strings.Join(all, ", ")),
		Locations:   []findings.Location{{File: res.Source.Path}},
	}
	f.Normalize()
	return f
}

// preferredID picks the id to show as rule: a GHSA, else a CVE, else the
// first.
func preferredID(ids []string) string {
	for _, p := range []string{"GHSA-", "CVE-"} {
		for _, id := range ids {
			if strings.HasPrefix(strings.ToUpper(id), p) {
				return id
			}
		}
	}
	if len(ids) > 0 {
		return ids[0]
	}
	return ""
}

// purlTypes maps OSV ecosystems to package URL types (purl-spec).
var purlTypes = map[string]string{
	"npm": "npm", "pypi": "pypi", "go": "golang", "maven": "maven", "crates.io": "cargo",
	"rubygems": "gem", "nuget": "nuget", "packagist": "composer", "hex": "hex", "pub": "pub",
	"cran": "cran", "swifturl": "swift", "debian": "deb", "ubuntu": "deb", "alpine": "apk",
}

// packageURL builds the package URL of an ecosystem's package when
// osv-scanner did not write one (it writes none before v2): "" for an
// ecosystem without a purl type.
func packageURL(ecosystem, name, version string) string {
	eco := strings.ToLower(strings.TrimSpace(ecosystem))
	if i := strings.IndexByte(eco, ':'); i >= 0 {
		eco = eco[:i] // "Debian:12", "Alpine:v3.19"
	}
	typ, ok := purlTypes[eco]
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		return ""
	}
	ns := ""
	switch {
	case typ == "deb" || typ == "apk":
		ns = eco
	case typ == "maven":
		if g, a, ok := strings.Cut(name, ":"); ok {
			ns, name = g, a
		}
	case typ == "npm" || typ == "composer" || typ == "golang" || typ == "swift":
		if i := strings.LastIndexByte(name, '/'); i >= 0 {
			ns, name = name[:i], name[i+1:]
		}
	}
	return packageurl.NewPackageURL(typ, ns, name, strings.TrimSpace(version), nil, "").ToString()
}
