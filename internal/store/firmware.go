package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/rampart-security/rampart/internal/firmware"
)

// SaveFirmwareAnalysis records the analysis result of an image uploaded to
// a release and fills ID (and CreatedAt when zero).
func (s *Store) SaveFirmwareAnalysis(ctx context.Context, a *firmware.Analysis) error {
	if err := a.Validate(); err != nil {
		return err
	}
	raw, err := json.Marshal(a.Result)
	if err != nil {
		return fmt.Errorf("firmware analysis of release %d: %w", a.ReleaseID, err)
	}
	if a.CreatedAt.IsZero() {
		a.CreatedAt = s.now().UTC()
	}
	id, err := s.insertID(ctx, s.conn(ctx), `INSERT INTO firmware_analyses (release_id, sha256, file_name, result, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)`,
		a.ReleaseID, a.SHA256, a.FileName, string(raw), fmtTime(a.CreatedAt), a.CreatedBy)
	if err != nil {
		return fmt.Errorf("firmware analysis of release %d: %w", a.ReleaseID, err)
	}
	a.ID = id
	return nil
}

const firmwareCols = `fa.id, fa.release_id, fa.sha256, fa.file_name, fa.result, fa.created_at, fa.created_by`

func scanFirmwareAnalysis(sc rowScanner) (firmware.Analysis, error) {
	var a firmware.Analysis
	var raw, created string
	if err := sc.Scan(&a.ID, &a.ReleaseID, &a.SHA256, &a.FileName, &raw, &created, &a.CreatedBy); err != nil {
		return a, mapErr(err)
	}
	a.CreatedAt = parseTime(created)
	a.Result = &firmware.Result{}
	if err := json.Unmarshal([]byte(raw), a.Result); err != nil {
		return a, fmt.Errorf("firmware analysis %d: stored result: %w", a.ID, err)
	}
	return a, nil
}

// LatestFirmwareAnalysis returns the newest analysis of a release
// (fault.ErrNotFound when no image was analysed for it).
func (s *Store) LatestFirmwareAnalysis(ctx context.Context, releaseID int64) (firmware.Analysis, error) {
	a, err := scanFirmwareAnalysis(s.conn(ctx).QueryRowContext(ctx, s.q(`SELECT `+firmwareCols+` FROM firmware_analyses fa
		WHERE fa.release_id = ? ORDER BY fa.id DESC LIMIT 1`), releaseID))
	if err != nil {
		return a, fmt.Errorf("firmware analysis of release %d: %w", releaseID, err)
	}
	return a, nil
}

// PreviousFirmwareAnalysis returns the newest analysis of the closest
// earlier release (by creation) of the same product that has one
// (fault.ErrNotFound when none).
func (s *Store) PreviousFirmwareAnalysis(ctx context.Context, releaseID int64) (firmware.Analysis, error) {
	a, err := scanFirmwareAnalysis(s.conn(ctx).QueryRowContext(ctx, s.q(`SELECT `+firmwareCols+` FROM firmware_analyses fa
		JOIN releases r ON r.id = fa.release_id
		JOIN releases cur ON cur.id = ? AND cur.product_id = r.product_id
		WHERE r.id <> cur.id AND (r.created_at < cur.created_at OR (r.created_at = cur.created_at AND r.id < cur.id))
		ORDER BY r.created_at DESC, r.id DESC, fa.id DESC LIMIT 1`), releaseID))
	if err != nil {
		return a, fmt.Errorf("firmware analysis before release %d: %w", releaseID, err)
	}
	return a, nil
}
