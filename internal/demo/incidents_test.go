package demo

import (
	"context"
	"testing"

	"github.com/rampart-security/rampart/internal/incident"
)

func TestSeedIncidents(t *testing.T) {
	ctx := context.Background()
	st := seededStore(t)
	list, err := incident.New(st, nil, incident.Options{}).List(ctx, incident.Filter{})
	// Two seeded incidents, and one Rampart opened itself: the snapshot's
	// KEV entry (CVE-2022-2586) matches the shipped gateway's kernel.
	if err != nil || len(list) != 3 {
		t.Fatalf("demo incidents: %d %v", len(list), err)
	}
	kev := 0
	for _, inc := range list {
		if inc.AwareSignal == "kev" {
			kev++
			if inc.Vulnerability != "CVE-2022-2586" {
				t.Errorf("KEV incident for %q, want CVE-2022-2586", inc.Vulnerability)
			}
			continue
		}
		if !inc.Drill && (inc.Phase != incident.PhaseContainment || inc.Reports[0].Status != incident.StatusSubmittedOnTime || inc.Reports[1].Status != incident.StatusDue) {
			t.Errorf("demo incident %+v", inc)
		}
	}
}
