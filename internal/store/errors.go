package store

import (
	"database/sql"
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/rampart-security/rampart/internal/fault"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// This file is the one place that reads driver errors. Both engines'
// errors are classified by their codes — SQLite's extended result code
// (*sqlite.Error Code()), PostgreSQL's SQLSTATE (*pgconn.PgError Code) —
// never by message text, which differs between engines, driver versions
// and locales.

// mapErr maps driver errors to the shared sentinels: no rows is
// fault.ErrNotFound, a unique or primary-key violation fault.ErrConflict
// ("already exists", without the driver's text). Other
// violations are returned as they are: a foreign-key violation means "no
// such parent" on an insert but "still referenced" on a delete, so the
// caller, which knows which, classifies it with isForeignKey; a NOT NULL or
// CHECK violation is a bug in the store's own validation (500).
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fault.ErrNotFound
	}
	if isUnique(err) {
		// The driver's text (constraint and column names) is not for the
		// caller: the wrapping names the object and the field.
		return &fault.Error{Kind: fault.KindConflict, Msg: "already exists"}
	}
	return err
}

// violation is the integrity constraint a driver error reports.
type violation int

const (
	noViolation         violation = iota
	uniqueViolation               // SQLITE_CONSTRAINT_UNIQUE or _PRIMARYKEY; 23505 unique_violation
	foreignKeyViolation           // SQLITE_CONSTRAINT_FOREIGNKEY; 23503 foreign_key_violation
	notNullViolation              // SQLITE_CONSTRAINT_NOTNULL; 23502 not_null_violation
	checkViolation                // SQLITE_CONSTRAINT_CHECK; 23514 check_violation
)

func (v violation) String() string {
	switch v {
	case uniqueViolation:
		return "unique"
	case foreignKeyViolation:
		return "foreign key"
	case notNullViolation:
		return "not null"
	case checkViolation:
		return "check"
	}
	return ""
}

var pgViolations = map[string]violation{
	"23505": uniqueViolation,
	"23503": foreignKeyViolation,
	"23502": notNullViolation,
	"23514": checkViolation,
}

var sqliteViolations = map[int]violation{
	sqlite3.SQLITE_CONSTRAINT_UNIQUE:     uniqueViolation,
	sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY: uniqueViolation,
	sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY: foreignKeyViolation,
	sqlite3.SQLITE_CONSTRAINT_NOTNULL:    notNullViolation,
	sqlite3.SQLITE_CONSTRAINT_CHECK:      checkViolation,
}

// violationOf returns the constraint err violates, read from the driver's
// error code anywhere in err's chain (noViolation for any other error).
func violationOf(err error) violation {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pgViolations[pg.Code]
	}
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		return sqliteViolations[lite.Code()]
	}
	return noViolation
}

// isUnique reports whether err is a unique or primary-key violation.
func isUnique(err error) bool { return violationOf(err) == uniqueViolation }

// isForeignKey reports whether err is a foreign-key violation.
func isForeignKey(err error) bool { return violationOf(err) == foreignKeyViolation }

// Retryable reports whether err is a transient conflict that a fresh
// attempt of the whole transaction can overcome, judged by the driver's
// error code (never by message text): PostgreSQL 40001
// (serialization_failure) and 40P01 (deadlock_detected), SQLite BUSY and
// LOCKED (with their extended codes).
func Retryable(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "40001" || pg.Code == "40P01"
	}
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		switch lite.Code() & 0xff { // primary result code
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return true
		}
	}
	return false
}
