package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/vuln"
)

// FindingsToEnrich returns the release's findings that name at least one
// vulnerability id or carry an enrichment or match link, and the product
// context their risk and SLA are computed in.
func (s *Store) FindingsToEnrich(ctx context.Context, releaseID int64) ([]findings.EnrichTarget, findings.EnrichContext, error) {
	var ec findings.EnrichContext
	var slaRaw string
	err := s.conn(ctx).QueryRowContext(ctx, s.q(`SELECT p.criticality, p.exposure, p.sla FROM releases r JOIN products p ON p.id = r.product_id WHERE r.id = ?`), releaseID).
		Scan(&ec.Criticality, &ec.Exposure, &slaRaw)
	if err != nil {
		return nil, ec, fmt.Errorf("release %d: %w", releaseID, mapErr(err))
	}
	ec.SLA = findings.DefaultSLA()
	if slaRaw != "" {
		_ = json.Unmarshal([]byte(slaRaw), &ec.SLA)
	}
	out, err := queryAll(ctx, s.conn(ctx), s.q(`SELECT id, data, status, first_seen, enrichment, kev, epss, cvss, risk_score, priority, sla_due, sla_source, match_ref, match_vuln
		FROM findings WHERE release_id = ? AND (TRIM(vuln_ids) <> '' OR enrichment <> '' OR match_vuln <> '') ORDER BY id`), scanEnrichTarget, releaseID)
	if err != nil {
		return nil, ec, fmt.Errorf("findings of release %d: %w", releaseID, err)
	}
	return out, ec, nil
}

func scanEnrichTarget(sc rowScanner) (findings.EnrichTarget, error) {
	var t findings.EnrichTarget
	var data, status, first string
	var epss, cvss sql.NullFloat64
	var due sql.NullString
	if err := sc.Scan(&t.ID, &data, &status, &first, &t.Enrichment, &t.KEV, &epss, &cvss, &t.Risk, &t.Priority, &due, &t.SLASource, &t.MatchRef, &t.MatchVuln); err != nil {
		return t, err
	}
	if err := json.Unmarshal([]byte(data), &t.Finding); err != nil {
		return t, fmt.Errorf("finding %d: stored data: %w", t.ID, err)
	}
	t.Status, t.FirstSeen = findings.Status(status), parseTime(first)
	if epss.Valid {
		t.EPSS = &epss.Float64
	}
	if cvss.Valid {
		t.CVSS = &cvss.Float64
	}
	t.SLADue = parseTimePtr(due)
	return t, nil
}

// SetFindingEnrichment stores a finding's enrichment, the scores and
// deadline derived from it and its match link.
func (s *Store) SetFindingEnrichment(ctx context.Context, e findings.EnrichedFinding) error {
	_, err := s.exec(ctx, s.q(`UPDATE findings SET enrichment = ?, kev = ?, epss = ?, cvss = ?, risk_score = ?, priority = ?, sla_due = ?, sla_source = ?,
		match_ref = ?, match_vuln = ? WHERE id = ?`), e.Enrichment, e.KEV, nullFloat(e.EPSS), nullFloat(e.CVSS), e.Risk.Score, e.Risk.Priority,
		fmtTimePtr(e.SLADue), e.SLASource, e.MatchRef, e.MatchVuln, e.ID)
	if err != nil {
		return fmt.Errorf("enrich finding %d: %w", e.ID, err)
	}
	return nil
}

// AdvisoriesByAliases returns every stored record that names any of ids
// (its own id or an alias).
func (s *Store) AdvisoriesByAliases(ctx context.Context, ids []string) ([]vuln.Advisory, error) {
	return s.advisoriesIn(ctx, `SELECT DISTINCT a.id, a.data FROM advisory_ids x JOIN advisories a ON a.id = x.advisory_id WHERE x.alias IN `, ids)
}

