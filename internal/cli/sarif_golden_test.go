package cli

import (
	"testing"

	"github.com/rampart-security/rampart/internal/goldentest"
	"github.com/rampart-security/rampart/internal/sarif"
)

// TestSARIFGolden runs every command that writes SARIF on the fixtures in
// testdata/ and compares its output with testdata/golden/<name>.sarif:
// vulnerability matches (rules sorted by advisory, KEV and EPSS in the
// properties), a gate with an excepted violation and an expired exception,
// firmware issues (findings) and a threat-model check. Regenerate with
// -update.
func TestSARIFGolden(t *testing.T) {
	for _, tt := range []struct {
		name string
		code int
		args []string
	}{
		{"match", ExitOK, []string{"match", bom, "--vulndb", vulndb, "--vulndb", kevDB, "--format", "sarif"}},
		{"match-vex", ExitOK, []string{"match", bom, "--vulndb", vulndb, "--vex", "testdata/match/vex.openvex.json", "--format", "sarif"}},
		{"gate", ExitFailure, []string{"gate", "--sbom", bom, "--vulndb", vulndb, "--vulndb", kevDB, "--scan", gateDir + "gosec.sarif",
			"--firmware", gateDir + "firmware.json", "--exceptions", gateDir + "exceptions.yaml", "--format", "sarif"}},
		{"gate-expired", ExitFailure, []string{"gate", "--sbom", bom, "--vulndb", vulndb, "--vulndb", kevDB, "--exceptions", gateDir + "expired.yaml", "--format", "sarif"}},
		{"firmware", ExitOK, []string{"firmware", "analyze", firmwareFixture, "--format", "sarif"}},
		{"threatmodel", ExitOK, []string{"threatmodel", "check", gateDir + "threatmodel.yaml", "--format", "sarif"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := run(t, "", tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d: %s", code, tt.code, errs)
			}
			if err := sarif.Validate([]byte(out)); err != nil {
				t.Fatal(err)
			}
			goldentest.Compare(t, "testdata/golden/"+tt.name+".sarif", []byte(out))
		})
	}
}
