package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Delivery is one event to send to one webhook URL.
type Delivery struct {
	Event    Event
	URL      string
	Attempts int
}

// QueueDeliveries creates deliveries of every event newer than the newest
// already queued, for each URL (idempotent: several servers may run it).
func (s *Store) QueueDeliveries(ctx context.Context, urls []string, now time.Time) (int, error) {
	n := 0
	for _, u := range urls {
		res, err := s.db.ExecContext(ctx, s.q(`INSERT INTO webhook_deliveries (event_id, url, next_at)
			SELECT e.id, ?, ? FROM events e WHERE e.id > (SELECT COALESCE(MAX(event_id), 0) FROM webhook_deliveries WHERE url = ?)
			ON CONFLICT DO NOTHING`), u, fmtTime(now), u)
		if err != nil {
			return n, fmt.Errorf("queue webhook deliveries: %w", err)
		}
		k, _ := res.RowsAffected()
		n += int(k)
	}
	return n, nil
}

// DeliverDue claims due deliveries one at a time and calls send for each;
// success marks it delivered, failure schedules a retry with exponential
// back-off (1, 2, 4 … minutes, at most maxAttempts). On PostgreSQL the
// claim uses FOR UPDATE SKIP LOCKED, so several servers share the work
// without sending an event twice.
func (s *Store) DeliverDue(ctx context.Context, now time.Time, maxAttempts int, send func(Delivery) error) (sent, failed int, err error) {
	lock := ""
	if s.engine == Postgres {
		lock = " FOR UPDATE OF d SKIP LOCKED"
	}
	for range 100 {
		done := false
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			var d Delivery
			var at string
			err := tx.QueryRowContext(ctx, s.q(`SELECT d.url, d.attempts, e.id, e.at, e.kind, COALESCE(e.product_id, 0), COALESCE(e.release_id, 0), e.subject, e.title, e.detail
				FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
				WHERE d.delivered_at IS NULL AND d.next_at <= ? AND d.attempts < ? ORDER BY d.next_at, d.event_id LIMIT 1`+lock), fmtTime(now), maxAttempts).
				Scan(&d.URL, &d.Attempts, &d.Event.ID, &at, &d.Event.Kind, &d.Event.ProductID, &d.Event.ReleaseID, &d.Event.Subject, &d.Event.Title, &d.Event.Detail)
			if mapErr(err) == ErrNotFound {
				done = true
				return nil
			}
			if err != nil {
				return err
			}
			d.Event.At = parseTime(at)
			if serr := send(d); serr != nil {
				failed++
				next := now.Add(time.Minute << min(d.Attempts, 12))
				_, err = tx.ExecContext(ctx, s.q(`UPDATE webhook_deliveries SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE event_id = ? AND url = ?`),
					fmtTime(next), truncate(serr.Error(), 500), d.Event.ID, d.URL)
				return err
			}
			sent++
			_, err = tx.ExecContext(ctx, s.q(`UPDATE webhook_deliveries SET attempts = attempts + 1, delivered_at = ?, last_error = '' WHERE event_id = ? AND url = ?`),
				fmtTime(now), d.Event.ID, d.URL)
			return err
		})
		if err != nil || done {
			return sent, failed, err
		}
	}
	return sent, failed, nil
}
