package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"time"
)

// Blob is a raw uploaded artefact (SBOM, scan report, firmware image), kept
// content-addressed by its SHA-256 so it can be re-processed and audited.
// Blobs live in the database so that several server processes sharing one
// PostgreSQL database see the same artefacts.
type Blob struct {
	SHA256    string
	Size      int64
	MediaType string
	Name      string
	Content   []byte
	CreatedAt time.Time
}

// NewBlob computes the content address of b.
func NewBlob(name, mediaType string, content []byte) Blob {
	sum := sha256.Sum256(content)
	return Blob{SHA256: hex.EncodeToString(sum[:]), Size: int64(len(content)), MediaType: mediaType, Name: name, Content: content}
}

func (s *Store) putBlob(ctx context.Context, tx *sql.Tx, b *Blob) error {
	if b.SHA256 == "" {
		*b = NewBlob(b.Name, b.MediaType, b.Content)
	}
	q := `INSERT INTO blobs (sha256, size, media_type, name, content, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING`
	if _, err := tx.ExecContext(ctx, s.q(q), b.SHA256, b.Size, b.MediaType, b.Name, b.Content, fmtTime(s.now())); err != nil {
		return fmt.Errorf("store blob %s: %w", b.SHA256, err)
	}
	return nil
}

// Blob returns a stored artefact by its SHA-256.
func (s *Store) Blob(ctx context.Context, sha string) (Blob, error) {
	b := Blob{SHA256: sha}
	var created string
	err := s.conn(ctx).QueryRowContext(ctx, s.q(`SELECT size, media_type, name, content, created_at FROM blobs WHERE sha256 = ?`), sha).
		Scan(&b.Size, &b.MediaType, &b.Name, &b.Content, &created)
	if err != nil {
		return b, fmt.Errorf("blob %s: %w", sha, mapErr(err))
	}
	b.CreatedAt = parseTime(created)
	return b, nil
}
