// Package sbomgen writes synthetic CycloneDX 1.6 JSON SBOMs of any size for
// benchmarks: realistic components (purl, CPE, hashes, licences, supplier)
// and a dependency DAG. The output is deterministic for a given size and is
// valid against the official CycloneDX 1.6 schema.
package sbomgen

import (
	"bufio"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
)

type hash struct {
	Alg     string `json:"alg"`
	Content string `json:"content"`
}

type license struct {
	License struct {
		ID string `json:"id"`
	} `json:"license"`
}

type supplier struct {
	Name string `json:"name"`
}

type component struct {
	BOMRef   string    `json:"bom-ref"`
	Type     string    `json:"type"`
	Supplier *supplier `json:"supplier,omitempty"`
	Group    string    `json:"group,omitempty"`
	Name     string    `json:"name"`
	Version  string    `json:"version"`
	Hashes   []hash    `json:"hashes"`
	Licenses []license `json:"licenses,omitempty"`
	CPE      string    `json:"cpe,omitempty"`
	PURL     string    `json:"purl"`
}

type dependency struct {
	Ref       string   `json:"ref"`
	DependsOn []string `json:"dependsOn"`
}

var licenseIDs = []string{"MIT", "Apache-2.0", "BSD-3-Clause", "GPL-2.0-only", "LGPL-2.1-or-later", "ISC", "Zlib"}

func ref(i int) string {
	return fmt.Sprintf("pkg:generic/vendor%d/pkg-%06d@1.%d.%d", i%50, i, i%13, i%7)
}

// deps returns the components i depends on: a DAG where i points to
// higher indexes only (2i+1, 2i+2 and i+n/2), so the graph is acyclic.
func deps(i, n int) []string {
	var out []string
	for j := range depIdx(i, n) {
		out = append(out, ref(j))
	}
	return out
}

// Write writes an n-component CycloneDX 1.6 JSON SBOM to w.
func Write(w io.Writer, n int) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	fmt.Fprintf(bw, `{
  "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
  "bomFormat": "CycloneDX",
  "specVersion": "1.6",
  "serialNumber": "urn:uuid:00000000-0000-4000-8000-%012d",
  "version": 1,
  "metadata": {
    "timestamp": "2026-01-01T00:00:00Z",
    "component": {"bom-ref": "firmware", "type": "firmware", "name": "synthetic-firmware", "version": "%d.0.0", "supplier": {"name": "ACME Devices GmbH"}}
  },
  "components": [
`, n, n)
	for i := 0; i < n; i++ {
		f := fields(i)
		c := component{BOMRef: f.ref, Type: "library", Group: f.group, Name: f.name, Version: f.version,
			Hashes: []hash{{"SHA-256", f.sha256}, {"SHA-1", f.sha1}}, CPE: f.cpe, PURL: f.ref}
		if f.license != "" {
			var l license
			l.License.ID = f.license
			c.Licenses = []license{l}
		}
		if f.supplier != "" {
			c.Supplier = &supplier{Name: f.supplier}
		}
		b, err := json.Marshal(c)
		if err != nil {
			return err
		}
		bw.WriteString("    ")
		bw.Write(b)
		if i < n-1 {
			bw.WriteString(",")
		}
		bw.WriteString("\n")
	}
	bw.WriteString("  ],\n  \"dependencies\": [\n")
	top := []string{}
	for i := 0; i < n && i < 10; i++ {
		top = append(top, ref(i))
	}
	b, _ := json.Marshal(dependency{Ref: "firmware", DependsOn: top})
	bw.WriteString("    ")
	bw.Write(b)
	for i := 0; i < n; i++ {
		d := deps(i, n)
		if d == nil {
			d = []string{}
		}
		b, err := json.Marshal(dependency{Ref: ref(i), DependsOn: d})
		if err != nil {
			return err
		}
		bw.WriteString(",\n    ")
		bw.Write(b)
	}
	bw.WriteString("\n  ]\n}\n")
	return bw.Flush()
}

