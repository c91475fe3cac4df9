package advisory

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/advisory/csaf"
	"github.com/rampart-security/rampart/internal/vuln"
)

// ReleaseVEX builds the CSAF VEX profile document of one release from its
// matches (the same analysis the OpenVEX and CycloneDX VEX exports use):
// every component is a product "default_component_of" the release, and each
// vulnerability lists those products as known_affected (with a
// remediation), known_not_affected (with a flag and an impact statement),
// fixed or under_investigation.
func ReleaseVEX(pub csaf.Publisher, product, version string, matches []vuln.Match, now time.Time) csaf.Document {
	now = now.UTC().Truncate(time.Second)
	ts := now.Format(time.RFC3339)
	releaseID := ProductID(product, version)
	var doc csaf.Document
	d := &doc.Document
	d.Category, d.CSAFVersion, d.Lang, d.Publisher = "csaf_vex", "2.0", "en", pub
	d.Title = fmt.Sprintf("VEX for %s %s", product, version)
	d.Distribution = &csaf.Distribution{TLP: &csaf.TLP{Label: "WHITE", URL: "https://www.first.org/tlp/"}}
	d.Notes = []csaf.Note{{Category: "summary", Title: "Summary", Text: fmt.Sprintf("Exploitability of the known vulnerabilities of the components of %s %s.", product, version)}}
	d.Tracking = csaf.Tracking{ID: strings.ToUpper(fmt.Sprintf("VEX-%s-%s-%s", pathSlug(product), pathSlug(version), now.Format("20060102T150405Z"))),
		InitialReleaseDate: ts, CurrentReleaseDate: ts, Status: "final", Version: "1",
		RevisionHistory: []csaf.Revision{{Date: ts, Number: "1", Summary: "Generated from the release's VEX analysis"}},
		Generator:       &csaf.Generator{Date: ts, Engine: csaf.Engine{Name: "Rampart"}}}

	tree := &csaf.ProductTree{}
	tree.Branches = []csaf.Branch{{Category: "vendor", Name: pub.Name, Branches: []csaf.Branch{{Category: "product_name", Name: product,
		Branches: []csaf.Branch{{Category: "product_version", Name: version, Product: &csaf.FullProductName{
			Name: pub.Name + " " + product + " " + version, ProductID: releaseID,
			ProductIdentificationHelper: &csaf.ProductIdentificationHelper{PURL: ProductPURL(pub.Name, product, version), CPE: ProductCPE(pub.Name, product, version)}}}}}}}}
	compID := map[string]string{} // component key → product id in the release
	componentIn := func(m *vuln.Match) string {
		c := m.Component
		key := c.Ref + "\x00" + c.PURL + "\x00" + c.Version
		if id, ok := compID[key]; ok {
			return id
		}
		n := len(compID) + 1
		cid := fmt.Sprintf("CSAFPID-C%04d", n)
		helper := &csaf.ProductIdentificationHelper{PURL: c.PURL}
		if len(c.CPEs) > 0 {
			helper.CPE = c.CPEs[0]
		} else if m.CPE != "" {
			helper.CPE = m.CPE
		}
		if helper.PURL == "" && helper.CPE == "" {
			helper = nil
		}
		tree.FullProductNames = append(tree.FullProductNames, csaf.FullProductName{Name: strings.TrimSpace(c.Name + " " + c.Version), ProductID: cid, ProductIdentificationHelper: helper})
		rid := fmt.Sprintf("CSAFPID-C%04d-IN-RELEASE", n)
		tree.Relationships = append(tree.Relationships, csaf.Relationship{Category: "default_component_of", ProductReference: cid, RelatesToProductReference: releaseID,
			FullProductName: csaf.FullProductName{Name: strings.TrimSpace(c.Name+" "+c.Version) + " as part of " + product + " " + version, ProductID: rid}})
		compID[key] = rid
		return rid
	}
	byVuln := map[string]*csaf.Vulnerability{}
	done := map[string]bool{} // vulnerability + product already assessed
	var order []string
	for i := range matches {
		m := &matches[i]
		id := m.Advisory.ID
		v, ok := byVuln[id]
		if !ok {
			v = &csaf.Vulnerability{ProductStatus: &csaf.ProductStatus{}}
			if cves := m.Advisory.CVEs(); len(cves) > 0 && cvePattern.MatchString(cves[0]) {
				v.CVE = cves[0]
			}
			if v.CVE != id {
				v.IDs = []csaf.VulnID{{SystemName: vulnSystem(id), Text: id}}
			}
			text := m.Advisory.Summary
			if text == "" {
				text = id
			}
			v.Notes = []csaf.Note{{Category: "description", Title: "Summary", Text: text}}
			byVuln[id] = v
			order = append(order, id)
		}
		pid := componentIn(m)
		if done[id+"\x00"+pid] {
			continue
		}
		done[id+"\x00"+pid] = true
		status, just, impact := vuln.VEXAffected, "", ""
		if m.Suppressed != nil {
			status, just, impact = m.Suppressed.Status, m.Suppressed.Justification, m.Suppressed.ImpactStatement
		}
		ps := v.ProductStatus
		switch status {
		case vuln.VEXNotAffected:
			ps.KnownNotAffected = append(ps.KnownNotAffected, pid)
			if l := flagLabel(just); l != "" {
				v.Flags = append(v.Flags, csaf.Flag{Label: l, ProductIDs: []string{pid}})
			}
			if impact == "" {
				impact = "Not affected (" + strings.ReplaceAll(just, "_", " ") + ")."
			}
			v.Threats = append(v.Threats, csaf.Threat{Category: "impact", Details: impact, ProductIDs: []string{pid}})
		case vuln.VEXFixed:
			ps.Fixed = append(ps.Fixed, pid)
		case vuln.VEXUnderInvestigation:
			ps.UnderInvestigation = append(ps.UnderInvestigation, pid)
		default:
			ps.KnownAffected = append(ps.KnownAffected, pid)
			if len(m.FixedVersions) > 0 {
				v.Remediations = append(v.Remediations, csaf.Remediation{Category: "vendor_fix", ProductIDs: []string{pid},
					Details: "Update " + m.Component.Name + " to " + strings.Join(m.FixedVersions, " or ") + " or later."})
			} else {
				v.Remediations = append(v.Remediations, csaf.Remediation{Category: "none_available", ProductIDs: []string{pid},
					Details: "No fixed version of " + m.Component.Name + " is known; mitigate or remove it."})
			}
		}
	}
	sort.Strings(order)
	// 6.1.23: one item per CVE. Matches under different ids of one CVE are
	// kept apart only when their CVE differs.
	seenCVE := map[string]bool{}
	for _, id := range order {
		v := byVuln[id]
		if v.CVE != "" {
			if seenCVE[v.CVE] {
				v.CVE = ""
			}
			seenCVE[v.CVE] = true
		}
		doc.Vulnerabilities = append(doc.Vulnerabilities, *v)
	}
	if len(tree.FullProductNames) > 0 || len(tree.Branches) > 0 {
		doc.ProductTree = tree
	}
	return doc
}

// cvePattern is the CSAF schema's pattern for /vulnerabilities[]/cve.
var cvePattern = regexp.MustCompile(`^CVE-[0-9]{4}-[0-9]{4,}$`)

func vulnSystem(id string) string {
	if i := strings.IndexByte(id, '-'); i > 0 {
		return id[:i]
	}
	return "vulnerability id"
}
