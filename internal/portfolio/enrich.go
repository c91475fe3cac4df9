package portfolio

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/vuln"
)

// EnrichStore is what EnrichFindings needs of the store: the release's
// findings to enrich with their product context, its SBOM matches, the
// advisories, EPSS scores and KEV entries of their vulnerabilities, the
// write of each finding's new state, and the transaction they share.
type EnrichStore interface {
	Atomic(ctx context.Context, fn func(ctx context.Context) error) error
	FindingsToEnrich(ctx context.Context, releaseID int64) ([]findings.EnrichTarget, findings.EnrichContext, error)
	ReleaseVulnStore
	intelStore
	SetFindingEnrichment(ctx context.Context, e findings.EnrichedFinding) error
}

// intelStore reads what the vulnerability database knows of a set of
// vulnerability ids (loadIntel).
type intelStore interface {
	AdvisoriesByAliases(ctx context.Context, ids []string) ([]vuln.Advisory, error)
	Enrichment(ctx context.Context, cves []string) (map[string]vuln.EPSS, map[string]vuln.KEV, error)
}

// EnrichFindings brings what the vulnerability database knows (CISA KEV,
// FIRST EPSS, CVSS, fixed versions) to the scanner findings of a release
// and links each to the SBOM match of the same vulnerability and component,
// in one transaction. Risk and SLA follow the enriched values
// (findings.Enrich): a Nessus finding for a CVE in KEV becomes KEV and gets
// the KEV deadline. It runs after every scan import and every re-match (so
// after every feed import or sync); matches are the release's current SBOM
// matches (nil: read from the store).
func EnrichFindings(ctx context.Context, st EnrichStore, releaseID int64, matches []vuln.ReleaseVuln) error {
	return st.Atomic(ctx, func(ctx context.Context) error {
		targets, ec, err := st.FindingsToEnrich(ctx, releaseID)
		if err != nil || len(targets) == 0 {
			return err
		}
		if matches == nil {
			if matches, err = st.ReleaseVulns(ctx, releaseID); err != nil {
				return err
			}
		}
		intel, err := loadIntel(ctx, st, targets)
		if err != nil {
			return err
		}
		for i := range targets {
			t := &targets[i]
			m := linkedMatch(t.Finding, matches)
			upd := enrichOne(t, intel.of(t.Finding, m), m, ec)
			if unchanged(t, upd) {
				continue
			}
			if err := st.SetFindingEnrichment(ctx, upd); err != nil {
				return err
			}
		}
		return nil
	})
}

// intel is the database's knowledge of a set of findings' vulnerabilities.
type intel struct {
	advisories []vuln.Advisory
	epss       map[string]vuln.EPSS
	kev        map[string]vuln.KEV
}

