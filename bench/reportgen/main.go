// Command reportgen writes a large synthetic scanner report for
// benchmarks: reportgen -format sarif|nessus|gitlab-ds|gitlab-sast|qualys-was|zap-2.6
// -n 100000 > report.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/rampart-security/rampart/internal/scanners/reportgen"
)

func main() {
	format := flag.String("format", "sarif", "sarif, nessus, gitlab-ds, gitlab-sast, qualys-was or zap-2.6")
	n := flag.Int("n", 100000, "number of findings")
	flag.Parse()
	var err error
	switch *format {
	case "sarif":
		err = reportgen.SARIF(os.Stdout, *n)
	case "nessus":
		err = reportgen.Nessus(os.Stdout, *n)
	case "gitlab-ds":
		err = reportgen.GitLabDependencyScanning(os.Stdout, *n)
	case "gitlab-sast":
		err = reportgen.GitLabSAST(os.Stdout, *n)
	case "qualys-was":
		err = reportgen.QualysWAS(os.Stdout, *n)
	case "zap-2.6":
		err = reportgen.ZAPBefore27(os.Stdout, *n)
	default:
		err = fmt.Errorf("unknown -format %q (sarif, nessus, gitlab-ds, gitlab-sast, qualys-was or zap-2.6)", *format)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "reportgen:", err)
		os.Exit(1)
	}
}
