package sbom_test

import (
	"reflect"
	"testing"

	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/sbom"
)

// Hand-written documents in the shapes real producers write (each
// fixture's comment names the documentation or source it follows); every
// one is decoded whole and streamed.

// zephyrTV follows the SPDX 2.3 tag-value clauses 7.5 (PackageSupplier:
// "Person: person name (email)") and 7.6 (PackageOriginator), in the
// layout of Zephyr's west spdx writer (scripts/west_commands/zspdx/writer.py:
// "##### Package:" comments, NOASSERTION download locations, a cpe23Type
// SECURITY ref and a PACKAGE-MANAGER purl, CONTAINS relationships), with
// Yocto's default supplier "Organization: OpenEmbedded ()" (SPDX_ORG in
// meta/classes/create-spdx-2.2.bbclass).
const zephyrTV = `SPDXVersion: SPDX-2.3
DataLicense: CC0-1.0
SPDXID: SPDXRef-DOCUMENT
DocumentName: zephyr-sources
DocumentNamespace: http://spdx.org/spdxdocs/zephyr-sources-1a2b
Creator: Tool: Zephyr SPDX builder
Created: 2024-05-01T10:00:00Z

##### Package: zephyr-sources

PackageName: zephyr-sources
SPDXID: SPDXRef-zephyr-sources
PackageDownloadLocation: NOASSERTION
PackageVersion: 3.6.0
PackageSupplier: Organization: OpenEmbedded ()
PackageLicenseConcluded: Apache-2.0
PackageLicenseDeclared: NOASSERTION
PackageCopyrightText: NOASSERTION
PackageComment: <text>a comment
over two lines</text>
ExternalRef: SECURITY cpe23Type cpe:2.3:o:zephyrproject:zephyr:v3.6.0:*:*:*:*:*:*:*
ExternalRef: PACKAGE-MANAGER purl pkg:github/zephyrproject-rtos/zephyr@v3.6.0
FilesAnalyzed: false

##### Package: mbedtls

PackageName: mbedtls
SPDXID: SPDXRef-mbedtls
PackageDownloadLocation: NOASSERTION
PackageVersion: 3.5.2
PackageSupplier: Person: Jane Doe (jane.doe@example.com)
PackageLicenseConcluded: NOASSERTION
PackageLicenseDeclared: Apache-2.0 OR GPL-2.0-or-later
PackageCopyrightText: NOASSERTION
ExternalRef: SECURITY cpe22Type cpe:/a:arm:mbed_tls:3.5.2
FilesAnalyzed: false

##### Package: tinycrypt

PackageName: tinycrypt
SPDXID: SPDXRef-tinycrypt
PackageDownloadLocation: NOASSERTION
PackageVersion: 0.2.8
PackageSupplier: NOASSERTION
PackageOriginator: Organization: Intel Corporation (tinycrypt@example.com)
PackageLicenseConcluded: NOASSERTION
PackageLicenseDeclared: NOASSERTION
PackageCopyrightText: NOASSERTION
FilesAnalyzed: false

##### Package: hal

PackageName: hal
SPDXID: SPDXRef-hal
PackageDownloadLocation: NOASSERTION
PackageSupplier: Organization: Acme (Europe)
PackageLicenseConcluded: NOASSERTION
PackageLicenseDeclared: NOASSERTION
PackageCopyrightText: NOASSERTION
FilesAnalyzed: false

Relationship: SPDXRef-DOCUMENT DESCRIBES SPDXRef-zephyr-sources
Relationship: SPDXRef-zephyr-sources CONTAINS SPDXRef-mbedtls
Relationship: SPDXRef-tinycrypt CONTAINED_BY SPDXRef-zephyr-sources
`

