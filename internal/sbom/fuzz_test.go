package sbom_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/rampart-security/rampart/internal/sbom"
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
