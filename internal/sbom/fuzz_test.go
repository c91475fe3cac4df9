package sbom_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/sbom"
	"github.com/rampart-security/rampart/internal/sbom/sbomgen"
)

// addSeeds adds every testdata fixture, plus truncations of the valid ones,
// to the fuzz corpus.
func addSeeds(f *testing.F) {
	paths, err := filepath.Glob("testdata/*")
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range paths {
		if st, err := os.Stat(p); err != nil || st.IsDir() {
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		f.Add(data[:len(data)/3])
	}
	f.Add([]byte(`{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"library","name":"x","components":[{}]}]}`))
	f.Add([]byte(`<bom xmlns="http://cyclonedx.org/schema/bom/1.5"><components><component/></components></bom>`))
	f.Add([]byte("SPDXVersion: SPDX-2.3\nPackageName: x\nSPDXID: SPDXRef-x\nRelationship: SPDXRef-x DEPENDS_ON"))
}

func FuzzDetect(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		fm, err := sbom.Detect(data)
		if err == nil && (fm.Name == "" || fm.Encoding == "") {
			t.Fatalf("Detect returned %+v and no error", fm)
		}
		if err != nil && !errors.Is(err, sbom.ErrUnknownFormat) && !errors.Is(err, sbom.ErrUnsupportedVersion) {
			t.Fatalf("Detect error wraps no sentinel: %v", err)
		}
	})
}

func FuzzDecode(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := sbom.Decode(bytes.NewReader(data), "fuzz.sbom", sbom.Options{MaxBytes: 1 << 20})
		if err != nil {
			if !errors.Is(err, sbom.ErrUnknownFormat) && !errors.Is(err, sbom.ErrUnsupportedVersion) && !errors.Is(err, sbom.ErrInvalid) && !errors.Is(err, sbom.ErrTooLarge) {
				t.Fatalf("error wraps no sentinel: %v", err)
			}
			return
		}
		// Whatever decodes must export validly and re-import.
		var buf bytes.Buffer
		if err := sbom.EncodeCycloneDX(&buf, sbom.ExportFrom(doc)); err != nil {
			return // e.g. duplicate refs across nesting: reported, not a crash
		}
		if _, err := sbom.Decode(&buf, "reexport.cdx.json", sbom.Options{}); err != nil {
			t.Fatalf("export of a decoded document is invalid: %v\n%s", err, buf.Bytes())
		}
	})
}