// yoctoJSON follows SPDX 2.2 JSON as Yocto's create-spdx-2.2 writes a
// recipe package: supplier "Organization: OpenEmbedded ()", a cpe23Type
// ref with an ANY part and vendor (oe.cve_check.get_cpe_ids), an
// originator on the second package (schema: any string).
const yoctoJSON = `{"spdxVersion":"SPDX-2.2","dataLicense":"CC0-1.0","SPDXID":"SPDXRef-DOCUMENT","name":"recipe-busybox",
"documentNamespace":"http://spdx.org/spdxdocs/recipe-busybox-6c1e",
"creationInfo":{"created":"2024-05-01T10:00:00Z","creators":["Tool: OpenEmbedded Core create-spdx.bbclass"]},
"documentDescribes":["SPDXRef-Recipe-busybox"],
"packages":[
 {"SPDXID":"SPDXRef-Recipe-busybox","name":"busybox","versionInfo":"1.36.1","supplier":"Organization: OpenEmbedded ()",
  "downloadLocation":"NOASSERTION","licenseConcluded":"NOASSERTION","licenseDeclared":"GPL-2.0-only AND bzip2-1.0.4","copyrightText":"NOASSERTION",
  "externalRefs":[{"referenceCategory":"SECURITY","referenceType":"cpe23Type","referenceLocator":"cpe:2.3:*:*:busybox:1.36.1:*:*:*:*:*:*:*"}]},
 {"SPDXID":"SPDXRef-Recipe-zlib","name":"zlib","versionInfo":"1.3.1","originator":"Organization: zlib project (zlib@gzip.org)",
  "downloadLocation":"NOASSERTION","licenseConcluded":"NOASSERTION","licenseDeclared":"Zlib","copyrightText":"NOASSERTION"}
],
"relationships":[{"spdxElementId":"SPDXRef-Recipe-busybox","relationshipType":"DEPENDS_ON","relatedSpdxElement":"SPDXRef-Recipe-zlib"}]}`

// syftCDX follows CycloneDX 1.6 JSON as syft writes an Alpine package
// (syft/format/internal/cyclonedxutil/helpers: the maintainer as
// "publisher", no supplier) and a component naming only its
// "manufacturer" (CycloneDX 1.6 component.manufacturer).
const syftCDX = `{"bomFormat":"CycloneDX","specVersion":"1.6","serialNumber":"urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79","version":1,
"metadata":{"component":{"bom-ref":"root","type":"container","name":"alpine","version":"3.19"}},
"components":[
 {"bom-ref":"busybox","type":"library","publisher":"Sören Tempel <soeren+alpine@soeren-tempel.net>","name":"busybox","version":"1.36.1-r15",
  "purl":"pkg:apk/alpine/busybox@1.36.1-r15?arch=x86_64&distro=alpine-3.19.1"},
 {"bom-ref":"musl","type":"library","name":"musl","version":"1.2.4_git20230717-r4","manufacturer":{"name":"Rich Felker"},"publisher":"Timo Teräs"},
 {"bom-ref":"ssl","type":"library","name":"libssl3","version":"3.1.4-r5","supplier":{"name":"Alpine Linux"},"publisher":"Natanael Copa"}
]}`

// syftCDXXML is syftCDX in CycloneDX 1.6 XML (bom-1.6.xsd: manufacturer
// and publisher are component elements before name).
const syftCDXXML = `<?xml version="1.0" encoding="UTF-8"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.6" serialNumber="urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79" version="1">
  <components>
    <component type="library" bom-ref="busybox">
      <publisher>Sören Tempel &lt;soeren+alpine@soeren-tempel.net&gt;</publisher>
      <name>busybox</name>
      <version>1.36.1-r15</version>
    </component>
    <component type="library" bom-ref="musl">
      <manufacturer><name>Rich Felker</name></manufacturer>
      <publisher>Timo Teräs</publisher>
      <name>musl</name>
      <version>1.2.4_git20230717-r4</version>
    </component>
    <component type="library" bom-ref="ssl">
      <supplier><name>Alpine Linux</name></supplier>
      <publisher>Natanael Copa</publisher>
      <name>libssl3</name>
      <version>3.1.4-r5</version>
    </component>
  </components>
</bom>
`

