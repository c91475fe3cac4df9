package firmware

import (
	"fmt"
	"io"
	"time"

	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/sbom"
)

// Inventory returns the components as canonical inventory components, for
// the SBOM and for import into a release.
func (r *Result) Inventory() []inventory.Component {
	out := make([]inventory.Component, 0, len(r.Components))
	for i, c := range r.Components {
		typ := inventory.TypeApplication
		switch c.Name {
		case "linux":
			typ = inventory.TypeOperatingSystem
		case "glibc", "uclibc", "musl", "zlib", "openssl", "curl":
			typ = inventory.TypeLibrary
		}
		ic := inventory.Component{Ref: fmt.Sprintf("fw-%d-%s", i+1, c.Name), Type: typ, Name: c.Name, Version: c.Version, PURL: c.PURL}
		if c.CPE != "" {
			ic.CPEs = []string{c.CPE}
		}
		out = append(out, ic)
	}
	return out
}

// WriteCycloneDX writes the components as a CycloneDX 1.6 SBOM (through
// internal/sbom, so it imports into a release like any other SBOM). name
// and version describe the firmware; created fixes the timestamp.
func (r *Result) WriteCycloneDX(w io.Writer, name, version, toolVersion string, created time.Time) error {
	comps := r.Inventory()
	deps := make([]string, len(comps))
	for i, c := range comps {
		deps[i] = c.Ref
	}
	if version == "" {
		version = "unknown"
	}
	return sbom.EncodeCycloneDX(w, sbom.Export{Name: name, Version: version, Type: inventory.TypeFirmware, Components: comps,
		DependsOn: deps, Created: created, ToolVersion: toolVersion})
}
