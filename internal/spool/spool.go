// Package spool copies an upload to a temporary file before anything is
// parsed or written, so that no database transaction ever waits on a slow
// client: the request body arrives at network speed into the spool, and the
// import then reads it back at disk speed inside one short transaction (and
// can read it again if that transaction is retried).
package spool

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"

	"github.com/rampart-security/rampart/internal/fault"
)

// File is a spooled upload: a read-only temporary file of known size and
// SHA-256. Close removes it.
type File struct {
	f      *os.File
	size   int64
	sha256 string
}

// ErrTooLarge is returned (wrapped) when the upload exceeds its limit.
var ErrTooLarge = errors.New("upload too large")

// New copies r into a temporary file in dir (empty: the system default),
// refusing more than max bytes (max <= 0: no limit). name is used in errors.
func New(r io.Reader, max int64, dir, name string) (*File, error) {
	f, err := os.CreateTemp(dir, "rampart-upload-*")
	if err != nil {
		return nil, fmt.Errorf("spool %s: %w", name, err)
	}
	_ = os.Remove(f.Name()) // unlinked at once (POSIX): nothing is left behind after a crash
	h := sha256.New()
	src := r
	if max > 0 {
		src = io.LimitReader(r, max+1)
	}
	n, err := io.Copy(io.MultiWriter(f, h), src)
	if err == nil && max > 0 && n > max {
		err = &fault.Error{Kind: fault.KindInvalid, Field: "file", Err: ErrTooLarge,
			Msg: fmt.Sprintf("%s is larger than the upload limit of %d MiB: split it or raise --max-upload", name, max>>20)}
	}
	if err != nil {
		f.Close()
		if errors.Is(err, ErrTooLarge) {
			return nil, err
		}
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return nil, &fault.Error{Kind: fault.KindInvalid, Field: "file", Err: ErrTooLarge,
				Msg: fmt.Sprintf("%s is larger than the upload limit of %d MiB: split it or raise --max-upload", name, mb.Limit>>20)}
		}
		return nil, fmt.Errorf("receive %s after %d bytes: %w", name, n, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	return &File{f: f, size: n, sha256: hex.EncodeToString(h.Sum(nil))}, nil
}

// Read reads from the current position.
func (s *File) Read(p []byte) (int, error) { return s.f.Read(p) }

// Seek moves the read position (io.Seeker): an import rewinds to read again.
func (s *File) Seek(off int64, whence int) (int64, error) { return s.f.Seek(off, whence) }

// ReadAt reads at an offset without moving the position.
func (s *File) ReadAt(p []byte, off int64) (int, error) { return s.f.ReadAt(p, off) }

// Rewind seeks back to the start.
func (s *File) Rewind() error {
	_, err := s.f.Seek(0, io.SeekStart)
	return err
}

// Size is the number of bytes spooled.
func (s *File) Size() int64 { return s.size }

// SHA256 is the hex SHA-256 of the content.
func (s *File) SHA256() string { return s.sha256 }

// Close removes the spool.
func (s *File) Close() error { return s.f.Close() }
