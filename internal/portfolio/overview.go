package portfolio

import (
	"cmp"
	"context"
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/vuln"
)

// OverviewQuery filters and sorts the portfolio vulnerability list.
type OverviewQuery struct {
	Products      []int64 // readable products (nil: all)
	ProductID     int64
	ReleaseStatus string  // development, shipped, end-of-life
	Severity      string  // at least this severity (low … critical)
	KEV           bool    // only known exploited
	EPSSAbove     float64 // EPSS probability above this (0–1)
	// VEX is an analysis state (not_affected, affected, fixed,
	// under_investigation), "none" (not analysed) or "any". Unset: every
	// match not suppressed by a not_affected decision.
	VEX          string
	FixAvailable *bool
	Search       string // id or alias (CVE, GHSA, …), or a word of the summary
	Sort         string // risk (default), severity, epss, cvss, releases, first_seen, id
	Desc         bool   // for sorts other than risk: descending
	Cursor       string
	Limit        int
}

// AffectedRelease is one release a vulnerability affects.
type AffectedRelease struct {
	ReleaseID   int64    `json:"release_id"`
	Version     string   `json:"version"`
	Status      string   `json:"status"`
	ProductID   int64    `json:"product_id"`
	ProductName string   `json:"product_name"`
	Components  []string `json:"components"`
	VEX         string   `json:"vex,omitempty"`
}

// VulnRow is one vulnerability across the portfolio: the worst of its
// matches, and where it is.
type VulnRow struct {
	ID           string            `json:"id"`
	Aliases      []string          `json:"aliases,omitempty"`
	Summary      string            `json:"summary,omitempty"`
	Severity     string            `json:"severity"`
	CVSSScore    float64           `json:"cvss_score"`
	EPSS         float64           `json:"epss"`
	KEV          bool              `json:"kev"`
	KEVDue       string            `json:"kev_due,omitempty"`
	FixAvailable bool              `json:"fix_available"`
	FixedIn      []string          `json:"fixed_versions,omitempty"`
	FirstSeen    time.Time         `json:"first_seen"`
	Releases     []AffectedRelease `json:"releases"`
	Products     int               `json:"products"`
	// VEX counts the matches per analysis state ("none": not analysed).
	VEX  map[string]int `json:"vex"`
	rank int
}

// Overview is one page of the list with the totals of the whole filter.
type Overview struct {
	Items []VulnRow `json:"items"`
	Next  string    `json:"next,omitempty"`
	Total int       `json:"total"`
	// BySeverity, KEV and Releases count the whole filtered list.
	BySeverity map[string]int `json:"by_severity"`
	KEV        int            `json:"kev"`
	Releases   int            `json:"releases"`
}

var overviewSorts = map[string]bool{"": true, "risk": true, "severity": true, "epss": true, "cvss": true, "releases": true, "first_seen": true, "id": true}

// MatchStore is what VulnOverview reads: the portfolio's matches selected
// by their indexed columns.
type MatchStore interface {
	Matches(ctx context.Context, q vuln.MatchQuery) ([]vuln.ReleaseVuln, error)
}

// VulnOverview lists the vulnerabilities of the portfolio, one row per
// vulnerability, filtered, sorted and paginated (the cursor is the offset
// in the sorted list). The indexed filters (product, release status, KEV,
// severity, suppression) are applied by the database; the others here.
// Errors: invalid field (severity, vex, sort, epss, cursor).
func VulnOverview(ctx context.Context, st MatchStore, q OverviewQuery) (Overview, error) {
	mq := vuln.MatchQuery{Products: q.Products, ProductID: q.ProductID, ReleaseStatus: q.ReleaseStatus, KEV: q.KEV}
	if q.Severity != "" {
		lvl := vuln.ParseLevel(q.Severity)
		if lvl == vuln.LevelUnknown {
			return Overview{}, fault.Invalid("severity", "%q: want low, medium, high or critical", q.Severity)
		}
		mq.MinSeverity = int(lvl)
	}
	switch q.ReleaseStatus {
	case "", "development", "shipped", "end-of-life":
	default:
		return Overview{}, fault.Invalid("release_status", "%q: want development, shipped or end-of-life", q.ReleaseStatus)
	}
	switch q.VEX {
	case "":
	case "any", "none", string(vuln.VEXNotAffected), string(vuln.VEXAffected), string(vuln.VEXFixed), string(vuln.VEXUnderInvestigation):
		mq.Suppressed = true
	default:
		return Overview{}, fault.Invalid("vex", "%q: want not_affected, affected, fixed, under_investigation, none or any", q.VEX)
	}
	if !overviewSorts[q.Sort] {
		return Overview{}, fault.Invalid("sort", "%q: want risk, severity, epss, cvss, releases, first_seen or id", q.Sort)
	}
	if !(q.EPSSAbove >= 0 && q.EPSSAbove <= 1) { // false for NaN too
		return Overview{}, fault.Invalid("epss_above", "%v: a probability between 0 and 1", q.EPSSAbove)
	}
	offset := 0
	if q.Cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(q.Cursor)
		n, cerr := strconv.Atoi(strings.TrimPrefix(string(b), "o:"))
		if err != nil || cerr != nil || n < 0 || !strings.HasPrefix(string(b), "o:") {
			return Overview{}, fault.Invalid("cursor", "%q is not a cursor of this list", q.Cursor)
		}
		offset = n
	}
	limit := q.Limit
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	matches, err := st.Matches(ctx, mq)
	if err != nil {
		return Overview{}, err
	}
	rows := groupMatches(matches, q)
	sortRows(rows, q.Sort, q.Desc)
	out := Overview{Total: len(rows), BySeverity: map[string]int{}, Items: []VulnRow{}}
	releases := map[int64]bool{}
	for _, r := range rows {
		out.BySeverity[r.Severity]++
		if r.KEV {
			out.KEV++
		}
		for _, a := range r.Releases {
			releases[a.ReleaseID] = true
		}
	}
	out.Releases = len(releases)
	if offset < len(rows) {
		end := min(offset+limit, len(rows))
		out.Items = rows[offset:end]
		if end < len(rows) {
			out.Next = base64.RawURLEncoding.EncodeToString([]byte("o:" + strconv.Itoa(end)))
		}
	}
	return out, nil
}

