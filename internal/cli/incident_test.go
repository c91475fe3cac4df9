package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/incident"
	"github.com/rampart-security/rampart/internal/inventory"
)

func TestIncidentCommands(t *testing.T) {
	ctx := context.Background()
	dir, st := dataDir(t)
	p := inventory.Product{Name: "Gateway"}
	if err := st.CreateProduct(ctx, &p); err != nil {
		t.Fatal(err)
	}
	aware := time.Now().UTC().Add(-30 * time.Hour) // early warning overdue
	inc, err := incident.New(st, time.Now, incident.Options{}).Open(ctx, incident.OpenInput{Kind: incident.KindIncident, Title: "Signing key leaked",
		Severity: "critical", Products: []int64{p.ID}, AwareAt: &aware})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	runData := func(args ...string) (int, string, string) { return run(t, "", append(args, "--data", dir)...) }
	code, out, _ := runData("incident", "list")
	if code != 0 || !strings.Contains(out, "Signing key leaked") || !strings.Contains(out, "late") {
		t.Errorf("list: %d\n%s", code, out)
	}
	if code, _, errs := runData("incident", "list", "--fail-on-late"); code != ExitFailure || !strings.Contains(errs, "early_warning") {
		t.Errorf("--fail-on-late: %d %s", code, errs)
	}
	if code, out, _ := runData("incident", "list", "--drill"); code != 0 || !strings.Contains(out, "no incidents") {
		t.Errorf("--drill: %d %s", code, out)
	}
	code, out, _ = runData("incident", "show", "1", "--json")
	var got incident.Incident
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil || got.ID != inc.ID || len(got.Reports) != 3 || got.Reports[0].Status != incident.StatusLate {
		t.Errorf("show --json: %d %s", code, out)
	}
	code, out, _ = runData("incident", "show", "1", "--timezone", "Europe/Berlin")
	if code != 0 || !strings.Contains(out, "Timeline:") || !strings.Contains(out, "CE") {
		t.Errorf("show: %d\n%s", code, out)
	}
	code, out, _ = runData("incident", "report", "1", "early_warning")
	if code != 0 || !strings.Contains(out, "# Early warning: incident 1") || !strings.Contains(out, "14(4)(a)") {
		t.Errorf("report: %d\n%s", code, out)
	}
	if code, _, _ := runData("incident", "report", "1", "summary"); code != ExitError {
		t.Errorf("bad kind: exit %d, want %d", code, ExitError)
	}
	if code, _, _ := runData("incident", "show", "99"); code != ExitError {
		t.Errorf("missing incident: exit %d", code)
	}
}
