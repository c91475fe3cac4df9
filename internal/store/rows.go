package store

import (
	"context"
	"database/sql"
)

// rowScanner is what a scan function reads one row from: a *sql.Row or
// *sql.Rows.
type rowScanner interface{ Scan(dest ...any) error }

// queryAll runs query (already rebound with s.q) on db and returns what
// scan reads from each row, nil when there is none. The query's error is
// returned as it is, for the caller to wrap.
func queryAll[T any](ctx context.Context, db querier, query string, scan func(rowScanner) (T, error), args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, nil, scan)
}

// collect appends what scan reads from each of rows to out and closes
// rows. A scan error returns nil; an error that ends the iteration returns
// what was read before it.
func collect[T any](rows *sql.Rows, out []T, scan func(rowScanner) (T, error)) ([]T, error) {
	defer rows.Close()
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// scanValue reads a row of one column.
func scanValue[T any](sc rowScanner) (T, error) {
	var v T
	err := sc.Scan(&v)
	return v, err
}
