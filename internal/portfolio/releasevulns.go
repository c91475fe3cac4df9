package portfolio

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/vuln"
)

// ReleaseRisk is a release with its vulnerability counts: SBOM matches,
// active scanner findings, and the findings linked to a match.
type ReleaseRisk struct {
	inventory.Release
	VulnerabilityCounts vuln.RiskCounts `json:"vulnerability_counts"`
}

// ReleaseRiskStore is what ReleaseWithRisk reads: the release and its
// vulnerability counts.
type ReleaseRiskStore interface {
	Release(ctx context.Context, id int64) (inventory.Release, error)
	ReleaseRiskCounts(ctx context.Context, releaseID int64) (vuln.RiskCounts, error)
}

// ReleaseVulnStore is what ReleaseVulns reads: a release's SBOM matches,
// worst first, with their linked findings.
type ReleaseVulnStore interface {
	ReleaseVulns(ctx context.Context, releaseID int64) ([]vuln.ReleaseVuln, error)
}

// ReleaseWithRisk returns a release and its vulnerability counts.
func ReleaseWithRisk(ctx context.Context, st ReleaseRiskStore, id int64) (ReleaseRisk, error) {
	rel, err := st.Release(ctx, id)
	if err != nil {
		return ReleaseRisk{}, err
	}
	c, err := st.ReleaseRiskCounts(ctx, id)
	return ReleaseRisk{Release: rel, VulnerabilityCounts: c}, err
}

// ReleaseVulnQuery filters, sorts and pages a release's SBOM matches.
type ReleaseVulnQuery struct {
	Severity string // exactly this severity (critical, high, medium, low, unknown)
	KEV      bool   // only known exploited
	// VEX is an analysis state (not_affected, affected, fixed,
	// under_investigation) or "none" (not analysed); empty: all.
	VEX    string
	Fix    string // "yes": a fixed version is known; "no": none is
	Search string // vulnerability id or alias, component name, summary
	// Sort: "" (known exploited, then severity: the default), severity,
	// cvss, epss, id, component, first_seen; Desc reverses it.
	Sort    string
	Desc    bool
	Page    int // 1-based
	PerPage int // 1–500, default 25
	// Unpaged returns every selected match on one page.
	Unpaged bool
}

// ReleaseVulnPage is one page of a release's matches.
type ReleaseVulnPage struct {
	Items []vuln.ReleaseVuln `json:"items"`
	// Total counts the matches the filter selects, All every match.
	Total int `json:"total"`
	All   int `json:"all"`
	Page  int `json:"page"`
	Pages int `json:"pages"`
}

// releaseVulnSeverities are the severities of matches (vuln.Level names).
var releaseVulnSeverities = []string{"critical", "high", "medium", "low", "none", "unknown"}

// ReleaseVulnSorts are the sort keys of ReleaseVulns.
var ReleaseVulnSorts = []string{"severity", "cvss", "epss", "id", "component", "first_seen"}

// ReleaseVulns returns one page of a release's matches, filtered and
// sorted. Errors: invalid field (severity, vex, fix, sort).
func ReleaseVulns(ctx context.Context, st ReleaseVulnStore, releaseID int64, q ReleaseVulnQuery) (ReleaseVulnPage, error) {
	if q.Severity != "" && !slices.Contains(releaseVulnSeverities, q.Severity) {
		return ReleaseVulnPage{}, fault.Invalid("severity", "%q: want one of %s", q.Severity, strings.Join(releaseVulnSeverities, ", "))
	}
	switch vuln.VEXStatus(q.VEX) {
	case "", "none", vuln.VEXNotAffected, vuln.VEXAffected, vuln.VEXFixed, vuln.VEXUnderInvestigation:
	default:
		return ReleaseVulnPage{}, fault.Invalid("vex", "%q: want not_affected, affected, fixed, under_investigation or none", q.VEX)
	}
	if q.Fix != "" && q.Fix != "yes" && q.Fix != "no" {
		return ReleaseVulnPage{}, fault.Invalid("fix", "%q: want yes or no", q.Fix)
	}
	if q.Sort != "" && !slices.Contains(ReleaseVulnSorts, q.Sort) {
		return ReleaseVulnPage{}, fault.Invalid("sort", "%q: want one of %s", q.Sort, strings.Join(ReleaseVulnSorts, ", "))
	}
	all, err := st.ReleaseVulns(ctx, releaseID)
	if err != nil {
		return ReleaseVulnPage{}, err
	}
	search := strings.ToLower(strings.TrimSpace(q.Search))
	var rows []vuln.ReleaseVuln
	for i := range all {
		m := &all[i]
		state := vexState(m)
		switch {
		case q.Severity != "" && m.Severity != q.Severity,
			q.KEV && !m.KEV,
			q.VEX != "" && q.VEX != state,
			q.Fix == "yes" && len(m.FixedVersions) == 0,
			q.Fix == "no" && len(m.FixedVersions) > 0,
			search != "" && !matchesSearch(m, search) && !strings.Contains(strings.ToLower(m.ComponentName), search):
			continue
		}
		rows = append(rows, *m)
	}
	if q.Sort != "" {
		slices.SortStableFunc(rows, func(a, b vuln.ReleaseVuln) int {
			var c int
			switch q.Sort {
			case "severity":
				c = cmp.Compare(b.SeverityRank, a.SeverityRank)
			case "cvss":
				c = cmp.Compare(b.CVSSScore, a.CVSSScore)
			case "epss":
				c = cmp.Compare(b.EPSS, a.EPSS)
			case "id":
				c = strings.Compare(a.VulnID, b.VulnID)
			case "component":
				c = cmp.Or(strings.Compare(strings.ToLower(a.ComponentName), strings.ToLower(b.ComponentName)), strings.Compare(a.ComponentVersion, b.ComponentVersion))
			case "first_seen":
				c = b.FirstSeen.Compare(a.FirstSeen)
			}
			if q.Desc {
				c = -c
			}
			return cmp.Or(c, strings.Compare(a.VulnID, b.VulnID), strings.Compare(a.ComponentRef, b.ComponentRef))
		})
	} else if q.Desc {
		slices.Reverse(rows)
	}
	per := q.PerPage
	if per <= 0 || per > 500 {
		per = 25
	}
	if q.Unpaged {
		per = max(len(rows), 1)
	}
	out := ReleaseVulnPage{Total: len(rows), All: len(all), Page: max(q.Page, 1), Pages: max((len(rows)+per-1)/per, 1)}
	out.Page = min(out.Page, out.Pages)
	start := (out.Page - 1) * per
	out.Items = rows[start:min(start+per, len(rows))]
	if out.Items == nil {
		out.Items = []vuln.ReleaseVuln{}
	}
	return out, nil
}
