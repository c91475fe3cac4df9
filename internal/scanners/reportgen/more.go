package reportgen

import (
	"bufio"
	"fmt"
	"io"
)

// GitLabDependencyScanning writes a GitLab dependency scanning report
// (security report schema 15, as Gemnasium writes it: "vulnerabilities"
// first, "dependency_files" and "scan" after them) with n vulnerabilities
// over 1,000 packages of 10 lock files, each with a Gemnasium, CVE and CWE
// identifier and a link.
func GitLabDependencyScanning(w io.Writer, n int) error {
	return gitLabReport(w, "15.0.6", n, func(bw *bufio.Writer, i int) {
		p := i % 1000
		fmt.Fprintf(bw, `{"id":"%016x%016x","name":"Synthetic vulnerability %d in pkg%d","description":"pkg%d before 1.%d.0 is affected by synthetic issue %d.","severity":"%s","solution":"Upgrade to version 1.%d.0 or above.","location":{"file":"services/svc%d/package-lock.json","dependency":{"package":{"name":"pkg%d"},"version":"1.%d.%d","iid":%d,"direct":%t}},"identifiers":[{"type":"gemnasium","name":"Gemnasium-%08x","value":"%08x","url":"https://gitlab.example.com/gemnasium-db/npm/pkg%d/CVE-2024-%05d.yml"},{"type":"cve","name":"CVE-2024-%05d","value":"CVE-2024-%05d","url":"https://nvd.example.com/vuln/detail/CVE-2024-%05d"},{"type":"cwe","name":"CWE-%d","value":"%d"}],"links":[{"url":"https://example.com/advisories/%d"}]}`,
			uint64(i)*2654435761, uint64(i)*40503, i, p, p, 1+i%50, i, gitLabSeverities[i%5], 1+i%50, i%10, p, i%50, i%7, i, i%3 == 0,
			uint32(i), uint32(i), p, i%50000, i%50000, i%50000, i%50000, 20+i%80, 20+i%80, i)
	}, `"dependency_files":[],"remediations":[],"scan":{"analyzer":{"id":"gemnasium","name":"gemnasium","version":"5.6.0","vendor":{"name":"GitLab"}},"scanner":{"id":"gemnasium","name":"Gemnasium","version":"5.6.0","vendor":{"name":"GitLab"}},"type":"dependency_scanning","start_time":"2026-11-30T10:00:00","end_time":"2026-11-30T10:00:42","status":"success"}`)
}

// gitLabSeverities are the security report schema's severities.
var gitLabSeverities = []string{"Info", "Low", "Medium", "High", "Critical"}

// gitLabReport writes a GitLab security report of schema version with n
// vulnerabilities written by item, then the members in tail ("scan" and
// what comes before it), in the order GitLab's analyzers write them.
func gitLabReport(w io.Writer, version string, n int, item func(bw *bufio.Writer, i int), tail string) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	fmt.Fprintf(bw, `{"version":%q,"vulnerabilities":[`, version)
	commaList(bw, n, func(i int) { item(bw, i) })
	fmt.Fprint(bw, "],"+tail+"}\n")
	return bw.Flush()
}

