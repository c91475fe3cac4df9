// Command sbomgen writes a synthetic N-component CycloneDX 1.6 JSON SBOM
// (with hashes, licences, CPEs and dependency edges) for benchmarks:
//
//	go run ./bench/sbomgen -n 10000 -o /tmp/bom-10k.cdx.json
//	go run ./bench/sbomgen -n 10000 -format xml -o /tmp/bom-10k.cdx.xml
//	go run ./bench/sbomgen -n 10000 -format spdx -o /tmp/bom-10k.spdx.json
//	go run ./bench/sbomgen -n 10000 -format spdx-tv -o /tmp/bom-10k.spdx
//	go run ./bench/sbomgen -n 8000 -format spdx3 -o /tmp/bom-8000.spdx3.json
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/rampart-security/rampart/internal/sbom/sbomgen"
)

func main() {
	n := flag.Int("n", 10000, "number of components")
	out := flag.String("o", "-", "output file (- for stdout)")
	format := flag.String("format", "json", "json (CycloneDX 1.6 JSON), xml (CycloneDX 1.6 XML), spdx (SPDX 2.3 JSON), spdx-tv (SPDX 2.3 tag-value) or spdx3 (SPDX 3.0.1 JSON-LD, Yocto-shaped: ~6.25 elements a component)")
	flag.Parse()
	if err := run(*n, *out, *format); err != nil {
		fmt.Fprintln(os.Stderr, "sbomgen:", err)
		os.Exit(1)
	}
}

func run(n int, out, format string) error {
	write := map[string]func(io.Writer, int) error{"json": sbomgen.Write, "xml": sbomgen.WriteXML, "spdx": sbomgen.WriteSPDX, "spdx-tv": sbomgen.WriteSPDXTagValue, "spdx3": sbomgen.WriteSPDX3}[format]
	if write == nil {
		return fmt.Errorf("-format must be json, xml, spdx, spdx-tv or spdx3, got %q", format)
	}
	if n < 0 {
		return fmt.Errorf("-n must be 0 or more, got %d", n)
	}
	var w io.Writer = os.Stdout
	if out != "-" {
		f, err := os.Create(out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	return write(w, n)
}
