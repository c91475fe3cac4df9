package store_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/advisory"
	"github.com/rampart-security/rampart/internal/advisory/provider"
	"github.com/rampart-security/rampart/internal/incident"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
)

// messagesTo returns the SMTP server's messages to an address.
func (s *smtpServer) messagesTo(addr string) []smtpMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []smtpMessage
	for _, m := range s.messages {
		if strings.Contains(m.To, "<"+addr+">") {
			out = append(out, m)
		}
	}
	return out
}

// TestAdvisoryPublicationNotifiesSubscribers: publishing a TLP:WHITE
// advisory queues a notice to each subscriber of its product, delivered
// over STARTTLS to a local SMTP server with the tracking id, the CVE, what
// to do and the link; each recipient has its status on the advisory; an
// AMBER advisory notifies nobody.
func TestAdvisoryPublicationNotifiesSubscribers(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		srv, pool := newSMTPServer(t, false)
		p := createProduct(t, st, "IG-400")
		for _, e := range []string{"ops@customer.example", "bounce@customer.example"} {
			if _, err := incident.Subscribe(ctx, st, p.ID, e, "", time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		clock := time.Date(2026, 9, 20, 10, 0, 0, 0, time.UTC)
		svc := advisory.NewService(st, advisory.Config{Publisher: provider.Publisher{Category: "vendor", Name: "Northwind Devices", Namespace: "https://northwind.example"},
			Published: func(ctx context.Context, a advisory.Advisory) error {
				_, err := incident.NotifyAdvisory(ctx, st, a, "https://psirt.northwind.example"+a.PublishedURL, clock)
				return err
			}}, func() time.Time { return clock })
		publish := func(tlp string) advisory.Advisory {
			doc, err := advisory.Build(gatewayInput())
			if err != nil {
				t.Fatal(err)
			}
			a, err := svc.Create(ctx, "alice", advisory.Draft{ProductID: p.ID, TLP: tlp, Document: doc})
			if err != nil {
				t.Fatal(err)
			}
			a, err = svc.Publish(ctx, "alice", a.ID, "")
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		amber := publish("AMBER")
		if ns, err := st.AdvisoryNotifications(ctx, amber.ID); err != nil || len(ns) != 0 {
			t.Fatalf("a TLP:AMBER advisory queued %d notices (%v)", len(ns), err)
		}
		a := publish("WHITE")
		ns, err := st.AdvisoryNotifications(ctx, a.ID)
		if err != nil || len(ns) != 2 {
			t.Fatalf("advisory notices %d %v", len(ns), err)
		}
		isvc := incident.New(st, func() time.Time { return clock }, incident.Options{Notify: st})
		snd := &incident.NetSender{SMTP: &incident.SMTPConfig{Addr: srv.ln.Addr().String(), From: "psirt@northwind.example",
			Username: "rampart", Password: "s3cret", TLS: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}}}
		if sent, failed, err := isvc.Deliver(ctx, st, snd); err != nil || sent != 1 || failed != 1 {
			t.Fatalf("deliver: sent %d failed %d %v", sent, failed, err)
		}
		got := srv.messagesTo("ops@customer.example")
		if len(got) != 1 {
			t.Fatalf("%d messages to the subscriber", len(got))
		}
		body := got[0].Data
		for _, want := range []string{a.TrackingID, "CVE-2022-48174", "Disable the web shell.", "https://psirt.northwind.example/.well-known/csaf/white/2026/", "Subject: Security advisory"} {
			if !strings.Contains(body, want) {
				t.Errorf("notice lacks %q:\n%s", want, body)
			}
		}
		ns, _ = st.AdvisoryNotifications(ctx, a.ID)
		status := map[string]string{}
		for _, n := range ns {
			if n.Audience != incident.AudienceCustomer || n.AdvisoryID != a.ID {
				t.Errorf("notice %+v", n)
			}
			status[n.Subscriber.Email] = n.Status
		}
		if status["ops@customer.example"] != incident.NotifySent || status["bounce@customer.example"] != incident.NotifyQueued {
			t.Errorf("statuses %v", status)
		}
	})
}