// compFields are the generated fields of component i, shared by the
// three encodings.
type compFields struct {
	ref, name, version, group, cpe, license, supplier, sha256, sha1 string
}

func fields(i int) compFields {
	name := fmt.Sprintf("pkg-%06d", i)
	s256 := sha256.Sum256([]byte(name))
	s1 := sha1.Sum([]byte(name))
	f := compFields{ref: ref(i), name: name, version: fmt.Sprintf("1.%d.%d", i%13, i%7), group: fmt.Sprintf("vendor%d", i%50),
		sha256: hex.EncodeToString(s256[:]), sha1: hex.EncodeToString(s1[:])}
	if i%3 == 0 {
		f.cpe = fmt.Sprintf("cpe:2.3:a:vendor%d:%s:%s:*:*:*:*:*:*:*", i%50, name, f.version)
	}
	if i%4 != 3 {
		f.license = licenseIDs[i%len(licenseIDs)]
	}
	if i%5 == 0 {
		f.supplier = fmt.Sprintf("Vendor %d Ltd", i%50)
	}
	return f
}

// WriteXML writes the same n-component SBOM as Write as CycloneDX 1.6 XML.
func WriteXML(w io.Writer, n int) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	fmt.Fprintf(bw, `<?xml version="1.0" encoding="UTF-8"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.6" serialNumber="urn:uuid:00000000-0000-4000-8000-%012d" version="1">
  <metadata>
    <timestamp>2026-01-01T00:00:00Z</timestamp>
    <component type="firmware" bom-ref="firmware"><supplier><name>ACME Devices GmbH</name></supplier><name>synthetic-firmware</name><version>%d.0.0</version></component>
  </metadata>
  <components>
`, n, n)
	for i := 0; i < n; i++ {
		f := fields(i)
		fmt.Fprintf(bw, `    <component type="library" bom-ref="%s">`, f.ref)
		if f.supplier != "" {
			fmt.Fprintf(bw, `<supplier><name>%s</name></supplier>`, f.supplier)
		}
		fmt.Fprintf(bw, `<group>%s</group><name>%s</name><version>%s</version><hashes><hash alg="SHA-256">%s</hash><hash alg="SHA-1">%s</hash></hashes>`,
			f.group, f.name, f.version, f.sha256, f.sha1)
		if f.license != "" {
			fmt.Fprintf(bw, `<licenses><license><id>%s</id></license></licenses>`, f.license)
		}
		if f.cpe != "" {
			fmt.Fprintf(bw, `<cpe>%s</cpe>`, f.cpe)
		}
		fmt.Fprintf(bw, "<purl>%s</purl></component>\n", f.ref)
	}
	bw.WriteString("  </components>\n  <dependencies>\n    <dependency ref=\"firmware\">")
	for i := 0; i < n && i < 10; i++ {
		fmt.Fprintf(bw, `<dependency ref="%s"/>`, ref(i))
	}
	bw.WriteString("</dependency>\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(bw, `    <dependency ref="%s">`, ref(i))
		for _, d := range deps(i, n) {
			fmt.Fprintf(bw, `<dependency ref="%s"/>`, d)
		}
		bw.WriteString("</dependency>\n")
	}
	bw.WriteString("  </dependencies>\n</bom>\n")
	return bw.Flush()
}

func spdxID(i int) string { return fmt.Sprintf("SPDXRef-Package-%06d", i) }