// vexState is the analysis state of a match, "none" when it is not
// analysed (the value of the VEX filters).
func vexState(m *vuln.ReleaseVuln) string {
	if m.Analysis == nil {
		return "none"
	}
	return string(m.Analysis.Status)
}

// groupMatches keeps the matches the remaining filters select and folds
// them into one row per vulnerability.
func groupMatches(matches []vuln.ReleaseVuln, q OverviewQuery) []VulnRow {
	search := strings.ToLower(strings.TrimSpace(q.Search))
	byID := map[string]*VulnRow{}
	var order []string
	for i := range matches {
		m := &matches[i]
		state := vexState(m)
		if q.VEX != "" && q.VEX != "any" && q.VEX != state {
			continue
		}
		if q.EPSSAbove > 0 && m.EPSS <= q.EPSSAbove {
			continue
		}
		fix := len(m.FixedVersions) > 0
		if q.FixAvailable != nil && *q.FixAvailable != fix {
			continue
		}
		if search != "" && !matchesSearch(m, search) {
			continue
		}
		r, ok := byID[m.VulnID]
		if !ok {
			r = &VulnRow{ID: m.VulnID, Summary: m.Summary, VEX: map[string]int{}, FirstSeen: m.FirstSeen, rank: -1}
			byID[m.VulnID] = r
			order = append(order, m.VulnID)
		}
		for _, a := range m.Aliases {
			if !slices.Contains(r.Aliases, a) {
				r.Aliases = append(r.Aliases, a)
			}
		}
		if m.SeverityRank > r.rank {
			r.rank, r.Severity = m.SeverityRank, m.Severity
		}
		r.CVSSScore = max(r.CVSSScore, m.CVSSScore)
		r.EPSS = max(r.EPSS, m.EPSS)
		if m.KEV {
			r.KEV = true
			if m.KEVDue != "" {
				r.KEVDue = m.KEVDue
			}
		}
		for _, f := range m.FixedVersions {
			if !slices.Contains(r.FixedIn, f) {
				r.FixedIn = append(r.FixedIn, f)
			}
		}
		r.FixAvailable = r.FixAvailable || fix
		if m.FirstSeen.Before(r.FirstSeen) {
			r.FirstSeen = m.FirstSeen
		}
		r.VEX[state]++
		comp := m.ComponentName + " " + m.ComponentVersion
		found := false
		for j := range r.Releases {
			a := &r.Releases[j]
			if a.ReleaseID == m.ReleaseID {
				found = true
				if !slices.Contains(a.Components, comp) {
					a.Components = append(a.Components, comp)
				}
			}
		}
		if !found {
			r.Releases = append(r.Releases, AffectedRelease{ReleaseID: m.ReleaseID, Version: m.ReleaseVersion, Status: m.ReleaseStatus,
				ProductID: m.ProductID, ProductName: m.ProductName, Components: []string{comp}, VEX: state})
		}
	}
	rows := make([]VulnRow, 0, len(order))
	for _, id := range order {
		r := byID[id]
		products := map[int64]bool{}
		for _, a := range r.Releases {
			products[a.ProductID] = true
		}
		r.Products = len(products)
		rows = append(rows, *r)
	}
	return rows
}

func matchesSearch(m *vuln.ReleaseVuln, search string) bool {
	if strings.Contains(strings.ToLower(m.VulnID), search) {
		return true
	}
	for _, a := range m.Aliases {
		if strings.Contains(strings.ToLower(a), search) {
			return true
		}
	}
	return strings.Contains(strings.ToLower(m.Summary), search)
}

// sortRows orders the list. "risk" (the default) is known exploited
// first, then severity, EPSS and the number of affected releases.
func sortRows(rows []VulnRow, by string, desc bool) {
	cmpRisk := func(a, b VulnRow) int {
		switch {
		case a.KEV != b.KEV:
			if a.KEV {
				return -1
			}
			return 1
		case a.rank != b.rank:
			return b.rank - a.rank
		case a.EPSS != b.EPSS:
			if a.EPSS > b.EPSS {
				return -1
			}
			return 1
		case len(a.Releases) != len(b.Releases):
			return len(b.Releases) - len(a.Releases)
		}
		return strings.Compare(a.ID, b.ID)
	}
	slices.SortStableFunc(rows, func(a, b VulnRow) int {
		var c int
		switch by {
		case "", "risk":
			return cmpRisk(a, b)
		case "severity":
			c = a.rank - b.rank
		case "epss":
			c = cmp.Compare(a.EPSS, b.EPSS)
		case "cvss":
			c = cmp.Compare(a.CVSSScore, b.CVSSScore)
		case "releases":
			c = len(a.Releases) - len(b.Releases)
		case "first_seen":
			c = a.FirstSeen.Compare(b.FirstSeen)
		case "id":
			c = strings.Compare(a.ID, b.ID)
		}
		if desc {
			c = -c
		}
		if c == 0 {
			return strings.Compare(a.ID, b.ID)
		}
		return c
	})
}
