package sbom_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/rampart-security/rampart/internal/corpustest"
	"github.com/rampart-security/rampart/internal/sbom"
)

const xmlHead = `<?xml version="1.0" encoding="UTF-8"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.6" version="1">`

// TestDecodeStreamXMLRules: CycloneDX XML streamed gives Decode's errors
// (same path, same message) and its components, edges and header,
// whatever the order of the sections.
func TestDecodeStreamXMLRules(t *testing.T) {
	tests := []struct {
		name, doc, path string
	}{
		{"dup-top", xmlHead + `<components><component type="library" bom-ref="x"><name>a</name></component><component type="library" bom-ref="x"><name>b</name></component></components></bom>`, "/bom/components/component[2]/@bom-ref"},
		{"dup-nested", xmlHead + `<components><component type="library" bom-ref="x"><name>a</name><components><component type="library" bom-ref="y"><name>b</name></component></components></component><component type="library" bom-ref="y"><name>c</name></component></components></bom>`, "/bom/components/component[2]/@bom-ref"},
		{"dup-same", xmlHead + `<components><component type="library" bom-ref="x"><name>a</name><components><component type="library" bom-ref="x"><name>b</name></component></components></component></components></bom>`, "/bom/components/component[1]/components/component[1]/@bom-ref"},
		{"dup-metadata", xmlHead + `<metadata><component type="firmware" bom-ref="x"><name>fw</name></component></metadata><components><component type="library" bom-ref="x"><name>a</name></component></components></bom>`, "/bom/components/component[1]/@bom-ref"},
		{"dup-two-lists", xmlHead + `<components><component type="library" bom-ref="x"><name>a</name></component></components><components><component type="library" bom-ref="x"><name>b</name></component></components></bom>`, "/bom/components/component[2]/@bom-ref"},
		{"no-name", xmlHead + `<components><component type="library"><name>a</name></component><component type="library"><version>1</version></component></components></bom>`, "/bom/components/component[2]/name"},
		{"bad-type", xmlHead + `<components><component type="gadget"><name>a</name></component></components></bom>`, "/bom/components/component[1]/@type"},
		{"bad-hash", xmlHead + `<components><component type="library"><name>a</name><hashes><hash alg="SHA-256">xyz</hash></hashes></component></components></bom>`, "/bom/components/component[1]/hashes/hash[1]"},
		{"empty-dep", xmlHead + `<components><component type="library" bom-ref="x"><name>a</name></component></components><dependencies><dependency ref=" "/></dependencies></bom>`, "/bom/dependencies/dependency[1]/@ref"},
		{"empty-depends-on", xmlHead + `<components><component type="library" bom-ref="x"><name>a</name></component></components><dependencies><dependency ref="x"><dependency ref=""/></dependency></dependencies></bom>`, "/bom/dependencies/dependency[1]/dependency[1]/@ref"},
		{"namespace", `<bom xmlns="http://cyclonedx.org/schema/bom/1.6" xmlns:x="y"><components/></bom>`, ""},
		{"serial", `<bom xmlns="http://cyclonedx.org/schema/bom/1.6" serialNumber="nope"><components/></bom>`, "/bom/@serialNumber"},
		{"version-attr", `<bom xmlns="http://cyclonedx.org/schema/bom/1.6" version="one"><components/></bom>`, "line 1"},
		{"trailing", xmlHead + `<components/></bom><bom/>`, "line 2"},
		{"truncated", xmlHead + `<components><component type="library"><name>a</name></component><component type="lib`, "line 2"},
		{"truncated-after-component", xmlHead + `<components><component type="library"><name>a</name></component>`, "line 2"},
		{"mismatched", xmlHead + `<components><component type="library"><name>a</version></component></components></bom>`, "line 2"},
	}
	for _, tt := range tests {
		name := tt.name + ".cdx.xml"
		_, _, err := streamDecode([]byte(tt.doc), name)
		var ve *sbom.ValidationError
		if tt.name == "namespace" {
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
			}
			continue
		}
		if !errors.As(err, &ve) || ve.Path != tt.path || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: err = %v, want a validation error at %s", tt.name, err, tt.path)
		}
		checkSame(t, []byte(tt.doc), name)
	}
	// Dependencies before components, metadata after them: the same
	// components, auto refs and edges as decoding the whole document.
	doc := xmlHead + `<dependencies><dependency ref="a"><dependency ref="b"/><dependency ref="fw"/><dependency ref="nope"/></dependency><dependency ref="fw"><dependency ref="a"/></dependency></dependencies>
	<components><component type="library" bom-ref="a"><name>a</name></component><component type="library" bom-ref="b"><name>b</name><components><component type="library"><name>b1</name></component></components></component><component type="library"><name>c</name></component></components>
	<metadata><timestamp>2024-01-02T03:04:05Z</timestamp><component type="firmware" bom-ref="fw"><name>fw</name><components><component type="library"><name>m1</name></component></components></component></metadata></bom>`
	res, comps, err := streamDecode([]byte(doc), "order.cdx.xml")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range comps {
		names = append(names, c.Name+"="+c.Ref)
	}
	if got := strings.Join(names, " "); got != "m1=rampart-auto-1 a=a b=b b1=rampart-auto-2 c=rampart-auto-3" {
		t.Errorf("components: %s", got)
	}
	if !reflect.DeepEqual(comps[1].DependsOn, []string{"b", "fw"}) || res.Metadata == nil || !reflect.DeepEqual(res.Metadata.DependsOn, []string{"a"}) || res.Name != "fw" || res.Created.IsZero() {
		t.Errorf("edges or header: %+v, metadata %+v", comps, res.Metadata)
	}
	checkSame(t, []byte(doc), "order.cdx.xml")
}

