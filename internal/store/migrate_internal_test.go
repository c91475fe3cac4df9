package store

import (
	"context"
	"database/sql"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/pressly/goose/v3"
)

// TestIdentityMigrationAppliesOutOfOrder: a database created before the
// identity migration (00002) was merged already has 00003 and later; the
// next start must still apply 00002, and the identity tables then work.
func TestIdentityMigrationAppliesOutOfOrder(t *testing.T) {
	ctx := context.Background()
	// A database with every migration but 00002 applied.
	dir2 := t.TempDir()
	db, err := sql.Open("sqlite", "file:"+dir2+"/rampart.db?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	sub, err := migrationFS(SQLite)
	if err != nil {
		t.Fatal(err)
	}
	without := fstest.MapFS{}
	entries, _ := fs.ReadDir(sub, ".")
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "00002_") {
			continue
		}
		b, _ := fs.ReadFile(sub, e.Name())
		without[e.Name()] = &fstest.MapFile{Data: b}
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, without)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("migrations without 00002: %v", err)
	}
	db.Close()
	s2, err := Open(ctx, Config{DataDir: dir2})
	if err != nil {
		t.Fatalf("open a database that lacks 00002: %v", err)
	}
	defer s2.Close()
	if err := s2.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _, err := s2.VerifyAudit(ctx); err != nil || n != 0 {
		t.Fatalf("audit table after out-of-order migration: %d %v", n, err)
	}
}
