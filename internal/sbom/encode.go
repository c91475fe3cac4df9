package sbom

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/google/uuid"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx"
	"github.com/spdx/tools-golang/spdx/v2/common"

	"github.com/rampart-security/rampart/internal/inventory"
)

// Export is what EncodeCycloneDX and EncodeSPDX write: a product release and
// its components, e.g. loaded from the store.
type Export struct {
	// Name and Version of the product release the SBOM describes (required).
	Name    string
	Version string
	// Supplier of the product, e.g. the device maker.
	Supplier string
	// Type of the product component; default firmware.
	Type inventory.ComponentType
	// Ref is the product component's bom-ref; default "product".
	Ref string
	// DependsOn lists the Refs of the components the product depends on
	// directly (Roots, for components whose own edges are known).
	DependsOn []string
	// Components are the release's components. Refs must be unique; empty
	// Refs are generated. Edges to unknown Refs are dropped.
	Components []inventory.Component
	// Created is the SBOM creation time; zero means time.Now. Pass a fixed
	// time for reproducible output.
	Created time.Time
	// SerialNumber ("urn:uuid:…") overrides the serial number (CycloneDX)
	// and namespace (SPDX), which by default derive from the content, so
	// the same input always gives the same document.
	SerialNumber string
	// ToolVersion is recorded as the generating tool's version.
	ToolVersion string
}

// Roots returns the Refs of the components no other component depends on:
// the product's direct dependencies in the exported dependency graph.
func Roots(comps []inventory.Component) []string {
	used := map[string]bool{}
	for _, c := range comps {
		for _, d := range c.DependsOn {
			used[d] = true
		}
	}
	var out []string
	for _, c := range comps {
		if !used[c.Ref] {
			out = append(out, c.Ref)
		}
	}
	return out
}

// ExportFrom builds an Export from a decoded document, for conversion.
func ExportFrom(doc *Document) Export {
	e := Export{Name: doc.Name, Components: doc.Components, Created: doc.Created}
	if m := doc.Metadata; m != nil {
		e.Name, e.Version, e.Supplier, e.Type, e.Ref, e.DependsOn = m.Name, m.Version, m.Supplier, m.Type, m.Ref, m.DependsOn
	}
	if e.Name == "" {
		e.Name = "unnamed"
	}
	return e
}

// normalized is an Export after defaults, sorting and ref resolution.
type normalized struct {
	Export
	root  inventory.Component
	comps []inventory.Component
}

func normalize(e Export) (*normalized, error) {
	if strings.TrimSpace(e.Name) == "" {
		return nil, errors.New("export: product name is required")
	}
	n := &normalized{Export: e}
	if n.Created.IsZero() {
		n.Created = time.Now()
	}
	n.Created = n.Created.UTC().Truncate(time.Second)
	if n.Type == "" {
		n.Type = inventory.TypeFirmware
	}
	if n.ToolVersion == "" {
		n.ToolVersion = "dev"
	}
	seen := map[string]bool{}
	if n.Ref != "" {
		seen[n.Ref] = true
	}
	n.comps = make([]inventory.Component, len(e.Components))
	copy(n.comps, e.Components)
	for i := range n.comps {
		if n.comps[i].Ref == "" {
			continue
		}
		if seen[n.comps[i].Ref] {
			return nil, fmt.Errorf("export: component ref %q is not unique", n.comps[i].Ref)
		}
		seen[n.comps[i].Ref] = true
	}
	if n.Ref == "" {
		n.Ref = "product"
		for k := 2; seen[n.Ref]; k++ {
			n.Ref = fmt.Sprintf("product-%d", k)
		}
		seen[n.Ref] = true
	}
	for i := range n.comps {
		c := &n.comps[i]
		if c.Ref == "" {
			base := "component-" + strings.Trim(spdxIDChars.ReplaceAllString(c.Name+"-"+c.Version, "-"), "-")
			ref := base
			for k := 2; seen[ref]; k++ {
				ref = fmt.Sprintf("%s-%d", base, k)
			}
			c.Ref = ref
			seen[ref] = true
		}
		if c.Type == "" {
			c.Type = inventory.TypeLibrary
		}
	}
	keep := func(deps []string, self string) []string {
		var out []string
		set := map[string]bool{}
		for _, d := range deps {
			if seen[d] && d != self && !set[d] {
				set[d] = true
				out = append(out, d)
			}
		}
		sort.Strings(out)
		return out
	}
	for i := range n.comps {
		n.comps[i].DependsOn = keep(n.comps[i].DependsOn, n.comps[i].Ref)
	}
	sort.SliceStable(n.comps, func(i, j int) bool {
		a, b := n.comps[i], n.comps[j]
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		if a.Version != b.Version {
			return a.Version < b.Version
		}
		return a.Ref < b.Ref
	})
	n.root = inventory.Component{Ref: n.Ref, Type: n.Type, Name: n.Name, Version: n.Version, Supplier: n.Supplier, DependsOn: keep(n.DependsOn, n.Ref)}
	if n.SerialNumber == "" {
		n.SerialNumber = "urn:uuid:" + n.contentUUID().String()
	}
	return n, nil
}

