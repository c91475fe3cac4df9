package findings_test

import (
	"fmt"
	"time"

	"github.com/rampart-security/rampart/internal/findings"
)

// Two tools reporting Log4Shell in the same package version get the same
// fingerprint; the key says why.
func ExampleFingerprintKey() {
	trivy := findings.Finding{Tool: "trivy", VulnerabilityIDs: []string{"CVE-2021-44228"},
		Component: findings.Component{Name: "org.apache.logging.log4j:log4j-core", Version: "2.14.1"}}
	grype := findings.Finding{Tool: "grype", VulnerabilityIDs: []string{"GHSA-jfh8-c2jp-5v3q", "CVE-2021-44228"},
		Component: findings.Component{Name: "org.apache.logging.log4j:log4j-core", Version: "2.14.1"}}
	fmt.Println(findings.FingerprintKey(trivy))
	fmt.Println(findings.Fingerprint(trivy) == findings.Fingerprint(grype))
	// Output:
	// vuln|CVE-2021-44228|org.apache.logging.log4j:log4j-core|2.14.1
	// true
}

func ExampleRiskScore() {
	r := findings.RiskScore(findings.RiskInput{
		CVSS:        findings.CVSS{V4Score: findings.Float(9.3)},
		KEV:         true,
		Criticality: 5,
		Exposure:    findings.InternetFacing,
	})
	fmt.Println(r.Score, r.Priority)
	for _, f := range r.Breakdown {
		fmt.Printf("%-11s %4.1f/%2.0f  %s\n", f.Name, f.Points, f.Max, f.Input)
	}
	// Output:
	// 97.2 P1
	// impact      37.2/40  CVSS v4 9.3
	// likelihood  30.0/30  in CISA KEV (known exploited)
	// criticality 15.0/15  product criticality 5 of 5
	// exposure    15.0/15  internet-facing
}

func ExampleSLAPolicy_Due() {
	firstSeen := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	kevDue := time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)
	p := findings.DefaultSLA()
	d, _ := p.Due(findings.High, firstSeen, nil)
	fmt.Println(d.Due.Format("2006-01-02"), d.Source)
	d, _ = p.Due(findings.High, firstSeen, &kevDue)
	fmt.Println(d.Due.Format("2006-01-02"), d.Source, d.State(firstSeen, time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)))
	// Output:
	// 2026-03-31 sla:high
	// 2026-03-15 kev overdue
}
