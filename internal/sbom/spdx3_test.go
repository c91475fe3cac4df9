package sbom_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/sbom"
)

// TestDecodeSPDX3Yocto reads testdata/yocto-core-image-minimal.rootfs.spdx.json,
// an image SBOM in the shape of Yocto's create-spdx-3.0 (see
// testdata/README-spdx3.md): binary packages (install purpose) with purls
// and CPEs, recipes (specification, a native one among them: not
// imported, see spdx3Shipped), downloads with SRC_URI hashes,
// software_File elements, build_Build elements, a CVE with a VEX
// assessment, licences as shared LicenseExpression elements. Every field
// the import maps is checked on one package of each kind, and the streamed
// path gives the same.
func TestDecodeSPDX3Yocto(t *testing.T) {
	const name = "yocto-core-image-minimal.rootfs.spdx.json"
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := sbom.DecodeBytes(data, name)
	if err != nil {
		t.Fatal(err)
	}
	if doc.Metadata == nil || doc.Metadata.Name != "core-image-minimal" || doc.Metadata.Type != inventory.TypeFile {
		t.Fatalf("root component: %+v (want the rootfs package, the Sbom's root)", doc.Metadata)
	}
	byName := map[string][]inventory.Component{}
	refName := map[string]string{}
	for _, c := range doc.Components {
		byName[c.Name] = append(byName[c.Name], c)
		refName[c.Ref] = c.Name
		if strings.Contains(c.Name, "/") || strings.HasSuffix(c.Name, ".ext4") {
			t.Errorf("a software_File became a component: %+v", c)
		}
	}
	// busybox: the binary package (install), not the recipe
	// (specification); the build-time quilt-native recipe not at all.
	if len(byName["busybox"]) != 1 || len(byName["quilt-native"]) != 0 || len(byName["glibc"]) != 0 {
		t.Fatalf("busybox: %d components, quilt-native %d, glibc %d: want the installed package only", len(byName["busybox"]), len(byName["quilt-native"]), len(byName["glibc"]))
	}
	bin := byName["busybox"][0]
	want := inventory.Component{
		Type: inventory.TypeApplication, Name: "busybox", Version: "1.36.1", PURL: "pkg:yocto/core/busybox@1.36.1",
		CPEs:     []string{"cpe:2.3:*:busybox:busybox:1.36.1:*:*:*:*:*:*:*"},
		Licenses: []string{"GPL-2.0-only AND bzip2-1.0.4"}, Supplier: "Acme Devices GmbH",
	}
	want.Ref = bin.Ref
	deps := bin.DependsOn
	bin.DependsOn = nil
	if !reflect.DeepEqual(bin, want) {
		t.Errorf("busybox package:\n got  %+v\n want %+v", bin, want)
	}
	if len(deps) != 1 || refName[deps[0]] != "libc6" {
		t.Errorf("busybox depends on %v, want libc6 (runtime dependsOn)", deps)
	}
	// libz1: concluded licence over declared; base-files: no CPE.
	if z := byName["libz1"]; len(z) != 1 || !reflect.DeepEqual(z[0].Licenses, []string{"Zlib"}) {
		t.Errorf("libz1: %+v", z)
	}
	if b := byName["base-files"]; len(b) != 1 || b[0].CPEs != nil || b[0].PURL != "pkg:yocto/core/base-files@3.0.14" {
		t.Errorf("base-files: %+v", b)
	}
	// Downloads: hashes from verifiedUsing, lower-cased; the licence is the
	// recipe's (hasDeclaredLicense from the download).
	dl := byName["zlib-1.3.1.tar.xz"]
	if len(dl) != 1 || len(dl[0].Hashes) != 1 || dl[0].Hashes[0].Algorithm != "SHA-256" || dl[0].Hashes[0].Value != strings.ToLower(dl[0].Hashes[0].Value) ||
		dl[0].Type != inventory.TypeFile || !reflect.DeepEqual(dl[0].Licenses, []string{"Zlib"}) {
		t.Errorf("zlib download: %+v", dl)
	}
	if doc.Created.Format("2006-01-02T15:04:05Z") != "2018-03-09T12:34:56Z" || !strings.HasSuffix(doc.SerialNumber, "/document/core-image-minimal-qemux86-64_rootfs-20180309123456") {
		t.Errorf("header: created %v, serial %q", doc.Created, doc.SerialNumber)
	}
	checkSame(t, data, name)
}

// spdx3Doc wraps elements in an SPDX 3.0.1 JSON-LD document.
func spdx3Doc(elements ...string) []byte {
	return []byte(`{"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld", "@graph": [` + strings.Join(elements, ",\n") + `]}`)
}

