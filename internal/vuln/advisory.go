// Package vuln holds the canonical vulnerability advisory, merged across
// feeds (OSV, NVD, CVE 5, CISA KEV, FIRST EPSS), and the matcher that turns
// components × advisories into explained matches.
//
// Feed readers live in the feeds/ sub-packages and only produce Advisory
// values; nothing here touches a store. An Advisory marshals to compact JSON
// (empty fields omitted) so the store can keep it as a blob next to index
// columns taken from IndexKeys.
package vuln

import (
	"slices"
	"sort"
	"strings"
	"time"
)

// Source names the feed an advisory or a part of it came from.
type Source string

// Sources.
const (
	SourceOSV  Source = "osv"
	SourceNVD  Source = "nvd"
	SourceCVE5 Source = "cve5"
	SourceKEV  Source = "kev"
	SourceEUVD Source = "euvd"
	SourceCSAF Source = "csaf"
	SourceEPSS Source = "epss"
)

// Advisory is one vulnerability as known to Rampart, possibly merged from
// several sources that name it by different ids (CVE ↔ GHSA ↔ GO ↔ PYSEC …).
type Advisory struct {
	ID       string   `json:"id"`
	Aliases  []string `json:"aliases,omitempty"`
	Related  []string `json:"related,omitempty"`
	Sources  []Source `json:"sources,omitempty"`
	Summary  string   `json:"summary,omitempty"`
	Details  string   `json:"details,omitempty"`
	CWEs     []string `json:"cwes,omitempty"`
	Severity []CVSS   `json:"severity,omitempty"`
	// DatabaseSeverity is a textual rating given by the source when it has
	// no CVSS vector (e.g. GHSA "HIGH", OSS-Fuzz "LOW").
	DatabaseSeverity string          `json:"db_severity,omitempty"`
	Affected         []Affected      `json:"affected,omitempty"`
	Configurations   []Configuration `json:"configurations,omitempty"`
	References       []Reference     `json:"references,omitempty"`
	Published        time.Time       `json:"published,omitzero"`
	Modified         time.Time       `json:"modified,omitzero"`
	Withdrawn        time.Time       `json:"withdrawn,omitzero"`
	EPSS             *EPSS           `json:"epss,omitempty"`
	KEV              *KEV            `json:"kev,omitempty"`
	// Tags are the record's CVE tags: "disputed",
	// "unsupported-when-assigned", "exclusively-hosted-service" (NVD
	// cveTags, CVE JSON 5 container tags).
	Tags []string `json:"tags,omitempty"`
	// Exploited lists reports other than CISA KEV that the vulnerability
	// is actively exploited (the EUVD exploited list, CSAF advisories).
	Exploited []Exploitation `json:"exploited,omitempty"`
}

// CVSS is one CVSS vector with its base score computed by go-cvss.
type CVSS struct {
	Version string  `json:"v"`                // "2.0", "3.0", "3.1", "4.0"
	Vector  string  `json:"vector"`           // as published
	Score   float64 `json:"score"`            // base score (CVSS-B for 4.0)
	Source  string  `json:"source,omitempty"` // who scored it: "nvd@nist.gov", "osv", "cisa-adp"…
}

// RangeType is an OSV range type.
type RangeType string

// OSV range types.
const (
	RangeSemver    RangeType = "SEMVER"
	RangeEcosystem RangeType = "ECOSYSTEM"
	RangeGit       RangeType = "GIT"
)

// Event is one OSV range event; exactly one field is set.
type Event struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
	Limit        string `json:"limit,omitempty"`
}

// Range is an OSV affected range.
type Range struct {
	Type   RangeType `json:"type"`
	Repo   string    `json:"repo,omitempty"`
	Events []Event   `json:"events"`
}

// Affected is one affected package (OSV "affected" entry).
type Affected struct {
	Ecosystem string   `json:"ecosystem"` // OSV spelling, may carry a release suffix ("AlmaLinux:9")
	Name      string   `json:"name"`
	PURL      string   `json:"purl,omitempty"`
	Ranges    []Range  `json:"ranges,omitempty"`
	Versions  []string `json:"versions,omitempty"`
	Source    Source   `json:"source,omitempty"`
	// Record is the id of the source record this entry came from when it
	// differs from the advisory id (set by Merge).
	Record string `json:"record,omitempty"`
	// Severity is a per-package textual severity (ecosystem_specific), if any.
	Severity string `json:"severity,omitempty"`
}

// Configuration is one NVD configuration: a tree of nodes combined with
// Operator (OR when empty). A configuration holds when the tree evaluates true.
type Configuration struct {
	Operator string `json:"op,omitempty"` // "AND" or "OR"
	Negate   bool   `json:"negate,omitempty"`
	Nodes    []Node `json:"nodes"`
	Source   Source `json:"source,omitempty"`
	Record   string `json:"record,omitempty"` // source record id, set by Merge
}

