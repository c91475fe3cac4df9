package cli

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/sbom/sbomgen"
	"github.com/rampart-security/rampart/internal/scanners/reportgen"
)

// BenchmarkGateCommand is `rampart gate` as CI runs it: a 10,000-component
// CycloneDX SBOM (bench/sbomgen) and a 100,000-result SARIF report
// (bench/reportgen) read from files, the default policy, the JSON report
// written. The files are written once, outside the timed loop.
func BenchmarkGateCommand(b *testing.B) {
	dir := b.TempDir()
	bom, report := filepath.Join(dir, "bom10k.json"), filepath.Join(dir, "r100k.sarif")
	write := func(path string, gen func(io.Writer) error) {
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		if err := gen(f); err != nil {
			b.Fatal(err)
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
	}
	write(bom, func(w io.Writer) error { return sbomgen.Write(w, 10000) })
	write(report, func(w io.Writer) error { return reportgen.SARIF(w, 100000) })
	out := filepath.Join(dir, "gate.json")
	b.ResetTimer()
	for b.Loop() {
		var stderr strings.Builder
		code := Execute(context.Background(), []string{"gate", "--sbom", bom, "--scan", report, "--format", "json", "-o", out}, strings.NewReader(""), io.Discard, &stderr)
		if code != 1 || !strings.Contains(stderr.String(), "32142 violation(s)") {
			b.Fatalf("exit %d: %s", code, stderr.String())
		}
	}
}
