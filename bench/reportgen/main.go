// Command reportgen writes a large synthetic scanner report for
// benchmarks: reportgen -format sarif|nessus|gitlab-ds|gitlab-sast|qualys-was|zap-2.6
// -n 100000 > report.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/rampart-security/rampart/internal/scanners/reportgen"
)

func main() {
	format := flag.String("format", "sarif", "sarif, nessus, gitlab-ds, gitlab-sast, qualys-was or zap-2.6")
	n := flag.Int("n", 100000, "number of findings")
	flag.Parse()
	gen := map[string]func(io.Writer, int) error{
		"sarif":       reportgen.SARIF,
		"nessus":      reportgen.Nessus,
		"gitlab-ds":   reportgen.GitLabDependencyScanning,
		"gitlab-sast": reportgen.GitLabSAST,
		"qualys-was":  reportgen.QualysWAS,
		"zap-2.6":     reportgen.ZAPBefore27,
	}
	err := fmt.Errorf("unknown -format %q (sarif, nessus, gitlab-ds, gitlab-sast, qualys-was or zap-2.6)", *format)
	if g, ok := gen[*format]; ok {
		err = g(os.Stdout, *n)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "reportgen:", err)
		os.Exit(1)
	}
}