// GitLabSAST writes a GitLab SAST report (security report schema 15, as
// GitLab's Semgrep-based analyzer writes it: "vulnerabilities" first,
// "scan" last) with n vulnerabilities over 50 rules, each with a Semgrep
// id, a CWE and an OWASP identifier, a file, lines and a tracking
// signature.
func GitLabSAST(w io.Writer, n int) error {
	return gitLabReport(w, "15.0.7", n, func(bw *bufio.Writer, i int) {
		r := i % 50
		line := 1 + i%997
		fmt.Fprintf(bw, `{"id":"%016x%016x","name":"Synthetic rule %d","description":"A synthetic rule used to measure parsing speed; it flags pattern %d.","severity":"%s","identifiers":[{"type":"semgrep_id","name":"rg.R%03d","value":"rg.R%03d","url":"https://semgrep.example.com/r/rg.R%03d"},{"type":"cwe","name":"CWE-%d","value":"%d","url":"https://cwe.example.com/data/definitions/%d.html"},{"type":"owasp","name":"A03:2021 - Injection","value":"A03:2021"}],"location":{"file":"src/pkg%d/file%d.py","start_line":%d,"end_line":%d},"tracking":{"type":"source","items":[{"file":"src/pkg%d/file%d.py","line_start":%d,"line_end":%d,"signatures":[{"algorithm":"scope_offset","value":"src/pkg%d/file%d.py|handler%d[0]:%d"}]}]}}`,
			uint64(i)*2654435761, uint64(i)*40503, r, r, gitLabSeverities[i%5], r, r, r, 20+r, 20+r, 20+r,
			i%100, i, line, line+2, i%100, i, line, line+2, i%100, i, i, i%13)
	}, `"dependency_files":[],"scan":{"analyzer":{"id":"semgrep","name":"Semgrep","vendor":{"name":"GitLab"},"version":"5.12.0"},"scanner":{"id":"semgrep","name":"Semgrep","vendor":{"name":"GitLab"},"version":"1.86.0"},"type":"sast","start_time":"2026-11-30T10:00:00","end_time":"2026-11-30T10:01:12","status":"success"}`)
}

// QualysWASSites is how many web applications a QualysWAS report spreads
// its QIDs over.
const QualysWASSites = 100

// QualysWAS writes a Qualys WAS XML scan report (WAS_SCAN_REPORT: RESULTS,
// then the GLOSSARY describing each QID) with n detections: QIDs 150000 to
// 150000+n/QualysWASSites-1, each on QualysWASSites sites, so every
// detection is its own finding (the parser groups a QID's detections on a
// site). Every tenth is information gathered with base64 data; the
// glossary comes after the results, as Qualys writes it.
func QualysWAS(w io.Writer, n int) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	fmt.Fprint(bw, "<?xml version='1.0' encoding='UTF-8'?>\n<WAS_SCAN_REPORT>\n<HEADER><NAME>Scan Report</NAME><GENERATION_DATETIME>01 Apr 2024 01:15PM GMT-0400</GENERATION_DATETIME></HEADER>\n<RESULTS>\n<VULNERABILITY_LIST>\n")
	qids := (n + QualysWASSites - 1) / QualysWASSites
	for i := 0; i < n; i++ {
		if i%10 == 9 {
			continue
		}
		q, s := i/QualysWASSites, i%QualysWASSites
		fmt.Fprintf(bw, "<VULNERABILITY><UNIQUE_ID>%08x-7bb0-11ea-ac65-5fc1d89b8cc7</UNIQUE_ID><ID>%d</ID><QID>%d</QID><URL>https://app%d.example.com/path%d/page?id=%d</URL><PARAM>id</PARAM><STATUS>NEW</STATUS><DETECTION_DATE>12 Mar 2024 04:42PM GMT-0400</DETECTION_DATE><PAYLOADS><PAYLOAD><NUM>1</NUM><PAYLOAD>&quot;'&gt;&lt;script&gt;alert(%d)&lt;/script&gt;</PAYLOAD><REQUEST><METHOD>GET</METHOD><URL>https://app%d.example.com/path%d/page?id=%d</URL></REQUEST><RESPONSE><CONTENTS base64=\"true\">PHNjcmlwdD4=</CONTENTS></RESPONSE></PAYLOAD></PAYLOADS><IGNORED>false</IGNORED></VULNERABILITY>\n",
			uint32(i), 100000000+i, 150000+q, s, i%37, i, i, s, i%37, i)
	}
	fmt.Fprint(bw, "</VULNERABILITY_LIST>\n<INFORMATION_GATHERED_LIST>\n")
	for i := 9; i < n; i += 10 {
		q, s := i/QualysWASSites, i%QualysWASSites
		fmt.Fprintf(bw, "<INFORMATION_GATHERED><UNIQUE_ID>%08x-7bb0-11ea-9509-c75c9c776794</UNIQUE_ID><QID>%d</QID><URL>https://app%d.example.com/</URL><DATA base64=\"true\">WC1Yc3MtUHJvdGVjdGlvbjogSGVhZGVyIG1pc3Npbmc=</DATA></INFORMATION_GATHERED>\n",
			uint32(i), 150000+q, s)
	}
	fmt.Fprint(bw, "</INFORMATION_GATHERED_LIST>\n</RESULTS>\n<GLOSSARY>\n<QID_LIST>\n")
	for q := 0; q < qids; q++ {
		fmt.Fprintf(bw, "<QID><QID>%d</QID><CATEGORY>Confirmed Vulnerability</CATEGORY><SEVERITY>%d</SEVERITY><TITLE>Synthetic QID %d</TITLE><GROUP>XSS</GROUP><OWASP>A7</OWASP><WASC>WASC-8</WASC><CWE>CWE-%d</CWE><CVSS_BASE>4.3</CVSS_BASE><CVSS_V3><BASE>6.1</BASE><TEMPORAL>5.8</TEMPORAL></CVSS_V3><DESCRIPTION>A synthetic QID used to measure parsing speed.</DESCRIPTION><IMPACT>None; it is synthetic.</IMPACT><SOLUTION>Encode the output.</SOLUTION></QID>\n",
			150000+q, 1+q%5, q, 20+q%80)
	}
	fmt.Fprint(bw, "</QID_LIST>\n</GLOSSARY>\n</WAS_SCAN_REPORT>\n")
	return bw.Flush()
}