func loadIntel(ctx context.Context, st intelStore, targets []findings.EnrichTarget) (*intel, error) {
	idSet := map[string]bool{}
	for i := range targets {
		for _, id := range targets[i].Finding.VulnerabilityIDs {
			idSet[id] = true
		}
	}
	ids := make([]string, 0, len(idSet))
	for id := range idSet {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	advs, err := st.AdvisoriesByAliases(ctx, ids)
	if err != nil {
		return nil, err
	}
	advs = vuln.Merge(advs)
	cveSet := map[string]bool{}
	for _, id := range ids {
		if strings.HasPrefix(id, "CVE-") {
			cveSet[id] = true
		}
	}
	for i := range advs {
		for _, c := range advs[i].CVEs() {
			cveSet[c] = true
		}
	}
	cves := make([]string, 0, len(cveSet))
	for c := range cveSet {
		cves = append(cves, c)
	}
	slices.Sort(cves)
	epss, kev, err := st.Enrichment(ctx, cves)
	if err != nil {
		return nil, err
	}
	return &intel{advisories: advs, epss: epss, kev: kev}, nil
}

// of returns the enrichment of one finding: from the advisories naming any
// of its ids, and the KEV and EPSS records of every CVE among them. Fixed
// versions come from the linked SBOM match when there is one, else from the
// advisories' entries for the finding's component.
func (in *intel) of(f findings.Finding, m *vuln.ReleaseVuln) findings.Enrichment {
	var e findings.Enrichment
	cves := map[string]bool{}
	for _, id := range f.VulnerabilityIDs {
		if strings.HasPrefix(id, "CVE-") {
			cves[id] = true
		}
	}
	var best vuln.CVSS
	haveBest := false
	var fixed []string
	for i := range in.advisories {
		a := &in.advisories[i]
		if !slices.ContainsFunc(f.VulnerabilityIDs, a.HasID) {
			continue
		}
		e.Advisories = append(e.Advisories, a.ID)
		for _, c := range a.CVEs() {
			cves[c] = true
		}
		if c, ok := a.BestCVSS(); ok && (c.Version == "4.0" || strings.HasPrefix(c.Version, "3")) &&
			(!haveBest || c.Version > best.Version || (c.Version == best.Version && c.Score > best.Score)) {
			best, haveBest = c, true
		}
		fixed = append(fixed, fixedFor(a, f.Component)...)
	}
	if haveBest {
		score := best.Score
		if best.Version == "4.0" {
			e.CVSS = findings.CVSS{V4Vector: best.Vector, V4Score: &score}
		} else {
			e.CVSS = findings.CVSS{V3Vector: best.Vector, V3Score: &score}
		}
	}
	for c := range cves {
		if k, ok := in.kev[c]; ok {
			e.KEV = true
			if !k.DueDate.IsZero() && (e.KEVDue == nil || k.DueDate.Before(*e.KEVDue)) {
				d := k.DueDate.UTC()
				e.KEVDue = &d
			}
		}
		if s, ok := in.epss[c]; ok && (e.EPSS == nil || s.Score > *e.EPSS) {
			score, pct := s.Score, s.Percentile
			e.EPSS, e.EPSSPercentile = &score, &pct
		}
	}
	if m != nil && len(m.FixedVersions) > 0 {
		fixed = m.FixedVersions
	}
	for _, v := range fixed {
		if !slices.Contains(e.FixedVersions, v) {
			e.FixedVersions = append(e.FixedVersions, v)
		}
	}
	slices.Sort(e.Advisories)
	return e
}

// fixedFor returns the versions an advisory says fix the component (its
// OSV entries of the same package name or purl, its NVD ranges of the same
// CPE product).
func fixedFor(a *vuln.Advisory, c findings.Component) []string {
	if c.Name == "" && c.PURL == "" {
		return nil
	}
	var out []string
	for _, af := range a.Affected {
		if !strings.EqualFold(af.Name, c.Name) && (c.PURL == "" || af.PURL == "" || !strings.HasPrefix(strings.ToLower(c.PURL), strings.ToLower(af.PURL))) {
			continue
		}
		for _, r := range af.Ranges {
			for _, ev := range r.Events {
				if ev.Fixed != "" && r.Type != vuln.RangeGit {
					out = append(out, ev.Fixed)
				}
			}
		}
	}
	if c.Name == "" {
		return out
	}
	for _, cfg := range a.Configurations {
		var walk func(n []vuln.Node)
		walk = func(ns []vuln.Node) {
			for _, n := range ns {
				for _, cm := range n.Matches {
					if parts := strings.Split(cm.Criteria, ":"); cm.Vulnerable && cm.VersionEndExcluding != "" && len(parts) > 4 && strings.EqualFold(parts[4], c.Name) {
						out = append(out, cm.VersionEndExcluding)
					}
				}
				walk(n.Children)
			}
		}
		walk(cfg.Nodes)
	}
	return out
}

// linkedMatch returns the release's SBOM match of the same vulnerability
// (id or alias) and component as f, or nil.
func linkedMatch(f findings.Finding, matches []vuln.ReleaseVuln) *vuln.ReleaseVuln {
	for i := range matches {
		m := &matches[i]
		if findings.SameVulnerability(f.VulnerabilityIDs, m.VulnID, m.Aliases) && findings.SameComponent(f.Component, m.ComponentName, m.ComponentVersion, m.PURL) {
			return m
		}
	}
	return nil
}

// enrichOne computes the stored state of a finding with enrichment e.
// The deadline changes only where KEV decides it: a finding that is known
// exploited gets the KEV deadline (CISA's due date when earlier than the
// SLA's), and one whose deadline came from KEV goes back to the policy when
// it no longer is; any other deadline stays as it was set at import.
func enrichOne(t *findings.EnrichTarget, e findings.Enrichment, m *vuln.ReleaseVuln, ec findings.EnrichContext) findings.EnrichedFinding {
	eff := findings.Enrich(t.Finding, e)
	out := findings.EnrichedFinding{ID: t.ID, KEV: eff.KEV, EPSS: eff.EPSS.Score, CVSS: eff.CVSS.BestScore(), SLADue: t.SLADue, SLASource: t.SLASource}
	if !e.IsZero() {
		b, _ := json.Marshal(e)
		out.Enrichment = string(b)
	}
	out.Risk = findings.RiskScore(findings.RiskInput{Severity: eff.Severity, CVSS: eff.CVSS, EPSS: eff.EPSS.Score, KEV: eff.KEV,
		Criticality: ec.Criticality, Exposure: findings.Exposure(ec.Exposure)})
	if eff.KEV || t.SLASource == "kev" {
		out.SLADue, out.SLASource = nil, ""
		if d, ok := ec.SLA.KEVDeadline(eff.Severity, t.FirstSeen, findings.Enrichment{KEV: eff.KEV, KEVDue: e.KEVDue}); ok {
			due := d.Due.UTC()
			out.SLADue, out.SLASource = &due, d.Source
		}
	}
	if m != nil {
		out.MatchRef, out.MatchVuln = m.ComponentRef, m.VulnID
	}
	return out
}

func unchanged(t *findings.EnrichTarget, u findings.EnrichedFinding) bool {
	return t.Enrichment == u.Enrichment && t.KEV == u.KEV && eqFloat(t.EPSS, u.EPSS) && eqFloat(t.CVSS, u.CVSS) &&
		t.Risk == u.Risk.Score && t.Priority == u.Risk.Priority && eqTime(t.SLADue, u.SLADue) && t.SLASource == u.SLASource &&
		t.MatchRef == u.MatchRef && t.MatchVuln == u.MatchVuln
}

func eqFloat(a, b *float64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func eqTime(a, b *time.Time) bool {
	return (a == nil) == (b == nil) && (a == nil || a.Truncate(time.Second).Equal(b.Truncate(time.Second)))
}
