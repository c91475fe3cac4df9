package portfolio

import (
	"context"
	"fmt"

	"github.com/rampart-security/rampart/internal/incident"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/vuln"
)

// detectExploited opens (or extends) an incident for every actively
// exploited vulnerability matched in a shipped release that is still in
// support. A match is exploited when it is listed in CISA KEV, in the EU
// Vulnerability Database's exploited list, in a CSAF advisory whose
// exploit_status says so, or in a CVE record whose CISA-ADP SSVC decision
// says "Exploitation: active"; each source is its own signal, so a second source
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
		x := incident.Exposure{VulnID: m.VulnID, ReleaseID: rel.ID, ProductID: rel.ProductID, ProductName: rel.ProductName,
			Version: rel.Version, Component: m.ComponentName, ComponentVersion: m.ComponentVersion, Severity: m.Severity}
		if m.KEV {
			x.Source, x.Detail = "kev", "listed in the CISA Known Exploited Vulnerabilities catalog"
			if m.KEVDue != "" {
				x.Detail += fmt.Sprintf(" (CISA remediation due %s)", m.KEVDue)
			}
			exps = append(exps, x)
		}
		seen := map[vuln.Source]bool{}
		for _, e := range m.Exploited {
			if seen[e.Source] || !exploitationSignal[e.Source] {
				continue // one signal per source: the first report names it
			}
			seen[e.Source] = true
			x.Source, x.Detail = string(e.Source), e.Detail
			exps = append(exps, x)
		}
	}
	if len(exps) == 0 {
		return nil
	}
	_, err := incident.New(v.st, v.now, incident.Options{Notify: v.st}).Detect(ctx, exps)
	return err
}

// exploitationSignal lists the sources whose exploitation reports open an
// incident (KEV listings are read from the match's KEV entry).
var exploitationSignal = map[vuln.Source]bool{vuln.SourceEUVD: true, vuln.SourceCSAF: true, vuln.SourceCVE5: true}
