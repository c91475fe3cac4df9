package store

import (
	"context"

	"github.com/rampart-security/rampart/internal/findings"
)

// Scans lists a release's imported reports, newest first.
func (s *Store) Scans(ctx context.Context, releaseID int64) ([]findings.Scan, error) {
	return queryAll(ctx, s.conn(ctx), s.q(`SELECT id, release_id, tool, scope, file_name, blob_sha256, imported_at, imported_by, findings, new, unchanged, reopened, closed, partial, partial_reason
		FROM scans WHERE release_id = ? ORDER BY id DESC LIMIT 200`), scanImportedScan, releaseID)
}

func scanImportedScan(row rowScanner) (findings.Scan, error) {
	var sc findings.Scan
	var at string
	err := row.Scan(&sc.ScanID, &sc.ReleaseID, &sc.Tool, &sc.Scope, &sc.FileName, &sc.SHA256, &at, &sc.ImportedBy, &sc.Findings, &sc.New, &sc.Unchanged, &sc.Reopened, &sc.Closed, &sc.Partial, &sc.PartialReason)
	sc.ImportedAt = parseTime(at)
	return sc, err
}
