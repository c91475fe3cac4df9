package store

import (
	"context"
	"database/sql/driver"
	"strings"
)

// NUL (U+0000) is valid in Go strings, JSON ("\u0000") and SQLite text, but
// PostgreSQL text cannot hold it (SQLSTATE 22021), so a scanner report or
// SBOM with one stored on SQLite and failed with a 500 on PostgreSQL. The
// store boundary handles it once, on both engines alike: every string
// parameter of every statement has NUL replaced by U+FFFD (the Unicode
// replacement character), so both engines store the same data and a NUL
// is still visible as "something was here". Fingerprints and keys are
// computed before the store, from the original text, and are hex or plain
// ASCII, so reconciliation is unaffected.

// NULReplacement replaces U+0000 in stored strings.
const NULReplacement = "\uFFFD"

func cleanNUL(s string) string {
	if strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(s, "\x00", NULReplacement)
}

// nulConnector wraps a driver's connector so that every connection cleans
// string parameters (see cleanNUL).
type nulConnector struct{ driver.Connector }

func (c nulConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &nulConn{Conn: conn}, nil
}

// dsnConnector turns a driver and DSN into a connector (database/sql's own
// is unexported).
type dsnConnector struct {
	dsn string
	drv driver.Driver
}

func (c dsnConnector) Connect(context.Context) (driver.Conn, error) { return c.drv.Open(c.dsn) }
func (c dsnConnector) Driver() driver.Driver                        { return c.drv }

// nulConn forwards every optional driver interface database/sql uses to the
// wrapped connection and checks parameters itself.
type nulConn struct{ driver.Conn }

var (
	_ driver.NamedValueChecker  = (*nulConn)(nil)
	_ driver.ExecerContext      = (*nulConn)(nil)
	_ driver.QueryerContext     = (*nulConn)(nil)
	_ driver.ConnPrepareContext = (*nulConn)(nil)
	_ driver.ConnBeginTx        = (*nulConn)(nil)
	_ driver.Pinger             = (*nulConn)(nil)
	_ driver.SessionResetter    = (*nulConn)(nil)
	_ driver.Validator          = (*nulConn)(nil)
)

func (c *nulConn) CheckNamedValue(nv *driver.NamedValue) error {
	if ch, ok := c.Conn.(driver.NamedValueChecker); ok {
		err := ch.CheckNamedValue(nv)
		if err == nil {
			cleanValue(nv)
			return nil
		}
		if err != driver.ErrSkip {
			return err
		}
	}
	v, err := driver.DefaultParameterConverter.ConvertValue(nv.Value)
	if err != nil {
		return err
	}
	nv.Value = v
	cleanValue(nv)
	return nil
}

func cleanValue(nv *driver.NamedValue) {
	switch v := nv.Value.(type) {
	case string:
		nv.Value = cleanNUL(v)
	case *string:
		if v != nil {
			s := cleanNUL(*v)
			nv.Value = &s
		}
	}
}

func (c *nulConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if e, ok := c.Conn.(driver.ExecerContext); ok {
		return e.ExecContext(ctx, query, args)
	}
	return nil, driver.ErrSkip
}

func (c *nulConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if q, ok := c.Conn.(driver.QueryerContext); ok {
		return q.QueryContext(ctx, query, args)
	}
	return nil, driver.ErrSkip
}

func (c *nulConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	var st driver.Stmt
	var err error
	if p, ok := c.Conn.(driver.ConnPrepareContext); ok {
		st, err = p.PrepareContext(ctx, query)
	} else {
		st, err = c.Conn.Prepare(query)
	}
	if err != nil {
		return nil, err
	}
	return &nulStmt{Stmt: st, conn: c}, nil
}

func (c *nulConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if b, ok := c.Conn.(driver.ConnBeginTx); ok {
		return b.BeginTx(ctx, opts)
	}
	//lint:ignore SA1019 fallback for a driver without ConnBeginTx (both drivers used here have it)
	return c.Conn.Begin()
}

func (c *nulConn) Ping(ctx context.Context) error {
	if p, ok := c.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c *nulConn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *nulConn) IsValid() bool {
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

// nulStmt makes prepared statements check parameters through the
// connection (and so clean them) even when the driver's statement has its
// own checker.
type nulStmt struct {
	driver.Stmt
	conn *nulConn
}

func (s *nulStmt) CheckNamedValue(nv *driver.NamedValue) error { return s.conn.CheckNamedValue(nv) }

func (s *nulStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	if e, ok := s.Stmt.(driver.StmtExecContext); ok {
		return e.ExecContext(ctx, args)
	}
	return nil, driver.ErrSkip
}

func (s *nulStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	if q, ok := s.Stmt.(driver.StmtQueryContext); ok {
		return q.QueryContext(ctx, args)
	}
	return nil, driver.ErrSkip
}
