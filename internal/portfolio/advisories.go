package portfolio

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/rampart-security/rampart/internal/advisory"
	"github.com/rampart-security/rampart/internal/advisory/csaf"
	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/vuln"
)

// AdvisoryInputStore is the storage AdvisoryInput needs: the product, its
// releases and their matches of the vulnerability.
type AdvisoryInputStore interface {
	Product(ctx context.Context, id int64) (inventory.Product, error)
	Releases(ctx context.Context, productID int64, after string, limit int) ([]inventory.Release, string, error)
	VulnReleases(ctx context.Context, ids []string, products []int64) ([]vuln.ReleaseVuln, error)
}

// AdvisoryInput gathers what an advisory about one vulnerability in one
// product is authored from: the vulnerability (description, CWE, CVSS v3,
// references) and the status of every release of the product — the VEX
// analysis of the matching component when there is one, affected for an open
// match, and fixed for a release without a match that follows an affected
// one (which becomes the affected releases' fixed_in).
func AdvisoryInput(ctx context.Context, st AdvisoryInputStore, v *Vulns, productID int64, vulnID, vendor string) (advisory.Input, error) {
	adv, err := v.Advisory(ctx, vulnID)
	if err != nil {
		return advisory.Input{}, err
	}
	prod, err := st.Product(ctx, productID)
	if err != nil {
		return advisory.Input{}, err
	}
	matches, err := st.VulnReleases(ctx, adv.IDs(), []int64{productID})
	if err != nil {
		return advisory.Input{}, err
	}
	if len(matches) == 0 {
		return advisory.Input{}, fault.Invalid("from_vulnerability", "%s matches no release of %s: nothing to advise", vulnID, prod.Name)
	}
	rels, _, err := st.Releases(ctx, productID, "", 500)
	if err != nil {
		return advisory.Input{}, err
	}
	sort.SliceStable(rels, func(i, j int) bool { return inventory.CompareVersions(rels[i].Version, rels[j].Version) < 0 })
	byRelease := map[int64][]vuln.ReleaseVuln{}
	for _, m := range matches {
		byRelease[m.ReleaseID] = append(byRelease[m.ReleaseID], m)
	}
	type assessed struct {
		rs      advisory.ReleaseStatus
		matched bool
	}
	var list []assessed
	for _, r := range rels {
		ms, ok := byRelease[r.ID]
		a := assessed{rs: advisory.ReleaseStatus{Product: prod.Name, Version: r.Version}, matched: ok}
		if ok {
			a.rs.Status = releaseStatus(ms)
			for _, m := range ms {
				if m.Analysis != nil && m.Analysis.Status == vuln.VEXNotAffected {
					a.rs.Justification, a.rs.Impact = m.Analysis.Justification, m.Analysis.Detail
				}
			}
		}
		list = append(list, a)
	}
	var vin advisory.VulnInput
	seenAffected := false
	for i, a := range list {
		switch {
		case a.matched:
			if a.rs.Status == advisory.Affected {
				seenAffected = true
				for _, later := range list[i+1:] {
					if !later.matched || later.rs.Status == advisory.Fixed {
						a.rs.FixedIn = later.rs.Version
						break
					}
				}
			}
			vin.Releases = append(vin.Releases, a.rs)
		case seenAffected:
			// Covered as the fixed release (fixed_in) of the affected ones.
		}
	}
	if cves := adv.CVEs(); len(cves) > 0 && cvePattern.MatchString(cves[0]) {
		vin.CVE = cves[0]
	}
	if vin.CVE != adv.ID {
		vin.IDs = []csaf.VulnID{{SystemName: strings.SplitN(adv.ID, "-", 2)[0], Text: adv.ID}}
	}
	vin.Title = adv.Summary
	vin.Description = strings.TrimSpace(adv.Summary + "\n\n" + adv.Details)
	for _, c := range adv.CWEs {
		if name, ok := csaf.CWEName(c); ok {
			vin.CWE = &csaf.CWE{ID: c, Name: name}
			break
		}
	}
	for _, s := range adv.Severity {
		if s.Version == "3.1" || s.Version == "3.0" {
			vin.CVSSv3 = append(vin.CVSSv3, s.Vector)
			break
		}
	}
	for i, r := range adv.References {
		if i == 10 {
			break
		}
		vin.References = append(vin.References, csaf.Reference{Category: "external", Summary: r.Type + " reference", URL: r.URL})
	}
	title := fmt.Sprintf("%s in %s", adv.ID, prod.Name)
	if adv.Summary != "" {
		title = fmt.Sprintf("%s: %s in %s", adv.ID, adv.Summary, prod.Name)
	}
	return advisory.Input{Title: title, Vendor: vendor, Vulnerabilities: []advisory.VulnInput{vin},
		Summary: fmt.Sprintf("%s affects %d release(s) of %s.", adv.ID, countAffected(vin.Releases), prod.Name)}, nil
}

// cvePattern is the CSAF schema's pattern for /vulnerabilities[]/cve.
var cvePattern = regexp.MustCompile(`^CVE-[0-9]{4}-[0-9]{4,}$`)

// releaseStatus is the status of a release from its matches: any open
// (unanalysed or affected) match makes it affected.
func releaseStatus(ms []vuln.ReleaseVuln) string {
	status := ""
	for _, m := range ms {
		s := advisory.Affected
		if m.Analysis != nil {
			switch m.Analysis.Status {
			case vuln.VEXNotAffected:
				s = advisory.NotAffected
			case vuln.VEXFixed:
				s = advisory.Fixed
			case vuln.VEXUnderInvestigation:
				s = advisory.UnderInvestigation
			}
		}
		if s == advisory.Affected || status == "" || (s == advisory.UnderInvestigation && status != advisory.Affected) {
			status = s
		}
	}
	return status
}

func countAffected(rs []advisory.ReleaseStatus) int {
	n := 0
	for _, r := range rs {
		if r.Status == advisory.Affected {
			n++
		}
	}
	return n
}