// TestDecodeStreamXMLCorpus: every CycloneDX JSON document of the corpus
// that cyclonedx-go reads, written as XML of its version, is accepted or
// rejected alike by Decode and DecodeStream, with the same message, and
// streams to the same components. The corpus has few XML documents of its
// own; this covers the conformance suite's cases in XML.
func TestDecodeStreamXMLCorpus(t *testing.T) {
	root := corpustest.Root()
	if root == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("corpus not found; CI=true makes it mandatory")
		}
		t.Skip("corpus not found")
	}
	n, accepted := 0, 0
	err := filepath.WalkDir(filepath.Join(root, "sbom"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, err := sbom.Detect(data)
		if err != nil || f.Name != sbom.FormatCycloneDX || f.Encoding != sbom.EncodingJSON {
			return nil
		}
		var bom cdx.BOM
		if cdx.NewBOMDecoder(bytes.NewReader(data), cdx.BOMFileFormatJSON).Decode(&bom) != nil {
			return nil
		}
		var buf bytes.Buffer
		if cdx.NewBOMEncoder(&buf, cdx.BOMFileFormatXML).EncodeVersion(&bom, bom.SpecVersion) != nil {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		n++
		if checkSame(t, buf.Bytes(), rel+".xml") {
			accepted++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d documents written as XML, %d accepted", n, accepted)
	if accepted == 0 {
		t.Error("no XML document accepted")
	}
}

const spdxHead = `{"spdxVersion":"SPDX-2.3","dataLicense":"CC0-1.0","SPDXID":"SPDXRef-DOCUMENT","name":"doc","documentNamespace":"https://example.com/doc",
 "creationInfo":{"created":"2024-01-02T03:04:05Z","creators":["Tool: test"]},`

func spdxPkg(id, name string) string {
	return `{"SPDXID":"SPDXRef-` + id + `","name":"` + name + `","downloadLocation":"NOASSERTION","licenseConcluded":"LicenseRef-x","externalRefs":[{"referenceCategory":"PACKAGE-MANAGER","referenceType":"purl","referenceLocator":"pkg:generic/` + name + `@1"}]}`
}

// TestDecodeStreamSPDXRules: SPDX JSON streamed gives Decode's outcome
// and conversion: the described package as metadata, edges in both
// directions, relationships before packages, duplicate SPDXIDs.
func TestDecodeStreamSPDXRules(t *testing.T) {
	doc := spdxHead + `"relationships":[{"spdxElementId":"SPDXRef-DOCUMENT","relationshipType":"DESCRIBES","relatedSpdxElement":"SPDXRef-fw"},
	 {"spdxElementId":"SPDXRef-fw","relationshipType":"CONTAINS","relatedSpdxElement":"SPDXRef-a"},
	 {"spdxElementId":"SPDXRef-b","relationshipType":"DEPENDENCY_OF","relatedSpdxElement":"SPDXRef-a"},
	 {"spdxElementId":"SPDXRef-a","relationshipType":"DEPENDS_ON","relatedSpdxElement":"SPDXRef-c"},
	 {"spdxElementId":"SPDXRef-a","relationshipType":"DEPENDS_ON","relatedSpdxElement":"SPDXRef-b"},
	 {"spdxElementId":"SPDXRef-c","relationshipType":"DEPENDS_ON","relatedSpdxElement":"DocumentRef-other:SPDXRef-x"},
	 {"spdxElementId":"SPDXRef-c","relationshipType":"DEPENDS_ON","relatedSpdxElement":"SPDXRef-fw"}],
	 "hasExtractedLicensingInfos":[{"licenseId":"LicenseRef-x","extractedText":"x","name":"Example Licence"}],
	 "packages":[` + spdxPkg("a", "a") + `,` + spdxPkg("fw", "fw") + `,` + spdxPkg("b", "b") + `,` + spdxPkg("c", "c") + `]}`
	res, comps, err := streamDecode([]byte(doc), "order.spdx.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(comps) != 3 || res.Metadata == nil || res.Metadata.Name != "fw" || !reflect.DeepEqual(res.Metadata.DependsOn, []string{"SPDXRef-a"}) ||
		!reflect.DeepEqual(comps[0].DependsOn, []string{"SPDXRef-b", "SPDXRef-c"}) || !reflect.DeepEqual(comps[2].DependsOn, []string{"SPDXRef-fw"}) ||
		comps[0].PURL != "pkg:generic/a@1" || !reflect.DeepEqual(comps[0].Licenses, []string{"Example Licence"}) || res.Name != "doc" || res.Created.IsZero() {
		t.Errorf("got %+v, metadata %+v", comps, res.Metadata)
	}
	checkSame(t, []byte(doc), "order.spdx.json")

	for _, tt := range []struct{ name, doc, path string }{
		{"dup", spdxHead + `"packages":[` + spdxPkg("a", "a") + `,` + spdxPkg("b", "b") + `,` + spdxPkg("a", "c") + `]}`, "packages"},
		{"schema", spdxHead + `"packages":[` + spdxPkg("a", "a") + `,{"SPDXID":"SPDXRef-b","name":"b"}]}`, "/packages/1"},
		{"model", spdxHead + `"packages":[` + spdxPkg("a", "a") + `,{"SPDXID":"b","name":"b","downloadLocation":"NONE"}]}`, "/packages/1"},
		{"truncated", spdxHead + `"packages":[` + spdxPkg("a", "a") + `,{"SPDXID":"SPDXRef-b","na`, "line 2"},
		{"truncated-after-package", spdxHead + `"packages":[` + spdxPkg("a", "a") + `]`, "line 2"},
	} {
		name := tt.name + ".spdx.json"
		_, _, err := streamDecode([]byte(tt.doc), name)
		var ve *sbom.ValidationError
		if !errors.As(err, &ve) || !strings.HasPrefix(ve.Path, tt.path) || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: err = %v, want a validation error at %s", tt.name, err, tt.path)
		}
		checkSame(t, []byte(tt.doc), name)
	}
	// Two described packages: neither becomes the metadata component.
	two := spdxHead + `"documentDescribes":["SPDXRef-a","SPDXRef-b"],"packages":[` + spdxPkg("a", "a") + `,` + spdxPkg("b", "b") + `]}`
	res, comps, err = streamDecode([]byte(two), "two.spdx.json")
	if err != nil || res.Metadata != nil || len(comps) != 2 {
		t.Errorf("two described: %v, %+v, %d components", err, res, len(comps))
	}
	checkSame(t, []byte(two), "two.spdx.json")
}

// TestDeepXMLBounded: CycloneDX XML with 1,000,000 nested elements (7 MB)
// in an element the model does not know (skipped by encoding/xml) and in
// a component's unknown child. encoding/xml keeps a stack entry per open
// element and bounds depth only on entry to a Go value, so whole and
// streamed decoding allocated 250–800 MiB each and the four took 72 s (a
// 512 MiB upload would ask for tens of GiB). Both now stop at
// xmlsafe.MaxDepth with a validation error naming the line.
func TestDeepXMLBounded(t *testing.T) {
	const n = 1_000_000
	deep := strings.Repeat("<a>", n) + strings.Repeat("</a>", n)
	for _, doc := range []string{
		xmlHead + "\n<extension>" + deep + "</extension><components/></bom>",
		xmlHead + "\n<components><component type=\"library\"><name>a</name><x>" + deep + "</x></component></components></bom>",
	} {
		for _, streamed := range []bool{false, true} {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			var err error
			if streamed {
				_, _, err = streamDecode([]byte(doc), "deep.cdx.xml")
			} else {
				_, err = sbom.DecodeBytes([]byte(doc), "deep.cdx.xml")
			}
			runtime.ReadMemStats(&after)
			var ve *sbom.ValidationError
			if !errors.As(err, &ve) || ve.Path != "line 3" || !strings.Contains(err.Error(), "nested deeper than 10000") {
				t.Errorf("streamed %v: %v, want a validation error at line 3", streamed, err)
			}
			if got := after.TotalAlloc - before.TotalAlloc; got > 48<<20 {
				t.Errorf("streamed %v: allocated %d MiB, want < 48", streamed, got>>20)
			}
		}
	}
}
