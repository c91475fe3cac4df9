package sbom

import (
	"bytes"
	"encoding/json"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"gopkg.in/yaml.v3"

	"github.com/rampart-security/rampart/internal/sbom/sbomgen"
)

func gen10k(b *testing.B) []byte {
	b.Helper()
	var buf bytes.Buffer
	if err := sbomgen.Write(&buf, 10000); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkDecodeCycloneDX10k is the full Decode of a generated
// 10,000-component CycloneDX 1.6 JSON SBOM (with hashes, licences and
// ~25,000 edges): detection, schema validation, typed decoding, checks and
// conversion. Numbers go to docs/performance.md.
func BenchmarkDecodeCycloneDX10k(b *testing.B) {
	benchDecode10k(b, gen10k(b), "bom-10k.json", "cyclonedx/1.6")
}

// benchDecode10k times the full Decode of data, a 10,000-component SBOM
// named name whose schema is compiled outside the timer.
func benchDecode10k(b *testing.B, data []byte, name, schema string) {
	b.Helper()
	if _, err := schemaFor(schema); err != nil { // compile outside the timer
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPU()
	for b.Loop() {
		doc, err := Decode(bytes.NewReader(data), name, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if len(doc.Components) != 10000 {
			b.Fatalf("%d components", len(doc.Components))
		}
	}
	reportCPU(b, cpu)
}

// reportCPU reports the process CPU time per operation since start: on a
// shared machine wall time (ns/op) depends on the load, CPU time much less.
func reportCPU(b *testing.B, start time.Duration) {
	if d := processCPU() - start; d > 0 && b.N > 0 {
		b.ReportMetric(float64(d.Milliseconds())/float64(b.N), "cpu-ms/op")
	}
}

// BenchmarkDecodePhases10k splits Decode into its phases. Decode uses
// stream-validate (which includes parsing); parse-generic and
// schema-validate-whole-tree are the whole-document alternative it replaced.
func BenchmarkDecodePhases10k(b *testing.B) {
	data := gen10k(b)
	sch, err := schemaFor("cyclonedx/1.6")
	if err != nil {
		b.Fatal(err)
	}
	var generic any
	b.Run("parse-generic", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if generic, err = parseJSON(data, "x"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("stream-validate", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := validateStream(data, "cyclonedx/1.6", "x"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("schema-validate-whole-tree", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := sch.Validate(generic); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("unmarshal-cyclonedx-go", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var bom cdx.BOM
			if err := json.Unmarshal(data, &bom); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("unmarshal-lean", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var lean leanBOM
			if err := json.Unmarshal(data, &lean); err != nil {
				b.Fatal(err)
			}
			_ = lean.toBOM()
		}
	})
	var bom cdx.BOM
	_ = json.Unmarshal(data, &bom)
	b.Run("check-and-convert", func(b *testing.B) {
		b.ReportAllocs()
		f := Format{Name: FormatCycloneDX, SpecVersion: "1.6", Encoding: EncodingJSON}
		for b.Loop() {
			if err := checkCycloneDX(&bom, f, "x"); err != nil {
				b.Fatal(err)
			}
			if _, err := fromBOM(&bom, f); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSchemaCompile measures compiling the CycloneDX 1.6 schema, paid
// once per process on first use.
func BenchmarkSchemaCompile(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := compileSchema(schemaIDs["cyclonedx/1.6"]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeCycloneDX10k measures exporting 10,000 components.
func BenchmarkEncodeCycloneDX10k(b *testing.B) {
	doc, err := Decode(bytes.NewReader(gen10k(b)), "x", Options{})
	if err != nil {
		b.Fatal(err)
	}
	e := ExportFrom(doc)
	b.ReportAllocs()
	for b.Loop() {
		if err := EncodeCycloneDX(io.Discard, e); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeSPDX10k decodes the 10k document after conversion to SPDX
// 2.3 JSON (10,001 packages, ~15,000 DEPENDS_ON relationships).
func BenchmarkDecodeSPDX10k(b *testing.B) {
	doc, err := Decode(bytes.NewReader(gen10k(b)), "x", Options{})
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if err := EncodeSPDX(&buf, ExportFrom(doc)); err != nil {
		b.Fatal(err)
	}
	benchDecode10k(b, buf.Bytes(), "bom-10k.spdx.json", "spdx/2.3")
}

// BenchmarkDecodeSPDX3 is the full Decode of a generated Yocto-shaped SPDX
// 3.0.1 JSON-LD image SBOM (sbomgen.WriteSPDX3): 8,000 packages, 24,000
// software_File elements, 50,024 elements in all (25 MB).
func BenchmarkDecodeSPDX3(b *testing.B) {
	var buf bytes.Buffer
	if err := sbomgen.WriteSPDX3(&buf, 8000); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPU()
	for b.Loop() {
		doc, err := Decode(bytes.NewReader(data), "image.spdx.json", Options{})
		if err != nil {
			b.Fatal(err)
		}
		if len(doc.Components) != 8000 {
			b.Fatalf("%d components", len(doc.Components))
		}
	}
	reportCPU(b, cpu)
}

// BenchmarkDecodeSPDXYAML10k decodes the SPDX 2.3 document of
// BenchmarkDecodeSPDX10k written as SPDX YAML (yaml.v3 Marshal of the
// JSON document): YAML to JSON, then the SPDX JSON import.
func BenchmarkDecodeSPDXYAML10k(b *testing.B) {
	var js bytes.Buffer
	if err := sbomgen.WriteSPDX(&js, 10000); err != nil {
		b.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(js.Bytes(), &v); err != nil {
		b.Fatal(err)
	}
	y, err := yaml.Marshal(v)
	if err != nil {
		b.Fatal(err)
	}
	benchDecode10k(b, y, "bom-10k.spdx.yaml", "spdx/2.3")
}

// BenchmarkDecodeSPDXTagValue21_10k decodes sbomgen's 10k tag-value
// document rewritten as SPDX 2.1: no PrimaryPackagePurpose (2.3), and the
// licence and copyright tags 2.1 requires (NOASSERTION).
func BenchmarkDecodeSPDXTagValue21_10k(b *testing.B) {
	var tv bytes.Buffer
	if err := sbomgen.WriteSPDXTagValue(&tv, 10000); err != nil {
		b.Fatal(err)
	}
	s := strings.Replace(tv.String(), "SPDXVersion: SPDX-2.3", "SPDXVersion: SPDX-2.1", 1)
	s = regexp.MustCompile(`(?m)^(PrimaryPackagePurpose|PackageLicenseConcluded): .*\n`).ReplaceAllString(s, "")
	s = strings.ReplaceAll(s, "FilesAnalyzed: false\n", "FilesAnalyzed: false\nPackageLicenseConcluded: NOASSERTION\nPackageLicenseDeclared: NOASSERTION\nPackageCopyrightText: NOASSERTION\n")
	benchDecode10k(b, []byte(s), "bom-10k-2.1.spdx", "spdx/2.3")
}

// BenchmarkDecodeCycloneDX11XML10k decodes sbomgen's 10k CycloneDX XML
// document rewritten as CycloneDX 1.1 in the shape cyclonedx-maven-plugin
// wrote: the 1.1 namespace, the firmware as a device (type firmware came
// with 1.2), the dependency graph in the dependency-graph extension.
func BenchmarkDecodeCycloneDX11XML10k(b *testing.B) {
	var x bytes.Buffer
	if err := sbomgen.WriteXML(&x, 10000); err != nil {
		b.Fatal(err)
	}
	s := strings.NewReplacer(
		`xmlns="http://cyclonedx.org/schema/bom/1.6"`, `xmlns="http://cyclonedx.org/schema/bom/1.1" xmlns:dg="http://cyclonedx.org/schema/ext/dependency-graph/1.0"`,
		`type="firmware"`, `type="device"`,
		"<dependencies>", "<dg:dependencies>", "</dependencies>", "</dg:dependencies>",
		"<dependency ", "<dg:dependency ", "</dependency>", "</dg:dependency>",
	).Replace(x.String())
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPU()
	for b.Loop() {
		doc, err := Decode(strings.NewReader(s), "bom-10k-1.1.xml", Options{})
		if err != nil {
			b.Fatal(err)
		}
		if len(doc.Components) != 10000 || doc.Edges() < 10000 {
			b.Fatalf("%d components, %d edges", len(doc.Components), doc.Edges())
		}
	}
	reportCPU(b, cpu)
}
