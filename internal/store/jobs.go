package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/rampart-security/rampart/internal/fault"
)

// ClaimJob takes the lease of the periodic job name for holder until
// now+every, if no other holder has a current lease, and reports whether it
// did. One statement (an upsert guarded by the lease's expiry) does it, so
// of several servers claiming at once exactly one wins: on PostgreSQL the
// others wait on the row and then see the new lease; on SQLite the write
// lock serialises them.
func (s *Store) ClaimJob(ctx context.Context, name, holder string, now time.Time, every time.Duration) (bool, error) {
	res, err := s.exec(ctx, s.q(`INSERT INTO job_leases (name, holder, until) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until WHERE job_leases.until <= ?`),
		name, holder, fmtTime(now.Add(every)), fmtTime(now))
	if err != nil {
		return false, fmt.Errorf("claim job %s: %w", name, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// Generation returns a counter (0 when never set).
func (s *Store) Generation(ctx context.Context, name string) (int64, error) {
	var v int64
	err := s.conn(ctx).QueryRowContext(ctx, s.q(`SELECT value FROM generations WHERE name = ?`), name).Scan(&v)
	if errors.Is(mapErr(err), fault.ErrNotFound) {
		return 0, nil
	}
	return v, err
}

// BumpGeneration increments a counter and returns its new value.
func (s *Store) BumpGeneration(ctx context.Context, name string) (int64, error) {
	var v int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, s.q(`INSERT INTO generations (name, value) VALUES (?, 1)
			ON CONFLICT (name) DO UPDATE SET value = generations.value + 1 RETURNING value`), name).Scan(&v)
	})
	return v, err
}

// SetGeneration records that the counter reached at least v.
func (s *Store) SetGeneration(ctx context.Context, name string, v int64) error {
	_, err := s.exec(ctx, s.q(`INSERT INTO generations (name, value) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value WHERE generations.value < excluded.value`), name, v)
	return err
}
