package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/incident"
)

var _ incident.IntakeStore = (*Store)(nil)

// CreateIntake stores an intake report.
func (s *Store) CreateIntake(ctx context.Context, r *incident.IntakeReport) error {
	var pid any
	if r.ProductID != 0 {
		pid = r.ProductID
	}
	var att any
	if len(r.Attachment) > 0 {
		att = r.Attachment
	}
	id, err := s.insertID(ctx, s.conn(ctx), `INSERT INTO intake_reports (tracking_id, token_hash, title, description, product_id, contact, exploited, status, source, created_at, updated_at, attachment_name, attachment)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.TrackingID, r.TokenHash, r.Title, r.Description, pid, r.Contact, r.Exploited, r.Status, r.Source, fmtTime(r.CreatedAt), fmtTime(r.UpdatedAt), r.AttachmentName, att)
	if err != nil {
		return fmt.Errorf("store intake report: %w", err)
	}
	r.ID = id
	return nil
}

const intakeCols = `id, tracking_id, token_hash, title, description, COALESCE(product_id, 0), contact, exploited, status, COALESCE(incident_id, 0), source, created_at, updated_at, attachment_name, attachment`

func scanIntake(sc rowScanner) (incident.IntakeReport, error) {
	var r incident.IntakeReport
	var created, updated string
	if err := sc.Scan(&r.ID, &r.TrackingID, &r.TokenHash, &r.Title, &r.Description, &r.ProductID, &r.Contact, &r.Exploited, &r.Status, &r.IncidentID,
		&r.Source, &created, &updated, &r.AttachmentName, &r.Attachment); err != nil {
		return r, err
	}
	r.CreatedAt, r.UpdatedAt = parseTime(created), parseTime(updated)
	return r, nil
}

func (s *Store) intakeWhere(ctx context.Context, cond string, arg any) (*incident.IntakeReport, error) {
	r, err := scanIntake(s.db.QueryRowContext(ctx, s.q(`SELECT `+intakeCols+` FROM intake_reports WHERE `+cond), arg))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fault.NotFound("no such report")
	}
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// IntakeByTracking finds a report by its tracking id.
func (s *Store) IntakeByTracking(ctx context.Context, tracking string) (*incident.IntakeReport, error) {
	return s.intakeWhere(ctx, "tracking_id = ?", tracking)
}

// IntakeByID finds a report.
func (s *Store) IntakeByID(ctx context.Context, id int64) (*incident.IntakeReport, error) {
	return s.intakeWhere(ctx, "id = ?", id)
}

// IntakeReports lists reports, newest first.
func (s *Store) IntakeReports(ctx context.Context, products []int64, limit int) ([]incident.IntakeReport, error) {
	q, args := `SELECT `+intakeCols+` FROM intake_reports`, []any{}
	if products != nil {
		if len(products) == 0 {
			return []incident.IntakeReport{}, nil
		}
		q += ` WHERE product_id IN (` + placeholders(len(products)) + `)`
		args = int64sToAny(products)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, clampLimit(limit))
	return queryList(ctx, s.db, s.q(q), scanIntake, args...)
}

// SetIntakeStatus records a report's triage.
func (s *Store) SetIntakeStatus(ctx context.Context, id int64, status string, incidentID int64, at time.Time) error {
	var inc any
	if incidentID != 0 {
		inc = incidentID
	}
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE intake_reports SET status = ?, incident_id = ?, updated_at = ? WHERE id = ?`), status, inc, fmtTime(at), id)
	return err
}

// IntakeCount counts reports since a time from one source ("" = all).
func (s *Store) IntakeCount(ctx context.Context, source string, since time.Time) (int, error) {
	q, args := `SELECT COUNT(*) FROM intake_reports WHERE created_at >= ?`, []any{fmtTime(since)}
	if source != "" {
		q += ` AND source = ?`
		args = append(args, source)
	}
	var n int
	err := s.db.QueryRowContext(ctx, s.q(q), args...).Scan(&n)
	return n, err
}

// ProductIDByName resolves a product name, case-insensitively.
func (s *Store) ProductIDByName(ctx context.Context, name string) (int64, error) {
	var id int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT id FROM products WHERE LOWER(name) = LOWER(?) ORDER BY id LIMIT 1`), name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fault.NotFound("no product named %q", name)
	}
	return id, err
}