// Node is an NVD configuration node: CPE matches and child nodes combined
// with Operator.
type Node struct {
	Operator string     `json:"op,omitempty"`
	Negate   bool       `json:"negate,omitempty"`
	Matches  []CPEMatch `json:"cpe_match,omitempty"`
	Children []Node     `json:"children,omitempty"`
}

// CPEMatch is one NVD cpeMatch leaf. Vulnerable=false leaves describe the
// platform a vulnerable leaf must run on or with.
type CPEMatch struct {
	Vulnerable            bool   `json:"vulnerable"`
	Criteria              string `json:"criteria"` // CPE 2.3 formatted string
	VersionStartIncluding string `json:"vsi,omitempty"`
	VersionStartExcluding string `json:"vse,omitempty"`
	VersionEndIncluding   string `json:"vei,omitempty"`
	VersionEndExcluding   string `json:"vee,omitempty"`
}

// Reference is a link with its OSV/NVD type.
type Reference struct {
	Type string `json:"type,omitempty"`
	URL  string `json:"url"`
}

// EPSS is FIRST's exploit prediction for a CVE on a date.
type EPSS struct {
	Score      float64   `json:"score"`
	Percentile float64   `json:"percentile"`
	Date       time.Time `json:"date,omitzero"`
	Model      string    `json:"model,omitempty"`
}

// KEV is the CISA Known Exploited Vulnerabilities entry for a CVE.
type KEV struct {
	DateAdded      time.Time `json:"date_added,omitzero"`
	DueDate        time.Time `json:"due_date,omitzero"`
	RansomwareUse  string    `json:"ransomware,omitempty"` // "Known", "Unknown"
	VendorProject  string    `json:"vendor,omitempty"`
	Product        string    `json:"product,omitempty"`
	Name           string    `json:"name,omitempty"`
	RequiredAction string    `json:"action,omitempty"`
	CWEs           []string  `json:"cwes,omitempty"` // the catalog's cwes
}

// Exploitation is a report, other than CISA KEV, that a vulnerability is
// actively exploited: an entry of the EU Vulnerability Database's exploited
// list or a CSAF advisory whose exploit_status says so.
type Exploitation struct {
	Source    Source    `json:"source"`              // SourceEUVD, SourceCSAF
	Reference string    `json:"reference"`           // EUVD id, CSAF tracking id
	Since     time.Time `json:"since,omitzero"`      // exploited since (EUVD) or the statement's date (CSAF)
	Detail    string    `json:"detail,omitempty"`    // what the source says
	Publisher string    `json:"publisher,omitempty"` // CSAF publisher
}

// IDs returns the advisory id followed by its aliases.
func (a *Advisory) IDs() []string {
	return append([]string{a.ID}, a.Aliases...)
}

// HasID reports whether id is the advisory's id or one of its aliases.
func (a *Advisory) HasID(id string) bool {
	return strings.EqualFold(a.ID, id) || slices.ContainsFunc(a.Aliases, func(s string) bool { return strings.EqualFold(s, id) })
}

// CVEs returns the CVE ids among the advisory's id and aliases.
func (a *Advisory) CVEs() []string {
	var out []string
	for _, id := range a.IDs() {
		if strings.HasPrefix(id, "CVE-") {
			out = append(out, id)
		}
	}
	return out
}

// IndexKeys returns the lookup keys a store should index this advisory by:
// "pkg:<Ecosystem>/<normalised name>" for every affected package (ecosystem
// without release suffix) and "cpe:<vendor>:<product>" for every CPE in its
// configurations. The matcher uses the same keys.
func (a *Advisory) IndexKeys() []string {
	var keys keySet
	for _, af := range a.Affected {
		keys.add(PackageKey(af.Ecosystem, af.Name))
	}
	for _, c := range a.Configurations {
		walkMatches(c.Nodes, func(m *CPEMatch) {
			if p, err := ParseCPE(m.Criteria); err == nil {
				keys.add(p.Key())
				keys.add(p.productKey())
			}
		})
	}
	sort.Strings(keys.out)
	return keys.out
}

// keySet collects distinct non-empty keys in the order they are first added.
type keySet struct {
	seen map[string]bool
	out  []string
}

func (s *keySet) add(k string) {
	if k == "" || s.seen[k] {
		return
	}
	if s.seen == nil {
		s.seen = map[string]bool{}
	}
	s.seen[k] = true
	s.out = append(s.out, k)
}

func walkMatches(nodes []Node, fn func(*CPEMatch)) {
	for i := range nodes {
		for j := range nodes[i].Matches {
			fn(&nodes[i].Matches[j])
		}
		walkMatches(nodes[i].Children, fn)
	}
}
