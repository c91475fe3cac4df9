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
	return queryInto(ctx, db, nil, query, scan, args...)
}

// queryList is queryAll for a list that is empty, not nil, when there is
// no row (the API renders it as [] rather than null).
func queryList[T any](ctx context.Context, db querier, query string, scan func(rowScanner) (T, error), args ...any) ([]T, error) {
	return queryInto(ctx, db, []T{}, query, scan, args...)
}

// queryInto runs query on db and appends what scan reads from each row to
// out (see collect).
func queryInto[T any](ctx context.Context, db querier, out []T, query string, scan func(rowScanner) (T, error), args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, out, scan)
}

// queryMap runs query on db and returns the values scan reads from the
// rows by the keys it reads with them (a later row replaces an earlier one
// of the same key); an empty map when there is no row.
func queryMap[K comparable, V any](ctx context.Context, db querier, query string, scan func(rowScanner) (K, V, error), args ...any) (map[K]V, error) {
	out := map[K]V{}
	err := queryEach(ctx, db, query, func(sc rowScanner) error {
		k, v, err := scan(sc)
		if err == nil {
			out[k] = v
		}
		return err
	}, args...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// queryEach runs query on db and calls each with every row in order. It
// stops at the first error, of the query, of each or of the iteration, and
// returns it as it is; the rows are closed when it returns, so the caller
// may run further statements on the same transaction.
func queryEach(ctx context.Context, db querier, query string, each func(rowScanner) error, args ...any) error {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := each(rows); err != nil {
			return err
		}
	}
	return rows.Err()
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