// TestTeamMail: an incident opened (by hand or by a signal) mails the
// product's alert addresses with every report's deadline, in UTC and the
// legal time zone; assigning an owner by e-mail address mails the owner;
// a report reminder mails both; team mail does not mark users informed;
// drills mail nobody; the alert addresses stay out of the report package.
func TestTeamMail(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		srv, pool := newSMTPServer(t, false)
		p := createProduct(t, st, "Thermostat")
		ps := incident.ProductSettings{Manufacturer: "Acme", MemberStates: []string{"DE"}, AlertEmails: []string{"psirt@acme.example", " psirt@acme.example", "oncall@acme.example"}}
		if err := incident.ValidateSettings(&ps); err != nil {
			t.Fatal(err)
		}
		if len(ps.AlertEmails) != 2 {
			t.Fatalf("alert addresses not normalised: %v", ps.AlertEmails)
		}
		if err := st.SetProductIncidentSettings(ctx, p.ID, ps); err != nil {
			t.Fatal(err)
		}
		bad := incident.ProductSettings{AlertEmails: []string{"PSIRT <psirt@acme.example>"}}
		if err := incident.ValidateSettings(&bad); err == nil {
			t.Error("a display-name alert address was accepted")
		}
		berlin, _ := time.LoadLocation("Europe/Berlin")
		clock := time.Date(2026, 10, 24, 23, 30, 0, 0, time.UTC) // 01:30 CEST on 25 October, the night the clocks go back
		svc := incident.New(st, func() time.Time { return clock }, incident.Options{Notify: st, Location: berlin})
		inc, err := svc.Open(ctx, incident.OpenInput{Kind: incident.KindVulnerability, Title: "Exploited RCE in the web UI", Severity: "critical",
			Products: []int64{p.ID}, Vulnerability: "CVE-2026-7777"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.StartDrill(ctx, "gateway-web-rce", []int64{p.ID}); err != nil {
			t.Fatal(err)
		}
		owner := "lead@acme.example"
		if _, err := svc.Update(ctx, inc.ID, incident.Patch{Owner: &owner}); err != nil {
			t.Fatal(err)
		}
		clock = clock.Add(23*time.Hour + 30*time.Minute) // 30 minutes before the early warning is due
		if n, err := svc.Remind(ctx); err != nil || n != 1 {
			t.Fatalf("reminders %d %v", n, err)
		}
		snd := &incident.NetSender{SMTP: &incident.SMTPConfig{Addr: srv.ln.Addr().String(), From: "rampart@acme.example",
			Username: "rampart", Password: "s3cret", TLS: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}}}
		if sent, failed, err := svc.Deliver(ctx, st, snd); err != nil || failed != 0 || sent != 6 {
			t.Fatalf("deliver: sent %d failed %d %v (want 2 opened + 1 owner + 3 reminders)", sent, failed, err)
		}
		psirt := srv.messagesTo("psirt@acme.example")
		if len(psirt) != 2 {
			t.Fatalf("%d messages to the PSIRT address, want opened and reminder", len(psirt))
		}
		opened := psirt[0].Data
		for _, want := range []string{"Incident 1: Exploited RCE in the web UI", "opened via manual", "early_warning: due 2026-10-25 23:30 UTC (2026-10-26 00:30 CET)",
			"notification: due 2026-10-27 23:30 UTC", "final_report: no deadline yet", "Aware since: 2026-10-24 23:30 UTC (2026-10-25 01:30 CEST)"} {
			if !strings.Contains(opened, want) {
				t.Errorf("opened mail lacks %q:\n%s", want, opened)
			}
		}
		if !strings.Contains(psirt[1].Data, "early_warning is due in less than 1h0m0s") {
			t.Errorf("reminder mail:\n%s", psirt[1].Data)
		}
		lead := srv.messagesTo(owner)
		if len(lead) != 2 || !strings.Contains(lead[0].Data, "assigned to you") {
			t.Fatalf("owner mail: %d messages %+v", len(lead), lead)
		}
		got, err := svc.Get(ctx, inc.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Details.UsersInformed {
			t.Error("team mail marked users as informed")
		}
		ns, _ := st.Notifications(ctx, inc.ID)
		for _, n := range ns {
			if n.Audience != incident.AudienceTeam || n.Subscriber.ID != 0 || n.Status != incident.NotifySent {
				t.Errorf("team notice %+v", n)
			}
		}
		pkg, err := svc.Report(ctx, st, inc.ID, "early_warning")
		if err != nil {
			t.Fatal(err)
		}
		var md strings.Builder
		if err := incident.WriteMarkdown(&md, pkg); err != nil {
			t.Fatal(err)
		}
		if js, _ := json.Marshal(pkg); strings.Contains(md.String()+string(js), "psirt@acme.example") {
			t.Error("alert addresses leaked into the report package")
		}
	})
}

// TestIntakeReportMailsTheTeam: a report about a product with alert
// addresses queues team mail naming the tracking id and title, never the
// description (exploit details stay in Rampart); a report marked exploited
// opens an incident, whose opening mail is sent instead.
func TestIntakeReportMailsTheTeam(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		p := createProduct(t, st, "Camera")
		if err := st.SetProductIncidentSettings(ctx, p.ID, incident.ProductSettings{AlertEmails: []string{"psirt@acme.example"}}); err != nil {
			t.Fatal(err)
		}
		svc := incident.New(st, nil, incident.Options{Notify: st})
		in := incident.NewIntake(svc, st, nil)
		rec, err := in.Submit(ctx, incident.IntakeInput{Title: "Auth bypass in RTSP", Description: "send OPTIONS with header X-Secret-Exploit", Product: "Camera", Source: "198.51.100.1"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := in.Submit(ctx, incident.IntakeInput{Title: "Exploited RCE", Description: "seen in the wild", Product: "Camera", Exploited: true, Source: "198.51.100.2"}); err != nil {
			t.Fatal(err)
		}
		ns, err := st.PendingNotifications(ctx, 10)
		if err != nil || len(ns) != 2 {
			t.Fatalf("pending %d %v", len(ns), err)
		}
		if ns[0].IncidentID != 0 || ns[0].Audience != incident.AudienceTeam || ns[0].Subscriber.Email != "psirt@acme.example" ||
			!strings.Contains(ns[0].Subject, rec.TrackingID) || !strings.Contains(ns[0].Body, "Auth bypass in RTSP") || strings.Contains(ns[0].Body, "X-Secret-Exploit") {
			t.Errorf("report mail %+v", ns[0])
		}
		if ns[1].IncidentID == 0 || !strings.Contains(ns[1].Body, "opened via intake") {
			t.Errorf("exploited report: %+v", ns[1])
		}
	})
}
