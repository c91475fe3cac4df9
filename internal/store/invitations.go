package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/identity"
)

// One-time links (setup_tokens): the first-start setup link and invitations.

// SetupLinkLifetime is how long a first-start setup link works.
const SetupLinkLifetime = time.Hour

// noAdmin is true while no administrator account exists.
const noAdmin = `NOT EXISTS (SELECT 1 FROM users WHERE role = 'admin')`

// CreateSetupToken stores a one-time link secret (only hashed) and returns
// its plain value. For the first-start "setup" purpose there is one valid
// link at a time: a new one replaces any earlier one, and none is issued
// once an administrator exists.
func (s *Store) CreateSetupToken(ctx context.Context, purpose string, ttl time.Duration) (string, error) {
	plain, hash := identity.NewSecret(identity.SetupPrefix)
	exp := fmtTime(s.now().Add(ttl))
	if purpose != "setup" {
		_, err := s.exec(ctx, s.q(`INSERT INTO setup_tokens (hash, purpose, expires_at) VALUES (?, ?, ?)`), hash, purpose, exp)
		return plain, err
	}
	res, err := s.exec(ctx, s.q(`INSERT INTO setup_tokens (hash, purpose, expires_at, used) SELECT ?, 'setup', ?, ? WHERE `+noAdmin+`
		ON CONFLICT (purpose) WHERE purpose = 'setup' DO UPDATE SET hash = excluded.hash, expires_at = excluded.expires_at, used = excluded.used`),
		hash, exp, false)
	if err != nil {
		return "", fmt.Errorf("create setup link: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return "", fmt.Errorf("setup link: %w: an administrator exists already", fault.ErrConflict)
	}
	return plain, nil
}

// ValidSetupToken reports whether a setup secret is unused and unexpired
// (and, for the first-start setup link, that no administrator exists yet).
func (s *Store) ValidSetupToken(ctx context.Context, plain, purpose string) bool {
	q := `SELECT COUNT(*) FROM setup_tokens WHERE hash = ? AND purpose = ? AND NOT used AND expires_at > ?`
	if purpose == "setup" {
		q += ` AND ` + noAdmin
	}
	var n int
	err := s.conn(ctx).QueryRowContext(ctx, s.q(q), identity.HashSecret(plain), purpose, fmtTime(s.now())).Scan(&n)
	return err == nil && n == 1
}

// CompleteSetup consumes the setup link and creates the first admin in one
// transaction; the link works exactly once, even with concurrent requests,
// and never once an administrator exists.
func (s *Store) CompleteSetup(ctx context.Context, plain string, u *identity.User) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE setup_tokens SET used = ? WHERE hash = ? AND purpose = 'setup' AND NOT used AND expires_at > ? AND `+noAdmin),
			true, identity.HashSecret(plain), fmtTime(s.now()))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("setup link: %w (already used, replaced by a newer link, expired, or an administrator exists; restart rampart serve on an empty database for a new one)", fault.ErrNotFound)
		}
		id, err := s.insertID(ctx, tx, `INSERT INTO users (name, password_hash, role, disabled, created_at, all_products, password_changed_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			u.Name, u.PasswordHash, string(u.Role), false, fmtTime(s.now()), true, fmtTime(s.now()))
		if err != nil {
			return fmt.Errorf("create user %q: %w", u.Name, err)
		}
		u.ID = id
		return nil
	})
}

// CreateInvite stores a one-time invitation for a new user with a role.
func (s *Store) CreateInvite(ctx context.Context, role identity.Role, by string, ttl time.Duration) (string, error) {
	if err := role.Validate(); err != nil {
		return "", err
	}
	plain, hash := identity.NewSecret(identity.SetupPrefix)
	_, err := s.exec(ctx, s.q(`INSERT INTO setup_tokens (hash, purpose, expires_at, role, created_by) VALUES (?, 'invite', ?, ?, ?)`),
		hash, fmtTime(s.now().Add(ttl)), string(role), by)
	if err != nil {
		return "", fmt.Errorf("create invitation: %w", err)
	}
	return plain, nil
}

// AcceptInvite consumes an invitation and creates the user with its role,
// exactly once.
func (s *Store) AcceptInvite(ctx context.Context, plain string, u *identity.User) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		// One atomic claim: of concurrent acceptances (on PostgreSQL a
		// SELECT then UPDATE let two through), exactly one changes the row.
		var role string
		err := tx.QueryRowContext(ctx, s.q(`UPDATE setup_tokens SET used = ? WHERE hash = ? AND purpose = 'invite' AND NOT used AND expires_at > ? RETURNING role`),
			true, identity.HashSecret(plain), fmtTime(s.now())).Scan(&role)
		if err != nil {
			return fmt.Errorf("invitation: %w (already used or expired; ask an administrator for a new one)", mapErr(err))
		}
		u.Role = identity.Role(role)
		id, err := s.insertID(ctx, tx, `INSERT INTO users (name, password_hash, role, disabled, created_at, all_products, password_changed_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			u.Name, u.PasswordHash, role, false, fmtTime(s.now()), !u.ProductsOnly, fmtTime(s.now()))
		if err != nil {
			return fmt.Errorf("create user %q: %w", u.Name, err)
		}
		u.ID = id
		return nil
	})
}
