package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/policy"
)

// SavePolicy stores source as the next version of the product's policy
// (0: global), unless it equals the latest; it returns the version in
// effect and whether it was created.
func (s *Store) SavePolicy(ctx context.Context, productID int64, source, note, actor string, now time.Time) (policy.PolicyVersion, bool, error) {
	return saveDoc[policy.PolicyVersion](ctx, s, policyDocs, productID, -1, source, note, actor, now)
}

// Policy returns one version (0: latest) of a product's policy (product 0:
// global); fault.ErrNotFound when there is none.
func (s *Store) Policy(ctx context.Context, productID int64, version int) (policy.PolicyVersion, error) {
	return docAt[policy.PolicyVersion](ctx, s, policyDocs, productID, version)
}

// PolicyVersions lists a product's policy versions (without source), newest first.
func (s *Store) PolicyVersions(ctx context.Context, productID int64) ([]policy.PolicyVersion, error) {
	return docVersions(ctx, s, policyDocs, productID, []policy.PolicyVersion{})
}

// SaveApproved stores source as the next version of the product's
// approved-component list (0: global), unless it equals the latest.
func (s *Store) SaveApproved(ctx context.Context, productID int64, source, note, actor string, now time.Time) (policy.PolicyVersion, bool, error) {
	return saveDoc[policy.PolicyVersion](ctx, s, approvedDocs, productID, -1, source, note, actor, now)
}

// Approved returns one version (0: latest) of a product's approved list
// (product 0: global); fault.ErrNotFound when there is none.
func (s *Store) Approved(ctx context.Context, productID int64, version int) (policy.PolicyVersion, error) {
	return docAt[policy.PolicyVersion](ctx, s, approvedDocs, productID, version)
}

// ApprovedVersions lists a product's approved-list versions (without source), newest first.
func (s *Store) ApprovedVersions(ctx context.Context, productID int64) ([]policy.PolicyVersion, error) {
	return docVersions(ctx, s, approvedDocs, productID, []policy.PolicyVersion{})
}

const excCols = `id, product_id, rule, match_id, match_component, match_path, reason, expires, status, requested_by, requested_at, decided_by, decided_at`

func scanException(sc rowScanner) (policy.PolicyException, error) {
	var e policy.PolicyException
	var req, dec string
	err := sc.Scan(&e.ID, &e.ProductID, &e.Rule, &e.MatchID, &e.MatchComponent, &e.MatchPath, &e.Reason, &e.Expires, &e.Status, &e.RequestedBy, &req, &e.DecidedBy, &dec)
	e.RequestedAt = parseTime(req)
	if dec != "" {
		t := parseTime(dec)
		e.DecidedAt = &t
	}
	return e, err
}

