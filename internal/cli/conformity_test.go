package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"github.com/rampart-security/rampart/internal/portfolio"
)

// TestConformityReport runs the command on a data directory with a release
// that has an SBOM, in all three formats.
func TestConformityReport(t *testing.T) {
	ctx := context.Background()
	dir, st := dataDir(t)
	rel, err := st.EnsureRelease(ctx, "Gateway", "1.6.0")
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("../sbom/testdata/gateway-fw-1.6.cdx.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := portfolio.ImportSBOM(ctx, st, rel.ID, "gw.cdx.json", data); err != nil {
		t.Fatal(err)
	}
	st.Close()
	id := fmt.Sprint(rel.ID)

	code, out, errs := run(t, "", "conformity", "report", "--catalog", "cra-annex-i", "--release", id, "--format", "json", "--data", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var rep struct {
		Catalog string
		Items   []struct{ ID, Status string }
		Summary map[string]int
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Catalog != "cra-annex-i" || len(rep.Items) != 22 || rep.Summary["met"] == 0 {
		t.Errorf("json report: %+v", rep)
	}
	testCLI(t, []cliCase{
		{name: "html", args: []string{"conformity", "report", "--release", id, "--format", "html", "--data", dir},
			outHas: []string{"Implementation conformance statement", "5.3-13"}},
		{name: "text", args: []string{"conformity", "report", "--release", id, "--format", "text", "--data", dir}, outHas: []string{"5.3-13", "mandatory"}},
		{name: "missing release", args: []string{"conformity", "report", "--release", "999", "--data", dir}, code: ExitError, errHas: []string{"not found"}},
	})
}
