package api

import (
	"bytes"
	"encoding/csv"
	"testing"

	"github.com/rampart-security/rampart/internal/findings"
)

// Defect 8: scope, vulnerability_ids, component_version, assignee, product
// and release were written to the findings export as they came.
func TestFindingsCSVDefusesEveryCell(t *testing.T) {
	evil := "=HYPERLINK(\"https://evil.example\",\"x\")"
	f := findings.Stored{ID: 1, ProductName: evil, Release: "+" + evil, Scope: "-" + evil, Assignee: "@" + evil,
		Status: findings.Status(evil), Finding: findings.Finding{Title: evil, RuleID: evil, VulnerabilityIDs: []string{evil},
			Severity: findings.Severity(evil), Fingerprint: evil}}
	f.Finding.Component.Name, f.Finding.Component.Version = evil, evil
	f.Risk.Priority = evil
	var buf bytes.Buffer
	writeFindingsCSV(&buf, []findings.Stored{f})
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("export: %d rows, %v", len(rows), err)
	}
	for i, cell := range rows[1] {
		if cell != "" && (cell[0] == '=' || cell[0] == '+' || cell[0] == '-' || cell[0] == '@') {
			t.Errorf("column %s = %q: a spreadsheet would run it", rows[0][i], cell)
		}
	}
}
