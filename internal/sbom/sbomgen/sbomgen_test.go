package sbomgen_test

import (
	"bytes"
	"io"
	"testing"

	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/sbom"
	"github.com/rampart-security/rampart/internal/sbom/sbomgen"
)

func TestWriteIsValidAndDeterministic(t *testing.T) {
	for _, n := range []int{0, 1, 7, 250} {
		a, b := generate(t, sbomgen.Write, n), generate(t, sbomgen.Write, n)
		if !bytes.Equal(a, b) {
			t.Errorf("n=%d: output not deterministic", n)
		}
		doc, err := sbom.Decode(bytes.NewReader(a), "gen.json", sbom.Options{})
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
		want, err := sbom.DecodeBytes(generate(t, sbomgen.Write, n), "gen.json")
		if err != nil {
			t.Fatal(err)
		}
		for _, enc := range []struct {
			name  string
			write func(io.Writer, int) error
		}{
			{"gen.cdx.xml", sbomgen.WriteXML},
			{"gen.spdx.json", sbomgen.WriteSPDX},
			{"gen.spdx3.json", sbomgen.WriteSPDX3},
		} {
			a, b := generate(t, enc.write, n), generate(t, enc.write, n)
			if !bytes.Equal(a, b) {
				t.Errorf("%s n=%d: output not deterministic", enc.name, n)
			}
			doc, err := sbom.DecodeBytes(a, enc.name)
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

// TestWriteSPDXTagValue: the tag-value encoding decodes to the same
// components and edges as the SPDX JSON one, whole and streamed.
func TestWriteSPDXTagValue(t *testing.T) {
	for _, n := range []int{0, 1, 7, 250} {
		js, tv := generate(t, sbomgen.WriteSPDX, n), generate(t, sbomgen.WriteSPDXTagValue, n)
		want, err := sbom.DecodeBytes(js, "gen.spdx.json")
		if err != nil {
			t.Fatal(err)
		}
		got, err := sbom.DecodeBytes(tv, "gen.spdx")
		if err != nil {
			t.Fatalf("n=%d: generated tag-value invalid: %v", n, err)
		}
		if len(got.Components) != len(want.Components) || got.Edges() != want.Edges() || got.Metadata == nil {
			t.Errorf("n=%d: tag-value %d components %d edges, JSON %d and %d", n, len(got.Components), got.Edges(), len(want.Components), want.Edges())
		}
		var sink countSink
		res, err := sbom.DecodeStream(bytes.NewReader(tv), int64(len(tv)), "gen.spdx", &sink)
		if err != nil || res.Components != len(want.Components) || sink.edges+len(res.Metadata.DependsOn) != want.Edges() {
			t.Errorf("n=%d: streamed: %v, %d components, %d edges", n, err, sink.comps, sink.edges)
		}
	}
}

// generate writes an n-component SBOM with write; an error fails the test.
func generate(t *testing.T, write func(io.Writer, int) error, n int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := write(&b, n); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

type countSink struct{ comps, edges int }

func (s *countSink) Add(b []inventory.Component) error { s.comps += len(b); return nil }
func (s *countSink) Link(_ string, to []string) error  { s.edges += len(to); return nil }
