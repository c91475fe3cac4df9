package vuln

import (
	"strings"
	"time"

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
	// Timestamp is when the statement was made: its own time, else its
	// document's (OpenVEX statement timestamp, else document timestamp;
	// CycloneDX analysis lastUpdated, else firstIssued, else the BOM's
	// metadata.timestamp; CSAF tracking current_release_date). Zero when
	// the document gives none.
	Timestamp time.Time `json:"timestamp,omitzero"`
	// Recorded marks a decision recorded in Rampart for the release (an
	// analysis): it holds over every document's statement, whatever their
	// times.
	Recorded bool `json:"recorded,omitempty"`
	// Versions limits the statement to some versions of its product, as a
	// CycloneDX affects[].versions list does for a ref that names a
	// package without a version (a Product purl without version then
	// names that package): with ForUnaffected, to the component versions
	// AffectsVersion says are unaffected; without, to every other one.
	Versions      []AffectedVersion `json:"versions,omitempty"`
	ForUnaffected bool              `json:"for_unaffected,omitempty"`
}

// Supersedes reports whether s holds over t, two statements about the same
// vulnerability of the same component where t comes before s in the order
// they were given. The precedence (docs/matching.md, VEX):
//
//  1. a Recorded decision over a document's statement;
//  2. the later Timestamp (a zero Timestamp is older than any other), as
//     the OpenVEX specification orders statements: the latest holds;
//  3. on equal times, s, the later given (the later statement of a
//     document, the later --vex document).
func (s *VEXStatement) Supersedes(t *VEXStatement) bool {
	if s.Recorded != t.Recorded {
		return s.Recorded
	}
	return !s.Timestamp.Before(t.Timestamp)
}

// VEXIndex finds the statement in effect for a match among statements
// given in order (see Supersedes).
type VEXIndex struct {
	stmts []VEXStatement
	byID  map[string][]int // lower-cased vulnerability id → indexes in stmts, ascending
}

// NewVEXIndex indexes stmts by vulnerability id; it keeps stmts, which
// must not change while the index is used.
func NewVEXIndex(stmts []VEXStatement) *VEXIndex {
	x := &VEXIndex{stmts: stmts, byID: make(map[string][]int)}
	for i := range stmts {
		k := strings.ToLower(stmts[i].VulnID)
		x.byID[k] = append(x.byID[k], i)
	}
	return x
}

// Effective returns the statement in effect for component c and advisory
// a: of the statements that apply to them (AppliesTo: the advisory's id or
// any alias, and any of the component's identities), the one that
// supersedes every other. Nil when none applies. The result points into
// the indexed slice.
func (x *VEXIndex) Effective(c *inventory.Component, a *Advisory) *VEXStatement {
	best := -1
	for _, id := range a.IDs() {
		for _, i := range x.byID[strings.ToLower(id)] {
			s := &x.stmts[i]
			if !s.covers(c) {
				continue
			}
			switch {
			case best < 0:
				best = i
			case i > best && s.Supersedes(&x.stmts[best]):
				best = i
			case i < best && !x.stmts[best].Supersedes(s):
				best = i
			}
		}
	}
	if best < 0 {
		return nil
	}
	return &x.stmts[best]
}

// AppliesTo reports whether the statement covers component c and advisory a.
func (s *VEXStatement) AppliesTo(c *inventory.Component, a *Advisory) bool {
	return a.HasID(s.VulnID) && s.covers(c)
}

// covers reports whether the statement's product is component c, and,
// when the statement lists Versions, whether they put c's version on the
// statement's side.
func (s *VEXStatement) covers(c *inventory.Component) bool {
	if !productMatches(s.Product, c, len(s.Versions) > 0) {
		return false
	}
	if len(s.Versions) == 0 {
		return true
	}
	v, _ := AffectsVersion(c.PURL, c.Version, s.Versions)
	return (v == VersionUnaffected) == s.ForUnaffected
}

// productMatches reports whether product names c; a package URL without
// a version names the package's components only when anyVersion.
func productMatches(product string, c *inventory.Component, anyVersion bool) bool {
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
	if sp.Version == "" {
		return anyVersion
	}
	return strings.TrimPrefix(sp.Version, "v") == strings.TrimPrefix(cp.Version, "v")
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
