package vuln

import (
	"time"

	"github.com/rampart-security/rampart/internal/fault"
)

// ReleaseVuln is a stored match of a release component with a vulnerability.
type ReleaseVuln struct {
	ReleaseID        int64    `json:"release_id"`
	ComponentRef     string   `json:"component_ref"`
	ComponentName    string   `json:"component_name"`
	ComponentVersion string   `json:"component_version"`
	PURL             string   `json:"purl,omitempty"`
	CPE              string   `json:"cpe,omitempty"`
	VulnID           string   `json:"vulnerability_id"`
	Aliases          []string `json:"aliases,omitempty"`
	Summary          string   `json:"summary,omitempty"`
	Severity         string   `json:"severity"`
	SeverityRank     int      `json:"-"`
	CVSSScore        float64  `json:"cvss_score"`
	EPSS             float64  `json:"epss"`
	KEV              bool     `json:"kev"`
	KEVDue           string   `json:"kev_due,omitempty"`
	// Exploited lists the EUVD and CSAF reports that the vulnerability is
	// actively exploited.
	Exploited     []Exploitation `json:"exploited,omitempty"`
	FixedVersions []string       `json:"fixed_versions,omitempty"`
	Reason        string         `json:"reason"`
	Via           string         `json:"via"`
	Suppressed    bool           `json:"suppressed"`
	Analysis      *Analysis      `json:"analysis,omitempty"`
	FirstSeen     time.Time      `json:"first_seen"`
	// LinkedFindings are the ids of the release's scanner findings of the
	// same vulnerability and component (filled by the store's
	// ReleaseVulns and VulnReleases; never stored with the match).
	LinkedFindings []int64 `json:"linked_findings,omitempty"`
	// Filled by portfolio queries.
	ProductID      int64  `json:"product_id,omitempty"`
	ProductName    string `json:"product_name,omitempty"`
	ReleaseVersion string `json:"release_version,omitempty"`
	ReleaseStatus  string `json:"release_status,omitempty"`
}

// Analysis is a VEX decision for one release × component × vulnerability.
type Analysis struct {
	Status        VEXStatus `json:"status"`
	Justification string    `json:"justification,omitempty"`
	Detail        string    `json:"detail,omitempty"`
	UpdatedAt     time.Time `json:"updated_at"`
	UpdatedBy     string    `json:"updated_by"`
}

// Validate checks the decision's status, and that not_affected says why.
// Errors: invalid field (status, justification).
func (a Analysis) Validate() error {
	switch a.Status {
	case VEXNotAffected:
		if a.Justification == "" {
			return fault.Invalid("justification", "justification: not_affected needs a justification (e.g. vulnerable_code_not_in_execute_path)")
		}
	case VEXAffected, VEXFixed, VEXUnderInvestigation:
	default:
		return fault.Invalid("status", "status: must be not_affected, affected, fixed or under_investigation")
	}
	return nil
}

// MatchQuery selects matches across the portfolio by their indexed
// columns; the overview (portfolio.VulnOverview) filters the rest.
type MatchQuery struct {
	Products      []int64 // readable products (nil: all)
	ProductID     int64   // 0: any
	ReleaseStatus string  // "": any
	KEV           bool    // only KEV matches
	MinSeverity   int     // severity rank at least
	Suppressed    bool    // include matches suppressed by VEX
}

// Summary counts unsuppressed matches across the portfolio.
type Summary struct {
	BySeverity      map[string]int `json:"by_severity"`
	KEV             int            `json:"kev"`
	KEVReleases     int            `json:"kev_releases"`
	AffectedRelease int            `json:"affected_releases"`
}

// RiskCounts are one release's vulnerabilities as the SBOM matches and the
// scanners see them.
type RiskCounts struct {
	// SBOMMatches counts the unsuppressed matches of the release's
	// components.
	SBOMMatches int `json:"sbom_matches"`
	// ScannerFindings counts the active scanner findings.
	ScannerFindings int `json:"scanner_findings"`
	// Linked counts the active findings linked to an SBOM match (the same
	// vulnerability in the same component).
	Linked int `json:"linked"`
}

// ReleaseRiskRow is one release's vulnerabilities for the product page:
// unsuppressed SBOM matches by severity (Level names) and KEV, and
// active scanner findings, linked and overdue.
type ReleaseRiskRow struct {
	Matches    map[string]int `json:"matches_by_severity"`
	KEV        int            `json:"kev"`
	RiskCounts                // SBOM matches, scanner findings, linked
	Overdue    int            `json:"overdue"`
}

// EPSSPoint is one day's EPSS score of a CVE.
type EPSSPoint struct {
	Day        string  `json:"day"`
	Score      float64 `json:"score"`
	Percentile float64 `json:"percentile"`
}
