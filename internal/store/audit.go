package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/audit"
)

// AppendAudit appends an event to the hash chain. Writers are serialised
// (SQLite: one writer; PostgreSQL: a transaction-scoped advisory lock), so
// Seq is exactly the previous Seq + 1 and PrevHash the previous Hash.
func (s *Store) AppendAudit(ctx context.Context, e *audit.Event) error {
	return s.inTx(ctx, func(tx *sql.Tx) error { return s.appendAuditTx(ctx, tx, e) })
}

// appendAuditTx appends e inside tx, so a change and its audit event commit
// or roll back together.
func (s *Store) appendAuditTx(ctx context.Context, tx *sql.Tx, e *audit.Event) error {
	{
		if s.engine == Postgres {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(4242004)`); err != nil {
				return fmt.Errorf("lock audit log: %w", err)
			}
		}
		var last sql.NullInt64
		var prev sql.NullString
		err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1`).Scan(&last, &prev)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("read audit head: %w", err)
		}
		e.Seq, e.PrevHash = 1, audit.Genesis
		if last.Valid {
			e.Seq, e.PrevHash = last.Int64+1, prev.String
		}
		e.Actor, e.Object, e.Detail = truncate(e.Actor, 200), truncate(e.Object, 500), truncate(e.Detail, 2000)
		e.Hash = audit.ComputeHash(*e)
		var pid any
		if e.ProductID != 0 {
			pid = e.ProductID
		}
		_, err = tx.ExecContext(ctx, s.q(`INSERT INTO audit_log (seq, at, actor, source, action, object, product_id, outcome, detail, prev_hash, hash)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			e.Seq, e.At.UTC().Format(audit.TimeLayout), e.Actor, e.Source, e.Action, e.Object, pid, e.Outcome, e.Detail, e.PrevHash, e.Hash)
		if err != nil {
			return fmt.Errorf("append audit event: %w", mapErr(err))
		}
		return nil
	}
}

const auditCols = `seq, at, actor, source, action, object, product_id, outcome, detail, prev_hash, hash`

func scanAudit(rows rowScanner) (audit.Event, error) {
	var e audit.Event
	var at string
	var pid sql.NullInt64
	err := rows.Scan(&e.Seq, &at, &e.Actor, &e.Source, &e.Action, &e.Object, &pid, &e.Outcome, &e.Detail, &e.PrevHash, &e.Hash)
	// A time altered to an unparsable value stays zero, and the zero time
	// hashes differently, so verification still catches it.
	e.At, _ = time.Parse(audit.TimeLayout, at)
	e.ProductID = pid.Int64
	return e, err
}

// VerifyAudit walks the whole log in order and returns the first break (a
// *audit.BrokenError), with the number of entries and the head hash.
func (s *Store) VerifyAudit(ctx context.Context) (count int64, head string, err error) {
	rows, err := s.conn(ctx).QueryContext(ctx, `SELECT `+auditCols+` FROM audit_log ORDER BY seq`)
	if err != nil {
		return 0, "", fmt.Errorf("read audit log: %w", err)
	}
	defer rows.Close()
	v := audit.NewVerifier()
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return v.Count(), v.Head(), fmt.Errorf("read audit entry: %w", err)
		}
		if err := v.Next(e); err != nil {
			return v.Count(), v.Head(), err
		}
	}
	return v.Count(), v.Head(), rows.Err()
}

// AuditEvents lists events newest first.
func (s *Store) AuditEvents(ctx context.Context, q audit.Query) ([]audit.Event, error) {
	var where []string
	var args []any
	if q.Action != "" {
		where = append(where, "action >= ? AND action < ?")
		args = append(args, q.Action, prefixEnd(q.Action))
	}
	if q.Actor != "" {
		where = append(where, "actor = ?")
		args = append(args, q.Actor)
	}
	if q.Product != 0 {
		where = append(where, "product_id = ?")
		args = append(args, q.Product)
	}
	if !q.Since.IsZero() {
		where = append(where, "at >= ?")
		args = append(args, q.Since.UTC().Format(audit.TimeLayout))
	}
	if q.Before > 0 {
		where = append(where, "seq < ?")
		args = append(args, q.Before)
	}
	if q.Products != nil {
		if len(q.Products) == 0 {
			return nil, nil
		}
		ph := placeholders(len(q.Products))
		where = append(where, "product_id IN ("+ph+")")
		for _, id := range q.Products {
			args = append(args, id)
		}
	}
	query := `SELECT ` + auditCols + ` FROM audit_log`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY seq DESC"
	switch {
	case q.Limit == 0:
		query += " LIMIT 100"
	case q.Limit > 0:
		query += " LIMIT ?"
		args = append(args, q.Limit)
	}
	out, err := queryAll(ctx, s.conn(ctx), s.q(query), scanAudit, args...)
	if err != nil {
		return nil, fmt.Errorf("list audit events: %w", err)
	}
	return out, nil
}

// CheckAuditHead compares the log with a head recorded earlier (the
// "head SEQ HASH" that audit verify prints): the entry SEQ must still exist
// with that hash. It detects truncation of the tail and a rewritten chain,
// which the chain alone cannot.
func (s *Store) CheckAuditHead(ctx context.Context, seq int64, hash string) error {
	var got string
	err := s.conn(ctx).QueryRowContext(ctx, s.q(`SELECT hash FROM audit_log WHERE seq = ?`), seq).Scan(&got)
	if errors.Is(err, sql.ErrNoRows) {
		return &audit.BrokenError{Seq: seq, Reason: "the recorded head entry is gone: the log was truncated"}
	}
	if err != nil {
		return fmt.Errorf("read audit entry %d: %w", seq, err)
	}
	if got != hash {
		return &audit.BrokenError{Seq: seq, Reason: "differs from the recorded head: the log was rewritten"}
	}
	return nil
}
