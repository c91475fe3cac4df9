package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/findings"
)

// UpdateFindings applies one triage change to several findings in one
// transaction (bulk actions), recording history.
func (s *Store) UpdateFindings(ctx context.Context, ids []int64, u findings.Update, actor string, now time.Time) error {
	if len(ids) == 0 {
		return fault.Invalid("ids", "ids: select at least one finding")
	}
	at := fmtTime(now)
	// Rows are locked in ascending id order, so two bulk changes over
	// overlapping selections queue behind each other instead of
	// deadlocking (PostgreSQL); a duplicate id is changed once.
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	return s.inTx(ctx, func(tx *sql.Tx) error {
		for _, id := range ids {
			var status string
			if err := tx.QueryRowContext(ctx, s.q(`SELECT status FROM findings WHERE id = ?`+s.forUpdate()), id).Scan(&status); err != nil {
				return fmt.Errorf("finding %d: %w", id, mapErr(err))
			}
			if t := u.Transition; t != nil {
				if err := t.Check(findings.Status(status), now); err != nil {
					return fault.Invalid("status", "status: %v", err)
				}
				var until any
				if t.AcceptedUntil != nil {
					until = fmtTime(*t.AcceptedUntil)
				}
				var closedAt any
				if t.To.Closed() {
					closedAt = at
				}
				if _, err := tx.ExecContext(ctx, s.q(`UPDATE findings SET status = ?, status_reason = ?, accepted_until = ?, accepted_by = ?, closed_at = ? WHERE id = ?`),
					string(t.To), t.Reason, until, t.Approver, closedAt, id); err != nil {
					return err
				}
				detail := t.Reason
				if t.AcceptedUntil != nil {
					detail += fmt.Sprintf(" (approved by %s until %s)", t.Approver, t.AcceptedUntil.Format("2006-01-02"))
				}
				if err := s.findingEvent(ctx, tx, id, at, actor, "status", status, string(t.To), detail); err != nil {
					return err
				}
			}
			if u.Assignee != nil {
				if _, err := tx.ExecContext(ctx, s.q(`UPDATE findings SET assignee = ? WHERE id = ?`), *u.Assignee, id); err != nil {
					return err
				}
				if err := s.findingEvent(ctx, tx, id, at, actor, "assign", "", "", *u.Assignee); err != nil {
					return err
				}
			}
			if c := strings.TrimSpace(u.Comment); c != "" {
				if err := s.findingEvent(ctx, tx, id, at, actor, "comment", "", "", c); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// ExpireAcceptances reopens risk-accepted findings whose acceptance ended
// and returns them; each gets a history entry and one
// "finding.acceptance-expired" event, in the same transaction. It is
// idempotent and safe to run on several servers at once: a finding is
// reopened (and announced) only by the transaction whose UPDATE changed
// its status, and PostgreSQL servers skip rows another one has locked.
func (s *Store) ExpireAcceptances(ctx context.Context, now time.Time) ([]findings.Stored, error) {
	var out []findings.Stored
	at := fmtTime(now)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		out = out[:0] // a retried attempt starts afresh
		lock := ""
		if s.engine == Postgres {
			lock = " ORDER BY f.id FOR UPDATE OF f SKIP LOCKED"
		}
		due, err := queryAll(ctx, tx, s.q(`SELECT `+findingCols+` FROM findings f JOIN releases r ON r.id = f.release_id JOIN products p ON p.id = f.product_id
			WHERE f.status = ? AND f.accepted_until <= ?`+lock), func(sc rowScanner) (findings.Stored, error) { return scanStoredFinding(sc, now) }, string(findings.StatusRiskAccepted), at)
		if err != nil {
			return err
		}
		for _, f := range due {
			res, err := tx.ExecContext(ctx, s.q(`UPDATE findings SET status = ?, status_reason = ? WHERE id = ? AND status = ?`),
				string(findings.StatusOpen), "risk acceptance expired", f.ID, string(findings.StatusRiskAccepted))
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				continue // another server reopened it first
			}
			if err := s.findingEvent(ctx, tx, f.ID, at, "rampart", "acceptance-expired", string(findings.StatusRiskAccepted), string(findings.StatusOpen), "risk acceptance expired"); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO events (at, kind, product_id, release_id, subject, title, detail) VALUES (?, ?, ?, ?, ?, ?, ?)`),
				at, "finding.acceptance-expired", f.ProductID, f.ReleaseID, strconv.FormatInt(f.ID, 10),
				fmt.Sprintf("Risk acceptance expired: %s (%s %s) reopened", f.Finding.Title, f.ProductName, f.Release), ""); err != nil {
				return err
			}
			f.Status = findings.StatusOpen
			out = append(out, f)
		}
		return nil
	})
	return out, err
}
