package store

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"github.com/pressly/goose/v3"
)

// TestMigrationFoldersInStep: every migration version is either shared
// (once, in migrations/schema) or engine-specific (in both migrations/sqlite
// and migrations/postgres, under the same file name), never both, so a
// schema change cannot land on one engine only.
func TestMigrationFoldersInStep(t *testing.T) {
	// where[version][folder] is the file of that version in that folder.
	where := map[int64]map[string][]string{}
	for _, dir := range []string{"schema", "sqlite", "postgres"} {
		entries, err := fs.ReadDir(migrations, "migrations/"+dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			v, err := goose.NumericComponent(e.Name())
			if err != nil || !strings.HasSuffix(e.Name(), ".sql") {
				t.Errorf("migrations/%s/%s: not a goose SQL migration (NNNNN_name.sql)", dir, e.Name())
				continue
			}
			if where[v] == nil {
				where[v] = map[string][]string{}
			}
			where[v][dir] = append(where[v][dir], e.Name())
		}
	}
	if len(where) == 0 {
		t.Fatal("no migrations embedded")
	}
	for v, in := range where {
		shared, lite, pg := in["schema"], in["sqlite"], in["postgres"]
		switch {
		case len(shared) > 1 || len(lite) > 1 || len(pg) > 1:
			t.Errorf("version %d has more than one file in a folder: %v", v, in)
		case len(shared) == 1 && (len(lite) > 0 || len(pg) > 0):
			t.Errorf("version %d is shared (%s) and engine-specific too (%v %v): keep it in migrations/schema only, or in both engine folders only", v, shared[0], lite, pg)
		case len(shared) == 1:
		case len(lite) == 0:
			t.Errorf("migration %s exists for PostgreSQL but not for SQLite", pg[0])
		case len(pg) == 0:
			t.Errorf("migration %s exists for SQLite but not for PostgreSQL", lite[0])
		case lite[0] != pg[0]:
			t.Errorf("version %d has different file names for SQLite (%s) and PostgreSQL (%s)", v, lite[0], pg[0])
		}
	}
	// The folders goose reads hold every version once.
	for _, e := range []Engine{SQLite, Postgres} {
		sub, err := migrationFS(e)
		if err != nil {
			t.Fatal(err)
		}
		entries, err := fs.ReadDir(sub, ".")
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != len(where) {
			t.Errorf("%s: %d migrations assembled, want %d", e, len(entries), len(where))
		}
	}
}

// postgresOnly are the PostgreSQL spellings SQLite does not accept or
// would read differently; sqliteDialect rewrites the ones a shared
// migration may use (in upper case) and no other.
var postgresOnly = regexp.MustCompile(`(?i)\bIDENTITY\b|\bBYTEA\b|\bBOOLEAN\b|\bDOUBLE\s+PRECISION\b|\bCOLLATE\s+"C"|\$\$|\bSTORED\b|\b(BIG)?SERIAL\b|\bTIMESTAMPTZ\b|\bJSONB\b|::|\bALTER\s+COLUMN\b|\bCREATE\s+EXTENSION\b`)

// lineComment is an SQL comment to the end of its line.
var lineComment = regexp.MustCompile(`--.*`)

// TestSharedMigrationsPortable: the SQLite rewrite of every shared
// migration holds no PostgreSQL-only token outside comments.
func TestSharedMigrationsPortable(t *testing.T) {
	entries, err := fs.ReadDir(migrations, sharedMigrations)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := fs.ReadFile(migrations, sharedMigrations+"/"+e.Name())
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(sqliteDialect(string(b)), "\n") {
			if tok := postgresOnly.FindString(lineComment.ReplaceAllString(line, "")); tok != "" {
				t.Errorf("%s/%s:%d: %q is left after the SQLite rewrite (sqliteDialect): this migration needs an engine-specific form, so put it in both migrations/sqlite and migrations/postgres under the same name instead of %s", sharedMigrations, e.Name(), i+1, tok, sharedMigrations)
			}
		}
	}
}

func TestSQLiteDialect(t *testing.T) {
	for _, c := range []struct{ pg, sqlite string }{
		{"id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,", "id INTEGER PRIMARY KEY AUTOINCREMENT,"},
		{"id BIGINT GENERATED ALWAYS\n    AS IDENTITY PRIMARY KEY,", "id INTEGER PRIMARY KEY AUTOINCREMENT,"},
		{"user_id BIGINT NOT NULL REFERENCES users(id),", "user_id INTEGER NOT NULL REFERENCES users(id),"},
		{"used BOOLEAN NOT NULL DEFAULT FALSE,", "used INTEGER NOT NULL DEFAULT 0,"},
		{"all_products BOOLEAN NOT NULL DEFAULT TRUE;", "all_products INTEGER NOT NULL DEFAULT 1;"},
		{"epss DOUBLE PRECISION,", "epss REAL,"},
		{"content BYTEA NOT NULL,", "content BLOB NOT NULL,"},
		{`name_key TEXT COLLATE "C" NOT NULL,`, "name_key TEXT NOT NULL,"},
		{"active BOOLEAN GENERATED ALWAYS AS (status IN ('open')) STORED,", "active INTEGER GENERATED ALWAYS AS (status IN ('open')) VIRTUAL,"},
		// Word boundaries and case: identifiers and lower case stay.
		{"bigint_count TEXT, is_boolean TEXT, x bigint, default_true TEXT", "bigint_count TEXT, is_boolean TEXT, x bigint, default_true TEXT"},
		{"WHERE revoked = FALSE", "WHERE revoked = FALSE"},
	} {
		if got := sqliteDialect(c.pg); got != c.sqlite {
			t.Errorf("sqliteDialect(%q) = %q, want %q", c.pg, got, c.sqlite)
		}
	}
}
