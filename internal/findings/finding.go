// Package findings holds Rampart's canonical scanner finding, its
// fingerprint, severity normalisation, the risk-priority score and SLA
// deadlines. Everything here is pure: parsers in internal/scanners produce
// Findings, the store persists them, engines score them.
package findings

import (
	"slices"
	"sort"
	"strings"
	"time"
)

// Finding is one distinct issue as a tool reports it, with all its
// locations. Its JSON form is the `rampart scan parse --format json`
// contract; score fields are null when the tool gave none.
type Finding struct {
	Title            string     `json:"title"`
	Severity         Severity   `json:"severity"`
	RuleID           string     `json:"rule_id"`
	VulnerabilityIDs []string   `json:"vulnerability_ids"`
	CWEs             []int      `json:"cwes"`
	Component        Component  `json:"component"`
	Locations        []Location `json:"locations"`
	CVSS             CVSS       `json:"cvss"`
	EPSS             EPSS       `json:"epss"`
	FixedVersions    []string   `json:"fixed_versions"`
	UniqueID         string     `json:"unique_id"`
	Fingerprint      string     `json:"fingerprint"`
	Description      string     `json:"description"`
	Mitigation       string     `json:"mitigation"`
	References       []string   `json:"references"`

	// DependencyPaths are the chains through which a vulnerable package
	// is introduced, root first ("app > express > qs"), as Snyk and npm
	// audit report them.
	DependencyPaths []string `json:"dependency_paths,omitempty"`

	// Triage is a decision the report itself records (a SARIF
	// suppression, a DefectDojo status). It sets the status of a finding
	// the first time it is imported, never over a later decision.
	Triage *Triage `json:"triage,omitempty"`

	// Tool is the producing tool when a format carries it (a SARIF run's
	// driver name, e.g. "CodeQL"); empty when it is the format itself.
	Tool string `json:"tool,omitempty"`
	// KEV is set when the report says the vulnerability is in CISA's Known
	// Exploited Vulnerabilities catalogue.
	KEV bool `json:"kev,omitempty"`
	// FirstSeen and LastSeen are kept by the store across re-imports;
	// parsers leave them nil.
	FirstSeen *time.Time `json:"first_seen,omitempty"`
	LastSeen  *time.Time `json:"last_seen,omitempty"`
}

// Component is the software package a finding is about.
type Component struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	PURL    string `json:"purl"`
}

// Location is where a finding was observed: a source position (File, Line)
// or a network endpoint (Host, Port, Protocol, Path, URL).
type Location struct {
	File     string `json:"file"`
	Line     int    `json:"line"`
	Host     string `json:"host"`
	Port     int    `json:"port"`
	Protocol string `json:"protocol"` // transport (tcp, udp) for hosts; scheme for URLs
	// Service is the application protocol on the port (http, https, ssh,
	// dns), as Nessus, Nexpose, OpenVAS and Qualys name it.
	Service string `json:"service,omitempty"`
	// HostName is the host's DNS name when Host is its address.
	HostName string `json:"host_name,omitempty"`
	Path     string `json:"path"`
	URL      string `json:"url"`
}

// IsZero reports whether the location carries no information.
func (l Location) IsZero() bool { return l == Location{} }

// MaxLocations bounds the locations one finding keeps when the import
// merges the repeats of one issue in a report into it (MergeLocations):
// a deployment-wide export can list one vulnerable package in hundreds
// of repositories, and the finding's stored evidence stays small.
const MaxLocations = 1000

// MergeLocations returns dst with the locations of add it does not have
// yet appended, in order, empty ones dropped, until it holds
// MaxLocations. dst's backing array is never written to.
func MergeLocations(dst, add []Location) []Location {
	out := slices.Clip(dst)
	seen := make(map[Location]bool, len(dst)+len(add))
	for _, l := range dst {
		seen[l] = true
	}
	for _, l := range add {
		if len(out) >= MaxLocations {
			break
		}
		if l.IsZero() || seen[l] {
			continue
		}
		seen[l] = true
		out = append(out, l)
	}
	return out
}

// CVSS holds the vectors and base scores a tool reported (or that were
// computed from its vectors).
type CVSS struct {
	V3Vector string   `json:"v3_vector"`
	V3Score  *float64 `json:"v3_score"`
	V4Vector string   `json:"v4_vector"`
	V4Score  *float64 `json:"v4_score"`
}

// EPSS is the exploit prediction score (probability 0–1) and its percentile.
type EPSS struct {
	Score      *float64 `json:"score"`
	Percentile *float64 `json:"percentile"`
}