const spdx3Pkg = `{"type": "software_Package", "spdxId": "urn:p1", "name": "p1", "software_packageVersion": "1.0"}`

// TestDecodeSPDX3Forms: what JSON-LD compaction and other producers may
// write besides the usual form is read the same: a one-item list as the
// item, an embedded agent or CreationInfo instead of a reference, types
// and enumerations as full IRIs, licences of the SPDX list the document
// does not define, unknown types and properties (ignored).
func TestDecodeSPDX3Forms(t *testing.T) {
	data := spdx3Doc(
		`{"type": "SpdxDocument", "spdxId": "urn:doc", "name": "forms", "rootElement": "urn:root", "creationInfo": {"type": "CreationInfo", "created": "2025-02-03T04:05:06Z", "specVersion": "3.0.1"}}`,
		`{"type": "https://spdx.org/rdf/3.0.1/terms/Software/Package", "spdxId": "urn:root", "name": "root"}`,
		`{"type": "software_Package", "spdxId": "urn:p1", "name": "p1", "software_packageVersion": "1.0",
		  "suppliedBy": {"type": "Organization", "spdxId": "urn:org", "name": "Embedded Org"},
		  "externalIdentifier": {"type": "ExternalIdentifier", "externalIdentifierType": "https://spdx.org/rdf/3.0.1/terms/Core/ExternalIdentifierType/packageUrl", "identifier": "pkg:generic/p1@1.0"},
		  "verifiedUsing": {"type": "Hash", "algorithm": "sha3_256", "hashValue": "ABCD"},
		  "x_vendorProperty": {"nested": [1, 2, 3]}}`,
		`{"type": "software_Package", "spdxId": "urn:p2", "name": "p2", "originatedBy": ["urn:person"],
		  "externalIdentifier": [{"type": "ExternalIdentifier", "externalIdentifierType": "cpe22", "identifier": "cpe:/a:x:p2:2"}]}`,
		`{"type": "Person", "spdxId": "urn:person", "name": "Jane Doe"}`,
		`{"type": "Relationship", "spdxId": "urn:r1", "from": "urn:root", "relationshipType": "contains", "to": "urn:p1"}`,
		`{"type": "LifecycleScopedRelationship", "spdxId": "urn:r2", "from": "urn:p1", "relationshipType": "https://spdx.org/rdf/3.0.1/terms/Core/RelationshipType/dependsOn", "to": ["urn:p2", "urn:nowhere"], "scope": "runtime"}`,
		`{"type": "Relationship", "spdxId": "urn:r3", "from": "urn:p1", "relationshipType": "hasConcludedLicense", "to": ["https://spdx.org/licenses/MIT"]}`,
		`{"type": "Relationship", "spdxId": "urn:r4", "from": "urn:p2", "relationshipType": "hasDeclaredLicense", "to": ["expandedlicensing_NoAssertionLicense"]}`,
		`{"type": "Relationship", "spdxId": "urn:r5", "from": "urn:p2", "relationshipType": "generates", "to": ["urn:p1"]}`,
		`{"type": "security_Vulnerability", "spdxId": "urn:cve"}`,
		`{"type": "acme_FutureThing", "spdxId": "urn:future", "from": 42}`,
		`{"from": {"x": [1]}, "type": "acme_FutureThing", "spdxId": "urn:future2"}`,
		`{"type": "software_File", "spdxId": "urn:f", "name": "f", "verifiedUsing": "not read", "creationInfo": 5}`,
	)
	doc, err := sbom.DecodeBytes(data, "forms.spdx3.json")
	if err != nil {
		t.Fatal(err)
	}
	want := []inventory.Component{
		{Ref: "urn:p1", Type: inventory.TypeLibrary, Name: "p1", Version: "1.0", PURL: "pkg:generic/p1@1.0",
			Hashes: []inventory.Hash{{Algorithm: "SHA3-256", Value: "abcd"}}, Licenses: []string{"MIT"}, Supplier: "Embedded Org", DependsOn: []string{"urn:p2"}},
		{Ref: "urn:p2", Type: inventory.TypeLibrary, Name: "p2", CPEs: []string{"cpe:/a:x:p2:2"}, Supplier: "Jane Doe"},
	}
	if !reflect.DeepEqual(doc.Components, want) {
		g, _ := json.Marshal(doc.Components)
		w, _ := json.Marshal(want)
		t.Errorf("components:\n got  %s\n want %s", g, w)
	}
	if doc.Metadata == nil || doc.Metadata.Name != "root" || !reflect.DeepEqual(doc.Metadata.DependsOn, []string{"urn:p1"}) ||
		doc.Name != "forms" || doc.Created.IsZero() {
		t.Errorf("header: %+v, metadata %+v", doc, doc.Metadata)
	}
	checkSame(t, data, "forms.spdx3.json")

	// A document with no package, as testdata/spdx3-minimal.json (an
	// SpdxDocument alone), is an empty SBOM, as for SPDX 2.
	min, err := os.ReadFile("testdata/spdx3-minimal.json")
	if err != nil {
		t.Fatal(err)
	}
	if doc, err := sbom.DecodeBytes(min, "spdx3-minimal.json"); err != nil || len(doc.Components) != 0 || doc.Metadata != nil {
		t.Errorf("spdx3-minimal.json: %v, %+v", err, doc)
	}
}