// WriteSPDX writes the same n-component SBOM as Write as SPDX 2.3 JSON:
// the firmware is the package the document DESCRIBES, edges are
// DEPENDS_ON relationships.
func WriteSPDX(w io.Writer, n int) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	fmt.Fprintf(bw, `{
  "spdxVersion": "SPDX-2.3",
  "dataLicense": "CC0-1.0",
  "SPDXID": "SPDXRef-DOCUMENT",
  "name": "synthetic-firmware",
  "documentNamespace": "https://example.com/spdx/synthetic-%d",
  "creationInfo": {"created": "2026-01-01T00:00:00Z", "creators": ["Tool: rampart-sbomgen"]},
  "documentDescribes": ["SPDXRef-firmware"],
  "packages": [
    {"SPDXID": "SPDXRef-firmware", "name": "synthetic-firmware", "versionInfo": "%d.0.0", "supplier": "Organization: ACME Devices GmbH", "downloadLocation": "NOASSERTION", "filesAnalyzed": false, "primaryPackagePurpose": "FIRMWARE"}`, n, n)
	type checksum struct {
		Algorithm string `json:"algorithm"`
		Value     string `json:"checksumValue"`
	}
	type extRef struct {
		Category string `json:"referenceCategory"`
		Type     string `json:"referenceType"`
		Locator  string `json:"referenceLocator"`
	}
	type pkg struct {
		ID               string     `json:"SPDXID"`
		Name             string     `json:"name"`
		Version          string     `json:"versionInfo"`
		Supplier         string     `json:"supplier,omitempty"`
		Download         string     `json:"downloadLocation"`
		FilesAnalyzed    bool       `json:"filesAnalyzed"`
		Checksums        []checksum `json:"checksums"`
		LicenseConcluded string     `json:"licenseConcluded,omitempty"`
		ExternalRefs     []extRef   `json:"externalRefs"`
		Purpose          string     `json:"primaryPackagePurpose"`
	}
	for i := 0; i < n; i++ {
		f := fields(i)
		p := pkg{ID: spdxID(i), Name: f.name, Version: f.version, Download: "NOASSERTION", LicenseConcluded: f.license, Purpose: "LIBRARY",
			Checksums:    []checksum{{"SHA256", f.sha256}, {"SHA1", f.sha1}},
			ExternalRefs: []extRef{{"PACKAGE-MANAGER", "purl", f.ref}}}
		if f.supplier != "" {
			p.Supplier = "Organization: " + f.supplier
		}
		if f.cpe != "" {
			p.ExternalRefs = append(p.ExternalRefs, extRef{"SECURITY", "cpe23Type", f.cpe})
		}
		b, err := json.Marshal(p)
		if err != nil {
			return err
		}
		bw.WriteString(",\n    ")
		bw.Write(b)
	}
	bw.WriteString("\n  ],\n  \"relationships\": [\n")
	bw.WriteString(`    {"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": "SPDXRef-firmware"}`)
	rel := func(a, b string) {
		fmt.Fprintf(bw, ",\n    {\"spdxElementId\": %q, \"relationshipType\": \"DEPENDS_ON\", \"relatedSpdxElement\": %q}", a, b)
	}
	for i := 0; i < n && i < 10; i++ {
		rel("SPDXRef-firmware", spdxID(i))
	}
	for i := 0; i < n; i++ {
		for j := range depIdx(i, n) {
			rel(spdxID(i), spdxID(j))
		}
	}
	bw.WriteString("\n  ]\n}\n")
	return bw.Flush()
}

// depIdx yields the indexes deps(i, n) names.
func depIdx(i, n int) func(func(int) bool) {
	return func(yield func(int) bool) {
		seen := map[int]bool{}
		for _, j := range []int{2*i + 1, 2*i + 2, i + n/2} {
			if j < n && j > i && !seen[j] {
				seen[j] = true
				if !yield(j) {
					return
				}
			}
		}
	}
}

