package advisory

import (
	"fmt"
	"math"
	"sort"
	"strings"

	cvss30 "github.com/pandatix/go-cvss/30"
	cvss31 "github.com/pandatix/go-cvss/31"

	"github.com/rampart-security/rampart/internal/advisory/csaf"
)

// Product statuses of a release for one vulnerability (the VEX analysis).
const (
	Affected           = "affected"
	NotAffected        = "not_affected"
	Fixed              = "fixed"
	UnderInvestigation = "under_investigation"
)

// Input is what an advisory is authored from: the vulnerabilities and, for
// each, the status of every release concerned.
type Input struct {
	Category        string                `json:"category,omitempty"` // csaf_security_advisory (default) or csaf_vex
	Title           string                `json:"title,omitempty"`
	Summary         string                `json:"summary,omitempty"`
	Vendor          string                `json:"vendor,omitempty"`
	References      []csaf.Reference      `json:"references,omitempty"`
	Acknowledgments []csaf.Acknowledgment `json:"acknowledgments,omitempty"`
	Vulnerabilities []VulnInput           `json:"vulnerabilities,omitempty"`
}

// VulnInput is one vulnerability of the advisory.
type VulnInput struct {
	CVE             string                `json:"cve,omitempty"`
	IDs             []csaf.VulnID         `json:"ids,omitempty"`
	Title           string                `json:"title,omitempty"`
	Description     string                `json:"description,omitempty"`
	CWE             *csaf.CWE             `json:"cwe,omitempty"`
	CVSSv3          []string              `json:"cvss_v3,omitempty"` // vectors; the scores are computed
	References      []csaf.Reference      `json:"references,omitempty"`
	Acknowledgments []csaf.Acknowledgment `json:"acknowledgments,omitempty"`
	ReleaseDate     string                `json:"release_date,omitempty"`
	Releases        []ReleaseStatus       `json:"releases,omitempty"`
}

// ReleaseStatus is the VEX analysis of one release (product version).
type ReleaseStatus struct {
	Product       string `json:"product,omitempty"`
	Version       string `json:"version,omitempty"`
	PURL          string `json:"purl,omitempty"`          // default: ProductPURL(vendor, product, version)
	CPE           string `json:"cpe,omitempty"`           // default: ProductCPE(vendor, product, version)
	Status        string `json:"status,omitempty"`        // affected, not_affected, fixed, under_investigation
	Justification string `json:"justification,omitempty"` // not_affected: a CSAF flag label (OpenVEX and CycloneDX names are mapped)
	Impact        string `json:"impact,omitempty"`        // not_affected: why (impact statement)
	FixedIn       string `json:"fixed_in,omitempty"`      // affected: the release that fixes it
	Workaround    string `json:"workaround,omitempty"`    // affected: what to do until then
	Mitigation    string `json:"mitigation,omitempty"`
}

// ProductPURL is the package URL of a product release.
func ProductPURL(vendor, product, version string) string {
	return "pkg:generic/" + pathSlug(vendor) + "/" + pathSlug(product) + "@" + pathSlug(version)
}

// ProductCPE is a CPE 2.3 formatted string for a product release (part "o":
// device firmware is an operating system in CPE terms).
func ProductCPE(vendor, product, version string) string {
	return "cpe:2.3:o:" + cpeValue(vendor) + ":" + cpeValue(product) + ":" + cpeValue(version) + ":*:*:*:*:*:*:*"
}

func pathSlug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(s)) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.', r == '-', r == '_', r == '~':
			b.WriteRune(r)
		case r == ' ':
			b.WriteByte('-')
		default:
			fmt.Fprintf(&b, "%%%02X", r)
		}
	}
	return b.String()
}

// cpeValue escapes a value for a CPE 2.3 formatted string.
func cpeValue(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(s)) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_', r == '.', r == '-':
			b.WriteRune(r)
		case r == ' ':
			b.WriteByte('_')
		case r < 128:
			b.WriteByte('\\')
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "*"
	}
	return b.String()
}

