package portfolio_test

import (
	"context"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
)

// TestImportAndAuditCommitTogether: when the audit record of an import
// cannot be written, the import is not committed either (before, the
// findings and SBOM components stayed while the audit log lost the event,
// and `audit verify` still said intact).
func TestImportAndAuditCommitTogether(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		rel := ensureRelease(t, st, "Router", "1")
		// The audit log cannot be appended to.
		if _, err := st.DB().ExecContext(ctx, `ALTER TABLE audit_log RENAME TO audit_log_away`); err != nil {
			t.Fatal(err)
		}
		_, err := portfolio.ImportScan(ctx, st, portfolio.ScanRequest{ReleaseID: rel.ID, FileName: "a.sarif", Actor: "ci",
			Report: strings.NewReader(sarif("semgrep", [3]any{"sqli", "db.go", 10}))})
		if err == nil {
			t.Fatal("import succeeded without its audit record")
		}
		bom := `{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,"components":[{"type":"library","name":"openssl","version":"3.0.7","bom-ref":"openssl"}]}`
		if _, err := portfolio.ImportSBOM(ctx, st, rel.ID, "bom.json", []byte(bom)); err == nil {
			t.Fatal("SBOM import succeeded without its audit record")
		}
		if _, err := st.DB().ExecContext(ctx, `ALTER TABLE audit_log_away RENAME TO audit_log`); err != nil {
			t.Fatal(err)
		}
		fs, _, err := st.Findings(ctx, findings.Query{ReleaseID: rel.ID})
		if err != nil || len(fs) != 0 {
			t.Errorf("findings after the failed import: %d (%v), want 0", len(fs), err)
		}
		scans, _ := st.Scans(ctx, rel.ID)
		if len(scans) != 0 {
			t.Errorf("scans recorded: %d", len(scans))
		}
		comps, _, err := st.Components(ctx, inventory.ComponentQuery{ReleaseID: rel.ID})
		if err != nil || len(comps) != 0 {
			t.Errorf("components after the failed SBOM import: %d (%v)", len(comps), err)
		}
		// With the log back, the import and its record land together.
		if _, err := portfolio.ImportScan(ctx, st, portfolio.ScanRequest{ReleaseID: rel.ID, FileName: "a.sarif", Actor: "ci",
			Report: strings.NewReader(sarif("semgrep", [3]any{"sqli", "db.go", 10}))}); err != nil {
			t.Fatal(err)
		}
		evs, err := st.AuditEvents(ctx, audit.Query{Action: "scan.import"})
		if err != nil || len(evs) != 1 {
			t.Errorf("audit events: %d (%v)", len(evs), err)
		}
		if n, _, err := st.VerifyAudit(ctx); err != nil || n != 1 {
			t.Errorf("verify: %d %v", n, err)
		}
	})
}