// WriteSPDXTagValue writes the same n-component SBOM as WriteSPDX as SPDX
// 2.3 tag-value, each package section followed by its DEPENDS_ON
// relationships (so most of them name a package defined further down).
func WriteSPDXTagValue(w io.Writer, n int) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	fmt.Fprintf(bw, "SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\nSPDXID: SPDXRef-DOCUMENT\nDocumentName: synthetic-firmware\n"+
		"DocumentNamespace: https://example.com/spdx/synthetic-%d\nCreator: Tool: rampart-sbomgen\nCreated: 2026-01-01T00:00:00Z\n\n"+
		"PackageName: synthetic-firmware\nSPDXID: SPDXRef-firmware\nPackageVersion: %d.0.0\nPackageSupplier: Organization: ACME Devices GmbH\n"+
		"PackageDownloadLocation: NOASSERTION\nFilesAnalyzed: false\nPrimaryPackagePurpose: FIRMWARE\n"+
		"Relationship: SPDXRef-DOCUMENT DESCRIBES SPDXRef-firmware\n", n, n)
	for i := 0; i < n && i < 10; i++ {
		fmt.Fprintf(bw, "Relationship: SPDXRef-firmware DEPENDS_ON %s\n", spdxID(i))
	}
	for i := 0; i < n; i++ {
		f := fields(i)
		fmt.Fprintf(bw, "\nPackageName: %s\nSPDXID: %s\nPackageVersion: %s\n", f.name, spdxID(i), f.version)
		if f.supplier != "" {
			fmt.Fprintf(bw, "PackageSupplier: Organization: %s\n", f.supplier)
		}
		fmt.Fprintf(bw, "PackageDownloadLocation: NOASSERTION\nFilesAnalyzed: false\nPackageChecksum: SHA256: %s\nPackageChecksum: SHA1: %s\n", f.sha256, f.sha1)
		if f.license != "" {
			fmt.Fprintf(bw, "PackageLicenseConcluded: %s\n", f.license)
		}
		fmt.Fprintf(bw, "ExternalRef: PACKAGE-MANAGER purl %s\n", f.ref)
		if f.cpe != "" {
			fmt.Fprintf(bw, "ExternalRef: SECURITY cpe23Type %s\n", f.cpe)
		}
		bw.WriteString("PrimaryPackagePurpose: LIBRARY\n")
		for j := range depIdx(i, n) {
			fmt.Fprintf(bw, "Relationship: %s DEPENDS_ON %s\n", spdxID(i), spdxID(j))
		}
	}
	return bw.Flush()
}

