package scanners

import (
	"github.com/rampart-security/rampart/internal/scanners/bandit"
	"github.com/rampart-security/rampart/internal/scanners/burp"
	"github.com/rampart-security/rampart/internal/scanners/cyclonedx"
	"github.com/rampart-security/rampart/internal/scanners/defectdojo"
	"github.com/rampart-security/rampart/internal/scanners/depcheck"
	"github.com/rampart-security/rampart/internal/scanners/generic"
	"github.com/rampart-security/rampart/internal/scanners/gitlabdast"
	"github.com/rampart-security/rampart/internal/scanners/gosec"
	"github.com/rampart-security/rampart/internal/scanners/grype"
	"github.com/rampart-security/rampart/internal/scanners/nessus"
	"github.com/rampart-security/rampart/internal/scanners/nexpose"
	"github.com/rampart-security/rampart/internal/scanners/npmaudit"
	"github.com/rampart-security/rampart/internal/scanners/openvas"
	"github.com/rampart-security/rampart/internal/scanners/osv"
	"github.com/rampart-security/rampart/internal/scanners/qualys"
	"github.com/rampart-security/rampart/internal/scanners/sarif"
	"github.com/rampart-security/rampart/internal/scanners/semgrep"
	"github.com/rampart-security/rampart/internal/scanners/snyk"
	"github.com/rampart-security/rampart/internal/scanners/trivy"
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
		{
			Name:        nessus.Name,
			Aliases:     []string{"tenable", "nessus-was", "tenable-xml"},
			Description: "Nessus / Tenable .nessus XML export (NessusClientData_v2; also Tenable.sc, Tenable.io, Nessus WAS)",
			DetectRule:  nessus.DetectRule,
			Detect:      nessus.Detect,
			Parse:       nessus.Parse,
		},
		{
			Name:        nessus.NameCSV,
			Aliases:     []string{"tenable-csv", "nessus-was-csv"},
			Description: "Nessus, Tenable.sc, Tenable.io and Nessus WAS CSV exports",
			DetectRule:  nessus.DetectRuleCSV,
			Detect:      nessus.DetectCSV,
			Parse:       nessus.ParseCSV,
		},
		{
			Name:        nexpose.Name,
			Aliases:     []string{"insightvm"},
			Description: "Rapid7 Nexpose / InsightVM XML Export 2.0",
			DetectRule:  nexpose.DetectRule,
			Detect:      nexpose.Detect,
			Parse:       nexpose.Parse,
		},
		{
			Name:        openvas.Name,
			Aliases:     []string{"greenbone", "gvm"},
			Description: "Greenbone / OpenVAS XML report (GMP)",
			DetectRule:  openvas.DetectRule,
			Detect:      openvas.Detect,
			Parse:       openvas.Parse,
		},
		{
			Name:        openvas.NameCSV,
			Aliases:     []string{"greenbone-csv"},
			Description: "Greenbone / OpenVAS CSV results export",
			DetectRule:  openvas.DetectRuleCSV,
			Detect:      openvas.DetectCSV,
			Parse:       openvas.ParseCSV,
		},
		{
			Name:        depcheck.Name,
			Aliases:     []string{"owasp-dependency-check", "dependency-check-xml"},
			Description: "OWASP Dependency-Check XML report",
			DetectRule:  depcheck.DetectRule,
			Detect:      depcheck.Detect,
			Parse:       depcheck.Parse,
		},
		{
			Name:        depcheck.NameJSON,
			Description: "OWASP Dependency-Check JSON report",
			DetectRule:  depcheck.DetectRuleJSON,
			Detect:      depcheck.DetectJSON,
			Parse:       depcheck.ParseJSON,
		},
		{
			Name:        burp.Name,
			Aliases:     []string{"burp-xml"},
			Description: "Burp Suite XML issues export",
			DetectRule:  burp.DetectRule,
			Detect:      burp.Detect,
			Parse:       burp.Parse,
		},
		{
			Name:        qualys.Name,
			Description: "Qualys VM XML asset data report",
			DetectRule:  qualys.DetectRule,
			Detect:      qualys.Detect,
			Parse:       qualys.Parse,
		},
		{
			Name:        qualys.NameCSV,
			Description: "Qualys VM CSV export (scan and PCI reports)",
			DetectRule:  qualys.DetectRuleCSV,
			Detect:      qualys.DetectCSV,
			Parse:       qualys.ParseCSV,
		},
		{
			Name:        trivy.Name,
			Description: "Trivy JSON report: vulnerabilities, misconfigurations, secrets, licenses (schema 2, legacy list, Kubernetes)",
			DetectRule:  trivy.DetectRule,
			Detect:      trivy.Detect,
			Parse:       trivy.Parse,
		},
		{
			Name:        grype.Name,
			Aliases:     []string{"anchore-grype"},
			Description: "Anchore Grype JSON report",
			DetectRule:  grype.DetectRule,
			Detect:      grype.Detect,
			Parse:       grype.Parse,
		},
		{
			Name:        bandit.Name,
			Description: "Bandit JSON report (Python)",
			DetectRule:  bandit.DetectRule,
			Detect:      bandit.Detect,
			Parse:       bandit.Parse,
		},
		{
			Name:        semgrep.Name,
			Description: "Semgrep JSON output (code findings) and Semgrep Supply Chain findings export",
			DetectRule:  semgrep.DetectRule,
			Detect:      semgrep.Detect,
			Parse:       semgrep.Parse,
		},
		{
			Name:        gosec.Name,
			Description: "gosec JSON report (Go)",
			DetectRule:  gosec.DetectRule,
			Detect:      gosec.Detect,
			Parse:       gosec.Parse,
		},
		{
			Name:        osv.Name,
			Aliases:     []string{"osv"},
			Description: "OSV-Scanner JSON output",
			DetectRule:  osv.DetectRule,
			Detect:      osv.Detect,
			Parse:       osv.Parse,
		},
		{
			Name:        npmaudit.Name,
			Aliases:     []string{"npm"},
			Description: "npm audit --json (npm 6 and npm 7+)",
			DetectRule:  npmaudit.DetectRule,
			Detect:      npmaudit.Detect,
			Parse:       npmaudit.Parse,
		},
		{
			Name:        defectdojo.Name,
			Aliases:     []string{"defectdojo-findings", "dojo-export"},
			Description: "DefectDojo findings export (API v2 /findings/ JSON pages), with status, risk acceptance and notes",
			DetectRule:  defectdojo.DetectRule,
			Detect:      defectdojo.Detect,
			Parse:       defectdojo.Parse,
		},
		{
			Name:        generic.Name,
			Aliases:     []string{"defectdojo", "generic-json"},
			Description: "DefectDojo \"Generic Findings Import\" JSON, for custom tools",
			DetectRule:  generic.DetectRule,
			Detect:      generic.Detect,
			Parse:       generic.Parse,
		},
		{
			Name:        generic.NameCSV,
			Aliases:     []string{"defectdojo-csv"},
			Description: "DefectDojo \"Generic Findings Import\" CSV, for custom tools",
			DetectRule:  generic.DetectRuleCSV,
			Detect:      generic.DetectCSV,
			Parse:       generic.ParseCSV,
		},
		{
			Name:        gitlabdast.Name,
			Aliases:     []string{"gitlab-dast-json", "gitlab-dast-api"},
			Description: "GitLab DAST JSON report (security report schema for DAST, v2–v15; DAST and DAST API analyzers)",
			DetectRule:  gitlabdast.DetectRule,
			Detect:      gitlabdast.Detect,
			Parse:       gitlabdast.Parse,
		},
		{
			Name:        snyk.Name,
			Description: "Snyk CLI JSON (snyk test, snyk container test, --all-projects); Snyk Code is SARIF",
			DetectRule:  snyk.DetectRule,
			Detect:      snyk.Detect,
			Parse:       snyk.Parse,
		},
		{
			Name:        cyclonedx.Name,
			Aliases:     []string{"cyclonedx-json", "vdr"},
			Description: "CycloneDX JSON with vulnerabilities (VDR, or an SBOM carrying vulnerabilities)",
			DetectRule:  cyclonedx.DetectRule,
			Detect:      cyclonedx.Detect,
			Parse:       cyclonedx.Parse,
		},
		{
			Name:        cyclonedx.NameXML,
			Description: "CycloneDX XML with vulnerabilities (1.4+ and the 1.0–1.3 vulnerability extension)",
			DetectRule:  cyclonedx.DetectRuleXML,
			Detect:      cyclonedx.DetectXML,
			Parse:       cyclonedx.ParseXML,
		},
	}
}
