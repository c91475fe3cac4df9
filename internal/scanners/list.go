package scanners

import (
	"github.com/rampart-security/rampart/internal/scanners/sarif"
	"github.com/rampart-security/rampart/internal/scanners/zap"
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
		{
			Name:        zap.NameXML,
			Description: "OWASP ZAP traditional XML report (also xml-plus)",
			DetectRule:  zap.DetectRuleXML,
			Detect:      zap.DetectXML,
			Parse:       zap.ParseXML,
		},
		{
			Name:        zap.NameJSON,
			Description: "OWASP ZAP traditional JSON report",
			DetectRule:  zap.DetectRuleJSON,
			Detect:      zap.DetectJSON,
			Parse:       zap.ParseJSON,
		},
	}
}
