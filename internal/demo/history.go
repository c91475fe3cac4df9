package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/store"
)

// imageVuln is one vulnerability a container/rootfs scanner (Trivy)
// reports in the gateway firmware's root file system: real CVEs of the
// real component versions the demo SBOM lists, with their NVD severity.
type imageVuln struct {
	CVE, Pkg, Version, Severity, Title string
}

var gatewayImage = []imageVuln{
	{"CVE-2022-48174", "busybox", "1.36.0", "CRITICAL", "busybox: stack overflow in the ash shell's math arithmetic"},
	{"CVE-2023-28450", "dnsmasq", "2.89", "HIGH", "dnsmasq: default EDNS.0 UDP packet size allows DNS amplification"},
	{"CVE-2022-2586", "linux", "5.15.120", "HIGH", "kernel: nf_tables cross-table reference use-after-free"},
	{"CVE-2024-6119", "openssl", "3.0.11", "HIGH", "openssl: denial of service in X.509 name checks"},
	{"CVE-2023-45853", "zlib", "1.3", "CRITICAL", "zlib: integer overflow in minizip zipOpenNewFileInZip4_64"},
}

// trivyReport writes a Trivy JSON report (schema 2) of the gateway image
// holding the given vulnerabilities.
func trivyReport(vs []imageVuln) []byte {
	type tv struct {
		VulnerabilityID  string `json:"VulnerabilityID"`
		PkgName          string `json:"PkgName"`
		InstalledVersion string `json:"InstalledVersion"`
		Severity         string `json:"Severity"`
		Title            string `json:"Title"`
	}
	var list []tv
	for _, v := range vs {
		list = append(list, tv{v.CVE, v.Pkg, v.Version, v.Severity, v.Title})
	}
	doc := map[string]any{"SchemaVersion": 2, "ArtifactName": "ig400-rootfs-3.2.0.squashfs", "ArtifactType": "filesystem",
		"Results": []any{map[string]any{"Target": "ig400-rootfs-3.2.0", "Class": "os-pkgs", "Type": "buildroot", "Vulnerabilities": list}}}
	b, _ := json.Marshal(doc)
	return b
}

// scanStep is one scan of the demo history: days before the seed, which
// report and which of its findings it holds.
type scanStep struct {
	daysAgo int
	product string
	version string
	scope   string
	file    string
	report  func() ([]byte, error)
}

// history is the demo's scan history: the gateway's firmware image scanned
// three times (new CVEs appear as the feeds learn of them) and the cloud
// backend's static analysis three times (a finding is fixed between runs),
// so the dashboard trend has weeks of history and the oldest findings are
// past their SLA.
func history() []scanStep {
	sast := func(idx ...int) func() ([]byte, error) {
		return func() ([]byte, error) {
			all := append(backendFindings(), extraBackendFinding())
			var fs []findings.Finding
			for _, i := range idx {
				fs = append(fs, all[i])
			}
			var buf bytes.Buffer
			err := findings.WriteSARIF(&buf, fs)
			return buf.Bytes(), err
		}
	}
	image := func(n int) func() ([]byte, error) {
		return func() ([]byte, error) { return trivyReport(gatewayImage[:n]), nil }
	}
	const gw, backend = "Industrial Gateway IG-400", "Fleet Cloud Backend"
	return []scanStep{
		{80, backend, "2026.05.0", "demo:sast", "gosec-1.sarif", sast(0, 1, 2)},
		{70, gw, "3.2.0", "demo:firmware-image", "trivy-rootfs-1.json", image(3)},
		{45, backend, "2026.05.0", "demo:sast", "gosec-2.sarif", sast(0, 1, 2, 3, 4, 5)},
		{35, gw, "3.2.0", "demo:firmware-image", "trivy-rootfs-2.json", image(5)},
		{20, backend, "2026.05.0", "demo:sast", "gosec-3.sarif", sast(0, 1, 2, 3, 4)},
		{3, gw, "3.2.0", "demo:firmware-image", "trivy-rootfs-3.json", image(5)},
	}
}

// extraBackendFinding is fixed between the second and third analysis.
func extraBackendFinding() findings.Finding {
	x := findings.Finding{Title: "Potential file inclusion via variable", Severity: findings.Medium, RuleID: "G304", CWEs: []int{22}, Tool: "gosec",
		Mitigation: "Clean the path and keep it under the export directory.", Locations: []findings.Location{{File: "internal/export/csv.go", Line: 64}}}
	x.Normalize()
	return x
}

// seedHistory imports the scan history at its past dates (the import's
// clock is set to each date) and records the active findings of every
// product for each day since the first scan, so the trend is drawn from
// the first scan to now.
func seedHistory(ctx context.Context, st *store.Store, now time.Time) error {
	steps := history()
	slices.SortFunc(steps, func(a, b scanStep) int { return b.daysAgo - a.daysAgo })
	today := now.UTC().Truncate(24 * time.Hour)
	for i, s := range steps {
		rel, err := releaseOf(ctx, st, s.product, s.version)
		if err != nil {
			return err
		}
		report, err := s.report()
		if err != nil {
			return err
		}
		at := today.AddDate(0, 0, -s.daysAgo).Add(9 * time.Hour)
		if _, err := portfolio.ImportScan(ctx, st, portfolio.ScanRequest{ReleaseID: rel.ID, FileName: s.file, Scope: s.scope, Actor: User,
			Report: bytes.NewReader(report), Now: func() time.Time { return at }}); err != nil {
			return fmt.Errorf("demo scan %s: %w", s.file, err)
		}
		until := 0 // days ago the state after this scan lasts to
		if i+1 < len(steps) {
			until = steps[i+1].daysAgo + 1
		}
		for d := s.daysAgo; d >= until; d-- {
			if err := st.SnapshotFindings(ctx, today.AddDate(0, 0, -d), 0); err != nil {
				return err
			}
		}
	}
	return nil
}
