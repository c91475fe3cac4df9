package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/rampart-security/rampart/internal/incident"
	"github.com/rampart-security/rampart/internal/store"
)

// seedIncidents adds reporting settings, an open incident on the gateway
// with its early warning submitted and the notification due, and a
// finished drill, so the incident pages and clocks have content.
func seedIncidents(ctx context.Context, st *store.Store) error {
	gw, err := st.ProductByName(ctx, "Industrial Gateway IG-400")
	if err != nil {
		return nil // portfolio changed: nothing to attach to
	}
	if err := st.SetProductIncidentSettings(ctx, gw.ID, incident.ProductSettings{Manufacturer: "Northwind Devices GmbH",
		Contact: "psirt@northwind.example", MemberStates: []string{"DE", "AT", "FR", "NL", "PL"}}); err != nil {
		return err
	}
	rel, err := st.ReleaseByVersion(ctx, gw.ID, "3.2.0")
	if err != nil {
		return err
	}
	svc := incident.New(st, time.Now, incident.Options{})
	aware := time.Now().UTC().Add(-30 * time.Hour).Truncate(time.Minute)
	inc, err := svc.Open(ctx, incident.OpenInput{Kind: incident.KindVulnerability, Title: "Actively exploited command injection in the gateway web UI (lighttpd CGI)",
		Severity: "critical", Releases: []int64{rel.ID}, Vulnerability: "CVE-2026-31337", AwareAt: &aware, Owner: "PSIRT on call",
		Details: &incident.Details{Nature: "OS command injection through the diagnostics page's host field",
			Exploitation:       "CERT-Bund reports scanning and exploitation of internet-exposed IG-400 gateways since " + aware.Format("2 January"),
			CorrectiveMeasures: "Block TCP 443 from the internet; firmware 3.2.1 in preparation", Sensitivity: "TLP:AMBER"}})
	if err != nil {
		return fmt.Errorf("demo incident: %w", err)
	}
	ew := aware.Add(20 * time.Hour)
	if _, err := svc.Submit(ctx, inc.ID, incident.EarlyWarning, &ew, "SRP-2026-000417"); err != nil {
		return err
	}
	ph := incident.PhaseContainment
	if _, err := svc.Update(ctx, inc.ID, incident.Patch{Phase: &ph}); err != nil {
		return err
	}
	if _, err := svc.AddTask(ctx, inc.ID, incident.Task{Title: "Build and sign firmware 3.2.1", Owner: "Edge Platform team"}); err != nil {
		return err
	}
	d, err := svc.StartDrill(ctx, "leaked-signing-key", []int64{gw.ID})
	if err != nil {
		return err
	}
	for _, p := range []incident.Phase{incident.PhaseContainment, incident.PhaseEradication} {
		p := p
		if _, err := svc.Update(ctx, d.ID, incident.Patch{Phase: &p}); err != nil {
			return err
		}
	}
	_, err = svc.Submit(ctx, d.ID, incident.EarlyWarning, nil, "drill")
	return err
}
