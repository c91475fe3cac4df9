// Package osv parses OSV-Scanner JSON output (`osv-scanner --format
// json`), one result (lockfile, SBOM, image) at a time.
//
// osv-scanner reports every OSV record that matches a package and groups
// the records describing the same issue (e.g. a GHSA and its PYSEC twin).
// One finding per group per package (a record outside any group is its
// own group): all ids and aliases, the highest severity (the group's
// max_severity, the GitHub severity word, or the CVSS vectors, v4 over v3),
// the fixed versions of the package's affected ranges, CWEs, references.
package osv

import (
	"io"
	"sort"
	"strings"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/scanners/reportio"
)

// Name is the format's registry name.
const Name = "osv-scanner"

// DetectRule describes Detect.
const DetectRule = `JSON object with "results" and "packages" keys and a "source" or "experimental_config" key`

// Detect reports whether head is OSV-Scanner JSON output.
func Detect(h *reportio.Head) bool {
	return h.Start() == '{' && h.JSON().Has("results") && h.JSON().Has("packages") &&
		(h.JSON().Has("source") || h.JSON().Has("experimental_config"))
}

type record struct {
	ID       string   `json:"id"`
	Aliases  []string `json:"aliases"`
	Summary  string   `json:"summary"`
	Details  string   `json:"details"`
	Severity []struct {
		Type  string `json:"type"`
		Score string `json:"score"`
	} `json:"severity"`
	Affected []struct {
		Package struct {
			Name      string `json:"name"`
			Ecosystem string `json:"ecosystem"`
		} `json:"package"`
		Ranges []struct {
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
			Name      string `json:"name"`
			Version   string `json:"version"`
			Ecosystem string `json:"ecosystem"`
			PURL      string `json:"purl"`
		} `json:"package"`
		Vulnerabilities []record `json:"vulnerabilities"`
		Groups          []struct {
			IDs         []string `json:"ids"`
			Aliases     []string `json:"aliases"`
			MaxSeverity string   `json:"max_severity"`
		} `json:"groups"`
	} `json:"packages"`
}

// Parse streams the findings of OSV-Scanner JSON output. An empty file
// (what osv-scanner writes when it finds nothing in some modes) gives no
// findings.
func Parse(r io.Reader, name string, emit func(findings.Finding) error) error {
	dec := reportio.NewJSONDecoder(r, name)
	delim, empty, err := dec.Begin()
	if err != nil || empty {
		return err
	}
	if delim != '{' {
		return reportio.NotReport(name, dec.Offset(), "OSV-Scanner output must be a JSON object")
	}
	known := false
	err = dec.Object(func(key string) error {
		if key != "results" {
			return dec.Skip()
		}
		known = true
		return dec.Array("results", func() error {
			var res result
			if err := dec.Decode(&res, "results[]"); err != nil {
				return err
			}
			return res.emit(emit)
		})
	})
	if err != nil {
		return err
	}
	if !known {
		return reportio.NotReport(name, dec.Offset(), `no "results": not OSV-Scanner output`)
	}
	return nil
}

func (res result) emit(emit func(findings.Finding) error) error {
	for _, p := range res.Packages {
		byID := map[string]*record{}
		for i := range p.Vulnerabilities {
			byID[p.Vulnerabilities[i].ID] = &p.Vulnerabilities[i]
		}
		type group struct {
			records []*record
			aliases []string
			max     string
		}
		var groups []group
		grouped := map[string]bool{}
		for _, g := range p.Groups {
			gr := group{aliases: g.Aliases, max: g.MaxSeverity}
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
		for i := range p.Vulnerabilities {
			if rec := &p.Vulnerabilities[i]; !grouped[rec.ID] {
				groups = append(groups, group{records: []*record{rec}})
			}
		}
		for _, g := range groups {
			f := findings.Finding{
				Component: findings.Component{Name: p.Package.Name, Version: p.Package.Version, PURL: p.Package.PURL},
				Locations: []findings.Location{{File: res.Source.Path}},
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
				if w := rec.DatabaseSpecific.Severity; w != "" && (sevWord == "" || findings.SeverityOrInfo(w).Rank() > findings.SeverityOrInfo(sevWord).Rank()) {
					sevWord = w
				}
				for _, s := range rec.Severity {
					switch {
					case strings.HasPrefix(s.Type, "CVSS_V4") && f.CVSS.V4Vector == "":
						f.CVSS.V4Vector = s.Score
					case strings.HasPrefix(s.Type, "CVSS_V3") && f.CVSS.V3Vector == "":
						f.CVSS.V3Vector = s.Score
					}
				}
				for _, c := range rec.DatabaseSpecific.CWEIDs {
					if n, ok := findings.ParseCWE(c); ok {
						f.CWEs = append(f.CWEs, n)
					}
				}
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
			if len(f.FixedVersions) > 0 {
				f.Mitigation = "Upgrade " + p.Package.Name + " to " + strings.Join(f.FixedVersions, " or ") + "."
			}
			if err := emit(f); err != nil {
				return err
			}
		}
	}
	return nil
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