// contentUUID derives a stable UUID from everything that is exported.
func (n *normalized) contentUUID() uuid.UUID {
	h := sha256.New()
	enc := json.NewEncoder(h)
	_ = enc.Encode([]any{n.root, n.comps, n.Created.Format(time.RFC3339)})
	return uuid.NewSHA1(uuid.NameSpaceURL, h.Sum(nil))
}

// EncodeCycloneDX writes e as a CycloneDX 1.6 JSON document. The output is
// deterministic for a given Export (with Created set) and valid against the
// official 1.6 schema. Only the first CPE of a component is written (the
// cpe field is single-valued); hashes whose algorithm CycloneDX does not
// define, or whose value is not a hex digest, are left out.
func EncodeCycloneDX(w io.Writer, e Export) error {
	n, err := normalize(e)
	if err != nil {
		return err
	}
	bom := cdx.NewBOM()
	bom.SpecVersion = cdx.SpecVersion1_6
	bom.JSONSchema = "http://cyclonedx.org/schema/bom-1.6.schema.json"
	bom.SerialNumber = n.SerialNumber
	bom.Version = 1
	root := componentToCDX(n.root)
	bom.Metadata = &cdx.Metadata{
		Timestamp: n.Created.Format(time.RFC3339),
		Tools: &cdx.ToolsChoice{Components: &[]cdx.Component{{
			Type: cdx.ComponentTypeApplication, Name: "rampart", Version: n.ToolVersion,
		}}},
		Component: &root,
	}
	if n.Supplier != "" {
		bom.Metadata.Supplier = &cdx.OrganizationalEntity{Name: n.Supplier}
	}
	comps := make([]cdx.Component, len(n.comps))
	for i := range n.comps {
		comps[i] = componentToCDX(n.comps[i])
	}
	bom.Components = &comps
	deps := make([]cdx.Dependency, 0, len(n.comps)+1)
	for _, c := range append([]inventory.Component{n.root}, n.comps...) {
		d := cdx.Dependency{Ref: c.Ref}
		if len(c.DependsOn) > 0 {
			on := append([]string(nil), c.DependsOn...)
			d.Dependencies = &on
		}
		deps = append(deps, d)
	}
	sort.SliceStable(deps[1:], func(i, j int) bool { return deps[1+i].Ref < deps[1+j].Ref })
	bom.Dependencies = &deps
	enc := cdx.NewBOMEncoder(w, cdx.BOMFileFormatJSON).SetPretty(true).SetEscapeHTML(false)
	if err := enc.Encode(bom); err != nil {
		return fmt.Errorf("encode CycloneDX 1.6 JSON: %w", err)
	}
	return nil
}

func componentToCDX(c inventory.Component) cdx.Component {
	out := cdx.Component{
		BOMRef:     c.Ref,
		Type:       cdx.ComponentType(c.Type),
		Group:      c.Group,
		Name:       c.Name,
		Version:    c.Version,
		PackageURL: c.PURL,
	}
	if _, ok := componentTypesSince[out.Type]; !ok {
		out.Type = cdx.ComponentTypeLibrary
	}
	if len(c.CPEs) > 0 {
		out.CPE = c.CPEs[0]
	}
	if c.Supplier != "" {
		out.Supplier = &cdx.OrganizationalEntity{Name: c.Supplier}
	}
	var hashes []cdx.Hash
	for _, h := range c.Hashes {
		since, ok := hashAlgsSince[h.Algorithm]
		if !ok || !versionAtLeast("1.6", since) || !isHexDigest(h.Value) {
			continue
		}
		hashes = append(hashes, cdx.Hash{Algorithm: cdx.HashAlgorithm(h.Algorithm), Value: strings.ToLower(h.Value)})
	}
	if len(hashes) > 0 {
		out.Hashes = &hashes
	}
	if ls := licensesToCDX(c.Licenses); ls != nil {
		out.Licenses = &ls
	}
	return out
}

