package sbom_test

import (
	"os"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/corpustest"
	"github.com/rampart-security/rampart/internal/sbom"
)

// tvDocs are the tag-value fixtures and corpus files.
func tvDocs(t *testing.T) map[string][]byte {
	docs := map[string][]byte{}
	for _, p := range []string{"testdata/sensor-fw-2.2.spdx", "testdata/truncated.spdx"} {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		docs[p] = data
	}
	root := corpustest.Dir(t, "sbom")
	for _, f := range corpustest.Files(t, root, func(rel string) bool { return strings.HasSuffix(rel, ".spdx") }) {
		if data, err := os.ReadFile(f.Path); err == nil {
			docs[f.Path] = data
		}
	}
	return docs
}

// TestDecodeStreamTagValue: the streamed tag-value path, with chunks cut
// small so that every document spans many of them (a context group,
// relationships and files across chunks), accepts and rejects what the
// whole-document decoder does and yields the same components, also for
// each document cut at every line.
func TestDecodeStreamTagValue(t *testing.T) {
	for _, size := range []int64{1, 200, 2000} {
		restore := sbom.SetTVChunkBytes(size)
		for name, data := range tvDocs(t) {
			checkSame(t, data, name)
			lines := strings.SplitAfter(string(data), "\n")
			cut := ""
			for i, l := range lines[:len(lines)-1] {
				cut += l
				if i%3 == 0 || size == 200 {
					fuzzStreamSame(t, []byte(cut), false)
				}
			}
		}
		restore()
	}
}
