// Package blob holds the raw uploaded artefacts Rampart keeps (SBOMs, scan
// reports, firmware images): content-addressed by SHA-256 so they can be
// re-processed and audited.
package blob

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Blob is a raw uploaded artefact (SBOM, scan report, firmware image), kept
// content-addressed by its SHA-256 so it can be re-processed and audited.
// The store keeps blobs in the database so that several server processes
// sharing one PostgreSQL database see the same artefacts.
type Blob struct {
	SHA256    string
	Size      int64
	MediaType string
	Name      string
	Content   []byte
	CreatedAt time.Time
}

// New computes the content address of content and returns it as a Blob.
func New(name, mediaType string, content []byte) Blob {
	sum := sha256.Sum256(content)
	return Blob{SHA256: hex.EncodeToString(sum[:]), Size: int64(len(content)), MediaType: mediaType, Name: name, Content: content}
}
