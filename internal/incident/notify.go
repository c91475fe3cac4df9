package incident

import (
	"context"
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/fault"
)

// Subscriber receives a product's customer notifications by e-mail or webhook.
type Subscriber struct {
	ID        int64     `json:"id"`
	ProductID int64     `json:"product_id"`
	Email     string    `json:"email,omitempty"`
	Webhook   string    `json:"webhook,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Notice is one message to one recipient, with its delivery status: a
// customer notice to a subscriber, or team mail (Subscriber.Email is then
// the address and Subscriber.ID is 0).
type Notice struct {
	ID         int64      `json:"id"`
	Audience   string     `json:"audience"` // AudienceCustomer, AudienceTeam
	Subscriber Subscriber `json:"subscriber"`
	IncidentID int64      `json:"incident_id,omitempty"`
	AdvisoryID int64      `json:"advisory_id,omitempty"`
	Subject    string     `json:"subject"`
	Body       string     `json:"-"`
	Status     string     `json:"status"` // queued, sent, failed
	Attempts   int        `json:"attempts"`
	Error      string     `json:"error,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	SentAt     *time.Time `json:"sent_at,omitempty"`
}

// Delivery statuses.
const (
	NotifyQueued = "queued"
	NotifySent   = "sent"
	NotifyFailed = "failed"
)

// Audiences of notices.
const (
	// AudienceCustomer: a product's subscribers (Art. 14(8) notices,
	// published advisories).
	AudienceCustomer = "customer"
	// AudienceTeam: the product's alert addresses and the incident owner.
	AudienceTeam = "team"
)

// MaxNotifyAttempts is how often a delivery is tried before it is failed.
const MaxNotifyAttempts = 5

// NotifyStore persists subscribers and notifications.
type NotifyStore interface {
	AddSubscriber(ctx context.Context, s *Subscriber) error
	Subscribers(ctx context.Context, productID int64) ([]Subscriber, error)
	// QueueNotifications queues one notification per subscriber of the products.
	QueueNotifications(ctx context.Context, incidentID int64, products []int64, subject, body string, at time.Time) (int, error)
	// PendingNotifications returns queued notifications, oldest first.
	PendingNotifications(ctx context.Context, limit int) ([]Notice, error)
	// MarkNotification records a delivery attempt.
	MarkNotification(ctx context.Context, id int64, status, errText string, at time.Time) error
	// Notifications lists an incident's notifications.
	Notifications(ctx context.Context, incidentID int64) ([]Notice, error)
	// QueueAdvisoryNotifications queues one notification per subscriber of
	// the product about a published advisory.
	QueueAdvisoryNotifications(ctx context.Context, advisoryID, productID int64, subject, body string, at time.Time) (int, error)
	// AdvisoryNotifications lists a published advisory's notifications.
	AdvisoryNotifications(ctx context.Context, advisoryID int64) ([]Notice, error)
	// QueueTeamMail queues one team e-mail per address about an incident
	// (incidentID 0: about no incident, e.g. a report to triage).
	QueueTeamMail(ctx context.Context, incidentID int64, to []string, subject, body string, at time.Time) (int, error)
	// ProductIncidentSettings returns a product's settings (its alert addresses).
	ProductIncidentSettings(ctx context.Context, productID int64) (ProductSettings, error)
}

// Sender delivers notifications (SMTP and webhooks in the server).
type Sender interface {
	Mail(ctx context.Context, to, subject, body string) error
	Webhook(ctx context.Context, url string, n Notice) error
}

// Subscribe adds an e-mail or webhook subscriber to a product, subscribed
// at now.
func Subscribe(ctx context.Context, st NotifyStore, productID int64, email, webhook string, now time.Time) (*Subscriber, error) {
	email, webhook = strings.TrimSpace(email), strings.TrimSpace(webhook)
	switch {
	case (email == "") == (webhook == ""):
		return nil, fault.Invalid("email", "give either email or webhook")
	case email != "":
		a, err := mail.ParseAddress(email)
		if err != nil || a.Address != email || len(email) > 254 {
			return nil, fault.Invalid("email", "%q is not a plain e-mail address (name@example.com)", email)
		}
	default:
		u, err := url.Parse(webhook)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(webhook) > 2000 {
			return nil, fault.Invalid("webhook", "%q is not an http(s) URL", webhook)
		}
	}
	s := &Subscriber{ProductID: productID, Email: email, Webhook: webhook, CreatedAt: now.UTC()}
	if err := st.AddSubscriber(ctx, s); err != nil {
		return nil, err
	}
	return s, nil
}

// usersMessage is the customer notice of Art. 14(8): the incident and the
// measures users can take. It never carries internal details (exploitation
// intelligence, sensitivity, root cause).
func usersMessage(inc *Incident) (string, string) {
	subject := fmt.Sprintf("Security notice: %s", inc.Title)
	var b strings.Builder
	fmt.Fprintf(&b, "A security %s affects a product you use.\n\n", map[Kind]string{KindVulnerability: "vulnerability", KindIncident: "incident"}[inc.Kind])
	fmt.Fprintf(&b, "%s\n", inc.Title)
	if inc.Vulnerability != "" {
		fmt.Fprintf(&b, "Identifier: %s\n", inc.Vulnerability)
	}
	fmt.Fprintf(&b, "Severity: %s\n\n", inc.Severity)
	if m := strings.TrimSpace(inc.Details.CorrectiveMeasures); m != "" {
		fmt.Fprintf(&b, "What you should do:\n%s\n\n", m)
	}
	if u := strings.TrimSpace(inc.Details.FixingUpdate); u != "" {
		fmt.Fprintf(&b, "Fixed in: %s\n\n", u)
	}
	b.WriteString("You receive this because you subscribed to security notices for this product.\n")
	return subject, b.String()
}

