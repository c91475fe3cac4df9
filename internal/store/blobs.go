package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/rampart-security/rampart/internal/blob"
)

func (s *Store) putBlob(ctx context.Context, tx *sql.Tx, b *blob.Blob) error {
	if b.SHA256 == "" {
		*b = blob.New(b.Name, b.MediaType, b.Content)
	}
	q := `INSERT INTO blobs (sha256, size, media_type, name, content, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING`
	if _, err := tx.ExecContext(ctx, s.q(q), b.SHA256, b.Size, b.MediaType, b.Name, b.Content, fmtTime(s.now())); err != nil {
		return fmt.Errorf("store blob %s: %w", b.SHA256, err)
	}
	return nil
}

// Blob returns a stored artefact by its SHA-256.
func (s *Store) Blob(ctx context.Context, sha string) (blob.Blob, error) {
	b := blob.Blob{SHA256: sha}
	var created string
	err := s.conn(ctx).QueryRowContext(ctx, s.q(`SELECT size, media_type, name, content, created_at FROM blobs WHERE sha256 = ?`), sha).
		Scan(&b.Size, &b.MediaType, &b.Name, &b.Content, &created)
	if err != nil {
		return b, fmt.Errorf("blob %s: %w", sha, mapErr(err))
	}
	b.CreatedAt = parseTime(created)
	return b, nil
}
