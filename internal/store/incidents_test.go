package store_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/incident"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
)

// TestIncidentLifecycle drives the incident service over both engines:
// open, phase changes, a corrective measure, submissions and the report
// packages, with every change in the audit chain.
func TestIncidentLifecycle(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		now := time.Date(2026, 9, 14, 9, 0, 0, 0, time.UTC)
		clock := func() time.Time { return now }
		svc := incident.New(st, clock, incident.Options{})
		p := createProduct(t, st, "Gateway")
		rel := inventory.Release{ProductID: p.ID, Version: "2.1.0", Status: inventory.StatusShipped}
		if err := st.CreateRelease(ctx, &rel); err != nil {
			t.Fatal(err)
		}
		if err := st.SetProductIncidentSettings(ctx, p.ID, incident.ProductSettings{Manufacturer: "Acme Devices GmbH", Contact: "psirt@acme.example", MemberStates: []string{"DE", "FR"}}); err != nil {
			t.Fatal(err)
		}
		aware := time.Date(2026, 9, 13, 8, 0, 0, 0, time.UTC)
		inc, err := svc.Open(ctx, incident.OpenInput{Kind: incident.KindVulnerability, Title: "RCE in web UI <script>alert(1)</script>", Severity: "critical",
			Releases: []int64{rel.ID}, Vulnerability: "CVE-2026-1111", AwareAt: &aware})
		if err != nil {
			t.Fatal(err)
		}
		if len(inc.Products) != 1 || inc.Products[0] != p.ID {
			t.Fatalf("products %v: the release's product must be added", inc.Products)
		}
		want := []struct {
			k      incident.ReportKind
			due    string
			status incident.ReportStatus
		}{{incident.EarlyWarning, "2026-09-14T08:00:00Z", incident.StatusLate}, {incident.Notification, "2026-09-16T08:00:00Z", incident.StatusDue}, {incident.FinalReport, "", incident.StatusDue}}
		for i, w := range want {
			r := inc.Reports[i]
			due := ""
			if r.Due != nil {
				due = r.Due.Format(time.RFC3339)
			}
			if r.Kind != w.k || due != w.due || r.Status != w.status {
				t.Errorf("report %d: %s %s %s, want %s %s %s", i, r.Kind, due, r.Status, w.k, w.due, w.status)
			}
		}
		// Phase forward, not back.
		cont := incident.PhaseContainment
		if _, err := svc.Update(ctx, inc.ID, incident.Patch{Phase: &cont}); err != nil {
			t.Fatal(err)
		}
		back := incident.PhaseDetection
		if _, err := svc.Update(ctx, inc.ID, incident.Patch{Phase: &back}); !errors.Is(err, fault.ErrInvalid) {
			t.Errorf("phase back: %v, want invalid", err)
		}
		// Submissions: the early warning late, the notification on time.
		ew := time.Date(2026, 9, 14, 8, 30, 0, 0, time.UTC)
		if _, err := svc.Submit(ctx, inc.ID, incident.EarlyWarning, &ew, "ENISA-SRP-0001"); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Submit(ctx, inc.ID, incident.EarlyWarning, nil, "again"); !errors.Is(err, fault.ErrConflict) {
			t.Errorf("second submission: %v, want conflict", err)
		}
		inc, err = svc.Submit(ctx, inc.ID, incident.Notification, nil, "ENISA-SRP-0002")
		if err != nil {
			t.Fatal(err)
		}
		if inc.Reports[0].Status != incident.StatusLate || inc.Reports[1].Status != incident.StatusSubmittedOnTime {
			t.Errorf("statuses %s %s", inc.Reports[0].Status, inc.Reports[1].Status)
		}
		// The corrective measure, recorded two days after it shipped.
		now = time.Date(2026, 9, 20, 9, 0, 0, 0, time.UTC)
		fixed := time.Date(2026, 9, 18, 12, 0, 0, 0, time.UTC)
		details := incident.Details{Nature: "OS command injection in the web UI", Exploitation: "exploited against exposed gateways",
			CorrectiveMeasures: "update to 2.1.1; block port 443 from the internet", Sensitivity: "TLP:AMBER", RootCause: "unsanitised hostname field", FixingUpdate: "2.1.1"}
		inc, err = svc.Update(ctx, inc.ID, incident.Patch{CorrectiveMeasureAt: &fixed, Details: &details})
		if err != nil {
			t.Fatal(err)
		}
		if d := inc.Reports[2].Due; d == nil || !d.Equal(time.Date(2026, 10, 2, 12, 0, 0, 0, time.UTC)) {
			t.Errorf("final report due %v, want 14 days after the measure", d)
		}
		future := now.Add(time.Hour)
		if _, err := svc.Update(ctx, inc.ID, incident.Patch{CorrectiveMeasureAt: &future}); !errors.Is(err, fault.ErrInvalid) || fault.FieldOf(err) != "corrective_measure_at" {
			t.Errorf("future corrective measure: %v", err)
		}
		// Report packages.
		pkg, err := svc.Report(ctx, st, inc.ID, "final_report")
		if err != nil {
			t.Fatal(err)
		}
		if pkg.Manufacturer != "Acme Devices GmbH" || strings.Join(pkg.MemberStates, ",") != "DE,FR" || len(pkg.Products) != 1 || pkg.Products[0].Versions[0] != "2.1.0" ||
			pkg.RootCause == "" || pkg.FixingUpdate != "2.1.1" || len(pkg.Missing) != 0 || !strings.Contains(pkg.Legal, "14(2)(c)") {
			t.Errorf("final report package %+v", pkg)
		}
		ewPkg, _ := svc.Report(ctx, st, inc.ID, "early_warning")
		if ewPkg.RootCause != "" || ewPkg.Nature != "" || ewPkg.Submission == nil || ewPkg.Submission.Reference != "ENISA-SRP-0001" || ewPkg.Status != incident.StatusLate {
			t.Errorf("early warning carries %+v", ewPkg)
		}
		if _, err := svc.Report(ctx, st, inc.ID, "summary"); !errors.Is(err, fault.ErrInvalid) {
			t.Errorf("unknown report kind: %v", err)
		}
		var md bytes.Buffer
		if err := incident.WriteMarkdown(&md, pkg); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(md.String(), "<script>") || !strings.Contains(md.String(), "&lt;script&gt;") || !strings.Contains(md.String(), "## Root cause") {
			t.Errorf("markdown:\n%s", md.String())
		}
		// Timeline: open, phase, two submissions, corrective measure; all audited.
		full, err := st.Incident(ctx, inc.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(full.Timeline) != 5 {
			t.Errorf("timeline has %d entries: %+v", len(full.Timeline), full.Timeline)
		}
		if n, _, err := st.VerifyAudit(ctx); err != nil || n < 5 {
			t.Errorf("audit chain: %d entries, %v", n, err)
		}
		// Filters.
		yes := true
		if l, _ := svc.List(ctx, incident.Filter{Drill: &yes}); len(l) != 0 {
			t.Errorf("drill filter: %d", len(l))
		}
		if l, _ := svc.List(ctx, incident.Filter{Phase: incident.PhaseContainment, Product: p.ID}); len(l) != 1 {
			t.Errorf("phase+product filter: %d", len(l))
		}
		if l, _ := svc.List(ctx, incident.Filter{Products: []int64{}}); len(l) != 0 {
			t.Errorf("no visible products: %d", len(l))
		}
		if _, err := svc.Get(ctx, 9999); !errors.Is(err, fault.ErrNotFound) {
			t.Errorf("missing incident: %v", err)
		}
	})
}

