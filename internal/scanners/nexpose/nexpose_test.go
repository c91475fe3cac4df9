package nexpose

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/corpustest"
	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/scanners/scannertest"
)

func TestParse(t *testing.T) {
	got := scannertest.ParseFile(t, Parse, "testdata/report.xml")
	var lines []string
	for _, f := range got {
		l := f.Locations[0]
		lines = append(lines, f.RuleID+"@"+l.Host+":"+strconv.Itoa(l.Port)+"/"+l.Protocol+"="+string(f.Severity))
	}
	// Definitions are read after the nodes: findings come in definition
	// order, one per host, port and protocol; the undefined check last.
	want := "ssh-cve-2023-48795@10.0.0.7:22/tcp=medium ssh-cve-2023-48795@10.0.0.7:2222/tcp=medium generic-icmp-timestamp@10.0.0.7:0/=info undefined-check@10.0.0.7:2222/tcp=info"
	if strings.Join(lines, " ") != want {
		t.Errorf("got  %s\nwant %s", strings.Join(lines, " "), want)
	}
	f := got[0]
	if f.Title != "SSH Terrapin prefix truncation" || f.VulnerabilityIDs[0] != "CVE-2023-48795" || *f.CVSS.V3Score != 5.9 || f.References[0] != "https://terrapin-attack.com/" {
		t.Errorf("terrapin: %+v", f)
	}
	if f.Description != "The SSH transport protocol allows a prefix truncation attack." || f.Mitigation != "Upgrade OpenSSH to 9.6." {
		t.Errorf("text: %q / %q", f.Description, f.Mitigation)
	}
	_, err := scannertest.ParseFileErr(Parse, "testdata/truncated.xml")
	if err == nil || !strings.HasPrefix(err.Error(), "truncated.xml:") {
		t.Errorf("truncated: %v", err)
	}
}

func TestCorpus(t *testing.T) {
	dir := corpustest.Dir(t, "scans", "nexpose")
	cases := map[string]struct {
		count                             int
		critical, high, medium, low, info int
		title, rule, host                 string
		port                              int
		cves                              string
	}{
		// 2 checks on tcp/53 and 3 on udp/53.
		"dns.xml": {5, 0, 0, 4, 1, 0, "DNS server allows cache snooping", "dns-allows-cache-snooping", "192.168.1.1", 53, ""},
		// 162 vulnerable tests, 28 distinct check/host/port combinations.
		"many_vulns.xml": {28, 1, 5, 8, 14, 0, "X.509 Certificate Subject CN Does Not Match the Entity Name", "certificate-common-name-mismatch", "192.168.1.33", 443, ""},
		// One vulnerable test whose definition the report lacks.
		"no_vuln.xml":     {1, 0, 0, 0, 0, 1, "tcp-seq-num-approximation", "tcp-seq-num-approximation", "192.168.1.1", 0, ""},
		"report_auth.xml": {14, 0, 4, 4, 6, 0, "TCP timestamp response", "generic-tcp-timestamp", "192.168.0.11", 0, ""},
	}
	for _, name := range scannertest.Files(t, dir) {
		t.Run(name, func(t *testing.T) {
			w, ok := cases[name]
			if !ok {
				t.Fatalf("corpus file %s has no expectations", name)
			}
			got := scannertest.ParseFile(t, Parse, filepath.Join(dir, name))
			scannertest.CheckInvariants(t, got)
			counts := map[findings.Severity]int{}
			for _, f := range got {
				counts[f.Severity]++
			}
			if len(got) != w.count || counts[findings.Critical] != w.critical || counts[findings.High] != w.high || counts[findings.Medium] != w.medium || counts[findings.Low] != w.low || counts[findings.Info] != w.info {
				t.Fatalf("got %d %v, want %+v", len(got), counts, w)
			}
			f := got[0]
			if f.Title != w.title || f.RuleID != w.rule || f.Locations[0].Host != w.host || f.Locations[0].Port != w.port || strings.Join(f.VulnerabilityIDs, ",") != w.cves {
				t.Errorf("first: %q %q %+v %v", f.Title, f.RuleID, f.Locations[0], f.VulnerabilityIDs)
			}
		})
	}
	many := scannertest.ParseFile(t, Parse, filepath.Join(dir, "many_vulns.xml"))
	icmp := many[1]
	if icmp.Title != "ICMP timestamp response" || icmp.VulnerabilityIDs[0] != "CVE-1999-0524" || icmp.Locations[0].Host != "192.168.1.1" {
		t.Errorf("second finding: %+v", icmp)
	}
}

func FuzzParse(f *testing.F) {
	scannertest.Seed(f, "testdata")
	scannertest.Fuzz(f, Parse)
}
