package sbom_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/sbom"
)

func decodeFile(t testing.TB, name string) (*sbom.Document, error) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return sbom.Decode(f, name, sbom.Options{})
}

func TestDecode(t *testing.T) {
	tests := []struct {
		file       string
		format     sbom.Format
		name       string
		components int
		edges      int
		purls      int
		wantErr    error
		errHas     []string // substrings of the error message
	}{
		{file: "gateway-fw-1.6.cdx.json", format: sbom.Format{Name: "cyclonedx", SpecVersion: "1.6", Encoding: "json"},
			name: "acme-gateway-firmware", components: 5, edges: 6, purls: 5},
		{file: "router-fw-1.4.cdx.xml", format: sbom.Format{Name: "cyclonedx", SpecVersion: "1.4", Encoding: "xml"},
			name: "acme-router-firmware", components: 3, edges: 3, purls: 3},
		{file: "camera-fw-2.3.spdx.json", format: sbom.Format{Name: "spdx", SpecVersion: "2.3", Encoding: "json"},
			name: "acme-camera-3.1.0", components: 3, edges: 4, purls: 3},
		{file: "sensor-fw-2.2.spdx", format: sbom.Format{Name: "spdx", SpecVersion: "2.2", Encoding: "tag-value"},
			name: "acme-sensor-1.0.2", components: 2, edges: 3, purls: 2},
		{file: "truncated.cdx.json", wantErr: sbom.ErrInvalid, errHas: []string{"truncated.cdx.json", "truncated JSON"}},
		{file: "invalid-hash-alg.cdx.json", wantErr: sbom.ErrInvalid,
			errHas: []string{"invalid-hash-alg.cdx.json: /components/1/hashes/0/alg:", "SHA-257"}},
		{file: "invalid-duplicate-ref.cdx.json", wantErr: sbom.ErrInvalid,
			errHas: []string{"/components/3/bom-ref", "not unique"}},
		{file: "invalid-hash.cdx.xml", wantErr: sbom.ErrInvalid,
			errHas: []string{"invalid-hash.cdx.xml: /bom/components/component[1]/hashes/hash[1]", "not a hex digest"}},
		{file: "invalid-missing-name.cdx.xml", wantErr: sbom.ErrInvalid,
			errHas: []string{"/bom/components/component[2]/name", "missing required component name"}},
		{file: "invalid-missing-download.spdx.json", wantErr: sbom.ErrInvalid,
			errHas: []string{"invalid-missing-download.spdx.json: /packages/1:", "downloadLocation"}},
		{file: "truncated.spdx", wantErr: sbom.ErrInvalid, errHas: []string{"truncated.spdx"}},
		{file: "unsupported-1.1.cdx.json", wantErr: sbom.ErrUnsupportedVersion, errHas: []string{`"1.1"`}},
		{file: "yocto-core-image-minimal.rootfs.spdx.json", format: sbom.Format{Name: "spdx", SpecVersion: "3.0.1", Encoding: "json-ld"},
			name: "core-image-minimal-qemux86-64.rootfs-20180309123456", components: 9, edges: 6, purls: 7},
		{file: "not-an-sbom.txt", wantErr: sbom.ErrUnknownFormat, errHas: []string{"not-an-sbom.txt"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			doc, err := decodeFile(t, tt.file)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				for _, s := range tt.errHas {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not contain %q", err, s)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := sbom.Format{Name: doc.Format, SpecVersion: doc.SpecVersion, Encoding: doc.Encoding}
			if got != tt.format {
				t.Errorf("format = %v, want %v", got, tt.format)
			}
			if doc.Name != tt.name {
				t.Errorf("name = %q, want %q", doc.Name, tt.name)
			}
			if len(doc.Components) != tt.components {
				t.Errorf("components = %d, want %d", len(doc.Components), tt.components)
			}
			if doc.Edges() != tt.edges {
				t.Errorf("edges = %d, want %d", doc.Edges(), tt.edges)
			}
			purls := 0
			for _, c := range doc.Components {
				if c.PURL != "" {
					purls++
				}
				for _, h := range c.Hashes {
					if h.Value != strings.ToLower(h.Value) {
						t.Errorf("%s: hash %s not lower-case", c.Name, h.Value)
					}
				}
			}
			if purls != tt.purls {
				t.Errorf("purls = %d, want %d", purls, tt.purls)
			}
			if doc.Metadata == nil {
				t.Error("no metadata component")
			}
			if doc.Created.IsZero() {
				t.Error("no creation time")
			}
		})
	}
}

func byName(doc *sbom.Document) map[string]inventory.Component {
	m := map[string]inventory.Component{}
	for _, c := range doc.Components {
		m[c.Name] = c
	}
	return m
}

func TestDecodeCycloneDXFields(t *testing.T) {
	doc, err := decodeFile(t, "gateway-fw-1.6.cdx.json")
	if err != nil {
		t.Fatal(err)
	}
	c := byName(doc)
	bb := c["busybox"]
	want := inventory.Component{
		Ref: "pkg:generic/busybox@1.36.1", Type: inventory.TypeApplication, Name: "busybox", Version: "1.36.1",
		PURL: "pkg:generic/busybox@1.36.1", CPEs: []string{"cpe:2.3:a:busybox:busybox:1.36.1:*:*:*:*:*:*:*"},
		Hashes:    []inventory.Hash{{Algorithm: "SHA-256", Value: bb.Hashes[0].Value}},
		Licenses:  []string{"GPL-2.0-only"},
		Supplier:  "BusyBox project",
		DependsOn: []string{"pkg:generic/openssl@3.0.13"},
	}
	if !reflect.DeepEqual(bb, want) {
		t.Errorf("busybox =\n%+v\nwant\n%+v", bb, want)
	}
	if len(bb.Hashes[0].Value) != 64 {
		t.Errorf("busybox hash %q", bb.Hashes[0].Value)
	}
	if got := c["dropbear"].Licenses; !reflect.DeepEqual(got, []string{"MIT AND BSD-2-Clause"}) {
		t.Errorf("dropbear licences = %v", got)
	}
	if got := c["zlib"].Licenses; !reflect.DeepEqual(got, []string{"zlib/libpng licence (vendor copy)"}) {
		t.Errorf("zlib licences = %v", got)
	}
	if _, ok := c["libcrypto"]; !ok {
		t.Error("nested component libcrypto not flattened")
	}
	if doc.Metadata.Ref != "acme-gw-fw" || doc.Metadata.Type != inventory.TypeFirmware || doc.Metadata.Supplier != "ACME Devices GmbH" {
		t.Errorf("metadata = %+v", doc.Metadata)
	}
	if !reflect.DeepEqual(doc.Metadata.DependsOn, []string{"pkg:generic/busybox@1.36.1", "pkg:generic/dropbear@2022.83"}) {
		t.Errorf("metadata edges = %v", doc.Metadata.DependsOn)
	}
}

func TestDecodeSPDXFields(t *testing.T) {
	doc, err := decodeFile(t, "camera-fw-2.3.spdx.json")
	if err != nil {
		t.Fatal(err)
	}
	c := byName(doc)
	if doc.Metadata == nil || doc.Metadata.Name != "acme-camera-firmware" || doc.Metadata.Type != inventory.TypeFirmware {
		t.Fatalf("metadata = %+v", doc.Metadata)
	}
	if !reflect.DeepEqual(doc.Metadata.DependsOn, []string{"SPDXRef-busybox", "SPDXRef-dropbear"}) {
		t.Errorf("CONTAINS edges = %v", doc.Metadata.DependsOn)
	}
	ossl := c["openssl"]
	if ossl.PURL != "pkg:generic/openssl@3.0.13" || !reflect.DeepEqual(ossl.CPEs, []string{"cpe:/a:openssl:openssl:3.0.13"}) {
		t.Errorf("openssl refs = %q %v", ossl.PURL, ossl.CPEs)
	}
	if ossl.Hashes[0].Algorithm != "SHA-1" || !reflect.DeepEqual(ossl.Licenses, []string{"Apache-2.0"}) {
		t.Errorf("openssl = %+v", ossl)
	}
	if ossl.Supplier != "OpenSSL Software Foundation" {
		t.Errorf("supplier = %q", ossl.Supplier)
	}
	// openssl DEPENDENCY_OF dropbear → dropbear depends on openssl.
	if !reflect.DeepEqual(c["dropbear"].DependsOn, []string{"SPDXRef-openssl"}) {
		t.Errorf("dropbear edges = %v", c["dropbear"].DependsOn)
	}
	if c["busybox"].Hashes[0].Algorithm != "SHA-256" || c["busybox"].Hashes[0].Value != strings.ToLower(c["busybox"].Hashes[0].Value) {
		t.Errorf("busybox hashes = %v", c["busybox"].Hashes)
	}
}

func TestDetect(t *testing.T) {
	tests := []struct {
		head    string
		want    sbom.Format
		wantErr error
	}{
		{`{"bomFormat":"CycloneDX","specVersion":"1.5","components":[`, sbom.Format{Name: "cyclonedx", SpecVersion: "1.5", Encoding: "json"}, nil},
		{"\xef\xbb\xbf  {\"components\":[{\"a\":[1,{}]}],\"specVersion\":\"1.7\",\"bomFormat\":\"CycloneDX\"}", sbom.Format{Name: "cyclonedx", SpecVersion: "1.7", Encoding: "json"}, nil},
		{`{"bomFormat":"CycloneDX","specVersion":"2.0"}`, sbom.Format{Name: "cyclonedx", SpecVersion: "2.0", Encoding: "json"}, sbom.ErrUnsupportedVersion},
		{`{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT"`, sbom.Format{Name: "spdx", SpecVersion: "2.3", Encoding: "json"}, nil},
		{`{"spdxVersion":"SPDX-2.1"}`, sbom.Format{Name: "spdx", SpecVersion: "2.1", Encoding: "json"}, sbom.ErrUnsupportedVersion},
		{`{"@context":"https://spdx.org/rdf/3.0.1/spdx-context.jsonld","@graph":[]}`, sbom.Format{Name: "spdx", SpecVersion: "3.0.1", Encoding: "json-ld"}, nil},
		{`{"@context":["https://spdx.org/rdf/3.0.0/spdx-context.jsonld",{"oe":"https://rdf.openembedded.org/spdx/3.0/"}],"@graph":[`, sbom.Format{Name: "spdx", SpecVersion: "3.0.0", Encoding: "json-ld"}, nil},
		{`{"@context":"https://spdx.org/rdf/3.1/spdx-context.jsonld","@graph":[]}`, sbom.Format{Name: "spdx", SpecVersion: "3.1", Encoding: "json-ld"}, sbom.ErrUnsupportedVersion},
		{`{"name":"package.json"}`, sbom.Format{}, sbom.ErrUnknownFormat},
		{`[1,2]`, sbom.Format{}, sbom.ErrUnknownFormat},
		{`<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.3" version="1">`, sbom.Format{Name: "cyclonedx", SpecVersion: "1.3", Encoding: "xml"}, nil},
		{`<bom xmlns="http://cyclonedx.org/schema/bom/1.1">`, sbom.Format{Name: "cyclonedx", SpecVersion: "1.1", Encoding: "xml"}, nil},
		{`<bom xmlns="http://cyclonedx.org/schema/bom/1.0">`, sbom.Format{Name: "cyclonedx", SpecVersion: "1.0", Encoding: "xml"}, nil},
		{`<bom xmlns="http://cyclonedx.org/schema/bom/0.9">`, sbom.Format{Name: "cyclonedx", SpecVersion: "0.9", Encoding: "xml"}, sbom.ErrUnsupportedVersion},
		{`{"bomFormat":"CycloneDX","specVersion":"1.1"}`, sbom.Format{Name: "cyclonedx", SpecVersion: "1.1", Encoding: "json"}, sbom.ErrUnsupportedVersion},
		{`<html><body>`, sbom.Format{}, sbom.ErrUnknownFormat},
		{"# generated\nSPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\n", sbom.Format{Name: "spdx", SpecVersion: "2.3", Encoding: "tag-value"}, nil},
		{"SPDXVersion: SPDX-1.2\n", sbom.Format{Name: "spdx", SpecVersion: "1.2", Encoding: "tag-value"}, sbom.ErrUnsupportedVersion},
		{"---\nspdxVersion: SPDX-2.3\n", sbom.Format{Name: "spdx", SpecVersion: "2.3", Encoding: "yaml"}, nil},
		{"SPDXVersion: SPDX-2.1\n", sbom.Format{Name: "spdx", SpecVersion: "2.1", Encoding: "tag-value"}, nil},
		{"", sbom.Format{}, sbom.ErrUnknownFormat},
		{"\x89PNG\r\n\x1a\n", sbom.Format{}, sbom.ErrUnknownFormat},
	}
	for _, tt := range tests {
		got, err := sbom.Detect([]byte(tt.head))
		if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
			t.Errorf("Detect(%.40q) err = %v, want %v", tt.head, err, tt.wantErr)
		}
		if got != tt.want {
			t.Errorf("Detect(%.40q) = %v, want %v", tt.head, got, tt.want)
		}
	}
}

