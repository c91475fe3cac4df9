package portfolio

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/vuln"
)

// VulnDetail is one vulnerability, merged across sources, with every
// release of the portfolio it affects.
type VulnDetail struct {
	Advisory *vuln.Advisory     `json:"advisory"`
	Severity string             `json:"severity"`
	Score    float64            `json:"cvss_score"`
	Releases []vuln.ReleaseVuln `json:"releases"`
	// Findings are the scanner findings naming the vulnerability (any of
	// its ids) in the caller's products, worst first (at most 500).
	Findings []findings.Stored `json:"findings"`
	// EPSSTrend is the recorded EPSS history, oldest first.
	EPSSTrend []vuln.EPSSPoint `json:"epss_trend"`
	// Unknown is set by LoadVulnPage when the vulnerability database
	// holds no advisory for the id: Advisory carries the id alone.
	Unknown bool `json:"-"`
}

// VulnDetailStore is what LoadVulnDetail reads besides the advisory: the
// releases a vulnerability affects, its EPSS history and the scanner
// findings naming it.
type VulnDetailStore interface {
	VulnReleases(ctx context.Context, ids []string, products []int64) ([]vuln.ReleaseVuln, error)
	EPSSHistory(ctx context.Context, cves []string) ([]vuln.EPSSPoint, error)
	Findings(ctx context.Context, q findings.Query) ([]findings.Stored, string, error)
}

// LoadVulnDetail gathers a vulnerability page's data: the advisory and
// the releases it affects among products (nil: every product).
func LoadVulnDetail(ctx context.Context, st VulnDetailStore, vulns *Vulns, id string, products []int64) (VulnDetail, error) {
	a, err := vulns.Advisory(ctx, id)
	if err != nil {
		return VulnDetail{}, err
	}
	return vulnDetail(ctx, st, a, products)
}

// LoadVulnPage is LoadVulnDetail for the vulnerability page, which every
// page links for any id it shows (a finding's CVE, an incident's): an id
// the vulnerability database does not hold (not imported yet, or reserved
// and unpublished) gives the findings and releases naming it, Unknown set,
// rather than a dead link.
func LoadVulnPage(ctx context.Context, st VulnDetailStore, vulns *Vulns, id string, products []int64) (VulnDetail, error) {
	d, err := LoadVulnDetail(ctx, st, vulns, id, products)
	if !errors.Is(err, fault.ErrNotFound) || strings.TrimSpace(id) == "" {
		return d, err
	}
	d, err = vulnDetail(ctx, st, &vuln.Advisory{ID: id}, products)
	d.Unknown = true
	return d, err
}

func vulnDetail(ctx context.Context, st VulnDetailStore, a *vuln.Advisory, products []int64) (VulnDetail, error) {
	lvl, score := a.Rating()
	rels, err := st.VulnReleases(ctx, a.IDs(), products)
	if err != nil {
		return VulnDetail{}, err
	}
	trend, err := st.EPSSHistory(ctx, a.CVEs())
	if err != nil {
		return VulnDetail{}, err
	}
	fs, _, err := st.Findings(ctx, findings.Query{VulnIDs: a.IDs(), Products: products, Limit: 500})
	if err != nil {
		return VulnDetail{}, err
	}
	if fs == nil {
		fs = []findings.Stored{}
	}
	return VulnDetail{Advisory: a, Severity: lvl.String(), Score: score, Releases: rels, Findings: fs, EPSSTrend: trend}, nil
}

// Sparkline returns SVG polyline points (in a 300×60 box) for the EPSS
// trend, scores 0–1 on the vertical axis.
func (d VulnDetail) Sparkline() string {
	n := len(d.EPSSTrend)
	if n < 2 {
		return ""
	}
	var b strings.Builder
	for i, p := range d.EPSSTrend {
		x := 5 + i*290/(n-1)
		y := 55 - int(p.Score*50)
		fmt.Fprintf(&b, "%d,%d ", x, y)
	}
	return strings.TrimSpace(b.String())
}