// FuzzDecodeStream: the streaming decoder never panics, its errors wrap a
// sentinel, and it accepts exactly what Decode accepts, with as many
// components.
func FuzzDecodeStream(f *testing.F) {
	addSeeds(f)
	f.Add([]byte(`{"dependencies":[{"ref":"a","dependsOn":["b"]}],"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"library","name":"a","bom-ref":"a"},{"type":"library","name":"b","bom-ref":"b"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, comps, err := streamDecode(data, "fuzz.sbom")
		whole, werr := sbom.DecodeBytes(data, "fuzz.sbom")
		if err != nil {
			if !errors.Is(err, sbom.ErrUnknownFormat) && !errors.Is(err, sbom.ErrUnsupportedVersion) && !errors.Is(err, sbom.ErrInvalid) {
				t.Fatalf("error wraps no sentinel: %v", err)
			}
			if werr == nil {
				t.Fatalf("Decode accepts, DecodeStream rejects: %v", err)
			}
			return
		}
		if werr != nil {
			t.Fatalf("DecodeStream accepts, Decode rejects: %v", werr)
		}
		if res.Components != len(comps) || len(comps) != len(whole.Components) {
			t.Fatalf("%d components streamed, %d decoded", len(comps), len(whole.Components))
		}
	})
}

// fuzzStreamSame: DecodeStream never panics and agrees with Decode on
// data: same acceptance, same components, and (for the formats streamed
// by the same rules) the same message.
func fuzzStreamSame(t *testing.T, data []byte, sameMessage bool) {
	res, comps, err := streamDecode(data, "fuzz.sbom")
	whole, werr := sbom.DecodeBytes(data, "fuzz.sbom")
	if (err == nil) != (werr == nil) {
		t.Fatalf("Decode: %v; DecodeStream: %v", werr, err)
	}
	if err != nil {
		if !errors.Is(err, sbom.ErrUnknownFormat) && !errors.Is(err, sbom.ErrUnsupportedVersion) && !errors.Is(err, sbom.ErrInvalid) {
			t.Fatalf("error wraps no sentinel: %v", err)
		}
		var wv *sbom.ValidationError
		if sameMessage && !sameWords(err.Error(), werr.Error()) && !(errors.As(werr, &wv) && wv.Path == "") {
			t.Fatalf("Decode: %v; DecodeStream: %v", werr, err)
		}
		return
	}
	if res.Components != len(comps) || len(comps) != len(whole.Components) {
		t.Fatalf("%d components streamed, %d decoded", len(comps), len(whole.Components))
	}
	for i := range comps {
		if comps[i].Ref != whole.Components[i].Ref || comps[i].Name != whole.Components[i].Name {
			t.Fatalf("component %d: streamed %+v, decoded %+v", i, comps[i], whole.Components[i])
		}
	}
}

// FuzzDecodeStreamXML: the streaming CycloneDX XML decoder (xmlSplitter).
func FuzzDecodeStreamXML(f *testing.F) {
	for _, p := range []string{"testdata/router-fw-1.4.cdx.xml", "testdata/invalid-hash.cdx.xml", "testdata/invalid-missing-name.cdx.xml"} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		f.Add(data[:len(data)/2])
	}
	f.Add([]byte(`<bom xmlns="http://cyclonedx.org/schema/bom/1.6"><dependencies><dependency ref="a"><dependency ref="b"/></dependency></dependencies><components><component type="library" bom-ref="a"><name>a</name></component><component type="library" bom-ref="b"><name>b</name></component></components><metadata><component type="device" bom-ref="m"><name>m</name></component></metadata></bom>`))
	f.Add([]byte(`<bom xmlns="http://cyclonedx.org/schema/bom/1.5"><components><component type="library" bom-ref="x"><name>a</name><components><component type="library" bom-ref="x"><name>b</name></component></components></component></components></bom>`))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzStreamSame(t, data, true) })
}

// FuzzDecodeStreamSPDX: the streaming SPDX JSON decoder.
func FuzzDecodeStreamSPDX(f *testing.F) {
	data, err := os.ReadFile("testdata/camera-fw-2.3.spdx.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add(data[:len(data)/2])
	if data, err := os.ReadFile("testdata/invalid-missing-download.spdx.json"); err == nil {
		f.Add(data)
	}
	f.Add([]byte(`{"relationships":[{"spdxElementId":"SPDXRef-a","relationshipType":"DEPENDS_ON","relatedSpdxElement":"SPDXRef-b"},{"spdxElementId":"SPDXRef-DOCUMENT","relationshipType":"DESCRIBES","relatedSpdxElement":"SPDXRef-a"}],"spdxVersion":"SPDX-2.3","dataLicense":"CC0-1.0","SPDXID":"SPDXRef-DOCUMENT","name":"d","documentNamespace":"https://x/y","creationInfo":{"created":"2024-01-01T00:00:00Z","creators":["Tool: t"]},"packages":[{"SPDXID":"SPDXRef-a","name":"a","downloadLocation":"NONE"},{"SPDXID":"SPDXRef-b","name":"b","downloadLocation":"NONE"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzStreamSame(t, data, true) })
}

// sameWords compares two messages ignoring the order of the words: the
// schema validator lists several additional properties in map order.
func sameWords(a, b string) bool {
	words := func(s string) []string {
		w := strings.Fields(strings.ReplaceAll(s, ",", " "))
		slices.Sort(w)
		return w
	}
	return slices.Equal(words(a), words(b))
}

// FuzzDecodeStreamTagValue: the streaming SPDX tag-value decoder (chunks
// of whole package groups read by tools-golang) accepts exactly what the
// whole-document decoder accepts, with the same components. Chunks are
// cut small so that every seed spans several.
func FuzzDecodeStreamTagValue(f *testing.F) {
	defer sbom.SetTVChunkBytes(96)()
	for _, p := range []string{"testdata/sensor-fw-2.2.spdx", "testdata/truncated.spdx"} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		f.Add(data[:len(data)/2])
	}
	f.Add([]byte("SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\nSPDXID: SPDXRef-DOCUMENT\nDocumentName: d\nDocumentNamespace: https://x/y\nCreator: Tool: t\nCreated: 2024-01-01T00:00:00Z\n" +
		"PackageName: a\nSPDXID: SPDXRef-a\nPackageDownloadLocation: NONE\nRelationship: SPDXRef-a DEPENDS_ON SPDXRef-b\nRelationshipComment: <text>x\nPackageName: no\n</text>\n" +
		"PackageName: \nPackageName: b\nSPDXID: SPDXRef-b\nPackageDownloadLocation: NONE\nFileName: f\nSPDXID: SPDXRef-f\nFileChecksum: SHA1: 85ed0817af83a24ad8da68c2b5094de69833983c\n" +
		"PackageName: c\nSPDXID: SPDXRef-c\nPackageDownloadLocation: NONE\nRelationshipComment: stale\nRelationship: SPDXRef-DOCUMENT DESCRIBES SPDXRef-c\nLicenseID: LicenseRef-x\nExtractedText: t\nLicenseName: X\n"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzStreamSame(t, data, false) })
}

// FuzzDecodeSPDX3: the SPDX 3 JSON-LD reader (spdx3.go) never panics,
// rejects with a sentinel, and its whole and streamed paths accept the
// same documents with the same components and message.
func FuzzDecodeSPDX3(f *testing.F) {
	// Small seeds (the Yocto fixture, 90 KB, is FuzzDecode's): a generated
	// image of 3 packages, cut, and the compact forms TestDecodeSPDX3Forms reads.
	var gen bytes.Buffer
	if err := sbomgen.WriteSPDX3(&gen, 3); err != nil {
		f.Fatal(err)
	}
	f.Add(gen.Bytes())
	f.Add(gen.Bytes()[:gen.Len()/2])
	f.Add(spdx3Doc(
		`{"type": "SpdxDocument", "spdxId": "urn:d", "rootElement": "urn:a", "creationInfo": {"created": "2025-01-01T00:00:00Z"}}`,
		`{"type": "software_Package", "spdxId": "urn:a", "name": "a", "suppliedBy": {"name": "o"}, "verifiedUsing": {"type": "Hash", "algorithm": "sha1", "hashValue": "AB"}}`,
		`{"type": "software_Package", "spdxId": "urn:b", "name": "b", "externalIdentifier": [{"externalIdentifierType": "cpe23", "identifier": "cpe:2.3:a:x:b:1:*:*:*:*:*:*:*"}]}`,
		`{"type": "Relationship", "spdxId": "urn:r", "from": "urn:a", "relationshipType": "dependsOn", "to": "urn:b"}`,
		`{"type": "Relationship", "spdxId": "urn:l", "from": {"spdxId": "urn:b"}, "relationshipType": "hasDeclaredLicense", "to": ["urn:e", "https://spdx.org/licenses/MIT"]}`,
		`{"type": "simplelicensing_LicenseExpression", "spdxId": "urn:e", "simplelicensing_licenseExpression": "Apache-2.0"}`))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzStreamSame(t, data, true) })
}

