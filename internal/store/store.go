// Package store persists Rampart's canonical types in SQLite (embedded, the
// default) or PostgreSQL (scale-out). One schema, migrations embedded in the
// binary and run on Open; queries are written once with '?' placeholders and
// rebound for PostgreSQL.
package store

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"modernc.org/sqlite"
)

// Engine names the SQL engine behind a Store.
type Engine string

// Supported engines.
const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// Config says where the data lives.
type Config struct {
	// DataDir holds the SQLite database (DatabaseFile). Used when DatabaseURL is empty.
	DataDir string
	// DatabaseURL selects PostgreSQL (postgres://…).
	DatabaseURL string
}

// Option configures a Store at Open.
type Option func(*Store)

// WithClock sets the store's clock (nil, or without this option:
// time.Now): what it stamps rows with and decides expiry by (sessions,
// tokens, invitations and setup links, passkey challenges, sign-in
// back-off, overdue findings). Tests pass a fake clock.
func WithClock(now func() time.Time) Option {
	return func(s *Store) {
		if now != nil {
			s.clock = now
		}
	}
}

// Validate checks the configuration without opening anything: a
// DatabaseURL must be a well-formed postgres:// or postgresql:// URL.
func (cfg Config) Validate() error {
	if cfg.DatabaseURL == "" {
		return nil
	}
	if !strings.HasPrefix(cfg.DatabaseURL, "postgres://") && !strings.HasPrefix(cfg.DatabaseURL, "postgresql://") {
		return fmt.Errorf("--database %q: only postgres:// URLs are supported (omit it to use embedded SQLite in --data)", redact(cfg.DatabaseURL))
	}
	if _, err := pgx.ParseConfig(cfg.DatabaseURL); err != nil {
		return fmt.Errorf("--database %s: %w", redact(cfg.DatabaseURL), err)
	}
	return nil
}

// Store is the persistence layer. It is safe for concurrent use.
type Store struct {
	db     *sql.DB
	engine Engine
	// Session lifetimes (0: the defaults SessionIdle and SessionAbsolute).
	idle, absolute time.Duration
	// onRetry observes retried transient errors (tx.go).
	onRetry func(error)
	// ftsCounts remembers search texts' index hit counts (findingText).
	ftsCounts *ftsCountCache
	// clock is the store's clock (WithClock); read it through now.
	clock func() time.Time
}

// Open connects to the configured engine and applies pending migrations.
// DatabaseFile is the SQLite database's file in Config.DataDir.
const DatabaseFile = "rampart.db"