// CreateException stores a requested exception.
func (s *Store) CreateException(ctx context.Context, e *policy.PolicyException) error {
	id, err := s.insertID(ctx, s.conn(ctx), `INSERT INTO policy_exceptions (product_id, rule, match_id, match_component, match_path, reason, expires, status, requested_by, requested_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, e.ProductID, e.Rule, e.MatchID, e.MatchComponent, e.MatchPath, e.Reason, e.Expires, e.Status, e.RequestedBy, fmtTime(e.RequestedAt))
	if err != nil {
		return fmt.Errorf("create exception: %w", err)
	}
	e.ID = id
	return nil
}

// Exception returns one exception of a product.
func (s *Store) Exception(ctx context.Context, productID, id int64) (policy.PolicyException, error) {
	e, err := scanException(s.conn(ctx).QueryRowContext(ctx, s.q(`SELECT `+excCols+` FROM policy_exceptions WHERE product_id = ? AND id = ?`), productID, id))
	if err != nil {
		return e, fmt.Errorf("exception %d of product %d: %w", id, productID, mapErr(err))
	}
	return e, nil
}

// Exceptions lists a product's exceptions, newest first.
func (s *Store) Exceptions(ctx context.Context, productID int64) ([]policy.PolicyException, error) {
	return queryList(ctx, s.db, s.q(`SELECT `+excCols+` FROM policy_exceptions WHERE product_id = ? ORDER BY id DESC`), scanException, productID)
}

// DecideException moves a requested exception to approved or rejected. It
// returns fault.ErrConflict when the exception is no longer requested.
func (s *Store) DecideException(ctx context.Context, productID, id int64, status, actor string, now time.Time) error {
	res, err := s.exec(ctx, s.q(`UPDATE policy_exceptions SET status = ?, decided_by = ?, decided_at = ? WHERE product_id = ? AND id = ? AND status = 'requested'`),
		status, actor, fmtTime(now), productID, id)
	if err != nil {
		return mapErr(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := s.Exception(ctx, productID, id); err != nil {
			return err
		}
		return fmt.Errorf("exception %d: %w: it has already been decided", id, fault.ErrConflict)
	}
	return nil
}

// ExpireExceptions marks approved exceptions of a product (0: of every
// product) whose expiry day is before today as expired, raises an event
// (kind policy.exception.expired, so webhooks tell the product team) for
// each in the same transaction, and returns them (for the audit event).
func (s *Store) ExpireExceptions(ctx context.Context, productID int64, today string) ([]policy.PolicyException, error) {
	var out []policy.PolicyException
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		q, args := `SELECT `+excCols+` FROM policy_exceptions WHERE status = 'approved' AND expires < ?`, []any{today}
		if productID != 0 {
			q, args = q+` AND product_id = ?`, append(args, productID)
		}
		var err error
		if out, err = queryInto(ctx, tx, out, s.q(q+` ORDER BY id`), scanException, args...); err != nil {
			return err
		}
		now := fmtTime(s.now().UTC())
		for i := range out {
			e := &out[i]
			// The status guard makes a concurrent expiry (another server) a no-op here.
			res, err := tx.ExecContext(ctx, s.q(`UPDATE policy_exceptions SET status = 'expired' WHERE id = ? AND status = 'approved'`), e.ID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				continue
			}
			e.Status = "expired"
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO events (at, kind, product_id, release_id, subject, title, detail) VALUES (?, ?, ?, ?, ?, ?, ?)`),
				now, "policy.exception.expired", e.ProductID, 0, fmt.Sprintf("exception:%d", e.ID),
				fmt.Sprintf("Gate exception for %s expired on %s", e.Rule, e.Expires),
				fmt.Sprintf("approved by %s: %s; it fails the gate until renewed or removed", e.DecidedBy, e.Reason)); err != nil {
				return mapErr(err)
			}
		}
		return nil
	})
	expired := out[:0]
	for _, e := range out {
		if e.Status == "expired" {
			expired = append(expired, e)
		}
	}
	return expired, err
}

// SaveGateResult replaces a release's gate result.
func (s *Store) SaveGateResult(ctx context.Context, g policy.GateResult) error {
	passed := 0
	if g.Passed {
		passed = 1
	}
	save := func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM gate_results WHERE release_id = ?`), g.ReleaseID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO gate_results (release_id, passed, failing, policy_scope, policy_version, trigger_kind, result, evaluated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
			g.ReleaseID, passed, g.Failing, g.PolicyScope, g.PolicyVersion, g.Trigger, g.Result, fmtTime(g.EvaluatedAt))
		return mapErr(err)
	}
	if s.engine != SQLite || s.joined(ctx) != nil || len(g.Result) < largeResult {
		return s.inTx(ctx, save)
	}
	// A large result (before the gate kept at most 1,000 violations, a
	// 640,000-component release wrote ~55 MB; long messages can still
	// make one large) is written on one connection whose page cache is cut to
	// scanCacheKiB: the transaction's dirty overflow pages spill to the
	// WAL instead of filling the pooled connection's 64 MiB cache, which
	// stays allocated after the commit (docs/performance.md).
	return s.retry(ctx, func() error {
		c, err := s.db.Conn(ctx)
		if err != nil {
			return fmt.Errorf("save gate result: %w", err)
		}
		defer c.Close()
		if _, err := c.ExecContext(ctx, fmt.Sprintf(`PRAGMA cache_size = -%d`, scanCacheKiB)); err != nil {
			return fmt.Errorf("save gate result: %w", err)
		}
		// The DSN's setting again, for the pooled connection.
		defer c.ExecContext(context.WithoutCancel(ctx), `PRAGMA cache_size = -65536`)
		return once(ctx, c, save)
	})
}

// largeResult is the size from which SaveGateResult writes on a
// connection with a small page cache.
const largeResult = 4 << 20

// GateResultOf returns a release's last gate result.
func (s *Store) GateResultOf(ctx context.Context, releaseID int64) (policy.GateResult, error) {
	g := policy.GateResult{ReleaseID: releaseID}
	var passed int
	var at string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT passed, failing, policy_scope, policy_version, trigger_kind, result, evaluated_at FROM gate_results WHERE release_id = ?`), releaseID).
		Scan(&passed, &g.Failing, &g.PolicyScope, &g.PolicyVersion, &g.Trigger, &g.Result, &at)
	if err != nil {
		return g, fmt.Errorf("gate result of release %d: %w", releaseID, mapErr(err))
	}
	g.Passed, g.EvaluatedAt = passed == 1, parseTime(at)
	return g, nil
}
