package sbom_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/sbom"
)

// The SPDX project's example document in several encodings
// (testdata/spdx-encodings/README.md): each imports to the same
// components, metadata and header as the JSON or tag-value sample of the
// same document.
func TestSPDXEncodingsSameComponents(t *testing.T) {
	dir := "spdx-encodings/"
	for _, c := range []struct {
		file, same, version, encoding string
		comps                         int
	}{
		{"SPDXYAMLExample-2.2.spdx.yaml", "SPDXJSONExample-v2.2.spdx.json", "2.2", sbom.EncodingYAML, 3},
		{"SPDXYAMLExample-2.3.spdx.yaml", "SPDXJSONExample-v2.3.spdx.json", "2.3", sbom.EncodingYAML, 4},
		{"SPDXTagExample-v2.1.spdx", "SPDXTagExample-v2.2.spdx", "2.1", sbom.EncodingTagValue, 3},
		{"SPDXTagExample-v2.1.spdx", "SPDXJSONExample-v2.2.spdx.json", "2.1", sbom.EncodingTagValue, 3},
	} {
		t.Run(c.file+"="+c.same, func(t *testing.T) {
			got := mustDecode(t, dir+c.file)
			want := mustDecode(t, dir+c.same)
			if got.Format != sbom.FormatSPDX || got.SpecVersion != c.version || got.Encoding != c.encoding {
				t.Errorf("format %s %s %s, want SPDX %s %s", got.Format, got.SpecVersion, got.Encoding, c.version, c.encoding)
			}
			if len(got.Components) != c.comps || got.Metadata == nil {
				t.Fatalf("%d components, metadata %v; want %d and the described package", len(got.Components), got.Metadata, c.comps)
			}
			if got.Name != want.Name || got.SerialNumber != want.SerialNumber || !got.Created.Equal(want.Created) {
				t.Errorf("header %q %q %v, want %q %q %v", got.Name, got.SerialNumber, got.Created, want.Name, want.SerialNumber, want.Created)
			}
			if !reflect.DeepEqual(got.Metadata, want.Metadata) {
				t.Errorf("metadata differs:\n got  %s\n want %s", js(got.Metadata), js(want.Metadata))
			}
			if !reflect.DeepEqual(got.Components, want.Components) {
				t.Errorf("components differ:\n got  %s\n want %s", js(got.Components), js(want.Components))
			}
			// The streamed import (the upload API's and the CLI's path)
			// gives the same outcome.
			data, _ := os.ReadFile("testdata/" + dir + c.file)
			if !checkSame(t, data, c.file) {
				t.Errorf("DecodeStream refused %s", c.file)
			}
		})
	}
}

