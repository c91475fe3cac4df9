// Command sbomgen writes a synthetic N-component CycloneDX 1.6 JSON SBOM
// (with hashes, licences, CPEs and dependency edges) for benchmarks:
//
//	go run ./bench/sbomgen -n 10000 -o /tmp/bom-10k.cdx.json
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
	flag.Parse()
	if err := run(*n, *out); err != nil {
		fmt.Fprintln(os.Stderr, "sbomgen:", err)
		os.Exit(1)
	}
}

func run(n int, out string) error {
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
	return sbomgen.Write(w, n)
}
