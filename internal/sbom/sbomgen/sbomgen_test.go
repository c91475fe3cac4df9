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
