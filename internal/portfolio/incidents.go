package portfolio

import (
	"context"
	"fmt"
	"time"

	"github.com/rampart-security/rampart/internal/incident"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/store"
)

// detectExploited opens (or extends) an incident for every known-exploited
// (CISA KEV) vulnerability matched in a shipped release that is still in
// support. Signals already acted on are skipped, so re-running a feed import
// or a re-match never double-opens.
func (v *Vulns) detectExploited(ctx context.Context, rel inventory.Release, matches []store.ReleaseVuln) error {
	if rel.Status != inventory.StatusShipped {
		return nil
	}
	now := time.Now().UTC()
	if rel.SupportEnd != nil && rel.SupportEnd.AddDate(0, 0, 1).Before(now) {
		return nil // out of support: the CRA obligations end with the support period
	}
	var exps []incident.Exposure
	for _, m := range matches {
		if !m.KEV || m.Suppressed {
			continue
		}
		detail := "listed in the CISA Known Exploited Vulnerabilities catalog"
		if m.KEVDue != "" {
			detail += fmt.Sprintf(" (CISA remediation due %s)", m.KEVDue)
		}
		exps = append(exps, incident.Exposure{Source: "kev", VulnID: m.VulnID, ReleaseID: rel.ID, ProductID: rel.ProductID, ProductName: rel.ProductName,
			Version: rel.Version, Component: m.ComponentName, ComponentVersion: m.ComponentVersion, Severity: m.Severity, Detail: detail})
	}
	if len(exps) == 0 {
		return nil
	}
	_, err := incident.New(v.st, time.Now, incident.Options{}).Detect(ctx, exps)
	return err
}
