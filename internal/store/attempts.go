package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/identity"
)

// Throttle counters of authentication attempts (auth_failures), shared by
// every server through the database.

// attemptInFlight is how long a charged attempt beyond the free ones
// blocks its keys until FailAttempt or EndAttempt settles it.
const attemptInFlight = 10 * time.Second

// BeginAttempt atomically checks every key and, when none blocks, charges
// the attempt to each (it counts as a failure until EndAttempt refunds it
// on success). Parallel attempts are serialised per key by row locks, so
// no more attempts are evaluated than the policy allows. now is the
// caller's clock: waits are measured from it.
func (s *Store) BeginAttempt(ctx context.Context, keys []identity.AttemptKey, now time.Time) (identity.Attempt, error) {
	sorted := append([]identity.AttemptKey(nil), keys...)
	slices.SortFunc(sorted, func(a, b identity.AttemptKey) int { return strings.Compare(a.Key, b.Key) }) // one lock order: no deadlocks
	var out identity.Attempt
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		out = identity.Attempt{Failures: map[string]int{}}
		counts := make([]int, len(sorted))
		for i, k := range sorted {
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO auth_failures (key, failures, until) VALUES (?, 0, ?) ON CONFLICT (key) DO NOTHING`), k.Key, fmtTime(now)); err != nil {
				return err
			}
			var u string
			if err := tx.QueryRowContext(ctx, s.q(`SELECT failures, until FROM auth_failures WHERE key = ?`+s.forUpdate()), k.Key).Scan(&counts[i], &u); err != nil {
				return err
			}
			if k.LockAt > 0 && counts[i] >= k.LockAt {
				out.Locked = true
			}
			if w := parseTime(u).Sub(now); w > out.Wait {
				out.Wait = w
			}
		}
		if !out.Allowed() {
			return nil
		}
		for i, k := range sorted {
			n := counts[i] + 1
			until := now
			if k.Delay != nil && k.Delay(n) > 0 {
				// Beyond the free attempts, the key stays blocked while this
				// attempt is being evaluated; settling it sets the real wait.
				until = now.Add(k.Delay(n) + attemptInFlight)
			}
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE auth_failures SET failures = ?, until = ? WHERE key = ?`), n, fmtTime(until), k.Key); err != nil {
				return err
			}
			out.Failures[k.Key] = n
		}
		return nil
	})
	if err != nil {
		return identity.Attempt{}, fmt.Errorf("charge sign-in attempt: %w", err)
	}
	return out, nil
}

// EndAttempt settles a successful attempt: keys are cleared, or given
// their charge back when they ask for a refund (their back-off measured
// from now).
func (s *Store) EndAttempt(ctx context.Context, keys []identity.AttemptKey, now time.Time) error {
	for _, k := range keys {
		if !k.Refund {
			if _, err := s.exec(ctx, s.q(`DELETE FROM auth_failures WHERE key = ?`), k.Key); err != nil {
				return fmt.Errorf("settle sign-in attempt: %w", err)
			}
			continue
		}
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			var n int
			err := tx.QueryRowContext(ctx, s.q(`SELECT failures FROM auth_failures WHERE key = ?`+s.forUpdate()), k.Key).Scan(&n)
			if errors.Is(err, sql.ErrNoRows) || err == nil && n == 0 {
				return nil
			}
			if err != nil {
				return err
			}
			until := now
			if k.Delay != nil {
				until = now.Add(k.Delay(n - 1))
			}
			_, err = tx.ExecContext(ctx, s.q(`UPDATE auth_failures SET failures = ?, until = ? WHERE key = ?`), n-1, fmtTime(until), k.Key)
			return err
		})
		if err != nil {
			return fmt.Errorf("settle sign-in attempt: %w", err)
		}
	}
	return nil
}

// FailAttempt settles a failed attempt: its charge stays, and each key's
// back-off is measured from now (the failure's answer), replacing the
// in-flight block (unless a later attempt was charged meanwhile).
func (s *Store) FailAttempt(ctx context.Context, keys []identity.AttemptKey, att identity.Attempt, now time.Time) error {
	for _, k := range keys {
		n, ok := att.Failures[k.Key]
		if k.Delay == nil || !ok || k.Delay(n) <= 0 {
			continue
		}
		if _, err := s.exec(ctx, s.q(`UPDATE auth_failures SET until = ? WHERE key = ? AND failures = ?`),
			fmtTime(now.Add(k.Delay(n))), k.Key, n); err != nil {
			return fmt.Errorf("record sign-in failure: %w", err)
		}
	}
	return nil
}

// Failures returns the failure count and the time until which each key
// is blocked.
func (s *Store) Failures(ctx context.Context, keys ...string) (maxFailures int, until time.Time, err error) {
	for _, k := range keys {
		var n int
		var u string
		err := s.conn(ctx).QueryRowContext(ctx, s.q(`SELECT failures, until FROM auth_failures WHERE key = ?`), k).Scan(&n, &u)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return 0, time.Time{}, fmt.Errorf("read sign-in failures: %w", err)
		}
		if strings.HasPrefix(k, "user:") {
			maxFailures = max(maxFailures, n)
		}
		if t := parseTime(u); t.After(until) {
			until = t
		}
	}
	return maxFailures, until, nil
}

// RecordFailure increments a key's consecutive failure count and sets its
// block time with delay(failures); it returns the new count.
func (s *Store) RecordFailure(ctx context.Context, key string, delay func(failures int) time.Duration) (int, error) {
	var n int
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, s.q(`SELECT failures FROM auth_failures WHERE key = ?`+s.forUpdate()), key).Scan(&n)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		exists := err == nil
		n++
		until := fmtTime(s.now().Add(delay(n)))
		if exists {
			_, err = tx.ExecContext(ctx, s.q(`UPDATE auth_failures SET failures = ?, until = ? WHERE key = ?`), n, until, key)
		} else {
			_, err = tx.ExecContext(ctx, s.q(`INSERT INTO auth_failures (key, failures, until) VALUES (?, ?, ?)`+s.onConflictAdd()), key, n, until)
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("record sign-in failure: %w", err)
	}
	return n, nil
}

// ClearFailures forgets a key's failures (after a successful sign-in).
func (s *Store) ClearFailures(ctx context.Context, key string) error {
	_, err := s.exec(ctx, s.q(`DELETE FROM auth_failures WHERE key = ?`), key)
	return err
}

func (s *Store) forUpdate() string {
	if s.engine == Postgres {
		return " FOR UPDATE"
	}
	return ""
}

func (s *Store) onConflictAdd() string {
	return " ON CONFLICT (key) DO UPDATE SET failures = auth_failures.failures + 1, until = excluded.until"
}
