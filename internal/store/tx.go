package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// This file is the one place where the store opens write transactions and
// retries them. Every write path goes through inTx (a multi-statement
// transaction) or exec (one statement): both retry serialisation failures,
// deadlocks and a busy SQLite file with jittered exponential back-off, and
// both join the transaction that Atomic put in ctx, so a change and the
// audit record of it commit together or not at all.

// txKey carries the transaction of an Atomic call in a context.
type txKey struct{}

type txState struct {
	s  *Store
	tx *sql.Tx
}

// Retry policy: a few attempts within a couple of seconds. A busy SQLite
// file has already waited busy_timeout inside the driver, so a retry there
// is rare; on PostgreSQL a deadlock victim or a serialisation failure
// succeeds on the next attempt once the other transaction has committed.
const (
	maxAttempts = 6
	baseBackoff = 10 * time.Millisecond
	maxBackoff  = 500 * time.Millisecond
)

// retry runs attempt until it succeeds, fails with a non-retryable error,
// runs out of attempts or ctx ends.
func (s *Store) retry(ctx context.Context, attempt func() error) error {
	wait := baseBackoff
	for n := 1; ; n++ {
		err := attempt()
		if err == nil || n >= maxAttempts || !Retryable(err) {
			return err
		}
		if s.onRetry != nil {
			s.onRetry(err)
		}
		d := wait/2 + rand.N(wait) // jitter: [wait/2, 3·wait/2)
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(d):
		}
		wait = min(2*wait, maxBackoff)
	}
}

// joined returns the transaction of an enclosing Atomic call on this store.
func (s *Store) joined(ctx context.Context) *sql.Tx {
	if st, ok := ctx.Value(txKey{}).(*txState); ok && st.s == s {
		return st.tx
	}
	return nil
}

// conn returns what a statement should run on: the enclosing transaction,
// or the pool.
func (s *Store) conn(ctx context.Context) querier {
	if tx := s.joined(ctx); tx != nil {
		return tx
	}
	return s.db
}

// inTx runs fn in one transaction, committing when fn returns nil. Inside
// an Atomic call fn joins that transaction; otherwise the whole
// transaction is retried on a transient conflict, so fn must not keep
// state across attempts (reset what it accumulates at its start) and must
// not wait on the network.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if tx := s.joined(ctx); tx != nil {
		return fn(tx)
	}
	return s.retry(ctx, func() error { return once(ctx, s.db, fn) })
}

// txBeginner is what a transaction begins on: the pool, or one connection
// (SaveGateResult's large results).
type txBeginner interface {
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}

// once runs fn in one transaction begun on b, committing when fn returns
// nil and rolling back otherwise; it does not retry.
func once(ctx context.Context, b txBeginner, fn func(tx *sql.Tx) error) error {
	tx, err := b.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", mapErr(err))
	}
	return nil
}

// Atomic runs fn with a context carrying one transaction: every store
// method called with that context joins it, so all their writes (a change
// and its audit record, say) commit together or not at all. The whole of
// fn is retried on a transient conflict; like inTx, it must be repeatable.
func (s *Store) Atomic(ctx context.Context, fn func(ctx context.Context) error) error {
	if s.joined(ctx) != nil {
		return fn(ctx)
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		return fn(context.WithValue(ctx, txKey{}, &txState{s: s, tx: tx}))
	})
}

// exec runs one write statement (already rebound with s.q) in the
// enclosing transaction, or on its own with the retry policy.
func (s *Store) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if tx := s.joined(ctx); tx != nil {
		return tx.ExecContext(ctx, query, args...)
	}
	var res sql.Result
	err := s.retry(ctx, func() error {
		var err error
		res, err = s.db.ExecContext(ctx, query, args...)
		return err
	})
	return res, err
}

// OnRetry registers a function called with each error that is retried
// (metrics and tests).
func (s *Store) OnRetry(fn func(error)) { s.onRetry = fn }

// lockKey takes a PostgreSQL transaction-scoped advisory lock on a name
// (released at commit or rollback). On SQLite the write transaction already
// excludes every other writer, so it does nothing.
func (s *Store) lockKey(ctx context.Context, tx *sql.Tx, name string) error {
	if s.engine != Postgres {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, name); err != nil {
		return fmt.Errorf("lock %s: %w", name, err)
	}
	return nil
}
