package nexpose

import (
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/scanners/reportio"
	"github.com/rampart-security/rampart/internal/scanners/scannertest"
)

func TestParse(t *testing.T) {
	got := scannertest.ParseFile(t, Parse, "testdata/report.xml")
	var lines []string
	for _, f := range got {
		var at []string
		for _, l := range f.Locations {
			at = append(at, l.Host+":"+strconv.Itoa(l.Port)+"/"+l.Protocol)
		}
		lines = append(lines, f.RuleID+"@"+strings.Join(at, ",")+"="+string(f.Severity))
	}
	// Definitions are read after the nodes: findings come in definition
	// order, one per check with every host, port and protocol; the
	// undefined check last.
	want := "ssh-cve-2023-48795@10.0.0.7:22/tcp,10.0.0.7:2222/tcp=medium generic-icmp-timestamp@10.0.0.7:0/=info undefined-check@10.0.0.7:2222/tcp=info"
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
	// The fingerprint is the check's: a re-scan that finds it on another
	// host is the same finding.
	rescan := scannertest.ParseEdited(t, Parse, "testdata/report.xml", "10.0.0.7", "10.0.0.9")
	if len(rescan) != len(got) || rescan[0].Locations[0].Host != "10.0.0.9" || rescan[0].Fingerprint != got[0].Fingerprint || got[0].Fingerprint == got[1].Fingerprint {
		t.Errorf("re-scan on another host: fingerprints %s / %s", rescan[0].Fingerprint, got[0].Fingerprint)
	}
	scannertest.Rejects(t, Parse, []scannertest.Reject{{File: "truncated.xml", Prefix: "truncated.xml:"},
		{File: "stopped.xml", Is: reportio.ErrIncompleteScan, Prefix: "stopped.xml:7:",
			Contains: `scans/scan/@status: the scan did not complete: scan 7 ("lab") has status "stopped", not finished`}})
	for _, st := range []string{"aborted", "error", "paused", "running"} {
		if _, err := scannertest.ParseStringErr(Parse, "r.xml", strings.Replace(scannertest.ReadString(t, "testdata/report.xml"), `status="finished"`, `status="`+st+`"`, 1)); !errors.Is(err, reportio.ErrIncompleteScan) {
			t.Errorf("scan status %s: error %v, want a refusal", st, err)
		}
	}
}

// TestCorpus: dns.xml has 3 checks, on tcp/53 and udp/53; many_vulns.xml
// 162 vulnerable tests of 17 checks on 28 distinct host/port combinations;
// no_vuln.xml one vulnerable test whose definition the report lacks.
// many_vulns.xml and no_vuln.xml are of a scan a user stopped
// (<scan status="stopped">) and are refused; the checks of grouping below
// read many_vulns.xml as the finished scan it would otherwise be.
func TestCorpus(t *testing.T) {
	dir := scannertest.CorpusGolden(t, "nexpose", Parse)
	many := scannertest.ParseEdited(t, Parse, filepath.Join(dir, "many_vulns.xml"), `status="stopped"`, `status="finished"`)
	if len(many) == 0 {
		t.Fatal("many_vulns.xml: no findings")
	}
	icmp := many[1]
	if icmp.Title != "ICMP timestamp response" || icmp.VulnerabilityIDs[0] != "CVE-1999-0524" || icmp.Locations[0].Host != "192.168.1.1" {
		t.Errorf("second finding: %+v", icmp)
	}
	var hosts []string
	for _, l := range icmp.Locations {
		hosts = append(hosts, l.Host)
	}
	if strings.Join(hosts, " ") != "192.168.1.1 192.168.1.18 192.168.1.33 192.168.1.38" {
		t.Errorf("ICMP timestamp hosts: %v", hosts)
	}
	basic := many[3]
	if basic.RuleID != "http-basic-auth-cleartext" || len(basic.Locations) != 2 || basic.Locations[1] != (findings.Location{Host: "192.168.1.33", Port: 80, Protocol: "tcp", Service: "http"}) {
		t.Errorf("basic auth endpoints: %+v", basic.Locations)
	}
	for _, f := range many {
		for _, l := range f.Locations {
			if l.Service == "<unknown>" {
				t.Errorf("%s: Nexpose's <unknown> service kept", f.RuleID)
			}
		}
	}

}

func FuzzParse(f *testing.F) {
	scannertest.FuzzDir(f, "testdata", Parse)
}
