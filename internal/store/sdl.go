package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/rampart-security/rampart/internal/sdl"
)

// Checklist returns a release's SDL checklist items by activity id.
func (s *Store) Checklist(ctx context.Context, releaseID int64) (map[string]sdl.ChecklistItem, error) {
	return queryMap(ctx, s.db, s.q(`SELECT activity, done, evidence FROM release_checklist WHERE release_id = ?`), func(sc rowScanner) (string, sdl.ChecklistItem, error) {
		var id string
		var done int
		var it sdl.ChecklistItem
		err := sc.Scan(&id, &done, &it.Evidence)
		it.Done = done == 1
		return id, it, err
	}, releaseID)
}

// SetChecklist upserts checklist items of a release in one transaction.
func (s *Store) SetChecklist(ctx context.Context, releaseID int64, items map[string]sdl.ChecklistItem, actor string, now time.Time) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var exists int64
		if err := tx.QueryRowContext(ctx, s.q(`SELECT id FROM releases WHERE id = ?`), releaseID).Scan(&exists); err != nil {
			return fmt.Errorf("release %d: %w", releaseID, mapErr(err))
		}
		for id, it := range items {
			done := 0
			if it.Done {
				done = 1
			}
			if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM release_checklist WHERE release_id = ? AND activity = ?`), releaseID, id); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO release_checklist (release_id, activity, done, evidence, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?)`),
				releaseID, id, done, it.Evidence, fmtTime(now), actor); err != nil {
				return mapErr(err)
			}
		}
		return nil
	})
}

// AddSAMMAssessment stores a new assessment (the history is the score over time).
func (s *Store) AddSAMMAssessment(ctx context.Context, a *sdl.SAMMAssessment) error {
	js, err := json.Marshal(a.Answers)
	if err != nil {
		return err
	}
	id, err := s.insertID(ctx, s.conn(ctx), `INSERT INTO samm_assessments (product_id, answers, note, created_at, created_by) VALUES (?, ?, ?, ?, ?)`,
		a.ProductID, string(js), a.Note, fmtTime(a.CreatedAt), a.CreatedBy)
	if err != nil {
		return fmt.Errorf("SAMM assessment of product %d: %w", a.ProductID, err)
	}
	a.ID = id
	return nil
}

// SAMMAssessments lists a product's assessments, oldest first, with scores.
func (s *Store) SAMMAssessments(ctx context.Context, productID int64) ([]sdl.SAMMAssessment, error) {
	return queryList(ctx, s.db, s.q(`SELECT id, answers, note, created_at, created_by FROM samm_assessments WHERE product_id = ? ORDER BY id`), func(sc rowScanner) (sdl.SAMMAssessment, error) {
		a := sdl.SAMMAssessment{ProductID: productID}
		var js, at string
		if err := sc.Scan(&a.ID, &js, &a.Note, &at, &a.CreatedBy); err != nil {
			return a, err
		}
		if err := json.Unmarshal([]byte(js), &a.Answers); err != nil {
			return a, fmt.Errorf("SAMM assessment %d: %w", a.ID, err)
		}
		a.CreatedAt, a.Scores = parseTime(at), sdl.Score(a.Answers)
		return a, nil
	}, productID)
}
