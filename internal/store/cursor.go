package store

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/paging"
)

// ErrBadCursor is returned for a cursor this store did not produce: an
// invalid "cursor" field (400).
var ErrBadCursor = fault.Invalid("cursor", "invalid cursor")

// cursor is an opaque keyset position: the sort key and id of the last row.
type cursor struct {
	Key string `json:"k,omitempty"`
	ID  int64  `json:"i,omitempty"`
}

func (c cursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (c *cursor) decode(s string) error {
	if s == "" {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, c) != nil {
		return fmt.Errorf("%w %q", ErrBadCursor, s)
	}
	return nil
}

// nextPage cuts out, read with LIMIT limit+1, to limit rows and returns
// the cursor after the last of them (at gives its position), or "" when
// out was the last page.
func nextPage[T any](out []T, limit int, at func(last T) cursor) ([]T, string) {
	if len(out) <= limit {
		return out, ""
	}
	out = out[:limit]
	return out, at(out[limit-1]).encode()
}

func clampLimit(n int) int { return paging.Clamp(n) }

func isNotFound(err error) bool { return errors.Is(err, fault.ErrNotFound) }
func isConflict(err error) bool { return errors.Is(err, fault.ErrConflict) }
