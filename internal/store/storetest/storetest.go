// Package storetest opens fresh stores for tests on every engine: SQLite
// always, PostgreSQL when RAMPART_TEST_POSTGRES names a server (each test
// gets its own schema, dropped afterwards).
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/rampart-security/rampart/internal/store"
)

// Engine is one database a test runs against.
type Engine struct {
	Name   string
	Config store.Config
}

// Engines returns SQLite in a temporary directory and, when configured,
// PostgreSQL in a fresh schema. With CI=true, PostgreSQL is mandatory.
func Engines(tb testing.TB) []Engine {
	tb.Helper()
	out := []Engine{{Name: "sqlite", Config: store.Config{DataDir: tb.TempDir()}}}
	base := os.Getenv("RAMPART_TEST_POSTGRES")
	if base == "" {
		if os.Getenv("CI") == "true" {
			tb.Fatal("RAMPART_TEST_POSTGRES is not set; CI must run the store suite on PostgreSQL too")
		}
		return out
	}
	return append(out, Engine{Name: "postgres", Config: store.Config{DatabaseURL: FreshSchema(tb, base)}})
}

// FreshSchema creates a new schema on the PostgreSQL server at base and
// returns a URL whose connections use it. The schema is dropped at cleanup.
func FreshSchema(tb testing.TB, base string) string {
	tb.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	db, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatalf("open %s: %v", base, err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE SCHEMA ` + schema); err != nil {
		tb.Fatalf("create schema on RAMPART_TEST_POSTGRES: %v", err)
	}
	tb.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err == nil {
			_, _ = db.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
			db.Close()
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("RAMPART_TEST_POSTGRES: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// ForEach runs fn as a subtest against a fresh store on every engine,
// opened with opts (a test's clock: store.WithClock).
func ForEach(t *testing.T, fn func(t *testing.T, s *store.Store), opts ...store.Option) {
	t.Helper()
	for _, e := range Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			s, err := store.Open(context.Background(), e.Config, opts...)
			if err != nil {
				t.Fatalf("open %s store: %v", e.Name, err)
			}
			t.Cleanup(func() { s.Close() })
			fn(t, s)
		})
	}
}