// Float returns a pointer to v, for the optional score fields.
func Float(v float64) *float64 { return &v }

// within returns v when it is a number from 0 to max, else nil (the
// comparison is false for NaN).
func within(v *float64, max float64) *float64 {
	if v == nil || !(*v >= 0 && *v <= max) {
		return nil
	}
	return v
}

// Triage is the state a report gives a finding it records as already
// triaged.
type Triage struct {
	Status Status `json:"status"`
	Reason string `json:"reason,omitempty"`
	// AcceptedUntil and AcceptedBy: a risk acceptance's expiry and approver.
	AcceptedUntil *time.Time `json:"accepted_until,omitempty"`
	AcceptedBy    string     `json:"accepted_by,omitempty"`
}

// Normalize brings a parsed finding into canonical form: trims text, sorts
// and de-duplicates identifiers, CWEs and references (CVE ids are upper-cased),
// drops empty locations and scores out of range (CVSS outside 0–10, EPSS
// outside 0–1, NaN: "NaN" and "Inf" parse as floats), fills missing CVSS
// scores from vectors, derives the severity from the CVSS score when the
// tool gave none, turns nil lists into empty ones (the JSON contract has
// arrays, never null) and computes the fingerprint when empty. Parsers call it on every finding they emit.
func (f *Finding) Normalize() {
	f.Title = strings.TrimSpace(f.Title)
	if f.Title == "" {
		f.Title = f.RuleID
	}
	f.RuleID = strings.TrimSpace(f.RuleID)
	f.Description = strings.TrimSpace(f.Description)
	f.Mitigation = strings.TrimSpace(f.Mitigation)
	f.UniqueID = strings.TrimSpace(f.UniqueID)
	f.Component.Name = strings.TrimSpace(f.Component.Name)
	f.Component.Version = strings.TrimSpace(f.Component.Version)
	f.Component.PURL = strings.TrimSpace(f.Component.PURL)

	ids := f.VulnerabilityIDs[:0:0]
	for _, id := range f.VulnerabilityIDs {
		id = strings.TrimSpace(id)
		if id == "" {
			continue
		}
		if up := strings.ToUpper(id); strings.HasPrefix(up, "CVE-") || strings.HasPrefix(up, "GHSA-") {
			if strings.HasPrefix(up, "CVE-") {
				id = up
			} else {
				id = "GHSA-" + strings.ToLower(id[5:])
			}
		}
		ids = append(ids, id)
	}
	f.VulnerabilityIDs = sortedUnique(ids)
	cwes := slices.DeleteFunc(slices.Clone(f.CWEs), func(c int) bool { return c <= 0 })
	slices.Sort(cwes)
	f.CWEs = slices.Compact(cwes)
	if f.CWEs == nil {
		f.CWEs = []int{}
	}
	f.References = uniqueInOrder(f.References)
	f.FixedVersions = uniqueInOrder(f.FixedVersions)
	locs := make([]Location, 0, len(f.Locations))
	seen := make(map[Location]bool, len(f.Locations))
	for _, l := range f.Locations {
		l.File = strings.TrimSpace(l.File)
		l.Host = strings.TrimSpace(l.Host)
		l.URL = strings.TrimSpace(l.URL)
		if l.IsZero() || seen[l] {
			continue
		}
		seen[l] = true
		locs = append(locs, l)
	}
	f.Locations = locs
	f.CVSS.fillScores()
	f.EPSS.Score, f.EPSS.Percentile = within(f.EPSS.Score, 1), within(f.EPSS.Percentile, 1)
	if f.Severity == "" {
		f.Severity = SeverityFromCVSS(f.CVSS.BestScore())
	}
	if f.Fingerprint == "" {
		f.Fingerprint = Fingerprint(*f)
	}
}

// BestScore returns the CVSS v4 base score when present, else v3, else nil.
func (c CVSS) BestScore() *float64 {
	if c.V4Score != nil {
		return c.V4Score
	}
	return c.V3Score
}

func sortedUnique(in []string) []string {
	out := make([]string, 0, len(in))
	out = append(out, in...)
	sort.Strings(out)
	return slices.Compact(out)
}

func uniqueInOrder(in []string) []string {
	out := make([]string, 0, len(in))
	seen := make(map[string]bool, len(in))
	for _, s := range in {
		s = strings.TrimSpace(s)
		if s == "" || seen[s] {
			continue
		}
		seen[s] = true
		out = append(out, s)
	}
	return out
}
