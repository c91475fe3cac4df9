package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/goldentest"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
)

// TestSchemaGolden applies every migration to a fresh database and compares
// a normalized description of the schema it leaves with
// testdata/schema_<engine>.golden, so a change to how the migrations are
// written or assembled cannot change the schema unnoticed. After an intended
// schema change (a new migration), regenerate and review the diff:
//
//	RAMPART_TEST_POSTGRES=… go test ./internal/store -run TestSchemaGolden -update
func TestSchemaGolden(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		describe := describeSQLite
		if s.Engine() == store.Postgres {
			describe = describePostgres
		}
		desc, err := describe(ctx, s.DB())
		if err != nil {
			t.Fatal(err)
		}
		goldentest.Compare(t, "testdata/schema_"+string(s.Engine())+".golden", []byte(desc))
	})
}

// fold collapses every run of white space to one space.
func fold(s string) string { return strings.Join(strings.Fields(s), " ") }

// queryLines runs query and writes each row, its columns joined by " | "
// (NULL as "NULL"), as one indented line of b.
func queryLines(ctx context.Context, db *sql.DB, b *strings.Builder, query string, args ...any) error {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", query, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("%s: %w", query, err)
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			parts[i] = "NULL"
			if v.Valid {
				parts[i] = fold(v.String)
			}
		}
		fmt.Fprintf(b, "  %s\n", strings.Join(parts, " | "))
	}
	return rows.Err()
}

// queryStrings reads the first column of every row of query.
func queryStrings(ctx context.Context, db *sql.DB, query string, args ...any) ([]string, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", query, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// describeSQLite describes every table (its CREATE statement, columns,
// indexes and their columns, foreign keys), trigger and view, leaving out
// goose's own version table. Statement text is whitespace-folded.
func describeSQLite(ctx context.Context, db *sql.DB) (string, error) {
	var b strings.Builder
	tables, err := queryStrings(ctx, db, `SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'goose_db_version' ORDER BY name`)
	if err != nil {
		return "", err
	}
	for _, tbl := range tables {
		fmt.Fprintf(&b, "table %s\n", tbl)
		sections := []struct{ title, query string }{
			{"sql", `SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?`},
			{"columns (cid | name | type | notnull | dflt_value | pk | hidden)", `SELECT cid, name, type, "notnull", dflt_value, pk, hidden FROM pragma_table_xinfo(?) ORDER BY cid`},
			{"indexes (name | unique | origin | partial | sql)", `SELECT l.name, l."unique", l.origin, l.partial, m.sql FROM pragma_index_list(?) l LEFT JOIN sqlite_master m ON m.type = 'index' AND m.name = l.name ORDER BY l.name`},
			{"foreign keys (id | seq | table | from | to | on_update | on_delete | match)", `SELECT id, seq, "table", "from", "to", on_update, on_delete, "match" FROM pragma_foreign_key_list(?) ORDER BY id, seq`},
		}
		for _, sec := range sections {
			fmt.Fprintf(&b, " %s\n", sec.title)
			if err := queryLines(ctx, db, &b, sec.query, tbl); err != nil {
				return "", err
			}
		}
		indexes, err := queryStrings(ctx, db, `SELECT name FROM pragma_index_list(?) ORDER BY name`, tbl)
		if err != nil {
			return "", err
		}
		for _, ix := range indexes {
			fmt.Fprintf(&b, " index %s (seqno | cid | name | desc | coll | key)\n", ix)
			if err := queryLines(ctx, db, &b, `SELECT seqno, cid, name, "desc", coll, "key" FROM pragma_index_xinfo(?) ORDER BY seqno`, ix); err != nil {
				return "", err
			}
		}
	}
	b.WriteString("triggers and views (type | name | table | sql)\n")
	if err := queryLines(ctx, db, &b, `SELECT type, name, tbl_name, sql FROM sqlite_master WHERE type IN ('trigger', 'view') ORDER BY type, name`); err != nil {
		return "", err
	}
	return b.String(), nil
}

// describePostgres describes the test's schema (the connection's
// search_path, see storetest.FreshSchema): columns with type, nullability,
// default, identity and generation; indexes by their definition; and
// constraints by pg_get_constraintdef, leaving out goose's version table.
// The schema's random name is replaced by "<schema>".
func describePostgres(ctx context.Context, db *sql.DB) (string, error) {
	var schema string
	if err := db.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("columns (table | column | ordinal | data_type | udt | collation | nullable | default | identity | generated | expression)\n")
	if err := queryLines(ctx, db, &b, `SELECT table_name, column_name, ordinal_position, data_type, udt_name, collation_name, is_nullable, column_default, identity_generation, is_generated, generation_expression
		FROM information_schema.columns WHERE table_schema = $1 AND table_name <> 'goose_db_version' ORDER BY table_name, ordinal_position`, schema); err != nil {
		return "", err
	}
	b.WriteString("indexes (table | name | definition)\n")
	if err := queryLines(ctx, db, &b, `SELECT tablename, indexname, indexdef FROM pg_indexes
		WHERE schemaname = $1 AND tablename <> 'goose_db_version' ORDER BY tablename, indexname`, schema); err != nil {
		return "", err
	}
	b.WriteString("constraints (table | name | type | definition)\n")
	if err := queryLines(ctx, db, &b, `SELECT c.relname, k.conname, k.contype, pg_get_constraintdef(k.oid)
		FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relname <> 'goose_db_version' ORDER BY c.relname, k.conname`, schema); err != nil {
		return "", err
	}
	b.WriteString("triggers (table | name | definition)\n")
	if err := queryLines(ctx, db, &b, `SELECT c.relname, t.tgname, pg_get_triggerdef(t.oid)
		FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND NOT t.tgisinternal ORDER BY c.relname, t.tgname`, schema); err != nil {
		return "", err
	}
	return strings.ReplaceAll(b.String(), schema, "<schema>"), nil
}