// TestDecodeSPDX3Rejects: broken documents are rejected whole and
// streamed, with the file and the JSON pointer (or line) in the error.
func TestDecodeSPDX3Rejects(t *testing.T) {
	for _, tt := range []struct {
		name string
		data []byte
		path string
		has  string
	}{
		{"element not an object", spdx3Doc(spdx3Pkg, `"urn:x"`), "/@graph/1", "must be an object"},
		{"no type", spdx3Doc(spdx3Pkg, `{"spdxId": "urn:x", "name": "x"}`), "/@graph/1/type", "missing"},
		{"package without name", spdx3Doc(`{"type": "software_Package", "spdxId": "urn:x"}`), "/@graph/0/name", "must have a name"},
		{"package without spdxId", spdx3Doc(`{"type": "ai_AIPackage", "name": "m"}`), "/@graph/0/spdxId", "must have an spdxId"},
		{"duplicate package", spdx3Doc(spdx3Pkg, `{"type": "Tool", "spdxId": "urn:t", "name": "t"}`, spdx3Pkg), "/@graph/2/spdxId", `"urn:p1" is not unique (also /@graph/0)`},
		{"relationship without from", spdx3Doc(spdx3Pkg, `{"type": "Relationship", "spdxId": "urn:r", "relationshipType": "contains", "to": ["urn:p1"]}`), "/@graph/1/from", "missing"},
		{"relationship without type", spdx3Doc(spdx3Pkg, `{"type": "Relationship", "spdxId": "urn:r", "from": "urn:p1", "to": ["urn:p1"]}`), "/@graph/1/relationshipType", "missing"},
		{"version a number", spdx3Doc(`{"type": "software_Package", "spdxId": "urn:x", "name": "x", "software_packageVersion": 1.2}`), "/@graph/0/software_packageVersion", "got JSON number, want a string"},
		{"hashes not objects", spdx3Doc(`{"type": "software_Package", "spdxId": "urn:x", "name": "x", "verifiedUsing": [1]}`), "/@graph/0/verifiedUsing", "got JSON number, want an object"},
		{"from a number", spdx3Doc(spdx3Pkg, `{"type": "Relationship", "spdxId": "urn:r", "from": 7, "relationshipType": "contains", "to": ["urn:p1"]}`), "/@graph/1/from", "got JSON number, want a string"},
		{"graph not an array", []byte(`{"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld", "@graph": {"type": "SpdxDocument"}}`), "/@graph", "must be an array"},
		{"no graph", []byte(`{"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld", "type": "SpdxDocument", "spdxId": "urn:x"}`), "/@graph", "missing"},
		{"syntax", []byte("{\"@context\": \"https://spdx.org/rdf/3.0.1/spdx-context.jsonld\",\n\"@graph\": [\n" + spdx3Pkg + ",\n{\"type\": \"Tool\" \"name\": \"t\"}]}"), "line 4", "malformed JSON"},
		{"truncated", spdx3Doc(spdx3Pkg, spdx3Pkg)[:120], "line 1", "truncated JSON"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			const file = "broken.spdx.json"
			_, err := sbom.DecodeBytes(tt.data, file)
			var ve *sbom.ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, sbom.ErrInvalid) || ve.File != file || ve.Path != tt.path || !strings.Contains(ve.Message, tt.has) {
				t.Fatalf("got %v, want %s: …%s…", err, tt.path, tt.has)
			}
			var sink memSink
			_, serr := sbom.DecodeStream(bytes.NewReader(tt.data), int64(len(tt.data)), file, &sink)
			if serr == nil || serr.Error() != err.Error() || len(sink.comps) != 0 {
				t.Errorf("streamed: %v (%d components handed over), want %v before any component", serr, len(sink.comps), err)
			}
		})
	}
}