// syftSuppliers are the suppliers of syftCDX and syftCDXXML: supplier.name,
// else manufacturer.name, else publisher.
var syftSuppliers = map[string]string{
	"busybox": "Sören Tempel <soeren+alpine@soeren-tempel.net>",
	"musl":    "Rich Felker",
	"libssl3": "Alpine Linux",
}

// decodeBoth decodes doc whole and streamed; each result's components
// start with the metadata component, when there is one.
func decodeBoth(t *testing.T, doc, name string) map[string][]inventory.Component {
	t.Helper()
	whole, err := sbom.DecodeBytes([]byte(doc), name)
	if err != nil {
		t.Fatal(err)
	}
	res, comps, err := streamDecode([]byte(doc), name)
	if err != nil {
		t.Fatalf("streamed: %v", err)
	}
	withMeta := func(m *inventory.Component, cs []inventory.Component) []inventory.Component {
		if m == nil {
			return cs
		}
		return append([]inventory.Component{*m}, cs...)
	}
	return map[string][]inventory.Component{
		"whole":    withMeta(whole.Metadata, whole.Components),
		"streamed": withMeta(res.Metadata, comps),
	}
}

func TestProducerSuppliers(t *testing.T) {
	tests := []struct {
		name, doc string
		want      map[string]string // component name -> supplier
	}{
		{"zephyr.spdx", zephyrTV, map[string]string{
			"zephyr-sources": "OpenEmbedded", // empty "()" address
			"mbedtls":        "Jane Doe",     // "(email)" is the contact, not the name
			"tinycrypt":      "Intel Corporation",
			"hal":            "Acme (Europe)", // parentheses without an address are the name's
		}},
		{"yocto.spdx.json", yoctoJSON, map[string]string{"busybox": "OpenEmbedded", "zlib": "zlib project"}},
		{"syft.cdx.json", syftCDX, syftSuppliers},
		{"syft.cdx.xml", syftCDXXML, syftSuppliers},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for path, all := range decodeBoth(t, tt.doc, tt.name) {
				got := map[string]string{}
				for _, c := range all {
					if _, ok := tt.want[c.Name]; ok {
						got[c.Name] = c.Supplier
					}
				}
				for n, w := range tt.want {
					if got[n] != w {
						t.Errorf("%s: %s supplier = %q, want %q", path, n, got[n], w)
					}
				}
			}
		})
	}
}

// prereqTV uses the SPDX 2.3 clause 11.1 relationship types that stand for
// a dependency besides DEPENDS_ON and *_DEPENDENCY_OF: HAS_PREREQUISITE
// ("A library bar.dll has as a prerequisite a dependency to library
// foo.dll"), its reverse PREREQUISITE_FOR (Microsoft's sbom-tool writes
// it) and OPTIONAL_COMPONENT_OF, plus one that stands for none (GENERATED_FROM).
const prereqTV = `SPDXVersion: SPDX-2.3
DataLicense: CC0-1.0
SPDXID: SPDXRef-DOCUMENT
DocumentName: app
DocumentNamespace: http://spdx.org/spdxdocs/app-1
Creator: Tool: hand-written
Created: 2024-05-01T10:00:00Z

PackageName: app
SPDXID: SPDXRef-app
PackageDownloadLocation: NOASSERTION
FilesAnalyzed: false

PackageName: bar
SPDXID: SPDXRef-bar
PackageDownloadLocation: NOASSERTION
FilesAnalyzed: false

PackageName: foo
SPDXID: SPDXRef-foo
PackageDownloadLocation: NOASSERTION
FilesAnalyzed: false

PackageName: plugin
SPDXID: SPDXRef-plugin
PackageDownloadLocation: NOASSERTION
FilesAnalyzed: false

PackageName: src
SPDXID: SPDXRef-src
PackageDownloadLocation: NOASSERTION
FilesAnalyzed: false

Relationship: SPDXRef-DOCUMENT DESCRIBES SPDXRef-app
Relationship: SPDXRef-bar HAS_PREREQUISITE SPDXRef-foo
Relationship: SPDXRef-bar PREREQUISITE_FOR SPDXRef-app
Relationship: SPDXRef-plugin OPTIONAL_COMPONENT_OF SPDXRef-app
Relationship: SPDXRef-app GENERATED_FROM SPDXRef-src
`

