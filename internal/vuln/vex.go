package vuln

import (
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/rampart-security/rampart/internal/inventory"
)

// VEXStatus is a VEX analysis state (OpenVEX spelling; CycloneDX states are
// mapped onto these by the readers).
type VEXStatus string

// VEX statuses.
const (
	VEXNotAffected        VEXStatus = "not_affected"
	VEXAffected           VEXStatus = "affected"
	VEXFixed              VEXStatus = "fixed"
	VEXUnderInvestigation VEXStatus = "under_investigation"
)

// Suppresses reports whether a statement with this status removes a match
// from the open list.
func (s VEXStatus) Suppresses() bool { return s == VEXNotAffected || s == VEXFixed }

// VEXStatement says how one vulnerability affects one product or component.
type VEXStatement struct {
	VulnID string `json:"vulnerability"`
	// Product identifies the component: a purl with its version (a
	// statement applies to that exact component version only, never to
	// other versions nor to the vulnerability alone), a CycloneDX bom-ref
	// or a CPE.
	Product         string    `json:"product"`
	Status          VEXStatus `json:"status"`
	Justification   string    `json:"justification,omitempty"`
	ImpactStatement string    `json:"impact_statement,omitempty"`
	ActionStatement string    `json:"action_statement,omitempty"`
	Source          string    `json:"source,omitempty"` // document it came from
}

// AppliesTo reports whether the statement covers component c and advisory a.
func (s *VEXStatement) AppliesTo(c *inventory.Component, a *Advisory) bool {
	return a.HasID(s.VulnID) && productMatches(s.Product, c)
}

func productMatches(product string, c *inventory.Component) bool {
	if product == "" {
		return false
	}
	if product == c.Ref || product == c.PURL {
		return true
	}
	for _, cp := range c.CPEs {
		if product == cp || sameCPEName(product, cp) {
			return true
		}
	}
	if !strings.HasPrefix(product, "pkg:") || c.PURL == "" {
		return false
	}
	sp, err := packageurl.FromString(product)
	if err != nil {
		return false
	}
	cp, err := packageurl.FromString(c.PURL)
	if err != nil {
		return false
	}
	if sp.Type != cp.Type || !strings.EqualFold(sp.Namespace, cp.Namespace) || sp.Name != cp.Name {
		return false
	}
	return sp.Version != "" && strings.TrimPrefix(sp.Version, "v") == strings.TrimPrefix(cp.Version, "v")
}

// sameCPEName reports whether a and b are CPE names of the same
// well-formed name in either binding: a CPE 2.2 URI (cpe:/a:busybox:busybox:1.35.0)
// and a 2.3 formatted string (cpe:2.3:a:busybox:busybox:1.35.0:*:*:*:*:*:*:*)
// are one name (NISTIR 7695, 6.1 and 6.2); CSAF product identification
// helpers may give either.
func sameCPEName(a, b string) bool {
	if !strings.HasPrefix(a, "cpe:") || !strings.HasPrefix(b, "cpe:") || strings.HasPrefix(a, "cpe:2.3:") == strings.HasPrefix(b, "cpe:2.3:") {
		return false
	}
	x, err := ParseCPE(a)
	if err != nil {
		return false
	}
	y, err := ParseCPE(b)
	if err != nil {
		return false
	}
	return x.Part == y.Part && x.Vendor == y.Vendor && x.Product == y.Product &&
		x.Version == y.Version && x.Update == y.Update && x.rest == y.rest
}