func mustDecode(t *testing.T, name string) *sbom.Document {
	t.Helper()
	doc, err := decodeFile(t, name)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return doc
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestDetectSPDXEncodings(t *testing.T) {
	for _, c := range []struct {
		in                string
		version, encoding string
		unsupported       bool
	}{
		{"SPDXVersion: SPDX-2.1\nDataLicense: CC0-1.0\n", "2.1", sbom.EncodingTagValue, false},
		{"SPDXVersion: SPDX-2.0\n", "2.0", sbom.EncodingTagValue, true},
		{"spdxVersion: SPDX-2.2\ndataLicense: CC0-1.0\n", "2.2", sbom.EncodingYAML, false},
		{"---\n# comment\nspdxVersion: \"SPDX-2.3\"\n", "2.3", sbom.EncodingYAML, false},
		{"spdxVersion: 'SPDX-2.1'\n", "2.1", sbom.EncodingYAML, true}, // YAML came with SPDX 2.2
	} {
		f, err := sbom.Detect([]byte(c.in))
		if f.SpecVersion != c.version || f.Encoding != c.encoding || (err != nil) != c.unsupported {
			t.Errorf("Detect(%q) = %+v, %v; want %s %s unsupported=%v", c.in, f, err, c.version, c.encoding, c.unsupported)
		}
		if err != nil && !errors.Is(err, sbom.ErrUnsupportedVersion) {
			t.Errorf("Detect(%q): %v does not wrap ErrUnsupportedVersion", c.in, err)
		}
	}
}

// Bad input in the new encodings: a clear error that names the file and
// the line or field, never a panic, and the same outcome streamed.
func TestSPDXEncodingsBadInput(t *testing.T) {
	yaml22, err := os.ReadFile("testdata/spdx-encodings/SPDXYAMLExample-2.2.spdx.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tv21, err := os.ReadFile("testdata/spdx-encodings/SPDXTagExample-v2.1.spdx")
	if err != nil {
		t.Fatal(err)
	}
	bomb := "spdxVersion: SPDX-2.3\na: &a [x, x, x, x, x, x, x, x, x, x]\n"
	for i, prev := 0, "a"; i < 9; i++ {
		cur := string(rune('b' + i))
		bomb += cur + ": &" + cur + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n"
		prev = cur
	}
	for _, c := range []struct {
		name, in, want string
	}{
		{"syntax.spdx.yaml", "spdxVersion: SPDX-2.3\npackages:\n  - name: [unclosed\n", "line 2: SPDX 2.3 YAML: did not find expected"},
		{"tab.spdx.yaml", "spdxVersion: SPDX-2.3\n\tname: x\n", "line 2"},
		{"nodownload.spdx.yaml", strings.Replace(string(yaml22), `downloadLocation: "http://ftp.gnu.org/gnu/glibc/glibc-ports-2.15.tar.gz"`, "", 1), "downloadLocation"},
		{"badtype.spdx.yaml", strings.Replace(string(yaml22), `name: "glibc"`, "name: [glibc]", 1), "/packages/"},
		{"truncated.spdx.yaml", string(yaml22[:len(yaml22)/2]), "truncated.spdx.yaml"},
		{"twodocs.spdx.yaml", string(yaml22) + "---\nspdxVersion: SPDX-2.2\n", "second YAML document"},
		{"bomb.spdx.yaml", bomb, "too many nodes"},
		{"repeated.spdx.yaml", "spdxVersion: SPDX-2.3\nname: a\nname: b\n", `repeated.spdx.yaml: line 3: SPDX 2.3 YAML: mapping key "name" already defined at line 2`},
		{"unknownalias.spdx.yaml", "spdxVersion: SPDX-2.3\nname: *nope\n", "line 2: SPDX 2.3 YAML: unknown anchor 'nope'"},
		{"nocopyright.spdx", strings.Replace(string(tv21), "PackageCopyrightText: <text>Copyright 2008-2010 John Smith</text>\n", "", 1), "PackageCopyrightText"},
		{"attribution.spdx", strings.Replace(string(tv21), "PackageName: glibc\n", "PackageName: glibc\nPackageAttributionText: x\n", 1), "line 72: SPDX 2.1 tag-value: received unknown tag PackageAttributionText"},
		{"truncated21.spdx", string(tv21[:bytes.Index(tv21, []byte("PackageName: Jena"))]), "truncated"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := sbom.DecodeBytes([]byte(c.in), c.name)
			var ve *sbom.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("got %v, want a ValidationError", err)
			}
			if !strings.Contains(err.Error(), c.name) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not name the file and %q", err, c.want)
			}
			checkSame(t, []byte(c.in), c.name)
		})
	}
}

// SPDX YAML is decoded whole, so it is bounded at StreamThreshold.
func TestSPDXYAMLTooLarge(t *testing.T) {
	big := "spdxVersion: SPDX-2.3\n# " + strings.Repeat("x", int(sbom.StreamThreshold)) + "\n"
	_, err := sbom.DecodeBytes([]byte(big), "big.spdx.yaml")
	if !errors.Is(err, sbom.ErrTooLarge) || !strings.Contains(err.Error(), "big.spdx.yaml") {
		t.Errorf("got %v, want ErrTooLarge naming the file", err)
	}
	if _, _, err := streamDecode([]byte(big), "big.spdx.yaml"); !errors.Is(err, sbom.ErrTooLarge) {
		t.Errorf("streamed: got %v, want ErrTooLarge", err)
	}
}
