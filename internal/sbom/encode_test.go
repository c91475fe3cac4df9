package sbom_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/sbom"
)

// canon is a component reduced to what survives every export: identity,
// purl, hashes and edges (by name, since SPDX renames refs).
type canon struct {
	Name, Version, PURL string
	Hashes              []string
	DependsOn           []string
}

func canonical(t *testing.T, doc *sbom.Document, spdxHashesOnly bool) map[string]canon {
	t.Helper()
	all := append([]inventory.Component(nil), doc.Components...)
	if doc.Metadata != nil {
		all = append(all, *doc.Metadata)
	}
	names := map[string]string{}
	for _, c := range all {
		names[c.Ref] = c.Name + "@" + c.Version
	}
	out := map[string]canon{}
	for _, c := range all {
		k := c.Name + "@" + c.Version
		cc := canon{Name: c.Name, Version: c.Version, PURL: c.PURL}
		for _, h := range c.Hashes {
			cc.Hashes = append(cc.Hashes, h.Algorithm+":"+h.Value)
		}
		for _, d := range c.DependsOn {
			cc.DependsOn = append(cc.DependsOn, names[d])
		}
		sort.Strings(cc.Hashes)
		sort.Strings(cc.DependsOn)
		if _, dup := out[k]; dup {
			t.Fatalf("duplicate component %s", k)
		}
		out[k] = cc
	}
	return out
}

func encodeBoth(t *testing.T, e sbom.Export) (cdxOut, spdxOut []byte) {
	t.Helper()
	var a, b bytes.Buffer
	if err := sbom.EncodeCycloneDX(&a, e); err != nil {
		t.Fatalf("EncodeCycloneDX: %v", err)
	}
	if err := sbom.EncodeSPDX(&b, e); err != nil {
		t.Fatalf("EncodeSPDX: %v", err)
	}
	return a.Bytes(), b.Bytes()
}

// TestRoundTrip: import → export → import keeps components, purls, hashes
// and edges, through CycloneDX 1.6 and SPDX 2.3. Decode validates the
// exports against the official schemas, so this also proves they are valid.
func TestRoundTrip(t *testing.T) {
	for _, file := range []string{"gateway-fw-1.6.cdx.json", "router-fw-1.4.cdx.xml", "camera-fw-2.3.spdx.json", "sensor-fw-2.2.spdx"} {
		t.Run(file, func(t *testing.T) {
			orig, err := decodeFile(t, file)
			if err != nil {
				t.Fatal(err)
			}
			want := canonical(t, orig, false)
			cdxOut, spdxOut := encodeBoth(t, sbom.ExportFrom(orig))

			back, err := sbom.Decode(bytes.NewReader(cdxOut), "export.cdx.json", sbom.Options{})
			if err != nil {
				t.Fatalf("re-import CycloneDX export: %v\n%s", err, cdxOut)
			}
			if back.Format != "cyclonedx" || back.SpecVersion != "1.6" || back.Encoding != "json" {
				t.Errorf("CycloneDX export is %s %s %s", back.Format, back.SpecVersion, back.Encoding)
			}
			if got := canonical(t, back, false); !reflect.DeepEqual(got, want) {
				t.Errorf("CycloneDX round trip differs:\n got %+v\nwant %+v", got, want)
			}
			// Refs survive CycloneDX unchanged.
			for i, c := range back.Components {
				if !sameRefs(orig, c.Ref) {
					t.Errorf("component %d ref %q not in the original", i, c.Ref)
				}
			}

			back, err = sbom.Decode(bytes.NewReader(spdxOut), "export.spdx.json", sbom.Options{})
			if err != nil {
				t.Fatalf("re-import SPDX export: %v\n%s", err, spdxOut)
			}
			if back.Format != "spdx" || back.SpecVersion != "2.3" {
				t.Errorf("SPDX export is %s %s", back.Format, back.SpecVersion)
			}
			if got := canonical(t, back, true); !reflect.DeepEqual(got, want) {
				t.Errorf("SPDX round trip differs:\n got %+v\nwant %+v", got, want)
			}
			// Licences and CPEs survive SPDX (named licences via LicenseRef-).
			wantLic := map[string][]string{}
			for _, c := range orig.Components {
				wantLic[c.Name] = c.Licenses
			}
			for _, c := range back.Components {
				if !reflect.DeepEqual(c.Licenses, wantLic[c.Name]) {
					t.Errorf("%s: licences %q, want %q", c.Name, c.Licenses, wantLic[c.Name])
				}
			}
		})
	}
}

func sameRefs(doc *sbom.Document, ref string) bool {
	if doc.Metadata != nil && doc.Metadata.Ref == ref {
		return true
	}
	for _, c := range doc.Components {
		if c.Ref == ref {
			return true
		}
	}
	return false
}

