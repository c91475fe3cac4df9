package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/threatmodel"
)

// SaveThreatModel stores source as the product's next threat-model version,
// unless it is identical to the latest, and returns the version in effect.
func (s *Store) SaveThreatModel(ctx context.Context, productID int64, source, note, actor string) (threatmodel.ThreatModelVersion, bool, error) {
	return s.saveThreatModel(ctx, productID, -1, source, note, actor)
}

// ErrStaleVersion is SaveThreatModelOn refusing a save on a version that is
// no longer the latest. It wraps fault.ErrConflict.
var ErrStaleVersion = fmt.Errorf("threat model version is not the latest: %w", fault.ErrConflict)

// SaveThreatModelOn is SaveThreatModel for an edit of version base (0: the
// product had no model): the new version is base+1, and when another
// version was saved since base (even by a transaction that commits while
// this one runs) it fails with ErrStaleVersion.
func (s *Store) SaveThreatModelOn(ctx context.Context, productID int64, base int, source, note, actor string) (threatmodel.ThreatModelVersion, bool, error) {
	return s.saveThreatModel(ctx, productID, base, source, note, actor)
}

func (s *Store) saveThreatModel(ctx context.Context, productID int64, base int, source, note, actor string) (threatmodel.ThreatModelVersion, bool, error) {
	sum := sha256.Sum256([]byte(source))
	v := threatmodel.ThreatModelVersion{ProductID: productID, Source: source, SHA256: hex.EncodeToString(sum[:]), Note: note, CreatedBy: actor, CreatedAt: s.now().UTC()}
	created := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		created = false // a retried attempt starts afresh
		var exists int64
		if err := tx.QueryRowContext(ctx, s.q(`SELECT id FROM products WHERE id = ?`), productID).Scan(&exists); err != nil {
			return fmt.Errorf("product %d: %w", productID, mapErr(err))
		}
		var last int
		var lastSHA sql.NullString
		err := tx.QueryRowContext(ctx, s.q(`SELECT version, sha256 FROM threat_models WHERE product_id = ? ORDER BY version DESC LIMIT 1`), productID).Scan(&last, &lastSHA)
		if err != nil && mapErr(err) != fault.ErrNotFound {
			return err
		}
		if base >= 0 && last != base {
			return ErrStaleVersion
		}
		if lastSHA.Valid && lastSHA.String == v.SHA256 {
			v.Version = last
			return nil
		}
		v.Version = last + 1
		created = true
		_, err = tx.ExecContext(ctx, s.q(`INSERT INTO threat_models (product_id, version, source, sha256, note, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)`),
			productID, v.Version, source, v.SHA256, note, fmtTime(v.CreatedAt), actor)
		if err = mapErr(err); base >= 0 && errors.Is(err, fault.ErrConflict) {
			return ErrStaleVersion // a concurrent save took version base+1
		}
		return err
	})
	if err != nil {
		return v, false, err
	}
	if !created {
		v, err = s.ThreatModel(ctx, productID, v.Version)
	}
	return v, created, err
}

// ThreatModel returns one version (0: the latest) of a product's model.
func (s *Store) ThreatModel(ctx context.Context, productID int64, version int) (threatmodel.ThreatModelVersion, error) {
	q := `SELECT version, source, sha256, note, created_at, created_by FROM threat_models WHERE product_id = ? AND version = ?`
	args := []any{productID, version}
	if version == 0 {
		q = `SELECT version, source, sha256, note, created_at, created_by FROM threat_models WHERE product_id = ? ORDER BY version DESC LIMIT 1`
		args = args[:1]
	}
	v := threatmodel.ThreatModelVersion{ProductID: productID}
	var at string
	err := s.conn(ctx).QueryRowContext(ctx, s.q(q), args...).Scan(&v.Version, &v.Source, &v.SHA256, &v.Note, &at, &v.CreatedBy)
	if err != nil {
		return v, fmt.Errorf("threat model of product %d (version %d): %w", productID, version, mapErr(err))
	}
	v.CreatedAt = parseTime(at)
	return v, nil
}

// ThreatModelVersions lists a product's versions, newest first.
func (s *Store) ThreatModelVersions(ctx context.Context, productID int64) ([]threatmodel.ThreatModelVersion, error) {
	return queryAll(ctx, s.conn(ctx), s.q(`SELECT version, sha256, note, created_at, created_by FROM threat_models WHERE product_id = ? ORDER BY version DESC`),
		func(sc rowScanner) (threatmodel.ThreatModelVersion, error) {
			v := threatmodel.ThreatModelVersion{ProductID: productID}
			var at string
			err := sc.Scan(&v.Version, &v.SHA256, &v.Note, &at, &v.CreatedBy)
			v.CreatedAt = parseTime(at)
			return v, err
		}, productID)
}

// TrackThreat stores the tracking of one threat.
func (s *Store) TrackThreat(ctx context.Context, productID int64, t threatmodel.ThreatTracking) error {
	q := `INSERT INTO threat_tracking (product_id, threat_id, status, owner, task, note, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (product_id, threat_id) DO UPDATE SET status = excluded.status, owner = excluded.owner, task = excluded.task,
		note = excluded.note, updated_at = excluded.updated_at, updated_by = excluded.updated_by`
	_, err := s.exec(ctx, s.q(q), productID, t.ThreatID, t.Status, t.Owner, t.Task, t.Note, fmtTime(t.UpdatedAt), t.UpdatedBy)
	return mapErr(err)
}

// ThreatTrackings returns the tracking of a product's threats by threat id.
func (s *Store) ThreatTrackings(ctx context.Context, productID int64) (map[string]threatmodel.ThreatTracking, error) {
	return queryMap(ctx, s.conn(ctx), s.q(`SELECT threat_id, status, owner, task, note, updated_at, updated_by FROM threat_tracking WHERE product_id = ?`), func(sc rowScanner) (string, threatmodel.ThreatTracking, error) {
		var t threatmodel.ThreatTracking
		var at string
		err := sc.Scan(&t.ThreatID, &t.Status, &t.Owner, &t.Task, &t.Note, &at, &t.UpdatedBy)
		t.UpdatedAt = parseTime(at)
		return t.ThreatID, t, err
	}, productID)
}
