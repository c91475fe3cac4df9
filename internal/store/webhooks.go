package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/rampart-security/rampart/internal/notify"
)

// QueueWindow is how far back QueueDeliveries looks for events that have
// no delivery yet. Event ids are assigned when a transaction inserts them
// but become visible when it commits, so on PostgreSQL a later id can
// commit first; a high-water mark would skip the earlier one for good.
// Looking back by time (with the primary key making re-queueing a no-op)
// catches every event whose transaction took less than this.
const QueueWindow = time.Hour

// QueueDeliveries creates a delivery for each URL of every event that has
// none yet: events newer than the newest queued one, and recent events
// (QueueWindow) that committed out of order. Idempotent: several servers
// may run it at once.
func (s *Store) QueueDeliveries(ctx context.Context, urls []string, now time.Time) (int, error) {
	n := 0
	since := fmtTime(now.Add(-QueueWindow))
	for _, u := range urls {
		res, err := s.exec(ctx, s.q(`INSERT INTO webhook_deliveries (event_id, url, next_at)
			SELECT e.id, ?, ? FROM events e
			WHERE (e.id > (SELECT COALESCE(MAX(event_id), 0) FROM webhook_deliveries WHERE url = ?) OR e.at >= ?)
			  AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id AND d.url = ?)
			ON CONFLICT DO NOTHING`), u, fmtTime(now), u, since, u)
		if err != nil {
			return n, fmt.Errorf("queue webhook deliveries: %w", err)
		}
		k, _ := res.RowsAffected()
		n += int(k)
	}
	return n, nil
}

// ClaimDeliveries takes up to limit due deliveries for this server and
// pushes their next attempt lease into the future, in one short
// transaction; the caller sends them outside any transaction and reports
// each with FinishDelivery. On PostgreSQL the claim uses FOR UPDATE SKIP
// LOCKED and the lease, so several servers share the queue without
// sending an event twice; a server that dies mid-send releases its claim
// when the lease ends.
func (s *Store) ClaimDeliveries(ctx context.Context, now time.Time, maxAttempts, limit int, lease time.Duration) ([]notify.Delivery, error) {
	lock := ""
	if s.engine == Postgres {
		lock = " FOR UPDATE OF d SKIP LOCKED"
	}
	var out []notify.Delivery
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		var err error
		out, err = queryInto(ctx, tx, out, s.q(`SELECT d.url, d.attempts, e.id, e.at, e.kind, COALESCE(e.product_id, 0), COALESCE(e.release_id, 0), e.subject, e.title, e.detail
			FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
			WHERE d.delivered_at IS NULL AND d.next_at <= ? AND d.attempts < ? ORDER BY d.next_at, d.event_id LIMIT ?`+lock), scanDelivery, fmtTime(now), maxAttempts, limit)
		if err != nil {
			return err
		}
		until := fmtTime(now.Add(lease))
		for _, d := range out {
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE webhook_deliveries SET next_at = ? WHERE event_id = ? AND url = ?`), until, d.Event.ID, d.URL); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

func scanDelivery(sc rowScanner) (notify.Delivery, error) {
	var d notify.Delivery
	var at string
	err := sc.Scan(&d.URL, &d.Attempts, &d.Event.ID, &at, &d.Event.Kind, &d.Event.ProductID, &d.Event.ReleaseID, &d.Event.Subject, &d.Event.Title, &d.Event.Detail)
	d.Event.At = parseTime(at)
	return d, err
}

// FinishDelivery records the outcome of sending a claimed delivery:
// delivered, or a retry with exponential back-off (1, 2, 4 … minutes).
func (s *Store) FinishDelivery(ctx context.Context, d notify.Delivery, sendErr error, now time.Time) error {
	var err error
	if sendErr == nil {
		_, err = s.exec(ctx, s.q(`UPDATE webhook_deliveries SET attempts = attempts + 1, delivered_at = ?, last_error = '' WHERE event_id = ? AND url = ?`),
			fmtTime(now), d.Event.ID, d.URL)
	} else {
		next := now.Add(time.Minute << min(d.Attempts, 12))
		_, err = s.exec(ctx, s.q(`UPDATE webhook_deliveries SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE event_id = ? AND url = ?`),
			fmtTime(next), truncate(sendErr.Error(), 500), d.Event.ID, d.URL)
	}
	if err != nil {
		return fmt.Errorf("record webhook delivery of event %d: %w", d.Event.ID, err)
	}
	return nil
}

// DeliverDue claims due deliveries in batches and sends them with up to
// parallel concurrent calls of send, outside any transaction, until none
// is due or budget has passed. It returns how many were sent and failed.
func (s *Store) DeliverDue(ctx context.Context, now time.Time, maxAttempts, parallel int, budget time.Duration, send func(notify.Delivery) error) (sent, failed int, err error) {
	if parallel <= 0 {
		parallel = 1
	}
	// The budget bounds how long this call runs, so it is measured on the
	// real clock, not the store's (a fake clock may stand still); the time
	// deliveries are due by is now.
	deadline := time.Now().Add(budget)
	for time.Now().Before(deadline) {
		batch, err := s.ClaimDeliveries(ctx, now, maxAttempts, 4*parallel, 5*time.Minute)
		if err != nil || len(batch) == 0 {
			return sent, failed, err
		}
		type result struct {
			d   notify.Delivery
			err error
		}
		work := make(chan notify.Delivery)
		results := make(chan result)
		for range min(parallel, len(batch)) {
			go func() {
				for d := range work {
					results <- result{d, send(d)}
				}
			}()
		}
		go func() {
			for _, d := range batch {
				work <- d
			}
			close(work)
		}()
		var ferr error
		for range batch {
			r := <-results
			if r.err == nil {
				sent++
			} else {
				failed++
			}
			if err := s.FinishDelivery(ctx, r.d, r.err, now); err != nil && ferr == nil {
				ferr = err
			}
		}
		if ferr != nil {
			return sent, failed, ferr
		}
	}
	return sent, failed, nil
}