func TestSPDXPrerequisiteEdges(t *testing.T) {
	want := map[string][]string{
		"SPDXRef-app": {"SPDXRef-bar", "SPDXRef-plugin"},
		"SPDXRef-bar": {"SPDXRef-foo"},
	}
	for path, cs := range decodeBoth(t, prereqTV, "app.spdx") {
		got := map[string][]string{}
		for _, c := range cs {
			if len(c.DependsOn) > 0 {
				got[c.Ref] = c.DependsOn
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: edges = %v, want %v", path, got, want)
		}
	}
}

// syftCPEs follows syft's CycloneDX encoder (and grype's reader of it):
// the first CPE in cpe, the others as "syft:cpe23" properties, here for a
// binary found by syft's binary cataloger (pkg:generic).
const syftCPEs = `{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,"components":[
 {"bom-ref":"bb","type":"application","name":"busybox","version":"1.36.1","cpe":"cpe:2.3:a:busybox:busybox:1.36.1:*:*:*:*:*:*:*",
  "purl":"pkg:generic/busybox@1.36.1",
  "properties":[{"name":"syft:package:foundBy","value":"binary-classifier-cataloger"},
   {"name":"syft:cpe23","value":"cpe:2.3:a:busybox:busybox:1.36.1:*:*:*:*:*:*:*"},
   {"name":"syft:cpe23","value":"cpe:2.3:a:busybox_project:busybox:1.36.1:*:*:*:*:*:*:*"}]}]}`

func TestSyftCPEProperties(t *testing.T) {
	want := []string{"cpe:2.3:a:busybox:busybox:1.36.1:*:*:*:*:*:*:*", "cpe:2.3:a:busybox_project:busybox:1.36.1:*:*:*:*:*:*:*"}
	for path, cs := range decodeBoth(t, syftCPEs, "syft.cdx.json") {
		if len(cs) != 1 || !reflect.DeepEqual(cs[0].CPEs, want) {
			t.Errorf("%s: CPEs = %v, want %v", path, cs, want)
		}
	}
}

// converted follows a CycloneDX document converted from SPDX, whose
// licenseConcluded NOASSERTION and licenseDeclared NONE became licence
// names (the CycloneDX schema allows any name).
const converted = `{"bomFormat":"CycloneDX","specVersion":"1.4","version":1,"components":[
 {"bom-ref":"a","type":"library","name":"a","version":"1","licenses":[{"license":{"name":"NOASSERTION"}},{"license":{"name":"MIT"}}]},
 {"bom-ref":"b","type":"library","name":"b","version":"1","licenses":[{"license":{"name":"NONE"}}],
  "supplier":{"name":"NOASSERTION"},"publisher":"Acme"}]}`

func TestCycloneDXNoAssertionLicence(t *testing.T) {
	for path, cs := range decodeBoth(t, converted, "converted.cdx.json") {
		if len(cs) != 2 || !reflect.DeepEqual(cs[0].Licenses, []string{"MIT"}) || cs[1].Licenses != nil {
			t.Errorf("%s: licences %+v, want [MIT] and none", path, cs)
		}
		if len(cs) == 2 && cs[1].Supplier != "Acme" {
			t.Errorf("%s: supplier %q, want the publisher Acme (supplier NOASSERTION names no one)", path, cs[1].Supplier)
		}
	}
}
