// Package inventory holds the canonical product inventory: products, their
// releases and the components each release ships. SBOM readers produce these
// types; the store persists them; the matcher and the UI read them.
package inventory

import (
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/fault"
)

// Exposure says how reachable a product is for an attacker.
type Exposure string

// Exposure values, worst first.
const (
	ExposureInternet Exposure = "internet-facing"
	ExposureLocal    Exposure = "local-network"
	ExposurePhysical Exposure = "physical"
)

// Valid reports whether e is one of the known exposures.
func (e Exposure) Valid() bool {
	switch e {
	case ExposureInternet, ExposureLocal, ExposurePhysical:
		return true
	}
	return false
}

// Product is something the device maker ships, e.g. a smart thermostat.
type Product struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Owner       string    `json:"owner"`
	Criticality int       `json:"criticality"` // 1 (low) … 5 (safety-critical)
	Exposure    Exposure  `json:"exposure"`
	CreatedAt   time.Time `json:"created_at"`
	// Counts filled by list queries.
	Releases   int `json:"releases"`
	Components int `json:"components"`
}

// Longest accepted free-text fields, in bytes: a product's description
// and owner, a release's version.
const (
	MaxDescription = 4000
	MaxOwner       = 200
	MaxVersion     = 200
)

// maxLen is the invalid-input error for a field longer than limit bytes.
func maxLen(field, v string, limit int) error {
	if len(v) > limit {
		return fault.Invalid(field, "%s: is %d bytes; at most %d are accepted, shorten it", field, len(v), limit)
	}
	return nil
}

// Validate trims the name, fills the defaults (criticality 3, exposure
// local-network) and checks a product about to be stored.
func (p *Product) Validate() error {
	p.Name = strings.TrimSpace(p.Name)
	if p.Name == "" {
		return fault.Invalid("name", "name: must not be empty")
	}
	if len(p.Name) > 200 {
		return fault.Invalid("name", "name: must be at most 200 characters")
	}
	if err := maxLen("description", p.Description, MaxDescription); err != nil {
		return err
	}
	if err := maxLen("owner", p.Owner, MaxOwner); err != nil {
		return err
	}
	if p.Criticality == 0 {
		p.Criticality = 3
	}
	if p.Criticality < 1 || p.Criticality > 5 {
		return fault.Invalid("criticality", "criticality: must be between 1 and 5")
	}
	if p.Exposure == "" {
		p.Exposure = ExposureLocal
	}
	if !p.Exposure.Valid() {
		return fault.Invalid("exposure", "exposure: must be internet-facing, local-network or physical")
	}
	return nil
}

// ReleaseStatus is where a release is in its life.
type ReleaseStatus string

// Release statuses.
const (
	StatusDevelopment ReleaseStatus = "development"
	StatusShipped     ReleaseStatus = "shipped"
	StatusEndOfLife   ReleaseStatus = "end-of-life"
)

// Valid reports whether s is a known release status.
func (s ReleaseStatus) Valid() bool {
	switch s {
	case StatusDevelopment, StatusShipped, StatusEndOfLife:
		return true
	}
	return false
}

// Release is one version of a product, e.g. firmware 2.4.1.
type Release struct {
	ID          int64         `json:"id"`
	ProductID   int64         `json:"product_id"`
	ProductName string        `json:"product_name,omitempty"`
	Version     string        `json:"version"`
	ReleaseDate *time.Time    `json:"release_date,omitempty"`
	SupportEnd  *time.Time    `json:"support_end,omitempty"` // CRA support period end
	Status      ReleaseStatus `json:"status"`
	CreatedAt   time.Time     `json:"created_at"`
	Components  int           `json:"components"`
	SBOMSHA256  string        `json:"sbom_sha256,omitempty"` // last imported SBOM, content address
}

// Validate trims the version and checks a release about to be stored: it
// needs a version and a known status, and its support must not end before
// its release date.
func (r *Release) Validate() error {
	if err := r.checkVersionStatus(); err != nil {
		return err
	}
	if r.ReleaseDate != nil && r.SupportEnd != nil && r.SupportEnd.Before(*r.ReleaseDate) {
		return fault.Invalid("support_end", "support_end: must not be before the release date")
	}
	return nil
}

// ValidateNew is Validate for a release about to be created: a release
// without a status is in development. Its dates are not compared (they
// never were on create).
func (r *Release) ValidateNew() error {
	if r.Status == "" {
		r.Status = StatusDevelopment
	}
	return r.checkVersionStatus()
}

func (r *Release) checkVersionStatus() error {
	r.Version = strings.TrimSpace(r.Version)
	if r.Version == "" {
		return fault.Invalid("version", "version: must not be empty")
	}
	if err := maxLen("version", r.Version, MaxVersion); err != nil {
		return err
	}
	if !r.Status.Valid() {
		return fault.Invalid("status", "status: must be development, shipped or end-of-life")
	}
	return nil
}

// ComponentType classifies a component. Values follow CycloneDX.
type ComponentType string

// Component types.
const (
	TypeApplication     ComponentType = "application"
	TypeFramework       ComponentType = "framework"
	TypeLibrary         ComponentType = "library"
	TypeContainer       ComponentType = "container"
	TypePlatform        ComponentType = "platform"
	TypeOperatingSystem ComponentType = "operating-system"
	TypeDevice          ComponentType = "device"
	TypeDeviceDriver    ComponentType = "device-driver"
	TypeFirmware        ComponentType = "firmware"
	TypeFile            ComponentType = "file"
	TypeData            ComponentType = "data"
	TypeMLModel         ComponentType = "machine-learning-model"
	TypeCryptoAsset     ComponentType = "cryptographic-asset"
)

// Hash is a digest of a component's artefact.
type Hash struct {
	Algorithm string `json:"alg"`     // CycloneDX spelling: SHA-256, SHA-1, MD5, SHA-512, …
	Value     string `json:"content"` // lower-case hex
}

// Component is one piece of software or hardware inside a release.
type Component struct {
	ID       int64         `json:"id,omitempty"`
	Ref      string        `json:"bom_ref"` // unique within its SBOM; edges refer to it
	Type     ComponentType `json:"type"`
	Group    string        `json:"group,omitempty"`
	Name     string        `json:"name"`
	Version  string        `json:"version"`
	PURL     string        `json:"purl,omitempty"`
	CPEs     []string      `json:"cpes,omitempty"`
	Hashes   []Hash        `json:"hashes,omitempty"`
	Licenses []string      `json:"licenses,omitempty"` // SPDX ids or expressions, or names
	Supplier string        `json:"supplier,omitempty"`
	// DependsOn lists the Refs of the components this one depends on directly.
	DependsOn []string `json:"depends_on,omitempty"`
}
