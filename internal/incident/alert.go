package incident

import (
	"context"
	"encoding/json"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/advisory"
	"github.com/rampart-security/rampart/internal/advisory/csaf"
	"github.com/rampart-security/rampart/internal/fault"
)

// MaxAlertEmails bounds a product's alert addresses.
const MaxAlertEmails = 20

// plainAddress reports whether s is a bare e-mail address (no display name).
func plainAddress(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && len(s) <= 254
}

func validateAlertEmails(list []string) ([]string, error) {
	out := []string{}
	for _, e := range list {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		if !plainAddress(e) {
			return nil, fault.Invalid("alert_emails", "%q is not a plain e-mail address (psirt@example.com)", e)
		}
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	if len(out) > MaxAlertEmails {
		return nil, fault.Invalid("alert_emails", "at most %d addresses", MaxAlertEmails)
	}
	return out, nil
}

// FormatDue writes a deadline in UTC and, when loc is another zone, in loc
// too: "2026-12-03 06:00 UTC (07:00 CET)".
func FormatDue(t time.Time, loc *time.Location) string {
	u := t.UTC()
	s := u.Format("2006-01-02 15:04 MST")
	if loc == nil || loc == time.UTC {
		return s
	}
	l := t.In(loc)
	if l.Format("2006-01-02") == u.Format("2006-01-02") {
		return s + " (" + l.Format("15:04 MST") + ")"
	}
	return s + " (" + l.Format("2006-01-02 15:04 MST") + ")"
}

// teamMessage is the mail to the product team about an incident: what
// happened and every report's deadline.
func (s *Service) teamMessage(inc *Incident, what string) (string, string) {
	what = strings.TrimSpace(what)
	subject := fmt.Sprintf("[Rampart] incident %d: %s", inc.ID, what)
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n", what)
	fmt.Fprintf(&b, "Incident %d: %s\n", inc.ID, inc.Title)
	fmt.Fprintf(&b, "Kind: %s, severity %s, phase %s\n", inc.Kind, inc.Severity, inc.Phase)
	if inc.Vulnerability != "" {
		fmt.Fprintf(&b, "Vulnerability: %s\n", inc.Vulnerability)
	}
	fmt.Fprintf(&b, "Aware since: %s (via %s)\n", FormatDue(inc.AwareAt, s.loc), inc.AwareSignal)
	if inc.Owner != "" {
		fmt.Fprintf(&b, "Owner: %s\n", inc.Owner)
	}
	b.WriteString("\nCRA Art. 14 reports:\n")
	for _, r := range Clocks(inc, s.loc, s.now()) {
		due := "no deadline yet (" + r.Waiting + ")"
		if r.Due != nil {
			due = "due " + FormatDue(*r.Due, s.loc)
		}
		fmt.Fprintf(&b, "- %s: %s, %s\n", r.Kind, due, r.Status)
	}
	fmt.Fprintf(&b, "\nOpen it in Rampart (Incidents) or run: rampart incident show %d\n", inc.ID)
	return subject, b.String()
}

// alertTeam mails the product team: the alert addresses of every affected
// product, and the owner when the owner is an e-mail address. Drills and
// services without a NotifyStore send nothing.
func (s *Service) alertTeam(ctx context.Context, inc *Incident, what string) error {
	if s.notify == nil || inc.Drill {
		return nil
	}
	var to []string
	for _, pid := range inc.Products {
		ps, err := s.notify.ProductIncidentSettings(ctx, pid)
		if err != nil {
			return err
		}
		for _, e := range ps.AlertEmails {
			if !slices.Contains(to, e) {
				to = append(to, e)
			}
		}
	}
	if plainAddress(inc.Owner) && !slices.Contains(to, inc.Owner) {
		to = append(to, inc.Owner)
	}
	if len(to) == 0 {
		return nil
	}
	subject, body := s.teamMessage(inc, what)
	_, err := s.notify.QueueTeamMail(ctx, inc.ID, to, subject, body, s.now().UTC())
	return err
}

// mailOwner mails only the owner (an e-mail address) of an incident.
func (s *Service) mailOwner(ctx context.Context, inc *Incident, what string) error {
	if s.notify == nil || inc.Drill || !plainAddress(inc.Owner) {
		return nil
	}
	subject, body := s.teamMessage(inc, what)
	_, err := s.notify.QueueTeamMail(ctx, inc.ID, []string{inc.Owner}, subject, body, s.now().UTC())
	return err
}

// AdvisoryMessage is the customer notice of a published advisory: its
// title, identifiers, what users should do, and where to read it. Only
// advisories labelled TLP:WHITE are sent (the label of anything else
// restricts who may receive it).
func AdvisoryMessage(a advisory.Advisory, url string) (string, string, error) {
	var doc csaf.Document
	if len(a.Published) == 0 {
		return "", "", fault.Conflict("advisory %s is not published", a.TrackingID)
	}
	if err := json.Unmarshal(a.Published, &doc); err != nil {
		return "", "", fmt.Errorf("advisory %s: %w", a.TrackingID, err)
	}
	verb := "Security advisory"
	if a.PublishedVersion != "" && a.PublishedVersion != "1" {
		verb = "Updated security advisory"
	}
	subject := fmt.Sprintf("%s %s: %s", verb, a.TrackingID, a.Title)
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s (version %s) about a product you use was published.\n\n%s\n", verb, a.TrackingID, a.PublishedVersion, a.Title)
	for _, n := range doc.Document.Notes {
		if n.Category == "summary" && strings.TrimSpace(n.Text) != "" {
			fmt.Fprintf(&b, "\n%s\n", strings.TrimSpace(n.Text))
		}
	}
	var ids, todo []string
	for _, v := range doc.Vulnerabilities {
		if v.CVE != "" && !slices.Contains(ids, v.CVE) {
			ids = append(ids, v.CVE)
		}
		for _, r := range v.Remediations {
			d := strings.TrimSpace(r.Details)
			if d != "" && !slices.Contains(todo, d) {
				todo = append(todo, d)
			}
		}
	}
	if len(ids) > 0 {
		fmt.Fprintf(&b, "\nVulnerabilities: %s\n", strings.Join(ids, ", "))
	}
	if len(todo) > 0 {
		b.WriteString("\nWhat you should do:\n")
		for _, t := range todo {
			fmt.Fprintf(&b, "- %s\n", t)
		}
	}
	if url != "" {
		fmt.Fprintf(&b, "\nRead the advisory (CSAF, signed): %s\n", url)
	}
	b.WriteString("\nYou receive this because you subscribed to security notices for this product.\n")
	return subject, b.String(), nil
}

// NotifyAdvisory queues the notice of a just-published advisory to the
// subscribers of its product. An advisory without a product, or not
// labelled TLP:WHITE, notifies nobody (0, nil).
func NotifyAdvisory(ctx context.Context, ns NotifyStore, a advisory.Advisory, url string, now time.Time) (int, error) {
	if a.ProductID == 0 || !strings.EqualFold(a.PublishedTLP, "WHITE") {
		return 0, nil
	}
	subject, body, err := AdvisoryMessage(a, url)
	if err != nil {
		return 0, err
	}
	return ns.QueueAdvisoryNotifications(ctx, a.ID, a.ProductID, subject, body, now.UTC())
}
