package demo

import (
	"context"
	"testing"

	"github.com/rampart-security/rampart/internal/incident"
	"github.com/rampart-security/rampart/internal/store"
)

func TestSeedIncidents(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := Seed(ctx, st); err != nil {
		t.Fatal(err)
	}
	list, err := incident.New(st, nil, incident.Options{}).List(ctx, incident.Filter{})
	if err != nil || len(list) != 2 {
		t.Fatalf("demo incidents: %d %v", len(list), err)
	}
	for _, inc := range list {
		if !inc.Drill && (inc.Phase != incident.PhaseContainment || inc.Reports[0].Status != incident.StatusSubmittedOnTime || inc.Reports[1].Status != incident.StatusDue) {
			t.Errorf("demo incident %+v", inc)
		}
	}
}
