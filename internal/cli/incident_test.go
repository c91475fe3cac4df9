package cli

import (
	"context"
	"encoding/json"
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
	data := func(args ...string) []string { return append(args, "--data", dir) }
	code, out, _ := run(t, "", data("incident", "show", "1", "--json")...)
	var got incident.Incident
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil || got.ID != inc.ID || len(got.Reports) != 3 || got.Reports[0].Status != incident.StatusLate {
		t.Errorf("show --json: %d %s", code, out)
	}
	testCLI(t, []cliCase{
		{name: "list", args: data("incident", "list"), outHas: []string{"Signing key leaked", "late"}},
		{name: "--fail-on-late", args: data("incident", "list", "--fail-on-late"), code: ExitFailure, errHas: []string{"early_warning"}},
		{name: "--drill", args: data("incident", "list", "--drill"), outHas: []string{"no incidents"}},
		{name: "show", args: data("incident", "show", "1", "--timezone", "Europe/Berlin"), outHas: []string{"Timeline:", "CE"}},
		{name: "report", args: data("incident", "report", "1", "early_warning"), outHas: []string{"# Early warning: incident 1", "14(4)(a)"}},
		{name: "bad kind", args: data("incident", "report", "1", "summary"), code: ExitError},
		{name: "missing incident", args: data("incident", "show", "99"), code: ExitError},
	})
}
