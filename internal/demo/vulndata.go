package demo

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/vuln"
)

// snapshot holds real, published vulnerability records for the demo's
// components only (CVE 5 with CISA's ADP container, NVD 2.0, OSV, one
// CISA KEV entry and FIRST EPSS scores); snapshot/NOTICE.md names each
// source and its licence. It lets an offline `serve --demo` show real
// matches; the normal feed sync adds to and replaces these records.
//
//go:embed snapshot
var snapshot embed.FS

// seedVulnData imports the snapshot through the normal, validating feed
// import (one transaction) when the database holds no advisories yet,
// then re-matches the portfolio. It returns the number of matches.
func seedVulnData(ctx context.Context, st *store.Store) (int, error) {
	status, err := st.VulnDBStatus(ctx)
	if err != nil {
		return 0, err
	}
	if status.Advisories > 0 {
		return 0, nil // real feed data is there: the snapshot would only be older
	}
	dir, err := os.MkdirTemp("", "rampart-demo-vulndb-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	sub, err := fs.Sub(snapshot, "snapshot")
	if err != nil {
		return 0, err
	}
	if err := os.CopyFS(dir, sub); err != nil {
		return 0, fmt.Errorf("unpack the demo vulnerability snapshot: %w", err)
	}
	// The notice is documentation, not feed data.
	if err := os.Remove(filepath.Join(dir, "NOTICE.md")); err != nil {
		return 0, err
	}
	if _, err := portfolio.ImportFeeds(ctx, st, User, dir); err != nil {
		return 0, fmt.Errorf("import the demo vulnerability snapshot: %w", err)
	}
	return portfolio.NewVulns(st, nil).RematchAll(ctx)
}

// vexDecision is one demo VEX analysis: the gateway's kernel is built
// without the driver a CVE is in.
type vexDecision struct {
	product, release, component, vuln string
	analysis                          vuln.Analysis
}

func vexDecisions() []vexDecision {
	return []vexDecision{
		{"Industrial Gateway IG-400", "3.2.0", "linux", "CVE-2023-1989", vuln.Analysis{Status: vuln.VEXNotAffected,
			Justification: "vulnerable_code_not_present", Detail: "The IG-400 kernel is built without Bluetooth (CONFIG_BT is not set), so the btsdio driver is not in the image."}},
		{"Industrial Gateway IG-400", "3.2.0", "openssl", "CVE-2024-4603", vuln.Analysis{Status: vuln.VEXNotAffected,
			Justification: "vulnerable_code_not_in_execute_path", Detail: "The gateway never checks DSA keys or parameters from untrusted sources; only its own ECDSA keys are loaded."}},
		{"Industrial Gateway IG-400", "3.2.0", "openssl", "CVE-2024-5535", vuln.Analysis{Status: vuln.VEXUnderInvestigation,
			Detail: "Checking whether lighttpd or the gateway agent call SSL_select_next_proto with an empty client list."}},
	}
}

// seedVEX records the demo's VEX decisions through the same use case as
// the UI and API (validated, audited, re-matched).
func seedVEX(ctx context.Context, st *store.Store) error {
	v := portfolio.NewVulns(st, nil)
	for _, d := range vexDecisions() {
		rel, err := releaseOf(ctx, st, d.product, d.release)
		if err != nil {
			return err
		}
		a := d.analysis
		a.UpdatedBy = User
		if err := v.SetAnalysis(ctx, rel.ID, d.component, d.vuln, a); err != nil {
			return fmt.Errorf("demo VEX %s in %s %s: %w", d.vuln, d.product, d.release, err)
		}
	}
	return nil
}
