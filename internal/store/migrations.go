package store

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sync"
	"testing/fstest"
)

// migrations holds the schema's goose migrations, each version in exactly
// one of two forms (TestMigrationFoldersInStep):
//
//   - migrations/schema/: written once, in PostgreSQL's dialect, for both
//     engines; SQLite reads it through sqliteDialect.
//   - migrations/sqlite/ and migrations/postgres/: a version whose
//     statements are engine-specific (FTS5 triggers, a table rebuild, a
//     DO $$ block), or whose SQLite form is not the rewrite of the
//     PostgreSQL one (00030 and 00148 declare BIGINT on SQLite too), under
//     the same file name in both folders.
//
//go:embed migrations
var migrations embed.FS

// sharedMigrations is the folder of the migrations written once.
const sharedMigrations = "migrations/schema"

// migrationFS returns the folder goose applies on engine (assembleMigrations),
// built once per process: Ready reads it on every readiness probe.
func migrationFS(engine Engine) (fs.FS, error) {
	build, ok := assembled[engine]
	if !ok {
		return nil, fmt.Errorf("no migrations for engine %q", engine)
	}
	return build()
}

var assembled = map[Engine]func() (fs.FS, error){
	SQLite:   sync.OnceValues(func() (fs.FS, error) { return assembleMigrations(SQLite) }),
	Postgres: sync.OnceValues(func() (fs.FS, error) { return assembleMigrations(Postgres) }),
}

// assembleMigrations builds the folder goose applies on engine: every shared
// migration (rewritten by sqliteDialect for SQLite) and every file of the
// engine's own folder. A file name in both sources is an error.
func assembleMigrations(engine Engine) (fs.FS, error) {
	// An in-memory folder; testing/fstest's MapFS is a plain fs.FS and
	// imports nothing of package testing.
	out := fstest.MapFS{}
	add := func(dir string, rewrite func(string) string) error {
		entries, err := fs.ReadDir(migrations, dir)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if _, dup := out[e.Name()]; dup {
				return fmt.Errorf("migration %s is both in %s and in %s", e.Name(), sharedMigrations, dir)
			}
			b, err := fs.ReadFile(migrations, path.Join(dir, e.Name()))
			if err != nil {
				return err
			}
			if rewrite != nil {
				b = []byte(rewrite(string(b)))
			}
			out[e.Name()] = &fstest.MapFile{Data: b, Mode: 0o444}
		}
		return nil
	}
	var rewrite func(string) string
	if engine == SQLite {
		rewrite = sqliteDialect
	}
	if err := add(sharedMigrations, rewrite); err != nil {
		return nil, err
	}
	if err := add("migrations/"+string(engine), nil); err != nil {
		return nil, err
	}
	return out, nil
}

// sqliteRules are sqliteDialect's rewrites, applied in order (the identity
// key before the plain BIGINT it begins with).
var sqliteRules = []struct {
	pg     *regexp.Regexp
	sqlite string
}{
	// An identity key is SQLite's rowid alias, which must be spelt
	// INTEGER; AUTOINCREMENT keeps ids of deleted rows from being reused,
	// as PostgreSQL's identity never reuses them.
	{regexp.MustCompile(`\bBIGINT\s+GENERATED\s+ALWAYS\s+AS\s+IDENTITY\s+PRIMARY\s+KEY\b`), "INTEGER PRIMARY KEY AUTOINCREMENT"},
	// PostgreSQL (before 18) has only STORED generated columns; SQLite's
	// are VIRTUAL (ALTER TABLE cannot add a STORED one there).
	{regexp.MustCompile(`(\bGENERATED\s+ALWAYS\s+AS\s+\(.*\))\s+STORED\b`), "$1 VIRTUAL"},
	{regexp.MustCompile(`\bBIGINT\b`), "INTEGER"},
	{regexp.MustCompile(`\bBOOLEAN\b`), "INTEGER"},
	{regexp.MustCompile(`\bDEFAULT\s+FALSE\b`), "DEFAULT 0"},
	{regexp.MustCompile(`\bDEFAULT\s+TRUE\b`), "DEFAULT 1"},
	{regexp.MustCompile(`\bDOUBLE\s+PRECISION\b`), "REAL"},
	{regexp.MustCompile(`\bBYTEA\b`), "BLOB"},
	// SQLite's default collation, BINARY, already compares bytes as "C".
	{regexp.MustCompile(`\s+COLLATE\s+"C"`), ""},
}

// sqliteDialect rewrites a shared migration, written in PostgreSQL's
// dialect, into the SQLite schema Rampart has always had: the type
// spellings of sqliteRules (BIGINT and BOOLEAN as INTEGER, DEFAULT
// FALSE/TRUE as 0/1, DOUBLE PRECISION as REAL, BYTEA as BLOB, an identity
// key as INTEGER PRIMARY KEY AUTOINCREMENT, a STORED generated column as
// VIRTUAL, COLLATE "C" dropped).
//
// It is not a SQL translator: it runs only on our own, trusted migration
// files and matches upper-case keywords at word boundaries, with no parser.
// It does not see comments or string literals (it rewrites inside them
// too), and it leaves everything else as written: lower-case spellings,
// other types (SERIAL, TIMESTAMPTZ, JSONB, arrays), casts (::), TRUE and
// FALSE outside a DEFAULT, ALTER COLUMN, CREATE EXTENSION, index methods,
// DO $$ blocks and functions. A migration that needs any of those goes in
// both engine folders; TestSharedMigrationsPortable fails on a shared one
// whose rewrite still holds a PostgreSQL-only token.
func sqliteDialect(pg string) string {
	for _, r := range sqliteRules {
		pg = r.pg.ReplaceAllString(pg, r.sqlite)
	}
	return pg
}
