package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/identity"
)

// CreateUser inserts a user with an already-hashed password.
func (s *Store) CreateUser(ctx context.Context, u *identity.User) error {
	u.Name = strings.TrimSpace(u.Name)
	if u.Name == "" || len(u.Name) > 100 {
		return &ValidationError{"name", "must be 1 to 100 characters"}
	}
	if !u.Role.Valid() {
		return &ValidationError{"role", "must be admin, editor or viewer"}
	}
	id, err := s.insertID(ctx, s.db, `INSERT INTO users (name, password_hash, role, disabled, created_at, all_products, password_changed_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		u.Name, u.PasswordHash, string(u.Role), u.Disabled, fmtTime(time.Now()), !u.ProductsOnly, fmtTime(time.Now()))
	if err != nil {
		return fmt.Errorf("create user %q: %w", u.Name, err)
	}
	u.ID = id
	return nil
}

const userCols = `u.id, u.name, u.password_hash, u.role, u.disabled, u.all_products, u.totp_secret, u.totp_last_step,
	(u.totp_secret <> '' OR EXISTS (SELECT 1 FROM passkeys k WHERE k.user_id = u.id))`

func scanUser(row interface{ Scan(...any) error }) (identity.User, error) {
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
	rows, err := s.conn(ctx).QueryContext(ctx, `SELECT `+userCols+` FROM users u ORDER BY u.name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []identity.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		u.PasswordHash, u.TOTPSecret = "", ""
		out = append(out, u)
	}
	return out, rows.Err()
}

// Session lifetimes.
const (
	SessionIdle     = 12 * time.Hour
	SessionAbsolute = 7 * 24 * time.Hour
)

// CreateSession starts a session for a user and returns the plain cookie
// value (shown once; only its hash is stored) and the CSRF token.
func (s *Store) CreateSession(ctx context.Context, userID int64, source, userAgent string) (plain, csrf string, err error) {
	return s.CreateSessionAuth(ctx, userID, source, userAgent, false)
}