// FuzzDecodeSPDXYAML: the SPDX 2.2/2.3 YAML reader (spdx_yaml.go: YAML
// to JSON, then the SPDX JSON import) never panics, rejects with a
// sentinel, and its whole and streamed paths agree.
func FuzzDecodeSPDXYAML(f *testing.F) {
	data, err := os.ReadFile("testdata/spdx-encodings/SPDXYAMLExample-2.3.spdx.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add(data[:len(data)/2])
	f.Add([]byte("spdxVersion: SPDX-2.3\ndataLicense: CC0-1.0\nSPDXID: SPDXRef-DOCUMENT\nname: d\ndocumentNamespace: https://x/y\n" +
		"creationInfo: {created: 2024-01-01T00:00:00Z, creators: ['Tool: t']}\ndocumentDescribes: [SPDXRef-a]\n" +
		"packages:\n- &p {SPDXID: SPDXRef-a, name: a, downloadLocation: NONE, versionInfo: 1.0}\n- {SPDXID: SPDXRef-b, name: *p, downloadLocation: NONE}\n"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzStreamSame(t, data, true) })
}

// FuzzDecodeSPDXTagValue21: SPDX 2.1 tag-value (tools-golang's 2.1 parser
// converted to the 2.3 model), whole and streamed in small chunks.
func FuzzDecodeSPDXTagValue21(f *testing.F) {
	defer sbom.SetTVChunkBytes(96)()
	data, err := os.ReadFile("testdata/spdx-encodings/SPDXTagExample-v2.1.spdx")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add(data[:len(data)/2])
	f.Add([]byte("SPDXVersion: SPDX-2.1\nDataLicense: CC0-1.0\nSPDXID: SPDXRef-DOCUMENT\nDocumentName: d\nDocumentNamespace: https://x/y\nCreator: Tool: t\nCreated: 2024-01-01T00:00:00Z\n" +
		"PackageName: a\nSPDXID: SPDXRef-a\nPackageDownloadLocation: NONE\nFilesAnalyzed: false\nPackageLicenseConcluded: MIT\nPackageLicenseDeclared: MIT\nPackageCopyrightText: NONE\n" +
		"Relationship: SPDXRef-DOCUMENT DESCRIBES SPDXRef-a\n"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzStreamSame(t, data, false) })
}

// FuzzDecodeCycloneDXXMLOld: CycloneDX 1.0 and 1.1 XML (the 1.x XML
// decoder with the 1.0/1.1 rules), whole and streamed alike.
func FuzzDecodeCycloneDXXMLOld(f *testing.F) {
	for _, p := range []string{"valid-bom-1.0.xml", "valid-bom-1.1.xml", "valid-component-ref-1.1.xml", "invalid-component-ref-1.1.xml"} {
		data, err := os.ReadFile("testdata/cyclonedx-1.0-1.1/" + p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		f.Add(data[:len(data)/2])
	}
	f.Add([]byte(`<bom xmlns="http://cyclonedx.org/schema/bom/1.1" xmlns:dg="http://cyclonedx.org/schema/ext/dependency-graph/1.0"><components><component type="library" bom-ref="a"><name>a</name><version>1</version></component><component type="library" bom-ref="b"><name>b</name><version>1</version></component></components><dg:dependencies><dg:dependency ref="a"><dg:dependency ref="b"/></dg:dependency></dg:dependencies></bom>`))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzStreamSame(t, data, true) })
}
