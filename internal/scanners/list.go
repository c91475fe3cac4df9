package scanners

import (
	"github.com/rampart-security/rampart/internal/scanners/sarif"
)

// formats is the explicit list of supported formats, in detection order.
func formats() []Format {
	return []Format{
		{
			Name:        sarif.Name,
			Description: "SARIF 2.1.0 log from any tool (CodeQL, Semgrep, gosec, Grype, Flawfinder, SpotBugs, …)",
			DetectRule:  sarif.DetectRule,
			Detect:      sarif.Detect,
			Parse:       sarif.Parse,
		},
	}
}
