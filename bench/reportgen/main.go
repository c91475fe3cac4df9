// Command reportgen writes a large synthetic scanner report for
// benchmarks: reportgen -format sarif|nessus -n 100000 > report.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/rampart-security/rampart/internal/scanners/reportgen"
)

func main() {
	format := flag.String("format", "sarif", "sarif or nessus")
	n := flag.Int("n", 100000, "number of findings")
	flag.Parse()
	var err error
	switch *format {
	case "sarif":
		err = reportgen.SARIF(os.Stdout, *n)
	case "nessus":
		err = reportgen.Nessus(os.Stdout, *n)
	default:
		err = fmt.Errorf("unknown -format %q (sarif or nessus)", *format)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "reportgen:", err)
		os.Exit(1)
	}
}
