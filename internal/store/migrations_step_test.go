package store

import (
	"io/fs"
	"slices"
	"testing"
)

// TestMigrationFoldersInStep: every migration exists for both engines under
// the same file name, so a schema change cannot land on one engine only.
func TestMigrationFoldersInStep(t *testing.T) {
	names := func(dialect string) []string {
		entries, err := fs.ReadDir(migrations, "migrations/"+dialect)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range entries {
			out = append(out, e.Name())
		}
		return out
	}
	sqlite, postgres := names("sqlite"), names("postgres")
	for _, n := range sqlite {
		if !slices.Contains(postgres, n) {
			t.Errorf("migration %s exists for SQLite but not for PostgreSQL", n)
		}
	}
	for _, n := range postgres {
		if !slices.Contains(sqlite, n) {
			t.Errorf("migration %s exists for PostgreSQL but not for SQLite", n)
		}
	}
	if len(sqlite) == 0 {
		t.Fatal("no migrations embedded")
	}
}
