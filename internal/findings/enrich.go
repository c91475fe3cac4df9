package findings

import (
	"slices"
	"strings"
	"time"
)

// Enrichment is what Rampart's vulnerability database knows about the
// vulnerabilities a finding names, beyond what the scanner reported: CISA
// KEV, FIRST EPSS, a CVSS score and fixed versions. It is kept beside the
// scanner's own finding (never written into it) and recomputed whenever the
// feeds change, so a KEV entry published after a scan still reaches it.
type Enrichment struct {
	// Advisories are the database ids the enrichment came from.
	Advisories []string `json:"advisories,omitempty"`
	KEV        bool     `json:"kev,omitempty"`
	// KEVDue is CISA's remediation due date of the earliest-due KEV entry.
	KEVDue         *time.Time `json:"kev_due,omitempty"`
	EPSS           *float64   `json:"epss,omitempty"`
	EPSSPercentile *float64   `json:"epss_percentile,omitempty"`
	CVSS           CVSS       `json:"cvss"`
	FixedVersions  []string   `json:"fixed_versions,omitempty"`
}

// IsZero reports whether the database added nothing.
func (e Enrichment) IsZero() bool {
	return len(e.Advisories) == 0 && !e.KEV && e.KEVDue == nil && e.EPSS == nil && e.EPSSPercentile == nil &&
		e.CVSS.BestScore() == nil && e.CVSS.V3Vector == "" && e.CVSS.V4Vector == "" && len(e.FixedVersions) == 0
}

// Enrich returns f as risk and SLA see it once the database's knowledge e
// is applied. The rule:
//
//   - KEV: the finding is known exploited when the scanner or CISA KEV says
//     so (a Nessus finding for a KEV CVE is KEV);
//   - EPSS: the database's score, which is current, wins over the one the
//     scanner copied at scan time;
//   - CVSS: the scanner's vector wins (it may be scored for the
//     environment); the database's fills in when the scanner gave none;
//   - fixed versions: the scanner's when it named any, else the database's.
//
// The severity stays the scanner's; f itself is not modified.
func Enrich(f Finding, e Enrichment) Finding {
	out := f
	out.KEV = f.KEV || e.KEV
	if e.EPSS != nil {
		out.EPSS = EPSS{Score: e.EPSS, Percentile: e.EPSSPercentile}
	}
	if f.CVSS.BestScore() == nil && e.CVSS.BestScore() != nil {
		out.CVSS = e.CVSS
	}
	if len(f.FixedVersions) == 0 && len(e.FixedVersions) > 0 {
		out.FixedVersions = slices.Clone(e.FixedVersions)
	}
	return out
}

// KEVDeadline returns a finding's deadline once enrichment is known: the
// SLA deadline from its first sighting, or CISA KEV's due date when that is
// earlier (the KEV SLA). ok is false when neither applies.
func (p SLAPolicy) KEVDeadline(sev Severity, firstSeen time.Time, e Enrichment) (Deadline, bool) {
	if !e.KEV {
		return p.Due(sev, firstSeen, nil)
	}
	if e.KEVDue == nil {
		// Known exploited without a CISA due date (the scanner's flag, an
		// entry without one): treated as critical.
		if days := p.Days(Critical); days > 0 {
			d := Deadline{Due: firstSeen.AddDate(0, 0, days), Source: "kev"}
			if sd, ok := p.Due(sev, firstSeen, nil); ok && sd.Due.Before(d.Due) {
				return sd, true
			}
			return d, true
		}
		return p.Due(sev, firstSeen, nil)
	}
	return p.Due(sev, firstSeen, e.KEVDue)
}

// SameVulnerability reports whether a finding's vulnerability ids name the
// vulnerability id or one of its aliases (case-insensitive).
func SameVulnerability(ids []string, id string, aliases []string) bool {
	for _, x := range ids {
		if strings.EqualFold(x, id) {
			return true
		}
		for _, a := range aliases {
			if strings.EqualFold(x, a) {
				return true
			}
		}
	}
	return false
}

// SameComponent reports whether a finding's component is the component
// name/version/purl of an SBOM: the same package URL (ignoring qualifiers
// and subpath), or the same name (case-insensitive) and version. A finding
// without a component (a network finding) is the same as nothing.
func SameComponent(c Component, name, version, purl string) bool {
	if c.PURL != "" && purl != "" {
		return purlBase(c.PURL) == purlBase(purl)
	}
	if c.Name == "" || c.Version == "" {
		return false
	}
	return strings.EqualFold(c.Name, name) && c.Version == version
}

func purlBase(p string) string {
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	return strings.ToLower(p)
}