// ZAPBefore27AlertsPerFinding is how many alertitems (URLs) of one alert
// a ZAPBefore27 report lists on a site.
const ZAPBefore27AlertsPerFinding = 20

// ZAPBefore27 writes a ZAP XML report as ZAP before 2.7 wrote it (no
// <instances>: one <alertitem> per URL with <uri> and <param> in it) with
// n alertitems on sites of 1,000 each: 50 plugins a site, each on
// ZAPBefore27AlertsPerFinding URLs, so the parser merges them into
// n/ZAPBefore27AlertsPerFinding findings.
func ZAPBefore27(w io.Writer, n int) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	fmt.Fprint(bw, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<OWASPZAPReport version=\"2.6.0\" generated=\"Tue, 5 Jun 2018 10:00:00\">\n")
	const perSite = 50 * ZAPBefore27AlertsPerFinding
	for i := 0; i < n; i++ {
		if i%perSite == 0 {
			if i > 0 {
				fmt.Fprint(bw, "</alerts></site>\n")
			}
			s := i / perSite
			fmt.Fprintf(bw, "<site name=\"http://app%d.example.com\" host=\"app%d.example.com\" port=\"80\" ssl=\"false\"><alerts>\n", s, s)
		}
		p, u := i%50, i%perSite/50
		fmt.Fprintf(bw, `<alertitem><pluginid>%d</pluginid><alert>Synthetic alert %d</alert><name>Synthetic alert %d</name><riskcode>%d</riskcode><confidence>2</confidence><riskdesc>Low (Medium)</riskdesc><desc>&lt;p&gt;A synthetic alert used to measure parsing speed.&lt;/p&gt;</desc><uri>http://app%d.example.com/path%d</uri><param>X-Header-%d</param><attack></attack><evidence>evidence %d</evidence><otherinfo></otherinfo><solution>&lt;p&gt;Set the header.&lt;/p&gt;</solution><reference>&lt;p&gt;https://example.com/alerts/%d&lt;/p&gt;</reference><cweid>%d</cweid><wascid>14</wascid><sourceid>3</sourceid></alertitem>
`, 10000+p, p, p, p%4, i/perSite, u, p, i, p, 20+p)
	}
	if n > 0 {
		fmt.Fprint(bw, "</alerts></site>\n")
	}
	fmt.Fprint(bw, "</OWASPZAPReport>\n")
	return bw.Flush()
}