func TestDecodeMaxBytes(t *testing.T) {
	data, err := os.ReadFile("testdata/gateway-fw-1.6.cdx.json")
	if err != nil {
		t.Fatal(err)
	}
	_, err = sbom.Decode(bytes.NewReader(data), "big.json", sbom.Options{MaxBytes: 1024})
	if !errors.Is(err, sbom.ErrTooLarge) || !strings.Contains(err.Error(), "big.json") || !strings.Contains(err.Error(), "1 KiB") {
		t.Fatalf("err = %v", err)
	}
	if _, err := sbom.Decode(bytes.NewReader(data), "ok.json", sbom.Options{MaxBytes: int64(len(data))}); err != nil {
		t.Fatalf("exact size rejected: %v", err)
	}
}

// TestDecodeCycloneDXXMLChecks covers the checks that stand in for the XSD.
func TestDecodeCycloneDXXMLChecks(t *testing.T) {
	base, err := os.ReadFile("testdata/router-fw-1.4.cdx.xml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, old, new string
		path, msg      string
	}{
		{"component type", `type="operating-system"`, `type="gadget"`, "/bom/components/component[1]/@type", `"gadget" is not defined in CycloneDX 1.4`},
		{"type newer than spec", `type="operating-system"`, `type="platform"`, "/bom/components/component[1]/@type", "not defined in CycloneDX 1.4"},
		{"missing type", `type="operating-system" `, ``, "/bom/components/component[1]/@type", "missing required component type"},
		{"hash algorithm", `alg="SHA-1"`, `alg="CRC32"`, "/bom/components/component[2]/components/component[1]/hashes/hash[1]/@alg", `"CRC32"`},
		{"licence id", `<id>GPL-2.0-only</id>`, `<id>GPL-2-only-ish</id>`, "/bom/components/component[1]/licenses/license[1]/id", "not an SPDX licence identifier"},
		{"licence without id or name", `<license><id>GPL-2.0-only</id></license>`, `<license><url>https://example.com</url></license>`, "/bom/components/component[1]/licenses/license[1]", "needs an id or a name"},
		{"serial number", `serialNumber="urn:uuid:1b671687-395b-41f5-a30f-a58921a69b79"`, `serialNumber="1234"`, "/bom/@serialNumber", "not a urn:uuid"},
		{"timestamp", `<timestamp>2025-11-02T08:30:00Z</timestamp>`, `<timestamp>yesterday</timestamp>`, "/bom/metadata/timestamp", "xs:dateTime"},
		{"duplicate bom-ref", `bom-ref="libnettle"`, `bom-ref="linux"`, "/bom/components/component[2]/components/component[1]/@bom-ref", "not unique"},
		{"empty dependency ref", `<dependency ref="linux"/>`, `<dependency ref=""/>`, "/bom/dependencies/dependency[1]/dependency[1]/@ref", "must not be empty"},
		{"trailing content", "</bom>\n", "</bom>\n<bom/>", "line", "after </bom>"},
		{"malformed", `<name>linux</name>`, `<name>linux</nam>`, "line", "malformed XML"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !bytes.Contains(base, []byte(tt.old)) {
				t.Fatalf("fixture lacks %q", tt.old)
			}
			data := bytes.Replace(base, []byte(tt.old), []byte(tt.new), 1)
			_, err := sbom.Decode(bytes.NewReader(data), "router.xml", sbom.Options{})
			var ve *sbom.ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, sbom.ErrInvalid) {
				t.Fatalf("err = %v, want a ValidationError", err)
			}
			if !strings.HasPrefix(ve.Path, tt.path) || !strings.Contains(ve.Message, tt.msg) || ve.File != "router.xml" {
				t.Errorf("got %s | %s, want %s | %s", ve.Path, ve.Message, tt.path, tt.msg)
			}
		})
	}
}

func TestDecodeByteOrderMark(t *testing.T) {
	for _, file := range []string{"gateway-fw-1.6.cdx.json", "router-fw-1.4.cdx.xml", "camera-fw-2.3.spdx.json", "sensor-fw-2.2.spdx"} {
		data, err := os.ReadFile(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		data = append([]byte("\xef\xbb\xbf"), data...)
		if _, err := sbom.Decode(bytes.NewReader(data), file, sbom.Options{}); err != nil {
			t.Errorf("%s with a byte order mark: %v", file, err)
		}
	}
}
