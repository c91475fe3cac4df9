package store

import (
	"context"

	"github.com/rampart-security/rampart/internal/findings"
)

// Scans lists a release's imported reports, newest first.
func (s *Store) Scans(ctx context.Context, releaseID int64) ([]findings.Scan, error) {
	rows, err := s.conn(ctx).QueryContext(ctx, s.q(`SELECT id, release_id, tool, scope, file_name, blob_sha256, imported_at, imported_by, findings, new, unchanged, reopened, closed
		FROM scans WHERE release_id = ? ORDER BY id DESC LIMIT 200`), releaseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []findings.Scan
	for rows.Next() {
		var sc findings.Scan
		var at string
		if err := rows.Scan(&sc.ScanID, &sc.ReleaseID, &sc.Tool, &sc.Scope, &sc.FileName, &sc.SHA256, &at, &sc.ImportedBy, &sc.Findings, &sc.New, &sc.Unchanged, &sc.Reopened, &sc.Closed); err != nil {
			return nil, err
		}
		sc.ImportedAt = parseTime(at)
		out = append(out, sc)
	}
	return out, rows.Err()
}
