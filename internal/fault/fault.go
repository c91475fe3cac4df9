// Package fault is Rampart's one error vocabulary. Domain services return
// errors of these kinds; the HTTP layer maps a kind to a status in one table
// (web.Status) and the CLI tests kinds with errors.Is. It imports nothing of
// Rampart's, so every package may use it.
//
//	return fault.Invalid("expires", "must be a date no later than the token's own expiry")
//	if errors.Is(err, fault.ErrNotFound) { … }
package fault

import (
	"errors"
	"fmt"
)

// Kind classifies an error for callers (HTTP status, CLI exit code).
type Kind int

// The kinds. Each has a sentinel below that errors.Is matches.
const (
	KindInternal        Kind = iota // anything unclassified
	KindNotFound                    // the object does not exist (or is not visible)
	KindConflict                    // already exists, stale version, state does not allow it
	KindInvalid                     // the request is malformed or a field is invalid
	KindForbidden                   // the caller is known but not allowed
	KindUnauthenticated             // no or bad credentials
	KindTooMany                     // throttled: try later
	KindUnprocessable               // well-formed but unusable content (a bad report, SBOM, model)
)

// Sentinels, one per kind.
var (
	ErrNotFound        = errors.New("not found")
	ErrConflict        = errors.New("conflict")
	ErrInvalid         = errors.New("invalid input")
	ErrForbidden       = errors.New("forbidden")
	ErrUnauthenticated = errors.New("authentication required")
	ErrTooMany         = errors.New("too many requests")
	ErrUnprocessable   = errors.New("unprocessable content")
)

var sentinels = map[Kind]error{
	KindNotFound: ErrNotFound, KindConflict: ErrConflict, KindInvalid: ErrInvalid,
	KindForbidden: ErrForbidden, KindUnauthenticated: ErrUnauthenticated,
	KindTooMany: ErrTooMany, KindUnprocessable: ErrUnprocessable,
}

// Error is a classified error with a message safe to show the caller.
type Error struct {
	Kind  Kind
	Field string // the offending input field (KindInvalid), if any
	Msg   string
	Err   error // the cause, if any
}

func (e *Error) Error() string {
	if e.Err != nil && e.Msg == "" {
		return e.Err.Error()
	}
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

// Unwrap returns the kind's sentinel and the cause.
func (e *Error) Unwrap() []error {
	out := []error{}
	if s, ok := sentinels[e.Kind]; ok {
		out = append(out, s)
	}
	if e.Err != nil {
		out = append(out, e.Err)
	}
	return out
}

func newf(k Kind, format string, args ...any) error {
	return &Error{Kind: k, Msg: fmt.Sprintf(format, args...)}
}

// NotFound says the named object does not exist.
func NotFound(format string, args ...any) error { return newf(KindNotFound, format, args...) }

// Conflict says the request conflicts with the current state.
func Conflict(format string, args ...any) error { return newf(KindConflict, format, args...) }

// Invalid says input field is invalid; msg says why and what to do.
func Invalid(field, format string, args ...any) error {
	return &Error{Kind: KindInvalid, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Forbidden says the caller may not do this.
func Forbidden(format string, args ...any) error { return newf(KindForbidden, format, args...) }

// Unauthenticated says the caller must sign in (or present valid credentials).
func Unauthenticated(format string, args ...any) error {
	return newf(KindUnauthenticated, format, args...)
}

// TooMany says the caller is throttled.
func TooMany(format string, args ...any) error { return newf(KindTooMany, format, args...) }

// Unprocessable wraps a content error (a bad report, SBOM or model).
func Unprocessable(err error) error { return &Error{Kind: KindUnprocessable, Err: err} }

// KindOf returns the kind of err: the first classified error in its chain,
// or a kind inferred from a sentinel it wraps.
func KindOf(err error) Kind {
	var fe *Error
	if errors.As(err, &fe) {
		return fe.Kind
	}
	for k, s := range sentinels {
		if errors.Is(err, s) {
			return k
		}
	}
	return KindInternal
}

// FieldOf returns the offending field of an invalid-input error, if any.
func FieldOf(err error) string {
	var fe *Error
	if errors.As(err, &fe) {
		return fe.Field
	}
	return ""
}
