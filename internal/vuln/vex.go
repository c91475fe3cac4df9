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
		if product == cp {
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
