package portfolio_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/scanners/reportio"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
)

// nessusCSV is a Nessus CSV export with three findings.
const nessusCSV = `Plugin ID,CVE,CVSS,Risk,Host,Protocol,Port,Name,Synopsis,Description,Solution,See Also,Plugin Output
10863,,,None,10.0.0.1,tcp,443,SSL Certificate Information,Cert info,This plugin displays the certificate.,n/a,,Subject: CN=gw
57582,,6.4,Medium,10.0.0.1,tcp,443,SSL Self-Signed Certificate,Self-signed,The certificate is self-signed.,Buy a certificate.,,CN=gw
97861,CVE-2017-0144,9.3,Critical,10.0.0.2,tcp,445,MS17-010,SMB RCE,Remote code execution in SMBv1.,Apply MS17-010.,https://example.test/ms17-010,"SMBv1 enabled"
`

const vdr = `{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"type":"library","name":"openssl","version":"3.0.1","bom-ref":"ssl"}],
"vulnerabilities":[{"id":"CVE-2022-3602","ratings":[{"severity":"high"}],"affects":[{"ref":"ssl"}]}]}`

const plainSBOM = `{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"type":"library","name":"openssl","version":"3.0.1","bom-ref":"ssl"}]}`

// TestRejectedReportClosesNothing (issue 12 items 4 and 6): a truncated
// re-import and a plain SBOM posted as a scan report are refused, and
// every finding of the scope stays open.
func TestRejectedReportClosesNothing(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		rel := ensureRelease(t, st, "Gateway", "2.4.1")
		imp := func(name, scope, tool, body string) (findings.ScanResult, error) {
			return portfolio.ImportScan(ctx, st, portfolio.ScanRequest{ReleaseID: rel.ID, FileName: name, Tool: tool, Scope: scope, Actor: "ci", Report: strings.NewReader(body)})
		}
		open := func() int {
			all, _, err := st.Findings(ctx, findings.Query{ReleaseID: rel.ID, Status: "active", Limit: 500})
			if err != nil {
				t.Fatal(err)
			}
			return len(all)
		}
		if res, err := imp("scan.csv", "nessus", "", nessusCSV); err != nil || res.New != 3 {
			t.Fatalf("first import: %+v %v", res, err)
		}
		if res, err := imp("vdr.json", "deps", "", vdr); err != nil || res.New != 1 {
			t.Fatalf("VDR import: %+v %v", res, err)
		}
		// Cut inside the third record, inside its quoted field, inside the
		// header; with and without the tool named.
		for _, cut := range []int{len(nessusCSV) - 10, len(nessusCSV) - 3, strings.Index(nessusCSV, "97861") + 20, 40} {
			for _, tool := range []string{"", "nessus-csv"} {
				res, err := imp("scan.csv", "nessus", tool, nessusCSV[:cut])
				if err == nil {
					t.Fatalf("cut at %d (tool %q) accepted: %+v", cut, tool, res)
				}
				if !strings.Contains(err.Error(), "scan.csv") {
					t.Errorf("cut at %d: error does not name the file: %v", cut, err)
				}
			}
		}
		_, err := imp("bom.json", "deps", "", plainSBOM)
		if !errors.Is(err, reportio.ErrSBOM) || !strings.Contains(err.Error(), "this is an SBOM: upload it to the release's SBOM") {
			t.Fatalf("plain SBOM as a report: %v", err)
		}
		if n := open(); n != 4 {
			t.Fatalf("%d findings open after rejected imports, want 4 (nothing closed)", n)
		}
		// A cut exactly at a record boundary cannot be told from a shorter
		// report: it is accepted and its result says what it closed.
		boundary := nessusCSV[:strings.Index(nessusCSV, "97861")]
		res, err := imp("scan.csv", "nessus", "", boundary)
		if err != nil || res.Closed != 1 {
			t.Fatalf("record-boundary cut: %+v %v, want 1 closed", res, err)
		}
	})
}
