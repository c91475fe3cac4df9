package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/rampart-security/rampart/internal/conformity"
	"github.com/rampart-security/rampart/internal/fault"
)

// SaveConformityAnswer appends a new version of a manual answer for one
// item of a release's assessment and returns it with its version.
func (s *Store) SaveConformityAnswer(ctx context.Context, releaseID int64, a conformity.Answer) (conformity.Answer, error) {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var last sql.NullInt64
		if err := tx.QueryRowContext(ctx, s.q(`SELECT MAX(version) FROM conformity_answers WHERE release_id = ? AND catalog = ? AND item = ?`),
			releaseID, a.Catalog, a.Item).Scan(&last); err != nil {
			return err
		}
		a.Version = int(last.Int64) + 1
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO conformity_answers (release_id, catalog, item, version, status, justification, owner, evidence_url, author, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			releaseID, a.Catalog, a.Item, a.Version, a.Status, a.Justification, a.Owner, a.EvidenceURL, a.Author, fmtTime(a.UpdatedAt))
		return mapErr(err)
	})
	return a, err
}

// ReviewConformityAnswer marks the latest answer of an item reviewed.
func (s *Store) ReviewConformityAnswer(ctx context.Context, releaseID int64, catalog, item, reviewer string, at time.Time) (conformity.Answer, error) {
	var out conformity.Answer
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE conformity_answers SET reviewer = ?, reviewed_at = ?
			WHERE release_id = ? AND catalog = ? AND item = ? AND version = (SELECT MAX(version) FROM conformity_answers WHERE release_id = ? AND catalog = ? AND item = ?)`),
			reviewer, fmtTime(at), releaseID, catalog, item, releaseID, catalog, item)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("no manual answer for %s %s: %w", catalog, item, fault.ErrNotFound)
		}
		list, err := queryAll(ctx, tx, s.q(`SELECT `+answerCols+` FROM conformity_answers WHERE release_id = ? AND catalog = ? AND item = ? ORDER BY version DESC LIMIT 1`), scanAnswer, releaseID, catalog, item)
		if err != nil || len(list) == 0 {
			return err
		}
		out = list[0]
		return nil
	})
	return out, err
}

// ConformityAnswers returns every answer version of a release (all
// catalogues), oldest first; conformity.Assess picks the latest per item.
func (s *Store) ConformityAnswers(ctx context.Context, releaseID int64) ([]conformity.Answer, error) {
	return queryAll(ctx, s.conn(ctx), s.q(`SELECT `+answerCols+` FROM conformity_answers WHERE release_id = ? ORDER BY catalog, item, version`), scanAnswer, releaseID)
}

const answerCols = `catalog, item, version, status, justification, owner, evidence_url, author, created_at, reviewer, reviewed_at`

func scanAnswer(sc rowScanner) (conformity.Answer, error) {
	var a conformity.Answer
	var created string
	var reviewed sql.NullString
	err := sc.Scan(&a.Catalog, &a.Item, &a.Version, &a.Status, &a.Justification, &a.Owner, &a.EvidenceURL, &a.Author, &created, &a.Reviewer, &reviewed)
	a.UpdatedAt, a.ReviewedAt = parseTime(created), parseNullTime(reviewed)
	return a, err
}

// ReleaseSLA is the SLA evidence of one release's scanner findings.
func (s *Store) ReleaseSLA(ctx context.Context, releaseID int64, now time.Time) (conformity.SLAEvidence, error) {
	var e conformity.SLAEvidence
	err := s.conn(ctx).QueryRowContext(ctx, s.q(`SELECT COUNT(*), COALESCE(SUM(CASE WHEN closed_at <= sla_due THEN 1 ELSE 0 END), 0)
		FROM findings WHERE release_id = ? AND closed_at IS NOT NULL AND sla_due IS NOT NULL`), releaseID).Scan(&e.Closed, &e.ClosedInSLA)
	if err != nil {
		return e, err
	}
	e.Overdue, err = queryInto(ctx, s.conn(ctx), e.Overdue, s.q(`SELECT id FROM findings WHERE release_id = ? AND status IN ('open', 'confirmed', 'in_progress') AND sla_due < ? ORDER BY sla_due, id`),
		scanValue[int64], releaseID, fmtTime(now))
	return e, err
}