func TestExportDeterministic(t *testing.T) {
	doc, err := decodeFile(t, "gateway-fw-1.6.cdx.json")
	if err != nil {
		t.Fatal(err)
	}
	e := sbom.ExportFrom(doc)
	a1, s1 := encodeBoth(t, e)
	// Same content in another order gives the same bytes.
	rev := append([]inventory.Component(nil), e.Components...)
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	e.Components = rev
	a2, s2 := encodeBoth(t, e)
	if !bytes.Equal(a1, a2) || !bytes.Equal(s1, s2) {
		t.Error("export depends on component order")
	}
	var bom struct {
		SerialNumber string `json:"serialNumber"`
		SpecVersion  string `json:"specVersion"`
		Schema       string `json:"$schema"`
	}
	if err := json.Unmarshal(a1, &bom); err != nil {
		t.Fatal(err)
	}
	if bom.SpecVersion != "1.6" || !strings.Contains(bom.Schema, "bom-1.6") || !strings.HasPrefix(bom.SerialNumber, "urn:uuid:") {
		t.Errorf("header = %+v", bom)
	}
	// A change in content changes the serial number.
	e.Components[0].Version += ".1"
	a3, _ := encodeBoth(t, e)
	if bytes.Equal(a1, a3) {
		t.Error("changed content, same output")
	}
}

func TestExportFromStore(t *testing.T) {
	e := sbom.Export{
		Name: "thermostat", Version: "4.2.0", Supplier: "ACME Devices GmbH",
		Created:   time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC),
		DependsOn: []string{"c1", "missing"},
		Components: []inventory.Component{
			{Ref: "c1", Name: "lwip", Version: "2.2.0", Licenses: []string{"BSD-3-Clause"}, DependsOn: []string{"c2", "c1"},
				Hashes: []inventory.Hash{{Algorithm: "SHA-256", Value: strings.Repeat("ab", 32)}, {Algorithm: "CRC32", Value: "1234"}, {Algorithm: "SHA224", Value: strings.Repeat("cd", 28)}},
				CPEs:   []string{"cpe:2.3:a:lwip_project:lwip:2.2.0:*:*:*:*:*:*:*", "cpe:/a:lwip:lwip:2.2.0"}},
			{Ref: "c2", Name: "mbedtls", Version: "3.6.0", Licenses: []string{"Apache-2.0", "GPL-2.0-or-later OR MIT"}, Type: inventory.TypeCryptoAsset},
			{Name: "no-ref", Version: "1", Licenses: []string{"Proprietary ACME"}},
		},
	}
	cdxOut, spdxOut := encodeBoth(t, e)
	for name, out := range map[string][]byte{"cdx.json": cdxOut, "spdx.json": spdxOut} {
		doc, err := sbom.Decode(bytes.NewReader(out), name, sbom.Options{})
		if err != nil {
			t.Fatalf("%s: export invalid: %v\n%s", name, err, out)
		}
		if doc.Metadata == nil || doc.Metadata.Name != "thermostat" || doc.Metadata.Supplier != "ACME Devices GmbH" || len(doc.Metadata.DependsOn) != 1 {
			t.Errorf("%s: metadata = %+v", name, doc.Metadata)
		}
		if len(doc.Components) != 3 || doc.Edges() != 2 {
			t.Errorf("%s: %d components, %d edges", name, len(doc.Components), doc.Edges())
		}
	}
	if strings.Contains(string(cdxOut), "CRC32") || strings.Contains(string(cdxOut), "SHA224") {
		t.Error("CycloneDX export holds hash algorithms CycloneDX does not define")
	}
	if !strings.Contains(string(spdxOut), "LicenseRef-Proprietary-ACME") || !strings.Contains(string(spdxOut), `"cpe22Type"`) {
		t.Errorf("SPDX export lacks LicenseRef or cpe22Type:\n%s", spdxOut)
	}
	if err := sbom.EncodeCycloneDX(&bytes.Buffer{}, sbom.Export{}); err == nil {
		t.Error("export without a name accepted")
	}
	// The default product ref steps aside for a component called "product".
	var out bytes.Buffer
	if err := sbom.EncodeCycloneDX(&out, sbom.Export{Name: "x", Components: []inventory.Component{{Ref: "product", Name: "p"}}}); err != nil {
		t.Errorf("component ref \"product\": %v", err)
	} else if !strings.Contains(out.String(), `"product-2"`) {
		t.Errorf("product ref not renamed:\n%s", out.String())
	}
	dup := sbom.Export{Name: "x", Components: []inventory.Component{{Ref: "a", Name: "a"}, {Ref: "a", Name: "b"}}}
	if err := sbom.EncodeSPDX(&bytes.Buffer{}, dup); err == nil {
		t.Error("duplicate refs accepted")
	}
}

// TestRoots: the roots are the components no edge points at, in order; a
// component with no edges at all is one, and none are found in a cycle.
func TestRoots(t *testing.T) {
	for _, tc := range []struct {
		name  string
		comps []inventory.Component
		want  []string
	}{
		{"none", nil, nil},
		{"chain", []inventory.Component{{Ref: "app", DependsOn: []string{"lib"}}, {Ref: "lib", DependsOn: []string{"libc"}}, {Ref: "libc"}}, []string{"app"}},
		{"two trees and a loner", []inventory.Component{{Ref: "a", DependsOn: []string{"x"}}, {Ref: "x"}, {Ref: "lone"}, {Ref: "b", DependsOn: []string{"x", "missing"}}}, []string{"a", "lone", "b"}},
		{"cycle", []inventory.Component{{Ref: "p", DependsOn: []string{"q"}}, {Ref: "q", DependsOn: []string{"p"}}}, nil},
	} {
		if got := sbom.Roots(tc.comps); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: Roots = %q, want %q", tc.name, got, tc.want)
		}
	}
}