// InformUsers queues the customer notice of an incident to every
// subscriber of its products and records it in the timeline.
func (s *Service) InformUsers(ctx context.Context, ns NotifyStore, id int64) (int, error) {
	inc, err := s.st.Incident(ctx, id)
	if err != nil {
		return 0, err
	}
	if inc.Drill {
		return 0, fault.Conflict("incident %d is a drill: customers are not notified", id)
	}
	subject, body := usersMessage(inc)
	now := s.now().UTC()
	n, err := ns.QueueNotifications(ctx, inc.ID, inc.Products, subject, body, now)
	if err != nil {
		return 0, err
	}
	inc.UpdatedAt = now
	if err := s.st.SaveIncident(ctx, inc, Entry{At: now, Actor: actor(ctx), Action: "users_notified", Detail: fmt.Sprintf("customer notice queued to %d subscribers", n)}); err != nil {
		return n, err
	}
	return n, nil
}

// Deliver sends queued notifications. A success marks the incident's users
// as informed (Art. 14(8)); failures are retried up to MaxNotifyAttempts.
func (s *Service) Deliver(ctx context.Context, ns NotifyStore, snd Sender) (sent, failed int, err error) {
	pending, err := ns.PendingNotifications(ctx, 100)
	if err != nil {
		return 0, 0, err
	}
	informed := map[int64]bool{}
	for _, n := range pending {
		var derr error
		if n.Subscriber.Email != "" {
			derr = snd.Mail(ctx, n.Subscriber.Email, n.Subject, n.Body)
		} else {
			derr = snd.Webhook(ctx, n.Subscriber.Webhook, n)
		}
		now := s.now().UTC()
		status, msg := NotifySent, ""
		if derr != nil {
			status, msg = NotifyQueued, derr.Error()
			if n.Attempts+1 >= MaxNotifyAttempts {
				status = NotifyFailed
			}
			failed++
		} else {
			sent++
			if n.IncidentID != 0 && n.Audience != AudienceTeam {
				informed[n.IncidentID] = true
			}
		}
		if err := ns.MarkNotification(ctx, n.ID, status, msg, now); err != nil {
			return sent, failed, err
		}
	}
	for id := range informed {
		inc, err := s.st.Incident(ctx, id)
		if err != nil || inc.Details.UsersInformed {
			continue
		}
		inc.Details.UsersInformed = true
		now := s.now().UTC()
		inc.UpdatedAt = now
		if err := s.st.SaveIncident(ctx, inc, Entry{At: now, Actor: "system", Action: "users_informed", Detail: "customer notice delivered"}); err != nil {
			return sent, failed, err
		}
	}
	return sent, failed, nil
}

// Reminder thresholds before a report's deadline.
var reminderLead = []time.Duration{6 * time.Hour, time.Hour}

// Remind raises one event per report and threshold (6 h and 1 h before the
// deadline, and once when it passes) for open real incidents whose report
// is not submitted; webhooks receive the events.
func (s *Service) Remind(ctx context.Context) (int, error) {
	no := false
	list, err := s.List(ctx, Filter{Drill: &no, Limit: 500})
	if err != nil {
		return 0, err
	}
	now := s.now().UTC()
	n := 0
	for i := range list {
		inc := &list[i]
		if inc.Phase == PhaseClosed {
			continue
		}
		for _, r := range inc.Reports {
			if r.Due == nil || r.Submission != nil {
				continue
			}
			left := r.Due.Sub(now)
			var mark, title string
			switch {
			case left < 0:
				mark, title = "overdue", fmt.Sprintf("Incident %d: the %s was due %s and is not recorded as submitted", inc.ID, r.Kind, r.Due.Format(time.RFC3339))
			default:
				for _, lead := range reminderLead {
					if left <= lead {
						mark = lead.String()
						title = fmt.Sprintf("Incident %d: the %s is due in less than %s (%s)", inc.ID, r.Kind, lead, r.Due.Format(time.RFC3339))
					}
				}
			}
			if mark == "" {
				continue
			}
			sig := Signal{Source: "reminder", Subject: fmt.Sprintf("%d:%s:%s", inc.ID, r.Kind, mark)}
			seen, err := s.st.SignalRecorded(ctx, sig)
			if err != nil || seen {
				if err != nil {
					return n, err
				}
				continue
			}
			if err := s.st.SaveIncident(ctx, inc, Entry{At: now, Actor: "system", Action: "reminder", Detail: title, Signals: []Signal{sig}}); err != nil {
				return n, err
			}
			if err := s.st.IncidentEvent(ctx, inc, "incident.report_due", title); err != nil {
				return n, err
			}
			if err := s.alertTeam(ctx, inc, strings.TrimPrefix(title, fmt.Sprintf("Incident %d: ", inc.ID))); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}
