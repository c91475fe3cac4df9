package sbom_test

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/corpustest"
	"github.com/rampart-security/rampart/internal/sbom"
)

// TestTruncatedSBOMsRejected is the SBOM half of issue 12's truncation
// suite: every corpus SBOM that decodes, cut at several offsets, is
// rejected, by Decode and by DecodeStream, with an error naming the file, unless only white space was cut
// or (tag-value, which has no closing marker) the cut falls exactly on a
// line boundary and the shortened document is still complete.
func TestTruncatedSBOMsRejected(t *testing.T) {
	root := corpustest.Dir(t, "sbom")
	cuts, rejected, boundary := 0, 0, 0
	for _, f := range corpustest.Files(t, root, func(rel string) bool { return expectedOutcome(rel) == accepted }) {
		rel := f.Rel
		data, err := os.ReadFile(f.Path)
		if err != nil {
			t.Fatal(err)
		}
		full, err := sbom.DecodeBytes(data, rel)
		if err != nil {
			continue // not a valid SBOM (the conformance test covers it)
		}
		n := len(data)
		offsets := []int{n / 8, n / 4, n / 2, 3 * n / 4, 7 * n / 8, n - 16, n - 2, n - 1}
		if n > 256<<10 {
			offsets = []int{n / 3, n - 2}
		}
		for _, cut := range offsets {
			if cut <= 0 || cut >= n {
				continue
			}
			cuts++
			doc, err := sbom.DecodeBytes(data[:cut], rel)
			// The streaming decoder (large uploads) must say the same.
			if _, _, serr := streamDecode(data[:cut], rel); (serr == nil) != (err == nil) {
				t.Errorf("%s cut at %d: Decode says %v, DecodeStream says %v", rel, cut, err, serr)
			}
			switch {
			case err != nil:
				rejected++
				if !strings.Contains(err.Error(), rel) {
					t.Errorf("%s cut at %d: error does not name the file: %v", rel, cut, err)
				}
			case len(bytes.TrimSpace(data[cut:])) == 0:
				boundary++
			case strings.HasSuffix(rel, ".spdx") && data[cut-1] == '\n':
				boundary++
				if len(doc.Components) > len(full.Components) {
					t.Errorf("%s cut at %d: more components than the whole file", rel, cut)
				}
			default:
				t.Errorf("%s cut at %d of %d: accepted with %d of %d components; a truncated SBOM must be rejected", rel, cut, n, len(doc.Components), len(full.Components))
			}
		}
	}
	t.Logf("%d cuts: %d rejected, %d accepted at a boundary the format cannot tell", cuts, rejected, boundary)
}