// CreateSessionAuth starts a session recording whether it was established
// with multiple factors.
func (s *Store) CreateSessionAuth(ctx context.Context, userID int64, source, userAgent string, mfa bool) (plain, csrf string, err error) {
	plain, hash := identity.NewSecret(identity.SessionPrefix)
	csrf, _ = identity.NewSecret("")
	now := time.Now()
	_, err = s.exec(ctx, s.q(`INSERT INTO sessions (id_hash, user_id, csrf, created_at, last_seen, expires_at, source, user_agent, mfa) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		hash, userID, csrf, fmtTime(now), fmtTime(now), fmtTime(now.Add(s.sessionAbsolute())), source, truncate(userAgent, 200), mfa)
	if err != nil {
		return "", "", fmt.Errorf("create session: %w", err)
	}
	return plain, csrf, nil
}

// SessionPrincipal authenticates a session cookie value. Expired or idle
// sessions, and sessions of disabled users, are not found.
func (s *Store) SessionPrincipal(ctx context.Context, plain string) (*identity.Principal, error) {
	hash := identity.HashSecret(plain)
	now := time.Now()
	p := &identity.Principal{Via: "session", SessionHash: hash}
	var role, lastSeen string
	err := s.conn(ctx).QueryRowContext(ctx, s.q(`SELECT u.id, u.name, u.role, u.all_products, s.csrf, s.last_seen, s.mfa
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.id_hash = ? AND s.expires_at > ? AND NOT u.disabled`), hash, fmtTime(now)).
		Scan(&p.UserID, &p.Name, &role, &p.AllProducts, &p.CSRF, &lastSeen, &p.MFA)
	if err != nil {
		return nil, mapErr(err)
	}
	if p.Products, err = s.Memberships(ctx, p.UserID); err != nil {
		return nil, err
	}
	if now.Sub(parseTime(lastSeen)) > s.sessionIdle() {
		_ = s.DeleteSession(ctx, hash)
		return nil, ErrNotFound
	}
	if now.Sub(parseTime(lastSeen)) > time.Minute {
		_, _ = s.exec(ctx, s.q(`UPDATE sessions SET last_seen = ? WHERE id_hash = ?`), fmtTime(now), hash)
	}
	p.Role = identity.Role(role)
	return p, nil
}

// DeleteSession ends a session by its hash.
func (s *Store) DeleteSession(ctx context.Context, hash string) error {
	_, err := s.exec(ctx, s.q(`DELETE FROM sessions WHERE id_hash = ?`), hash)
	return err
}

// APIToken describes a token without its secret.
type APIToken struct {
	ID         int64      `json:"id"`
	UserID     int64      `json:"user_id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	Revoked    bool       `json:"revoked"`
	// Scopes limit what the token may do ("*": all its owner's rights).
	Scopes []identity.Scope `json:"scopes"`
	// ProductID restricts the token to one product (0: any).
	ProductID int64 `json:"product_id,omitempty"`
}

// CreateAPIToken issues a token for a user; the plain token is returned once.
// expires 0 means no expiry.
func (s *Store) CreateAPIToken(ctx context.Context, userID int64, name string, expires time.Duration) (string, APIToken, error) {
	return s.CreateScopedToken(ctx, userID, name, expires, []identity.Scope{identity.ScopeAll}, 0)
}

// CreateScopedToken issues a token limited to scopes and, when productID is
// not 0, to one product.
func (s *Store) CreateScopedToken(ctx context.Context, userID int64, name string, expires time.Duration, scopes []identity.Scope, productID int64) (string, APIToken, error) {
	plain, hash := identity.NewSecret(identity.TokenPrefix)
	t := APIToken{UserID: userID, Name: strings.TrimSpace(name), Prefix: plain[:len(identity.TokenPrefix)+6], CreatedAt: time.Now().UTC(),
		Scopes: scopes, ProductID: productID}
	if len(scopes) == 0 {
		return "", t, &ValidationError{"scopes", "must name at least one scope"}
	}
	var pid any
	if productID != 0 {
		pid = productID
	}
	if t.Name == "" {
		return "", t, &ValidationError{"name", "must not be empty"}
	}
	var exp any
	if expires > 0 {
		e := t.CreatedAt.Add(expires)
		t.ExpiresAt = &e
		exp = fmtTime(e)
	}
	id, err := s.insertID(ctx, s.db, `INSERT INTO api_tokens (user_id, name, hash, prefix, created_at, expires_at, scopes, product_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		userID, t.Name, hash, t.Prefix, fmtTime(t.CreatedAt), exp, identity.JoinScopes(scopes), pid)
	if err != nil {
		return "", t, fmt.Errorf("create token %q: %w", name, err)
	}
	t.ID = id
	return plain, t, nil
}

// TokenPrincipal authenticates a bearer token; expired, revoked and disabled
// users' tokens are not found. Last use is recorded (at most once a minute).
func (s *Store) TokenPrincipal(ctx context.Context, plain string) (*identity.Principal, error) {
	hash := identity.HashSecret(plain)
	now := time.Now()
	p := &identity.Principal{Via: "token"}
	var role, scopes string
	var id int64
	var last sql.NullString
	var product sql.NullInt64
	err := s.conn(ctx).QueryRowContext(ctx, s.q(`SELECT t.id, u.id, u.name, u.role, u.all_products, t.last_used_at, t.scopes, t.product_id FROM api_tokens t JOIN users u ON u.id = t.user_id
		WHERE t.hash = ? AND NOT t.revoked AND (t.expires_at IS NULL OR t.expires_at > ?) AND NOT u.disabled`), hash, fmtTime(now)).
		Scan(&id, &p.UserID, &p.Name, &role, &p.AllProducts, &last, &scopes, &product)
	if err != nil {
		return nil, mapErr(err)
	}
	p.TokenID, p.TokenProduct = id, product.Int64
	for _, sc := range strings.Fields(scopes) {
		p.Scopes = append(p.Scopes, identity.Scope(sc))
	}
	if p.Products, err = s.Memberships(ctx, p.UserID); err != nil {
		return nil, err
	}
	if !last.Valid || now.Sub(parseTime(last.String)) > time.Minute {
		_, _ = s.exec(ctx, s.q(`UPDATE api_tokens SET last_used_at = ? WHERE id = ?`), fmtTime(now), id)
	}
	p.Role = identity.Role(role)
	return p, nil
}

// APITokens lists a user's tokens (never their secrets).
func (s *Store) APITokens(ctx context.Context, userID int64) ([]APIToken, error) {
	rows, err := s.conn(ctx).QueryContext(ctx, s.q(`SELECT id, user_id, name, prefix, created_at, expires_at, last_used_at, revoked, scopes, product_id FROM api_tokens WHERE user_id = ? ORDER BY id`), userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []APIToken
	for rows.Next() {
		var t APIToken
		var created string
		var exp, last sql.NullString
		var scopes string
		var pid sql.NullInt64
		if err := rows.Scan(&t.ID, &t.UserID, &t.Name, &t.Prefix, &created, &exp, &last, &t.Revoked, &scopes, &pid); err != nil {
			return nil, err
		}
		t.ProductID = pid.Int64
		for _, sc := range strings.Fields(scopes) {
			t.Scopes = append(t.Scopes, identity.Scope(sc))
		}
		t.CreatedAt = parseTime(created)
		if exp.Valid {
			e := parseTime(exp.String)
			t.ExpiresAt = &e
		}
		if last.Valid {
			l := parseTime(last.String)
			t.LastUsedAt = &l
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeAPIToken revokes one of a user's tokens.
func (s *Store) RevokeAPIToken(ctx context.Context, userID, id int64) error {
	res, err := s.exec(ctx, s.q(`UPDATE api_tokens SET revoked = ? WHERE id = ? AND user_id = ?`), true, id, userID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("token %d: %w", id, ErrNotFound)
	}
	return nil
}

// CreateSetupToken stores a one-time link secret (first-start setup or an
// invitation) and returns its plain value.
func (s *Store) CreateSetupToken(ctx context.Context, purpose string, ttl time.Duration) (string, error) {
	plain, hash := identity.NewSecret(identity.SetupPrefix)
	_, err := s.exec(ctx, s.q(`INSERT INTO setup_tokens (hash, purpose, expires_at) VALUES (?, ?, ?)`), hash, purpose, fmtTime(time.Now().Add(ttl)))
	return plain, err
}

// ValidSetupToken reports whether a setup secret is unused and unexpired.
func (s *Store) ValidSetupToken(ctx context.Context, plain, purpose string) bool {
	var n int
	err := s.conn(ctx).QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM setup_tokens WHERE hash = ? AND purpose = ? AND NOT used AND expires_at > ?`),
		identity.HashSecret(plain), purpose, fmtTime(time.Now())).Scan(&n)
	return err == nil && n == 1
}

// CompleteSetup consumes a setup secret and creates the first admin in one
// transaction; a secret works exactly once, even with concurrent requests.
func (s *Store) CompleteSetup(ctx context.Context, plain string, u *identity.User) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE setup_tokens SET used = ? WHERE hash = ? AND purpose = 'setup' AND NOT used AND expires_at > ?`),
			true, identity.HashSecret(plain), fmtTime(time.Now()))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("setup link: %w (already used or expired; restart rampart serve to get a new one)", ErrNotFound)
		}
		id, err := s.insertID(ctx, tx, `INSERT INTO users (name, password_hash, role, disabled, created_at, all_products, password_changed_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			u.Name, u.PasswordHash, string(u.Role), false, fmtTime(time.Now()), true, fmtTime(time.Now()))
		if err != nil {
			return fmt.Errorf("create user %q: %w", u.Name, err)
		}
		u.ID = id
		return nil
	})
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// SetPassword replaces a user's password hash and ends all their sessions
// except keep (the session hash of the caller, or "" for none).
func (s *Store) SetPassword(ctx context.Context, userID int64, hash, keep string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE users SET password_hash = ?, password_changed_at = ? WHERE id = ?`), hash, fmtTime(time.Now()), userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("user %d: %w", userID, ErrNotFound)
		}
		_, err = tx.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE user_id = ? AND id_hash <> ?`), userID, keep)
		return err
	})
}
