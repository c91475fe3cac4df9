package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
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
	code, out, _ = run(t, "", "conformity", "report", "--release", id, "--format", "html", "--data", dir)
	if code != 0 || !strings.Contains(out, "Implementation conformance statement") || !strings.Contains(out, "5.3-13") {
		t.Errorf("html report: exit %d, %.200s", code, out)
	}
	code, out, _ = run(t, "", "conformity", "report", "--release", id, "--format", "text", "--data", dir)
	if code != 0 || !strings.Contains(out, "5.3-13") || !strings.Contains(out, "mandatory") {
		t.Errorf("text report: exit %d\n%s", code, out)
	}
	if code, _, errs := run(t, "", "conformity", "report", "--release", "999", "--data", dir); code != 2 || !strings.Contains(errs, "not found") {
		t.Errorf("missing release: exit %d %s", code, errs)
	}
}
