package sbomgen_test

import (
	"bytes"
	"testing"

	"github.com/rampart-security/rampart/internal/sbom"
	"github.com/rampart-security/rampart/internal/sbom/sbomgen"
)

func TestWriteIsValidAndDeterministic(t *testing.T) {
	for _, n := range []int{0, 1, 7, 250} {
		var a, b bytes.Buffer
		if err := sbomgen.Write(&a, n); err != nil {
			t.Fatal(err)
		}
		if err := sbomgen.Write(&b, n); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Errorf("n=%d: output not deterministic", n)
		}
		doc, err := sbom.Decode(&a, "gen.json", sbom.Options{})
		if err != nil {
			t.Fatalf("n=%d: generated SBOM invalid: %v", n, err)
		}
		if len(doc.Components) != n || doc.SpecVersion != "1.6" {
			t.Errorf("n=%d: got %d components, spec %s", n, len(doc.Components), doc.SpecVersion)
		}
		if n > 2 && doc.Edges() < n {
			t.Errorf("n=%d: only %d edges", n, doc.Edges())
		}
	}
}

// TestWriteXMLAndSPDX: the XML and SPDX encodings are valid, deterministic
// and convert to the same components as the JSON one.
func TestWriteXMLAndSPDX(t *testing.T) {
	for _, n := range []int{0, 1, 7, 250} {
		var js bytes.Buffer
		if err := sbomgen.Write(&js, n); err != nil {
			t.Fatal(err)
		}
		want, err := sbom.DecodeBytes(js.Bytes(), "gen.json")
		if err != nil {
			t.Fatal(err)
		}
		for _, enc := range []struct {
			name  string
			write func(*bytes.Buffer, int) error
		}{
			{"gen.cdx.xml", func(b *bytes.Buffer, n int) error { return sbomgen.WriteXML(b, n) }},
			{"gen.spdx.json", func(b *bytes.Buffer, n int) error { return sbomgen.WriteSPDX(b, n) }},
		} {
			var a, b bytes.Buffer
			if err := enc.write(&a, n); err != nil {
				t.Fatal(err)
			}
			if err := enc.write(&b, n); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Errorf("%s n=%d: output not deterministic", enc.name, n)
			}
			doc, err := sbom.DecodeBytes(a.Bytes(), enc.name)
			if err != nil {
				t.Fatalf("%s n=%d: invalid: %v", enc.name, n, err)
			}
			if len(doc.Components) != n || doc.Metadata == nil || doc.Edges() != want.Edges() {
				t.Errorf("%s n=%d: %d components, %d edges (JSON: %d, %d)", enc.name, n, len(doc.Components), doc.Edges(), len(want.Components), want.Edges())
			}
			for i := range doc.Components {
				g, w := doc.Components[i], want.Components[i]
				if g.Name != w.Name || g.Version != w.Version || g.PURL != w.PURL || len(g.Hashes) != 2 || len(g.DependsOn) != len(w.DependsOn) {
					t.Errorf("%s n=%d: component %d: %+v, want %+v", enc.name, n, i, g, w)
					break
				}
			}
		}
	}
}
