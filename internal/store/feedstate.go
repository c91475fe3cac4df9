package store

import (
	"context"

	"github.com/rampart-security/rampart/internal/vuln/mirror"
)

// FeedStates returns the state of every mirror URL seen.
func (s *Store) FeedStates(ctx context.Context) (map[string]mirror.State, error) {
	return queryMap(ctx, s.conn(ctx), `SELECT url, etag, last_modified, synced_until, checked_at, changed_at FROM feed_state`, func(sc rowScanner) (string, mirror.State, error) {
		var f mirror.State
		var synced, checked, changed string
		err := sc.Scan(&f.URL, &f.ETag, &f.LastModified, &synced, &checked, &changed)
		f.SyncedUntil, f.CheckedAt, f.ChangedAt = parseTime(synced), parseTime(checked), parseTime(changed)
		return f.URL, f, err
	})
}

// SaveFeedStates stores mirror states (after their data was imported).
func (s *Store) SaveFeedStates(ctx context.Context, states []mirror.State) error {
	for _, f := range states {
		synced, changed := "", ""
		if !f.SyncedUntil.IsZero() {
			synced = fmtTime(f.SyncedUntil)
		}
		if !f.ChangedAt.IsZero() {
			changed = fmtTime(f.ChangedAt)
		}
		_, err := s.exec(ctx, s.q(`INSERT INTO feed_state (url, etag, last_modified, synced_until, checked_at, changed_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (url) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified, synced_until = excluded.synced_until,
			checked_at = excluded.checked_at, changed_at = excluded.changed_at`), f.URL, f.ETag, f.LastModified, synced, fmtTime(f.CheckedAt), changed)
		if err != nil {
			return err
		}
	}
	return nil
}