// isLicenseExpression reports whether s is a compound SPDX expression.
func isLicenseExpression(s string) bool {
	u := " " + s + " "
	return strings.Contains(u, " AND ") || strings.Contains(u, " OR ") || strings.Contains(u, " WITH ") ||
		strings.HasPrefix(s, "(") || strings.HasPrefix(s, "LicenseRef-") || strings.HasSuffix(s, "+") && isSPDXLicenseID(strings.TrimSuffix(s, "+"))
}

// licensesToCDX writes SPDX ids as license ids, other single names as
// license names; when any entry is an expression, all entries are joined
// into one expression (CycloneDX forbids mixing expressions and licenses).
func licensesToCDX(ls []string) cdx.Licenses {
	if len(ls) == 0 {
		return nil
	}
	expr := false
	for _, l := range ls {
		if isLicenseExpression(l) {
			expr = true
		}
	}
	if expr {
		parts := make([]string, len(ls))
		for i, l := range ls {
			if len(ls) > 1 && isLicenseExpression(l) {
				l = "(" + l + ")"
			}
			parts[i] = l
		}
		return cdx.Licenses{{Expression: strings.Join(parts, " AND ")}}
	}
	out := make(cdx.Licenses, 0, len(ls))
	for _, l := range ls {
		if isSPDXLicenseID(l) {
			out = append(out, cdx.LicenseChoice{License: &cdx.License{ID: l}})
		} else {
			out = append(out, cdx.LicenseChoice{License: &cdx.License{Name: l}})
		}
	}
	return out
}

var cdxToSPDXHash = func() map[string]common.ChecksumAlgorithm {
	m := map[string]common.ChecksumAlgorithm{}
	for s, c := range spdxToCDXHash {
		m[c] = common.ChecksumAlgorithm(s)
	}
	for _, s := range []string{"SHA224", "MD2", "MD4", "MD6", "ADLER32"} {
		m[s] = common.ChecksumAlgorithm(s)
	}
	return m
}()

var cdxToSPDXPurpose = map[inventory.ComponentType]string{
	inventory.TypeApplication:     "APPLICATION",
	inventory.TypeFramework:       "FRAMEWORK",
	inventory.TypeLibrary:         "LIBRARY",
	inventory.TypeContainer:       "CONTAINER",
	inventory.TypeOperatingSystem: "OPERATING_SYSTEM",
	inventory.TypeDevice:          "DEVICE",
	inventory.TypeDeviceDriver:    "LIBRARY",
	inventory.TypeFirmware:        "FIRMWARE",
	inventory.TypeFile:            "FILE",
	inventory.TypePlatform:        "OTHER",
	inventory.TypeData:            "OTHER",
	inventory.TypeMLModel:         "OTHER",
	inventory.TypeCryptoAsset:     "OTHER",
}

