package vuln

import (
	"errors"
	"fmt"
)

// ErrInvalid is wrapped by every ParseError: the input is not a valid feed
// record (as opposed to an I/O failure).
var ErrInvalid = errors.New("invalid feed record")

// ParseError says which input (file, or file!entry inside an archive) and
// which field (JSON path such as "affected[0].ranges[1].events") is wrong.
type ParseError struct {
	File  string
	Field string // empty when the record as a whole could not be decoded
	Err   error
}

func (e *ParseError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("%s: %v", e.File, e.Err)
	}
	return fmt.Sprintf("%s: field %s: %v", e.File, e.Field, e.Err)
}

func (e *ParseError) Unwrap() []error { return []error{ErrInvalid, e.Err} }

// Errorf builds a ParseError for file and field.
func Errorf(file, field, format string, args ...any) error {
	return &ParseError{File: file, Field: field, Err: fmt.Errorf(format, args...)}
}