// WriteSPDX3 writes the same n-component SBOM as WriteSPDX as SPDX 3.0.1
// JSON-LD, shaped as Yocto's create-spdx-3.0 writes an image: the firmware
// is the software_Sbom's root package, each package has three
// software_File elements (with SHA-256 and SHA-512 hashes) that it
// contains, licences are hasDeclaredLicense relationships to shared
// simplelicensing_LicenseExpression elements, suppliers are Organization
// elements, edges are dependsOn relationships (runtime scope). The graph
// holds about 6.25n elements (50,024 for n = 8,000).
func WriteSPDX3(w io.Writer, n int) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	const base = "http://spdx.org/spdxdocs/synthetic-firmware/"
	id := func(kind string, i int) string { return fmt.Sprintf("%s%s/%06d", base, kind, i) }
	elem := func(v map[string]any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		bw.WriteString(",\n    ")
		_, err = bw.Write(b)
		return err
	}
	fmt.Fprintf(bw, `{
  "@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld",
  "@graph": [
    {"type": "CreationInfo", "@id": "_:CreationInfo0", "created": "2026-01-01T00:00:00Z", "createdBy": [%q], "specVersion": "3.0.1"}`, base+"agent/rampart-sbomgen")
	ci := "_:CreationInfo0"
	all := []map[string]any{
		{"type": "Organization", "spdxId": base + "agent/rampart-sbomgen", "creationInfo": ci, "name": "rampart-sbomgen"},
		{"type": "Organization", "spdxId": base + "agent/acme", "creationInfo": ci, "name": "ACME Devices GmbH"},
		{"type": "SpdxDocument", "spdxId": base + "document", "creationInfo": ci, "name": "synthetic-firmware", "rootElement": []string{base + "sbom"}},
		{"type": "software_Sbom", "spdxId": base + "sbom", "creationInfo": ci, "name": "synthetic-firmware", "rootElement": []string{base + "firmware"}, "software_sbomType": []string{"build"}},
		{"type": "software_Package", "spdxId": base + "firmware", "creationInfo": ci, "name": "synthetic-firmware", "software_packageVersion": fmt.Sprintf("%d.0.0", n),
			"suppliedBy": base + "agent/acme", "software_primaryPurpose": "firmware"},
	}
	for i, l := range licenseIDs {
		all = append(all, map[string]any{"type": "simplelicensing_LicenseExpression", "spdxId": id("license", i), "creationInfo": ci,
			"simplelicensing_licenseExpression": l, "simplelicensing_licenseListVersion": "3.24.0"})
	}
	for v := 0; v < 50 && v < n; v += 5 {
		all = append(all, map[string]any{"type": "Organization", "spdxId": id("agent/vendor", v), "creationInfo": ci, "name": fmt.Sprintf("Vendor %d Ltd", v)})
	}
	for _, e := range all {
		if err := elem(e); err != nil {
			return err
		}
	}
	rel := func(kind string, i int, from, typ string, to []string, scope string) error {
		r := map[string]any{"type": "Relationship", "spdxId": id("relationship/"+kind, i), "creationInfo": ci, "from": from, "relationshipType": typ, "to": to}
		if scope != "" {
			r["type"], r["scope"] = "LifecycleScopedRelationship", scope
		}
		return elem(r)
	}
	var top []string
	for i := 0; i < n && i < 10; i++ {
		top = append(top, id("package", i))
	}
	if len(top) > 0 {
		if err := rel("firmware", 0, base+"firmware", "dependsOn", top, "runtime"); err != nil {
			return err
		}
	}
	for i := 0; i < n; i++ {
		f := fields(i)
		s512 := sha512.Sum512([]byte(f.name))
		ext := []map[string]string{{"type": "ExternalIdentifier", "externalIdentifierType": "packageUrl", "identifier": f.ref}}
		if f.cpe != "" {
			ext = append(ext, map[string]string{"type": "ExternalIdentifier", "externalIdentifierType": "cpe23", "identifier": f.cpe})
		}
		p := map[string]any{"type": "software_Package", "spdxId": id("package", i), "creationInfo": ci, "name": f.name, "software_packageVersion": f.version,
			"software_packageUrl": f.ref, "software_primaryPurpose": "library", "externalIdentifier": ext,
			"verifiedUsing": []map[string]string{{"type": "Hash", "algorithm": "sha256", "hashValue": f.sha256}, {"type": "Hash", "algorithm": "sha1", "hashValue": f.sha1}}}
		if f.supplier != "" {
			p["suppliedBy"] = id("agent/vendor", i%50)
		}
		if err := elem(p); err != nil {
			return err
		}
		var files []string
		for k := 0; k < 3; k++ {
			fid := id(fmt.Sprintf("package/%06d/file", i), k)
			files = append(files, fid)
			if err := elem(map[string]any{"type": "software_File", "spdxId": fid, "creationInfo": ci, "name": fmt.Sprintf("usr/lib/%s/file-%d.so", f.name, k),
				"verifiedUsing": []map[string]string{{"type": "Hash", "algorithm": "sha256", "hashValue": f.sha256}, {"type": "Hash", "algorithm": "sha512", "hashValue": hex.EncodeToString(s512[:])}}}); err != nil {
				return err
			}
		}
		if err := rel("contains", i, id("package", i), "contains", files, ""); err != nil {
			return err
		}
		if f.license != "" {
			if err := rel("license", i, id("package", i), "hasDeclaredLicense", []string{id("license", i%len(licenseIDs))}, ""); err != nil {
				return err
			}
		}
		var to []string
		for j := range depIdx(i, n) {
			to = append(to, id("package", j))
		}
		if len(to) > 0 {
			if err := rel("depends", i, id("package", i), "dependsOn", to, "runtime"); err != nil {
				return err
			}
		}
	}
	bw.WriteString("\n  ]\n}\n")
	return bw.Flush()
}
