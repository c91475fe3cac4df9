// Package reportgen writes large synthetic scanner reports (SARIF 2.1.0,
// .nessus XML, GitLab dependency scanning and SAST JSON, Qualys WAS XML,
// ZAP XML before 2.7) for benchmarks and memory measurements. The output is
// deterministic for a given count.
package reportgen

import (
	"bufio"
	"fmt"
	"io"
)

// SARIF writes a SARIF 2.1.0 log with n results over 50 rules, each
// result with a location, a fingerprint and a CWE-tagged rule.
func SARIF(w io.Writer, n int) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	fmt.Fprint(bw, `{"$schema":"https://json.schemastore.org/sarif-2.1.0.json","version":"2.1.0","runs":[{"tool":{"driver":{"name":"reportgen","version":"1.0","rules":[`)
	const rules = 50
	commaList(bw, rules, func(i int) {
		fmt.Fprintf(bw, `{"id":"RG%03d","name":"Rule%d","shortDescription":{"text":"Synthetic rule %d"},"fullDescription":{"text":"A synthetic rule used to measure parsing speed; it flags pattern %d."},"help":{"text":"Fix pattern %d."},"helpUri":"https://example.com/rules/RG%03d","defaultConfiguration":{"level":"warning"},"properties":{"tags":["security","external/cwe/cwe-%d"],"security-severity":"%d.%d"}}`,
			i, i, i, i, i, i, 20+i, 1+i%9, i%10)
	})
	fmt.Fprint(bw, `]}},"results":[`)
	commaList(bw, n, func(i int) {
		r := i % rules
		fmt.Fprintf(bw, `{"ruleId":"RG%03d","ruleIndex":%d,"level":"warning","message":{"text":"Pattern %d found in handler %d"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"src/pkg%d/file%d.go","uriBaseId":"%%SRCROOT%%"},"region":{"startLine":%d,"startColumn":5}}}],"partialFingerprints":{"primaryLocationLineHash":"%016x:1"}}`,
			r, r, r, i, i%100, i, 1+i%997, uint64(i)*2654435761)
	})
	fmt.Fprint(bw, "]}]}\n")
	return bw.Flush()
}

// commaList writes the n elements of a JSON array, item(0) to item(n-1),
// with a comma between them.
func commaList(bw *bufio.Writer, n int, item func(i int)) {
	for i := 0; i < n; i++ {
		if i > 0 {
			bw.WriteByte(',')
		}
		item(i)
	}
}

// Nessus writes a .nessus (NessusClientData_v2) report with n ReportItems
// spread over hosts of 100 items each, with CVEs, CVSS v3 and see-also.
func Nessus(w io.Writer, n int) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	fmt.Fprint(bw, "<?xml version=\"1.0\" ?>\n<NessusClientData_v2>\n<Policy><policyName>reportgen</policyName></Policy>\n<Report name=\"reportgen\">\n")
	const perHost = 100
	sev := []string{"None", "Low", "Medium", "High", "Critical"}
	for i := 0; i < n; i++ {
		if i%perHost == 0 {
			if i > 0 {
				fmt.Fprint(bw, "</ReportHost>\n")
			}
			h := i / perHost
			fmt.Fprintf(bw, "<ReportHost name=\"10.%d.%d.%d\"><HostProperties><tag name=\"host-ip\">10.%d.%d.%d</tag><tag name=\"host-fqdn\">dev%d.lab</tag></HostProperties>\n",
				h>>16&255, h>>8&255, h&255, h>>16&255, h>>8&255, h&255, h)
		}
		s := i % 5
		fmt.Fprintf(bw, `<ReportItem port="%d" svc_name="www" protocol="tcp" severity="%d" pluginID="%d" pluginName="Synthetic plugin %d" pluginFamily="General">
<synopsis>Synthetic finding %d.</synopsis>
<description>A synthetic plugin used to measure parsing speed.</description>
<solution>Upgrade the component.</solution>
<risk_factor>%s</risk_factor>
<cve>CVE-2024-%05d</cve>
<cvss3_base_score>%d.%d</cvss3_base_score>
<cvss3_vector>CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H</cvss3_vector>
<see_also>https://example.com/advisories/%d</see_also>
<plugin_output>Version found: 1.%d</plugin_output>
</ReportItem>
`, 1+i%1024, s, 100000+i%5000, i%5000, i, sev[s], i%50000, 2*s, i%10, i, i%100)
	}
	if n > 0 {
		fmt.Fprint(bw, "</ReportHost>\n")
	}
	fmt.Fprint(bw, "</Report>\n</NessusClientData_v2>\n")
	return bw.Flush()
}