// TestIntakeAttachmentEncryptedAndTriage: an attachment is stored sealed
// (the plaintext is not in the database), opens with the key and not with
// another; triage turns a report into an incident once.
func TestIntakeAttachmentEncryptedAndTriage(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		p := createProduct(t, st, "Camera")
		key := bytes.Repeat([]byte{7}, 32)
		in := incident.NewIntake(incident.New(st, nil, incident.Options{}), st, key)
		poc := []byte("#!/bin/sh\ncurl http://camera/cgi-bin/;reboot # proof of concept\n")
		rec, err := in.Submit(ctx, incident.IntakeInput{Title: "Unauthenticated reboot", Description: "see attachment", Product: "camera",
			Source: "192.0.2.1", AttachmentName: "poc.sh", Attachment: poc})
		if err != nil {
			t.Fatal(err)
		}
		if rec.Status != incident.IntakeReceived {
			t.Errorf("not exploited: status %s, want received", rec.Status)
		}
		var raw []byte
		if err := st.DB().QueryRowContext(ctx, `SELECT attachment FROM intake_reports WHERE tracking_id = '`+rec.TrackingID+`'`).Scan(&raw); err != nil {
			t.Fatal(err)
		}
		if len(raw) == 0 || bytes.Contains(raw, []byte("proof of concept")) {
			t.Fatalf("attachment stored in the clear (%d bytes)", len(raw))
		}
		reps, _ := in.List(ctx, nil)
		name, got, err := in.Attachment(ctx, reps[0].ID)
		if err != nil || name != "poc.sh" || !bytes.Equal(got, poc) {
			t.Errorf("attachment: %q %q %v", name, got, err)
		}
		other := incident.NewIntake(incident.New(st, nil, incident.Options{}), st, bytes.Repeat([]byte{8}, 32))
		if _, _, err := other.Attachment(ctx, reps[0].ID); err == nil {
			t.Error("attachment opened with another key")
		}
		r, err := in.Triage(ctx, reps[0].ID, "vulnerability")
		if err != nil || r.Status != incident.IntakeTriaged || r.IncidentID == 0 {
			t.Fatalf("triage: %+v %v", r, err)
		}
		if _, err := in.Triage(ctx, reps[0].ID, "incident"); !errors.Is(err, fault.ErrConflict) {
			t.Errorf("second triage: %v", err)
		}
		inc, err := st.Incident(ctx, r.IncidentID)
		if err != nil || inc.AwareSignal != "intake" || inc.Products[0] != p.ID {
			t.Errorf("incident %+v %v", inc, err)
		}
	})
}

