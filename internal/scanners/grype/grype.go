// Package grype parses Anchore Grype JSON reports (`grype -o json`),
// current ({"matches": [{"vulnerability", "relatedVulnerabilities",
// "artifact"}]}) and old (cvssV2/cvssV3 objects, "fixedInVersion"),
// streaming one match at a time.
//
// One finding per match: the vulnerability id and related ids, the
// artifact as component (name, version, purl) with its paths as locations,
// fixed versions, CVSS (v4, else v3 — primary NVD source first — from the
// vulnerability, else from related records), EPSS and KEV; a fix state
// wont-fix is said in the description. Grype's severities Negligible and
// Unknown map to info.
package grype

import (
	"io"
	"strings"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/scanners/reportio"
)

// Name is the format's registry name.
const Name = "grype"

// Format describes the Anchore Grype JSON report to the registry.
var Format = reportio.Format{
	Name:        Name,
	Aliases:     []string{"anchore-grype"},
	Description: "Anchore Grype JSON report",
	DetectRule:  `JSON object with a "matches" key and a "vulnerability" or "artifact" key, or "descriptor"/"source" keys`,
	Detect:      Detect,
	Parse:       Parse,
}

// Detect reports whether head is a Grype JSON report.
func Detect(h *reportio.Head) bool {
	return h.Start() == '{' && h.JSON().Has("matches") &&
		(h.JSON().Has("vulnerability") || h.JSON().Has("artifact") || h.JSON().Has("descriptor"))
}

type cvssEntry struct {
	Source  string `json:"source"`
	Type    string `json:"type"`
	Version string `json:"version"`
	Vector  string `json:"vector"`
	Metrics struct {
		BaseScore *float64 `json:"baseScore"`
	} `json:"metrics"`
}

type oldCVSS struct {
	BaseScore *float64 `json:"baseScore"`
	Vector    string   `json:"vector"`
}

type epss struct {
	CVE        string   `json:"cve"`
	EPSS       *float64 `json:"epss"`
	Percentile *float64 `json:"percentile"`
}

type vuln struct {
	ID          string      `json:"id"`
	DataSource  string      `json:"dataSource"`
	Severity    string      `json:"severity"`
	URLs        []string    `json:"urls"`
	Links       []string    `json:"links"`
	Description string      `json:"description"`
	CVSS        []cvssEntry `json:"cvss"`
	CVSSv3      *oldCVSS    `json:"cvssV3"`
	EPSS        []epss      `json:"epss"`
	Fix         struct {
		Versions []string `json:"versions"`
		State    string   `json:"state"`
	} `json:"fix"`
	FixedInVersion string `json:"fixedInVersion"`
	KnownExploited []struct {
		CVE string `json:"cve"`
	} `json:"knownExploited"`
	CWEs []struct {
		CWE string `json:"cwe"`
	} `json:"cwes"`
}

type match struct {
	Vulnerability vuln   `json:"vulnerability"`
	Related       []vuln `json:"relatedVulnerabilities"`
	Artifact      struct {
		Name      string `json:"name"`
		Version   string `json:"version"`
		Type      string `json:"type"`
		PURL      string `json:"purl"`
		Locations []struct {
			Path string `json:"path"`
		} `json:"locations"`
	} `json:"artifact"`
}

// Parse streams the findings of a Grype JSON report.
func Parse(r io.Reader, name string, emit func(findings.Finding) error) error {
	dec := reportio.NewJSONDecoder(r, name)
	if empty, err := dec.BeginObject("Grype report must be a JSON object"); err != nil || empty {
		return err
	}
	sawMatches, err := reportio.DecodeArray(dec, "matches", func(m match) error {
		if m.Vulnerability.ID == "" {
			return dec.Errorf(reportio.ErrNotReport, "match without vulnerability id")
		}
		return emit(m.finding())
	})
	return dec.Known(sawMatches, err, `no "matches" array: not a Grype report`)
}

// severities: Grype's Negligible and Unknown are info.
var severities = map[string]findings.Severity{"NEGLIGIBLE": findings.Info, "UNKNOWN": findings.Info, "": findings.Info}

func severity(s string) findings.Severity { return findings.SeverityWith(severities, s) }

func (m match) finding() findings.Finding {
	v := m.Vulnerability
	a := m.Artifact
	f := findings.Finding{
		Title:            v.ID + " in " + a.Name + " " + a.Version,
		Severity:         severity(v.Severity),
		RuleID:           v.ID,
		VulnerabilityIDs: []string{v.ID},
		Component:        findings.Component{Name: a.Name, Version: a.Version, PURL: a.PURL},
		Description:      v.Description,
		FixedVersions:    v.Fix.Versions,
	}
	if v.FixedInVersion != "" {
		f.FixedVersions = append(f.FixedVersions, v.FixedInVersion)
	}
	f.Mitigation = reportio.Upgrade(a.Name, f.FixedVersions...)
	if strings.EqualFold(v.Fix.State, "wont-fix") {
		f.Description = reportio.Paragraphs(f.Description, "Fix state: wont-fix (the vendor will not fix it).")
	}
	f.References = append(f.References, v.DataSource)
	f.References = append(f.References, v.URLs...)
	f.References = append(f.References, v.Links...)
	for _, r := range m.Related {
		f.VulnerabilityIDs = append(f.VulnerabilityIDs, r.ID)
		if f.Description == "" {
			f.Description = r.Description
		}
		f.References = append(f.References, r.DataSource)
	}
	for _, l := range a.Locations {
		f.Locations = append(f.Locations, findings.Location{File: l.Path})
	}
	all := append([]vuln{v}, m.Related...)
	f.CVSS = pickCVSS(all)
	for _, x := range all {
		for _, e := range x.EPSS {
			if e.EPSS != nil && (f.EPSS.Score == nil || *e.EPSS > *f.EPSS.Score) {
				f.EPSS = findings.EPSS{Score: e.EPSS, Percentile: e.Percentile}
			}
		}
		if len(x.KnownExploited) > 0 {
			f.KEV = true
		}
		for _, c := range x.CWEs {
			if n, ok := findings.ParseCWE(c.CWE); ok {
				f.CWEs = append(f.CWEs, n)
			}
		}
	}
	f.Normalize()
	return f
}

// pickCVSS takes, in order of the records (the match's own first), the
// first v4 vector and the best v3: a Primary one (NVD) over a Secondary.
func pickCVSS(all []vuln) findings.CVSS {
	var c findings.CVSS
	v3Primary := false
	for _, x := range all {
		for _, e := range x.CVSS {
			switch {
			case strings.HasPrefix(e.Version, "4"):
				if c.V4Vector == "" {
					c.V4Vector, c.V4Score = e.Vector, e.Metrics.BaseScore
				}
			case strings.HasPrefix(e.Version, "3"):
				primary := strings.EqualFold(e.Type, "Primary")
				if c.V3Vector == "" || (primary && !v3Primary) {
					c.V3Vector, c.V3Score, v3Primary = e.Vector, e.Metrics.BaseScore, primary
				}
			}
		}
		if x.CVSSv3 != nil && c.V3Vector == "" && c.V3Score == nil {
			c.V3Vector, c.V3Score = x.CVSSv3.Vector, x.CVSSv3.BaseScore
		}
	}
	return c
}
