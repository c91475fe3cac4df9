package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/rampart-security/rampart/internal/incident"
)

var _ incident.NotifyStore = (*Store)(nil)

// AddSubscriber stores a product's subscriber (a duplicate is a conflict).
func (s *Store) AddSubscriber(ctx context.Context, sub *incident.Subscriber) error {
	id, err := s.insertID(ctx, s.conn(ctx), `INSERT INTO subscribers (product_id, email, webhook, created_at) VALUES (?, ?, ?, ?)`,
		sub.ProductID, sub.Email, sub.Webhook, fmtTime(sub.CreatedAt))
	if err != nil {
		return incidentWriteErr(fmt.Sprintf("subscriber of product %d", sub.ProductID), err)
	}
	sub.ID = id
	return nil
}

// Subscribers lists a product's subscribers.
func (s *Store) Subscribers(ctx context.Context, productID int64) ([]incident.Subscriber, error) {
	return queryList(ctx, s.db, s.q(`SELECT id, product_id, email, webhook, created_at FROM subscribers WHERE product_id = ? ORDER BY id`), scanSubscriber, productID)
}

func scanSubscriber(sc rowScanner) (incident.Subscriber, error) {
	var sub incident.Subscriber
	var at string
	err := sc.Scan(&sub.ID, &sub.ProductID, &sub.Email, &sub.Webhook, &at)
	sub.CreatedAt = parseTime(at)
	return sub, err
}

// QueueNotifications queues one notification per distinct subscriber of
// the products.
func (s *Store) QueueNotifications(ctx context.Context, incidentID int64, products []int64, subject, body string, at time.Time) (int, error) {
	if len(products) == 0 {
		return 0, nil
	}
	var inc any
	if incidentID != 0 {
		inc = incidentID
	}
	args := []any{inc, subject, body, incident.NotifyQueued, fmtTime(at)}
	args = append(args, int64sToAny(products)...)
	res, err := s.db.ExecContext(ctx, s.q(`INSERT INTO notifications (subscriber_id, incident_id, subject, body, status, created_at)
		SELECT id, ?, ?, ?, ?, ? FROM subscribers WHERE product_id IN (`+placeholders(len(products))+`)`), args...)
	if err != nil {
		return 0, fmt.Errorf("queue notifications: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// QueueAdvisoryNotifications queues one notification per subscriber of the
// product about a published advisory.
func (s *Store) QueueAdvisoryNotifications(ctx context.Context, advisoryID, productID int64, subject, body string, at time.Time) (int, error) {
	res, err := s.db.ExecContext(ctx, s.q(`INSERT INTO notifications (subscriber_id, advisory_id, audience, subject, body, status, created_at)
		SELECT id, ?, ?, ?, ?, ?, ? FROM subscribers WHERE product_id = ?`), advisoryID, incident.AudienceCustomer, subject, body, incident.NotifyQueued, fmtTime(at), productID)
	if err != nil {
		return 0, fmt.Errorf("queue advisory notifications: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// QueueTeamMail queues one team e-mail per address about an incident.
func (s *Store) QueueTeamMail(ctx context.Context, incidentID int64, to []string, subject, body string, at time.Time) (int, error) {
	n := 0
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		n = 0
		var inc any
		if incidentID != 0 {
			inc = incidentID
		}
		for _, addr := range to {
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO notifications (recipient, audience, incident_id, subject, body, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`),
				addr, incident.AudienceTeam, inc, subject, body, incident.NotifyQueued, fmtTime(at)); err != nil {
				return fmt.Errorf("queue team mail to %s: %w", addr, err)
			}
			n++
		}
		return nil
	})
	return n, err
}

const noticeCols = `n.id, n.audience, n.recipient, n.incident_id, n.advisory_id, n.subject, n.body, n.status, n.attempts, n.error, n.created_at, n.sent_at,
	s.id, s.product_id, s.email, s.webhook, s.created_at`

func (s *Store) notices(ctx context.Context, where string, args ...any) ([]incident.Notice, error) {
	return queryList(ctx, s.db, s.q(`SELECT `+noticeCols+` FROM notifications n LEFT JOIN subscribers s ON s.id = n.subscriber_id WHERE `+where), scanNotice, args...)
}

func scanNotice(sc rowScanner) (incident.Notice, error) {
	var n incident.Notice
	var recipient, created string
	var inc, adv, sid, spid sql.NullInt64
	var sent, semail, shook, screated sql.NullString
	if err := sc.Scan(&n.ID, &n.Audience, &recipient, &inc, &adv, &n.Subject, &n.Body, &n.Status, &n.Attempts, &n.Error, &created, &sent,
		&sid, &spid, &semail, &shook, &screated); err != nil {
		return n, err
	}
	n.IncidentID, n.AdvisoryID, n.CreatedAt, n.SentAt = inc.Int64, adv.Int64, parseTime(created), parseTimePtr(sent)
	if sid.Valid {
		n.Subscriber = incident.Subscriber{ID: sid.Int64, ProductID: spid.Int64, Email: semail.String, Webhook: shook.String, CreatedAt: parseTime(screated.String)}
	} else {
		n.Subscriber = incident.Subscriber{Email: recipient}
	}
	return n, nil
}

// AdvisoryNotifications lists a published advisory's notifications.
func (s *Store) AdvisoryNotifications(ctx context.Context, advisoryID int64) ([]incident.Notice, error) {
	return s.notices(ctx, `n.advisory_id = ? ORDER BY n.id`, advisoryID)
}

// PendingNotifications returns queued notifications, oldest first.
func (s *Store) PendingNotifications(ctx context.Context, limit int) ([]incident.Notice, error) {
	return s.notices(ctx, `n.status = ? ORDER BY n.id LIMIT ?`, incident.NotifyQueued, clampLimit(limit))
}

// Notifications lists an incident's notifications with their status.
func (s *Store) Notifications(ctx context.Context, incidentID int64) ([]incident.Notice, error) {
	return s.notices(ctx, `n.incident_id = ? ORDER BY n.id`, incidentID)
}

// MarkNotification records a delivery attempt.
func (s *Store) MarkNotification(ctx context.Context, id int64, status, errText string, at time.Time) error {
	var sent any
	if status == incident.NotifySent {
		sent = fmtTime(at)
	}
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE notifications SET status = ?, attempts = attempts + 1, error = ?, sent_at = ? WHERE id = ?`),
		status, truncate(errText, 500), sent, id)
	return err
}
