// Package fault is Rampart's one error vocabulary. Domain services return
// errors of these kinds; the HTTP layer maps a kind to a status in one table
// (web.Status) and the CLI tests kinds with errors.Is. It imports nothing of
// Rampart's, so every package may use it.
//
//	return fault.Invalid("expires", "must be a date no later than the token's own expiry")
//	if errors.Is(err, fault.ErrNotFound) { … }
//
// An error is classified either by being (or wrapping) an *Error built by
// the constructors below, or by wrapping a kind's sentinel: a typed error
// that carries more than a message (a stale version with the diff, a
// throttle with the wait) keeps its type and returns the sentinel from
// Unwrap, so errors.As still finds the type and errors.Is the kind.
// Never classify an error by its message text.
package fault

import (
	"errors"
	"fmt"
)

// Kind classifies an error for callers (HTTP status, CLI exit code).
type Kind int

// The kinds. Each has a sentinel below that errors.Is matches.
const (
	KindInternal             Kind = iota // anything unclassified
	KindNotFound                         // the object does not exist (or is not visible)
	KindConflict                         // already exists, or the current state does not allow it
	KindInvalid                          // the request is malformed or a field is invalid
	KindForbidden                        // the caller is known but not allowed
	KindUnauthenticated                  // no or bad credentials
	KindTooMany                          // throttled: try later
	KindUnprocessable                    // well-formed but unusable content (a bad report, SBOM, model)
	KindStale                            // the version the caller stated (If-Match) is no longer the latest
	KindPreconditionRequired             // the caller must state the version it read (If-Match) and did not
)

// Kinds lists every kind but KindInternal, in declaration order.
func Kinds() []Kind {
	out := make([]Kind, len(sentinels))
	for i, s := range sentinels {
		out[i] = s.kind
	}
	return out
}

func (k Kind) String() string {
	for _, s := range sentinels {
		if s.kind == k {
			return s.name
		}
	}
	return "internal"
}

// Sentinels, one per kind.
var (
	ErrNotFound        = errors.New("not found")
	ErrConflict        = errors.New("conflict")
	ErrInvalid         = errors.New("invalid input")
	ErrForbidden       = errors.New("forbidden")
	ErrUnauthenticated = errors.New("authentication required")
	ErrTooMany         = errors.New("too many requests")
	ErrUnprocessable   = errors.New("unprocessable content")
	// ErrStale: the caller changed something on a version that is no
	// longer the latest (someone saved in between); it must reload.
	ErrStale = errors.New("stale version")
	// ErrPreconditionRequired: a write that must say which version it was
	// made on (If-Match) did not.
	ErrPreconditionRequired = errors.New("precondition required")
)

// sentinels pairs each kind with its sentinel, in declaration order (a
// slice, so KindOf is deterministic for an error wrapping several).
var sentinels = []struct {
	kind Kind
	name string
	err  error
}{
	{KindNotFound, "not found", ErrNotFound},
	{KindConflict, "conflict", ErrConflict},
	{KindInvalid, "invalid", ErrInvalid},
	{KindForbidden, "forbidden", ErrForbidden},
	{KindUnauthenticated, "unauthenticated", ErrUnauthenticated},
	{KindTooMany, "too many", ErrTooMany},
	{KindUnprocessable, "unprocessable", ErrUnprocessable},
	{KindStale, "stale", ErrStale},
	{KindPreconditionRequired, "precondition required", ErrPreconditionRequired},
}

func sentinelOf(k Kind) error {
	for _, s := range sentinels {
		if s.kind == k {
			return s.err
		}
	}
	return nil
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
	if s := sentinelOf(e.Kind); s != nil {
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

// Stale says the version the caller stated as its precondition (If-Match)
// is no longer the latest: someone changed the object since the caller
// read it. A stale base version sent in the body of a request (a form's
// hidden version field) is a Conflict, as is any other state conflict.
func Stale(format string, args ...any) error { return newf(KindStale, format, args...) }

// PreconditionRequired says the request must state the version it was made
// on (If-Match) so that it cannot overwrite a change it has not seen.
func PreconditionRequired(format string, args ...any) error {
	return newf(KindPreconditionRequired, format, args...)
}

// Unprocessable wraps a content error (a bad report, SBOM or model).
func Unprocessable(err error) error { return &Error{Kind: KindUnprocessable, Err: err} }

// KindOf returns the kind of err: the first classified error in its chain,
// or a kind inferred from a sentinel it wraps.
func KindOf(err error) Kind {
	var fe *Error
	if errors.As(err, &fe) {
		return fe.Kind
	}
	for _, s := range sentinels {
		if errors.Is(err, s.err) {
			return s.kind
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
