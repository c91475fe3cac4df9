package store

import "context"

// Violation names the integrity constraint err violates as the store reads
// it from the driver's error code ("" for none).
func Violation(err error) string { return violationOf(err).String() }

// ExecRaw runs one statement outside the store's API, for tests that need
// a driver error of a given kind.
func (s *Store) ExecRaw(ctx context.Context, query string, args ...any) error {
	_, err := s.db.ExecContext(ctx, s.q(query), args...)
	return err
}

// MapErr is mapErr.
func MapErr(err error) error { return mapErr(err) }
