package store

import (
	"context"
	"fmt"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/threatmodel"
)

// SaveThreatModel stores source as the product's next threat-model version,
// unless it is identical to the latest, and returns the version in effect.
func (s *Store) SaveThreatModel(ctx context.Context, productID int64, source, note, actor string) (threatmodel.ThreatModelVersion, bool, error) {
	return saveDoc[threatmodel.ThreatModelVersion](ctx, s, threatModelDocs, productID, -1, source, note, actor, s.now())
}

// ErrStaleVersion is SaveThreatModelOn refusing a save on a version that is
// no longer the latest. It wraps fault.ErrConflict.
var ErrStaleVersion = fmt.Errorf("threat model version is not the latest: %w", fault.ErrConflict)

// SaveThreatModelOn is SaveThreatModel for an edit of version base (0: the
// product had no model): the new version is base+1, and when another
// version was saved since base (even by a transaction that commits while
// this one runs) it fails with ErrStaleVersion.
func (s *Store) SaveThreatModelOn(ctx context.Context, productID int64, base int, source, note, actor string) (threatmodel.ThreatModelVersion, bool, error) {
	return saveDoc[threatmodel.ThreatModelVersion](ctx, s, threatModelDocs, productID, base, source, note, actor, s.now())
}

// ThreatModel returns one version (0: the latest) of a product's model.
func (s *Store) ThreatModel(ctx context.Context, productID int64, version int) (threatmodel.ThreatModelVersion, error) {
	return docAt[threatmodel.ThreatModelVersion](ctx, s, threatModelDocs, productID, version)
}

// ThreatModelVersions lists a product's versions, newest first.
func (s *Store) ThreatModelVersions(ctx context.Context, productID int64) ([]threatmodel.ThreatModelVersion, error) {
	return docVersions[threatmodel.ThreatModelVersion](ctx, s, threatModelDocs, productID, nil)
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
