package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/identity"
)

// Users: accounts, their global role and password.

// CreateUser inserts a user with an already-hashed password.
func (s *Store) CreateUser(ctx context.Context, u *identity.User) error {
	if err := u.Validate(); err != nil {
		return err
	}
	id, err := s.insertID(ctx, s.conn(ctx), `INSERT INTO users (name, password_hash, role, disabled, created_at, all_products, password_changed_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		u.Name, u.PasswordHash, string(u.Role), u.Disabled, fmtTime(s.now()), !u.ProductsOnly, fmtTime(s.now()))
	if err != nil {
		return fmt.Errorf("create user %q: %w", u.Name, err)
	}
	u.ID = id
	return nil
}

const userCols = `u.id, u.name, u.password_hash, u.role, u.disabled, u.all_products, u.totp_secret, u.totp_last_step,
	(u.totp_secret <> '' OR EXISTS (SELECT 1 FROM passkeys k WHERE k.user_id = u.id))`

func scanUser(row rowScanner) (identity.User, error) {
	var u identity.User
	var role string
	var all bool
	err := row.Scan(&u.ID, &u.Name, &u.PasswordHash, &role, &u.Disabled, &all, &u.TOTPSecret, &u.TOTPStep, &u.MFA)
	u.Role, u.ProductsOnly = identity.Role(role), !all
	return u, mapErr(err)
}

// UserByName returns a user by name.
func (s *Store) UserByName(ctx context.Context, name string) (identity.User, error) {
	u, err := scanUser(s.conn(ctx).QueryRowContext(ctx, s.q(`SELECT `+userCols+` FROM users u WHERE u.name = ?`), name))
	if err != nil {
		return u, fmt.Errorf("user %q: %w", name, err)
	}
	return u, nil
}

// UserByID returns a user by id.
func (s *Store) UserByID(ctx context.Context, id int64) (identity.User, error) {
	u, err := scanUser(s.conn(ctx).QueryRowContext(ctx, s.q(`SELECT `+userCols+` FROM users u WHERE u.id = ?`), id))
	if err != nil {
		return u, fmt.Errorf("user %d: %w", id, err)
	}
	return u, nil
}

// CountUsers returns the number of accounts (0 means first start).
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := s.conn(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n)
	return n, err
}

// Users lists every user by name.
func (s *Store) Users(ctx context.Context) ([]identity.User, error) {
	return queryAll(ctx, s.conn(ctx), `SELECT `+userCols+` FROM users u ORDER BY u.name`, func(sc rowScanner) (identity.User, error) {
		u, err := scanUser(sc)
		u.PasswordHash, u.TOTPSecret = "", ""
		return u, err
	})
}

// UpdateUser applies u. Disabling a user ends their sessions, clears their
// sign-in lock and revokes nothing else (tokens stop working while disabled).
func (s *Store) UpdateUser(ctx context.Context, id int64, u identity.UserUpdate) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var name string
		if err := tx.QueryRowContext(ctx, s.q(`SELECT name FROM users WHERE id = ?`), id).Scan(&name); err != nil {
			return fmt.Errorf("user %d: %w", id, mapErr(err))
		}
		if err := u.Validate(); err != nil {
			return err
		}
		if u.Role != nil {
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE users SET role = ? WHERE id = ?`), string(*u.Role), id); err != nil {
				return err
			}
		}
		if u.AllProducts != nil {
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE users SET all_products = ? WHERE id = ?`), *u.AllProducts, id); err != nil {
				return err
			}
		}
		if u.Disabled != nil {
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE users SET disabled = ? WHERE id = ?`), *u.Disabled, id); err != nil {
				return err
			}
			if *u.Disabled {
				if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE user_id = ?`), id); err != nil {
					return err
				}
			} else {
				// Unlocking clears the account's lock and its per-source
				// back-off: the administrator has vouched for the account.
				acct := "user:" + strings.ToLower(name)
				like := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(acct) + "|%"
				if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM auth_failures WHERE key = ? OR key LIKE ? ESCAPE '\'`), acct, like); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// SetPassword replaces a user's password hash and ends all their sessions
// except keep (the session hash of the caller, or "" for none).
func (s *Store) SetPassword(ctx context.Context, userID int64, hash, keep string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE users SET password_hash = ?, password_changed_at = ? WHERE id = ?`), hash, fmtTime(s.now()), userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("user %d: %w", userID, fault.ErrNotFound)
		}
		_, err = tx.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE user_id = ? AND id_hash <> ?`), userID, keep)
		return err
	})
}

// SSOUser finds or creates the account of a single-sign-on user and sets
// its global role from the provider's groups. The account is found by the
// provider's (issuer, sub) only. A first sign-in creates a new account
// named id.Name; it never takes over an existing account by that name.
// With linkEmail (an administrator's choice) and a verified email, a first
// sign-in may instead link the existing password-less account named by
// that email.
func (s *Store) SSOUser(ctx context.Context, id identity.SSOIdentity, linkEmail bool) (identity.User, error) {
	var u identity.User
	if id.Issuer == "" || id.Subject == "" {
		return u, fmt.Errorf("single sign-on: the ID token has no issuer or sub: %w", fault.ErrNotFound)
	}
	var uid int64
	err := s.conn(ctx).QueryRowContext(ctx, s.q(`SELECT user_id FROM sso_identities WHERE issuer = ? AND subject = ?`), id.Issuer, id.Subject).Scan(&uid)
	switch {
	case err == nil:
		if u, err = s.UserByID(ctx, uid); err != nil {
			return u, err
		}
	case !errors.Is(err, sql.ErrNoRows):
		return u, fmt.Errorf("find SSO identity: %w", err)
	default:
		name := id.Name
		if linkEmail && id.EmailVerified && id.Email != "" {
			if existing, err := s.UserByName(ctx, id.Email); err == nil {
				if existing.PasswordHash != "" {
					return existing, fmt.Errorf("user %q: %w: a local account with a password has this email as its name; an administrator must remove its password or rename it", id.Email, fault.ErrConflict)
				}
				u = existing
			}
			name = id.Email
		}
		if u.ID == 0 {
			if _, err := s.UserByName(ctx, name); err == nil {
				return u, fmt.Errorf("user %q: %w: an account with this name exists and single sign-on links accounts by the provider's subject only; an administrator must rename one of them", name, fault.ErrConflict)
			}
			u = identity.User{Name: name, Role: id.Role}
			if err := s.CreateUser(ctx, &u); err != nil {
				return u, err
			}
		}
		if _, err := s.exec(ctx, s.q(`INSERT INTO sso_identities (issuer, subject, user_id) VALUES (?, ?, ?)`), id.Issuer, id.Subject, u.ID); err != nil {
			return u, fmt.Errorf("link SSO identity: %w", mapErr(err))
		}
	}
	if u.Disabled {
		return u, fmt.Errorf("user %q is disabled: %w", u.Name, fault.ErrNotFound)
	}
	if u.Role != id.Role {
		if _, err := s.exec(ctx, s.q(`UPDATE users SET role = ? WHERE id = ?`), string(id.Role), u.ID); err != nil {
			return u, fmt.Errorf("update role of %q: %w", u.Name, err)
		}
		u.Role = id.Role
	}
	return u, nil
}