// flagLabel maps a justification (CSAF, OpenVEX or CycloneDX name) to a CSAF flag label.
func flagLabel(j string) string {
	switch j {
	case "component_not_present", "vulnerable_code_not_present", "vulnerable_code_not_in_execute_path",
		"vulnerable_code_cannot_be_controlled_by_adversary", "inline_mitigations_already_exist":
		return j
	case "code_not_present":
		return "vulnerable_code_not_present"
	case "code_not_reachable":
		return "vulnerable_code_not_in_execute_path"
	case "requires_configuration", "requires_dependency", "requires_environment":
		return "vulnerable_code_cannot_be_controlled_by_adversary"
	case "protected_by_compiler", "protected_at_runtime", "protected_at_perimeter", "protected_by_mitigating_control":
		return "inline_mitigations_already_exist"
	}
	return ""
}

// ProductID is the CSAF product id of a release.
func ProductID(product, version string) string {
	return "CSAFPID-" + strings.Trim(pathSlug(product+"-"+version), "-")
}

// Build authors a CSAF document from the input: product tree vendor →
// product → version with purl and CPE, product_status from the analyses,
// remediations, flags and impact statements, CVSS v3 scores and notes.
// Tracking (id, dates, revision history) is left to the service.
func Build(in Input) (csaf.Document, error) {
	var doc csaf.Document
	d := &doc.Document
	d.Category = in.Category
	if d.Category == "" {
		d.Category = "csaf_security_advisory"
	}
	d.Title = in.Title
	d.CSAFVersion = "2.0"
	d.Lang = "en"
	if in.Summary != "" {
		d.Notes = append(d.Notes, csaf.Note{Category: "summary", Title: "Summary", Text: in.Summary})
	}
	d.Notes = append(d.Notes, csaf.Note{Category: "legal_disclaimer", Title: "Terms of use",
		Text: "This advisory is provided as is; apply the remediations to the products listed."})
	d.References = in.References
	d.Acknowledgments = in.Acknowledgments
	vendor := in.Vendor
	if vendor == "" {
		return doc, fmt.Errorf("authoring: the vendor name is missing")
	}

	// Product tree: vendor → product → version.
	type key struct{ product, version string }
	defined := map[key]bool{}
	byProduct := map[string][]csaf.Branch{}
	var productOrder []string
	add := func(rs ReleaseStatus) {
		k := key{rs.Product, rs.Version}
		if defined[k] {
			return
		}
		defined[k] = true
		purl, cpe := rs.PURL, rs.CPE
		if purl == "" {
			purl = ProductPURL(vendor, rs.Product, rs.Version)
		}
		if cpe == "" {
			cpe = ProductCPE(vendor, rs.Product, rs.Version)
		}
		if _, ok := byProduct[rs.Product]; !ok {
			productOrder = append(productOrder, rs.Product)
		}
		byProduct[rs.Product] = append(byProduct[rs.Product], csaf.Branch{Category: "product_version", Name: rs.Version,
			Product: &csaf.FullProductName{Name: vendor + " " + rs.Product + " " + rs.Version, ProductID: ProductID(rs.Product, rs.Version),
				ProductIdentificationHelper: &csaf.ProductIdentificationHelper{PURL: purl, CPE: cpe}}})
	}
	for vi, v := range in.Vulnerabilities {
		if len(v.Releases) == 0 {
			return doc, fmt.Errorf("authoring: vulnerability %d (%s) lists no releases", vi+1, v.CVE)
		}
		for _, rs := range v.Releases {
			if rs.Product == "" || rs.Version == "" {
				return doc, fmt.Errorf("authoring: a release of %s has no product or version", v.CVE)
			}
			add(rs)
			if rs.FixedIn != "" {
				add(ReleaseStatus{Product: rs.Product, Version: rs.FixedIn})
			}
		}
	}
	var products []csaf.Branch
	for _, p := range productOrder {
		vs := byProduct[p]
		sort.SliceStable(vs, func(i, j int) bool { return vs[i].Name < vs[j].Name })
		products = append(products, csaf.Branch{Category: "product_name", Name: p, Branches: vs})
	}
	doc.ProductTree = &csaf.ProductTree{Branches: []csaf.Branch{{Category: "vendor", Name: vendor, Branches: products}}}

	for _, v := range in.Vulnerabilities {
		cv := csaf.Vulnerability{CVE: v.CVE, IDs: v.IDs, Title: v.Title, CWE: v.CWE, References: v.References,
			Acknowledgments: v.Acknowledgments, ReleaseDate: v.ReleaseDate}
		desc := v.Description
		if desc == "" {
			desc = v.Title
		}
		if desc == "" {
			desc = v.CVE
		}
		cv.Notes = []csaf.Note{{Category: "description", Title: "Vulnerability description", Text: desc}}
		ps := &csaf.ProductStatus{}
		var affected []string
		seenFixed := map[string]bool{}
		for _, rs := range v.Releases {
			id := ProductID(rs.Product, rs.Version)
			switch rs.Status {
			case Affected:
				ps.KnownAffected = append(ps.KnownAffected, id)
				affected = append(affected, id)
				switch {
				case rs.FixedIn != "":
					fixedID := ProductID(rs.Product, rs.FixedIn)
					cv.Remediations = append(cv.Remediations, csaf.Remediation{Category: "vendor_fix", ProductIDs: []string{id},
						Details: fmt.Sprintf("Update %s to version %s or later.", rs.Product, rs.FixedIn)})
					if !seenFixed[fixedID] && !hasRelease(v.Releases, rs.Product, rs.FixedIn) {
						seenFixed[fixedID] = true
						ps.Fixed = append(ps.Fixed, fixedID)
					}
				case rs.Workaround == "" && rs.Mitigation == "":
					cv.Remediations = append(cv.Remediations, csaf.Remediation{Category: "none_available", ProductIDs: []string{id},
						Details: "No fix is available yet; this advisory will be updated."})
				}
				if rs.Workaround != "" {
					cv.Remediations = append(cv.Remediations, csaf.Remediation{Category: "workaround", ProductIDs: []string{id}, Details: rs.Workaround})
				}
				if rs.Mitigation != "" {
					cv.Remediations = append(cv.Remediations, csaf.Remediation{Category: "mitigation", ProductIDs: []string{id}, Details: rs.Mitigation})
				}
			case NotAffected:
				ps.KnownNotAffected = append(ps.KnownNotAffected, id)
				if l := flagLabel(rs.Justification); l != "" {
					cv.Flags = append(cv.Flags, csaf.Flag{Label: l, ProductIDs: []string{id}})
				}
				impact := rs.Impact
				if impact == "" {
					impact = "This release is not affected."
				}
				cv.Threats = append(cv.Threats, csaf.Threat{Category: "impact", Details: impact, ProductIDs: []string{id}})
			case Fixed:
				if !seenFixed[id] {
					seenFixed[id] = true
					ps.Fixed = append(ps.Fixed, id)
				}
			case UnderInvestigation:
				ps.UnderInvestigation = append(ps.UnderInvestigation, id)
			default:
				return doc, fmt.Errorf("authoring: %s %s has status %q: want affected, not_affected, fixed or under_investigation", rs.Product, rs.Version, rs.Status)
			}
		}
		cv.ProductStatus = ps
		if len(affected) > 0 {
			for _, vec := range v.CVSSv3 {
				obj, err := cvss3Object(vec)
				if err != nil {
					return doc, fmt.Errorf("authoring: %s: %w", v.CVE, err)
				}
				cv.Scores = append(cv.Scores, csaf.Score{CVSSv3: obj, Products: affected})
			}
		}
		doc.Vulnerabilities = append(doc.Vulnerabilities, cv)
	}
	return doc, nil
}

func hasRelease(rs []ReleaseStatus, product, version string) bool {
	for _, r := range rs {
		if r.Product == product && r.Version == version {
			return true
		}
	}
	return false
}

// cvss3Object computes the CSAF cvss_v3 object of a vector.
func cvss3Object(vec string) (map[string]any, error) {
	var score float64
	var version string
	switch {
	case strings.HasPrefix(vec, "CVSS:3.1/"):
		c, err := cvss31.ParseVector(vec)
		if err != nil {
			return nil, fmt.Errorf("CVSS vector %q: %w", vec, err)
		}
		score, version = c.BaseScore(), "3.1"
	case strings.HasPrefix(vec, "CVSS:3.0/"):
		c, err := cvss30.ParseVector(vec)
		if err != nil {
			return nil, fmt.Errorf("CVSS vector %q: %w", vec, err)
		}
		score, version = c.BaseScore(), "3.0"
	default:
		return nil, fmt.Errorf("CVSS vector %q: want CVSS:3.1/… or CVSS:3.0/…", vec)
	}
	score = math.Round(score*10) / 10
	return map[string]any{"version": version, "vectorString": vec, "baseScore": score, "baseSeverity": csaf.CVSS3Severity(score)}, nil
}