func Open(ctx context.Context, cfg Config, opts ...Option) (*Store, error) {
	var (
		db  *sql.DB
		eng Engine
	)
	switch {
	case cfg.DatabaseURL != "":
		if err := cfg.Validate(); err != nil {
			return nil, err
		}
		eng = Postgres
		pcfg, perr := pgx.ParseConfig(cfg.DatabaseURL)
		if perr != nil {
			return nil, fmt.Errorf("--database %s: %w", redact(cfg.DatabaseURL), perr)
		}
		db = sql.OpenDB(nulConnector{stdlib.GetConnector(*pcfg)})
		db.SetMaxOpenConns(20)
		db.SetMaxIdleConns(10)
		db.SetConnMaxIdleTime(5 * time.Minute)
	default:
		dir := cfg.DataDir
		if dir == "" {
			dir = "rampart-data"
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("create data directory %s: %w", dir, err)
		}
		eng = SQLite
		path := filepath.Join(dir, DatabaseFile)
		dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_pragma=cache_size(-65536)&_pragma=temp_store(MEMORY)&_txlock=immediate"
		db = sql.OpenDB(nulConnector{dsnConnector{dsn: dsn, drv: &sqlite.Driver{}}})
		// WAL lets readers run in parallel with each other and with the one
		// writer. Every transaction begins IMMEDIATE (_txlock) and waits up
		// to the busy timeout for the write lock, so writers queue instead of
		// failing with SQLITE_BUSY.
		db.SetMaxOpenConns(4)
		db.SetMaxIdleConns(4)
	}
	s := &Store{db: db, engine: eng, ftsCounts: &ftsCountCache{}, clock: time.Now}
	for _, o := range opts {
		o(s)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to %s database: %w", eng, err)
	}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) migrate(ctx context.Context) error {
	sub, err := migrationFS(s.engine)
	if err != nil {
		return err
	}
	dialect := goose.DialectSQLite3
	// Branches of work add numbered migrations independently; a database that
	// already has a later one still gets an earlier one it lacks.
	opts := []goose.ProviderOption{goose.WithAllowOutofOrder(true)}
	if s.engine == Postgres {
		dialect = goose.DialectPostgres
		// Several rampart processes may start together on one database: a
		// session advisory lock makes exactly one of them migrate.
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(dialect, s.db, sub, opts...)
	if err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	return nil
}

// now reads the store's clock (WithClock).
func (s *Store) now() time.Time { return s.clock() }

// Close releases the database.
func (s *Store) Close() error { return s.db.Close() }

// Engine reports which SQL engine is in use.
func (s *Store) Engine() Engine { return s.engine }

// DB exposes the handle for tests that must tamper with rows directly.
func (s *Store) DB() *sql.DB { return s.db }

// Ready reports whether the database answers and all migrations are applied.
func (s *Store) Ready(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return err
	}
	sub, err := migrationFS(s.engine)
	if err != nil {
		return err
	}
	entries, err := fs.ReadDir(sub, ".")
	if err != nil {
		return err
	}
	var want int64
	for _, e := range entries {
		if n, err := strconv.ParseInt(strings.SplitN(e.Name(), "_", 2)[0], 10, 64); err == nil && n > want {
			want = n
		}
	}
	var have int64
	if err := s.conn(ctx).QueryRowContext(ctx, `SELECT COALESCE(MAX(version_id),0) FROM goose_db_version WHERE is_applied`).Scan(&have); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if have < want {
		return fmt.Errorf("schema version %d, want %d", have, want)
	}
	return nil
}

// q rebinds a query written with '?' placeholders for the current engine.
func (s *Store) q(query string) string {
	if s.engine != Postgres {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

// querier is satisfied by *sql.DB and *sql.Tx.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// insertID runs an INSERT … RETURNING id.
func (s *Store) insertID(ctx context.Context, db querier, query string, args ...any) (int64, error) {
	var id int64
	if err := db.QueryRowContext(ctx, s.q(query+" RETURNING id"), args...).Scan(&id); err != nil {
		return 0, mapErr(err)
	}
	return id, nil
}

// Times are stored as fixed-width UTC text so they sort lexically and read
// the same on both engines.
const timeLayout = "2006-01-02T15:04:05.000000Z"

func fmtTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTime(s string) time.Time {
	t, _ := time.Parse(timeLayout, s)
	return t
}

// parseNullTime reads a nullable time column: nil when NULL (unlike
// parseTimePtr, an empty text is the zero time, not nil).
func parseNullTime(ns sql.NullString) *time.Time {
	if !ns.Valid {
		return nil
	}
	t := parseTime(ns.String)
	return &t
}

func fmtDate(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC().Format("2006-01-02")
}

func parseDate(ns sql.NullString) *time.Time {
	if !ns.Valid || ns.String == "" {
		return nil
	}
	t, err := time.Parse("2006-01-02", ns.String)
	if err != nil {
		return nil
	}
	return &t
}

// redact removes a password from a database URL for messages.
func redact(u string) string {
	at := strings.LastIndex(u, "@")
	scheme := strings.Index(u, "://")
	if at < 0 || scheme < 0 {
		return u
	}
	creds := u[scheme+3 : at]
	if i := strings.Index(creds, ":"); i >= 0 {
		return u[:scheme+3] + creds[:i] + ":***" + u[at:]
	}
	return u
}
