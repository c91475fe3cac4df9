package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/sbom"
)

// TestGatePrintsAllViolations: `rampart gate` lists every violation, also
// more than the platform keeps in a stored result, and its JSON keeps the
// three fields of its contract (no counts, never truncated).
func TestGatePrintsAllViolations(t *testing.T) {
	n := portfolio.MaxGateViolations + 300
	comps := make([]inventory.Component, 0, n)
	for i := range n {
		comps = append(comps, inventory.Component{Ref: fmt.Sprintf("c%d", i), Type: inventory.TypeLibrary, Name: fmt.Sprintf("gpl%04d", i), Version: "1.0",
			PURL: fmt.Sprintf("pkg:generic/gpl%04d@1.0", i), Licenses: []string{"GPL-2.0-only"}})
	}
	var buf bytes.Buffer
	if err := sbom.EncodeCycloneDX(&buf, sbom.Export{Name: "box", Version: "9.0", Components: comps, Created: time.Unix(0, 0)}); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "bom.cdx.json")
	if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := run(t, "", "gate", "--sbom", file, "--format", "json")
	if code != ExitFailure {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &keys); err != nil {
		t.Fatal(err)
	}
	var vs []struct{ Rule, Subject string }
	if err := json.Unmarshal(keys["violations"], &vs); err != nil {
		t.Fatal(err)
	}
	if len(keys) != 3 || len(vs) != n {
		t.Fatalf("JSON has %d keys and %d violations, want 3 and %d", len(keys), len(vs), n)
	}
	for i, v := range vs {
		if want := fmt.Sprintf("pkg:generic/gpl%04d@1.0", i); v.Subject != want {
			t.Fatalf("violation %d = %s, want %s", i, v.Subject, want)
		}
	}
	code, out, _ = run(t, "", "gate", "--sbom", file)
	if code != ExitFailure || strings.Count(out, "\nFAIL no-copyleft-in-firmware ")+1 != n || strings.Contains(out, "TRUNCATED") ||
		!strings.Contains(out, fmt.Sprintf("gate FAILED: 8 rules, %d violations (0 excepted)", n)) {
		t.Errorf("text: exit %d, %d FAIL lines, summary %q", code, strings.Count(out, "FAIL no-copyleft"), out[strings.LastIndex(out, "gate "):])
	}
}