// TestReportReminders: one event per report and threshold (6 h, 1 h,
// overdue), never repeated, none for drills or submitted reports.
func TestReportReminders(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		now := time.Date(2026, 9, 14, 4, 0, 0, 0, time.UTC)
		svc := incident.New(st, func() time.Time { return now }, incident.Options{})
		p := createProduct(t, st, "Hub")
		aware := now.Add(-20 * time.Hour) // early warning due in 4 h
		if _, err := svc.Open(ctx, incident.OpenInput{Kind: incident.KindIncident, Title: "Backend breach", Products: []int64{p.ID}, AwareAt: &aware}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.StartDrill(ctx, "leaked-signing-key", []int64{p.ID}); err != nil {
			t.Fatal(err)
		}
		step := func(want int) {
			t.Helper()
			n, err := svc.Remind(ctx)
			if err != nil || n != want {
				t.Fatalf("at %s: %d reminders (%v), want %d", now.Format(time.RFC3339), n, err, want)
			}
		}
		step(1) // early warning within 6 h
		step(0) // not repeated
		now = now.Add(3*time.Hour + 30*time.Minute)
		step(1) // within 1 h
		now = now.Add(time.Hour)
		step(1) // overdue
		step(0)
		if n := storetest.CountEvents(t, st, "incident.report_due"); n != 3 {
			t.Errorf("%d report_due events, want 3", n)
		}
	})
}

func TestIncidentLinks(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		p := createProduct(t, st, "Router")
		svc := incident.New(st, nil, incident.Options{})
		inc, err := svc.Open(ctx, incident.OpenInput{Kind: incident.KindIncident, Title: "x", Products: []int64{p.ID}})
		if err != nil {
			t.Fatal(err)
		}
		got, err := svc.Update(ctx, inc.ID, incident.Patch{Links: map[string][]string{"findings": {"12", "13"}, "advisories": {"RAMPART-2026-0001"}}})
		if err != nil || len(got.Links["findings"]) != 2 || got.Links["advisories"][0] != "RAMPART-2026-0001" {
			t.Fatalf("links %+v %v", got.Links, err)
		}
		if _, err := svc.Update(ctx, inc.ID, incident.Patch{Links: map[string][]string{"tickets": {"1"}}}); !errors.Is(err, fault.ErrInvalid) {
			t.Errorf("unknown link kind: %v", err)
		}
	})
}