// ReleasesWithFindingsOf returns the releases holding a finding that names
// any of the vulnerability ids, or one already enriched (whose enrichment
// the new data may change).
func (s *Store) ReleasesWithFindingsOf(ctx context.Context, ids map[string]bool) ([]int64, error) {
	var out []int64
	last := int64(-1)
	err := queryEach(ctx, s.conn(ctx), s.q(`SELECT release_id, vuln_ids FROM findings WHERE TRIM(vuln_ids) <> '' ORDER BY release_id`), func(sc rowScanner) error {
		var rid int64
		var list string
		if err := sc.Scan(&rid, &list); err != nil || rid == last {
			return err
		}
		for _, id := range strings.Fields(list) {
			if ids[id] {
				out, last = append(out, rid), rid
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("findings naming vulnerabilities: %w", err)
	}
	return out, nil
}

// linkedFindings fills LinkedFindings of matches from the findings linked
// to them.
func (s *Store) linkedFindings(ctx context.Context, ms []vuln.ReleaseVuln) error {
	if len(ms) == 0 {
		return nil
	}
	releases := map[int64]bool{}
	for i := range ms {
		releases[ms[i].ReleaseID] = true
	}
	type key struct {
		rel       int64
		ref, vuln string
	}
	links := map[key][]int64{}
	for rid := range releases {
		err := queryEach(ctx, s.conn(ctx), s.q(`SELECT id, match_ref, match_vuln FROM findings WHERE release_id = ? AND match_vuln <> '' ORDER BY id`), func(sc rowScanner) error {
			var id int64
			var ref, v string
			if err := sc.Scan(&id, &ref, &v); err != nil {
				return err
			}
			links[key{rid, ref, v}] = append(links[key{rid, ref, v}], id)
			return nil
		}, rid)
		if err != nil {
			return err
		}
	}
	for i := range ms {
		ms[i].LinkedFindings = links[key{ms[i].ReleaseID, ms[i].ComponentRef, ms[i].VulnID}]
	}
	return nil
}

// ReleaseRiskCounts counts a release's SBOM matches, active scanner
// findings and the findings linked to a match.
func (s *Store) ReleaseRiskCounts(ctx context.Context, releaseID int64) (vuln.RiskCounts, error) {
	var c vuln.RiskCounts
	err := s.conn(ctx).QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM release_vulns WHERE release_id = ? AND NOT suppressed`), releaseID).Scan(&c.SBOMMatches)
	if err != nil {
		return c, err
	}
	err = s.conn(ctx).QueryRowContext(ctx, s.q(`SELECT COUNT(*), COALESCE(SUM(CASE WHEN match_vuln <> '' THEN 1 ELSE 0 END), 0) FROM findings WHERE release_id = ? AND active = ?`), releaseID, true).
		Scan(&c.ScannerFindings, &c.Linked)
	return c, err
}

// ProductReleaseRisk returns the vulnerability counts of every release of
// a product, keyed by release id (releases without any are absent).
func (s *Store) ProductReleaseRisk(ctx context.Context, productID int64, now time.Time) (map[int64]*vuln.ReleaseRiskRow, error) {
	out := map[int64]*vuln.ReleaseRiskRow{}
	row := func(id int64) *vuln.ReleaseRiskRow {
		if out[id] == nil {
			out[id] = &vuln.ReleaseRiskRow{Matches: map[string]int{}}
		}
		return out[id]
	}
	err := queryEach(ctx, s.conn(ctx), s.q(`SELECT v.release_id, v.severity_rank, v.kev, COUNT(*) FROM release_vulns v JOIN releases r ON r.id = v.release_id
		WHERE r.product_id = ? AND NOT v.suppressed GROUP BY v.release_id, v.severity_rank, v.kev`), func(sc rowScanner) error {
		var id int64
		var rank, n int
		var kev bool
		if err := sc.Scan(&id, &rank, &kev, &n); err != nil {
			return err
		}
		r := row(id)
		r.Matches[vuln.Level(rank).String()] += n
		r.SBOMMatches += n
		if kev {
			r.KEV += n
		}
		return nil
	}, productID)
	if err != nil {
		return nil, fmt.Errorf("matches of product %d: %w", productID, err)
	}
	err = queryEach(ctx, s.conn(ctx), s.q(`SELECT release_id, COUNT(*), COALESCE(SUM(CASE WHEN match_vuln <> '' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN sla_due < ? THEN 1 ELSE 0 END), 0) FROM findings WHERE product_id = ? AND active = ? GROUP BY release_id`), func(sc rowScanner) error {
		var id int64
		var n, linked, overdue int
		if err := sc.Scan(&id, &n, &linked, &overdue); err != nil {
			return err
		}
		r := row(id)
		r.ScannerFindings, r.Linked, r.Overdue = n, linked, overdue
		return nil
	}, fmtTime(now), productID, true)
	if err != nil {
		return nil, fmt.Errorf("findings of product %d: %w", productID, err)
	}
	return out, nil
}
