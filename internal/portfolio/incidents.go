package portfolio

import (
	"context"

	"github.com/rampart-security/rampart/internal/incident"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/vuln"
)

// detectExploited opens (or extends) an incident for every actively
// exploited vulnerability matched in a shipped release that is still in
// support. A match is exploited when vuln.ExploitationSignals gives it a
// signal (CISA KEV, the EU Vulnerability Database's exploited list, a CSAF
// advisory whose exploit_status says so, a CVE record whose CISA-ADP SSVC
// decision says "Exploitation: active"; the rule `rampart match` uses
// too); each source is its own signal, so a second source
// for the same vulnerability and release is recorded as corroboration on
// the incident the first one opened. Signals already acted on are skipped,
// so re-running a feed import or a re-match never double-opens.
func (v *Vulns) detectExploited(ctx context.Context, rel inventory.Release, matches []vuln.ReleaseVuln) error {
	if rel.Status != inventory.StatusShipped {
		return nil
	}
	now := v.now().UTC()
	if rel.SupportEnd != nil && rel.SupportEnd.AddDate(0, 0, 1).Before(now) {
		return nil // out of support: the CRA obligations end with the support period
	}
	var exps []incident.Exposure
	for _, m := range matches {
		if m.Suppressed {
			continue
		}
		for _, sig := range m.ExploitationSignals() {
			exps = append(exps, incident.Exposure{VulnID: m.VulnID, ReleaseID: rel.ID, ProductID: rel.ProductID, ProductName: rel.ProductName,
				Version: rel.Version, Component: m.ComponentName, ComponentVersion: m.ComponentVersion, Severity: m.Severity,
				Source: string(sig.Source), Detail: sig.Detail})
		}
	}
	if len(exps) == 0 {
		return nil
	}
	_, err := incident.New(v.st, v.now, incident.Options{Notify: v.st}).Detect(ctx, exps)
	return err
}