// EncodeSPDX writes e as an SPDX 2.3 JSON document, valid against the
// official schema: the product is the package the document DESCRIBES,
// each component a package, each edge a DEPENDS_ON relationship. Licence
// names that are not SPDX identifiers become LicenseRef- identifiers with a
// hasExtractedLicensingInfos entry that keeps the name.
func EncodeSPDX(w io.Writer, e Export) error {
	n, err := normalize(e)
	if err != nil {
		return err
	}
	taken := map[string]bool{"DOCUMENT": true}
	ids := map[string]common.ElementID{}
	all := append([]inventory.Component{n.root}, n.comps...)
	for _, c := range all {
		ids[c.Ref] = common.ElementID(spdxElementID(c.Ref, taken))
	}
	creators := []common.Creator{{CreatorType: "Tool", Creator: "rampart-" + n.ToolVersion}}
	if n.Supplier != "" {
		creators = append(creators, common.Creator{CreatorType: "Organization", Creator: n.Supplier})
	}
	docName := n.Name
	if n.Version != "" {
		docName += "-" + n.Version
	}
	doc := &spdx.Document{
		SPDXVersion:       spdx.Version,
		DataLicense:       spdx.DataLicense,
		SPDXIdentifier:    "DOCUMENT",
		DocumentName:      docName,
		DocumentNamespace: n.SerialNumber,
		CreationInfo:      &spdx.CreationInfo{Creators: creators, Created: n.Created.Format(time.RFC3339)},
	}
	lic := &licenseRefs{byName: map[string]string{}, taken: map[string]bool{}}
	for _, c := range all {
		doc.Packages = append(doc.Packages, componentToSPDX(c, ids[c.Ref], lic))
	}
	for _, name := range sortedKeys(lic.byName) {
		doc.OtherLicenses = append(doc.OtherLicenses, &spdx.OtherLicense{
			LicenseIdentifier: lic.byName[name],
			LicenseName:       name,
			ExtractedText:     name,
			LicenseComment:    "Licence named in the source SBOM without an SPDX identifier.",
		})
	}
	ref := func(id common.ElementID) common.DocElementID { return common.DocElementID{ElementRefID: id} }
	doc.Relationships = append(doc.Relationships, &spdx.Relationship{
		RefA: ref("DOCUMENT"), RefB: ref(ids[n.root.Ref]), Relationship: common.TypeRelationshipDescribe,
	})
	for _, c := range all {
		for _, d := range c.DependsOn {
			doc.Relationships = append(doc.Relationships, &spdx.Relationship{
				RefA: ref(ids[c.Ref]), RefB: ref(ids[d]), Relationship: common.TypeRelationshipDependsOn,
			})
		}
	}
	var buf bytes.Buffer
	if err := spdxjson.Write(doc, &buf, spdxjson.Indent("  "), spdxjson.EscapeHTML(false)); err != nil {
		return fmt.Errorf("encode SPDX 2.3 JSON: %w", err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// licenseRefs allocates LicenseRef- ids for licence names.
type licenseRefs struct {
	byName map[string]string
	taken  map[string]bool
}

func (l *licenseRefs) ref(name string) string {
	if id, ok := l.byName[name]; ok {
		return id
	}
	base := "LicenseRef-" + strings.Trim(spdxIDChars.ReplaceAllString(name, "-"), "-")
	if base == "LicenseRef-" {
		base = "LicenseRef-unnamed"
	}
	id := base
	for k := 2; l.taken[id]; k++ {
		id = fmt.Sprintf("%s-%d", base, k)
	}
	l.taken[id] = true
	l.byName[name] = id
	return id
}

func componentToSPDX(c inventory.Component, id common.ElementID, lic *licenseRefs) *spdx.Package {
	p := &spdx.Package{
		PackageName:             c.Name,
		PackageSPDXIdentifier:   id,
		PackageVersion:          c.Version,
		PackageDownloadLocation: "NOASSERTION",
		PackageLicenseConcluded: "NOASSERTION",
		PackageLicenseDeclared:  "NOASSERTION",
		PackageCopyrightText:    "NOASSERTION",
		PrimaryPackagePurpose:   cdxToSPDXPurpose[c.Type],
	}
	if p.PrimaryPackagePurpose == "" {
		p.PrimaryPackagePurpose = "LIBRARY"
	}
	if c.Supplier != "" {
		p.PackageSupplier = &common.Supplier{Supplier: c.Supplier, SupplierType: "Organization"}
	}
	for _, h := range c.Hashes {
		if alg, ok := cdxToSPDXHash[h.Algorithm]; ok && h.Value != "" {
			p.PackageChecksums = append(p.PackageChecksums, common.Checksum{Algorithm: alg, Value: strings.ToLower(h.Value)})
		}
	}
	if len(c.Licenses) > 0 {
		parts := make([]string, len(c.Licenses))
		for i, l := range c.Licenses {
			switch {
			case isSPDXLicenseID(l) || isLicenseExpression(l):
				if len(c.Licenses) > 1 && isLicenseExpression(l) {
					l = "(" + l + ")"
				}
			default:
				l = lic.ref(l)
			}
			parts[i] = l
		}
		p.PackageLicenseDeclared = strings.Join(parts, " AND ")
	}
	if c.PURL != "" {
		p.PackageExternalReferences = append(p.PackageExternalReferences, &spdx.PackageExternalReference{
			Category: common.CategoryPackageManager, RefType: common.TypePackageManagerPURL, Locator: c.PURL,
		})
	}
	for _, cpe := range c.CPEs {
		t := common.TypeSecurityCPE22Type
		if strings.HasPrefix(cpe, "cpe:2.3:") {
			t = common.TypeSecurityCPE23Type
		}
		p.PackageExternalReferences = append(p.PackageExternalReferences, &spdx.PackageExternalReference{
			Category: common.CategorySecurity, RefType: t, Locator: cpe,
		})
	}
	return p
}
