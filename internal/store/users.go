package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

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
	id, err := s.insertID(ctx, s.conn(ctx), `INSERT INTO users (name, password_hash, role, disabled, created_at, all_products, password_changed_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
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
	_, err = s.exec(ctx, s.q(`INSERT INTO sessions (id_hash, user_id, csrf, created_at, last_seen, expires_at, source, user_agent, mfa, auth_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		hash, userID, csrf, fmtTime(now), fmtTime(now), fmtTime(now.Add(s.sessionAbsolute())), source, truncate(userAgent, 200), mfa, fmtTime(now))
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
	var role, lastSeen, authAt string
	err := s.conn(ctx).QueryRowContext(ctx, s.q(`SELECT u.id, u.name, u.role, u.all_products, s.csrf, s.last_seen, s.mfa, s.auth_at
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.id_hash = ? AND s.expires_at > ? AND NOT u.disabled`), hash, fmtTime(now)).
		Scan(&p.UserID, &p.Name, &role, &p.AllProducts, &p.CSRF, &lastSeen, &p.MFA, &authAt)
	p.AuthAt = parseTime(authAt)
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
	// ParentID is the token that created this one (0: created by a
	// signed-in user or the CLI). A child is valid only while its parent is.
	ParentID int64 `json:"parent_id,omitempty"`
}

// TokenRequest describes a token to issue.
type TokenRequest struct {
	UserID int64
	Name   string
	// Expires is the lifetime (0: no expiry); ExpiresAt, when set, is the
	// expiry instead.
	Expires   time.Duration
	ExpiresAt time.Time
	Scopes    []identity.Scope
	// ProductID restricts the token to one product (0: any).
	ProductID int64
	// ParentID is the token creating this one (0: none).
	ParentID int64
}

// CreateAPIToken issues a token for a user; the plain token is returned once.
// expires 0 means no expiry.
func (s *Store) CreateAPIToken(ctx context.Context, userID int64, name string, expires time.Duration) (string, APIToken, error) {
	return s.CreateScopedToken(ctx, userID, name, expires, []identity.Scope{identity.ScopeAll}, 0)
}

// CreateScopedToken issues a token limited to scopes and, when productID is
// not 0, to one product.
func (s *Store) CreateScopedToken(ctx context.Context, userID int64, name string, expires time.Duration, scopes []identity.Scope, productID int64) (string, APIToken, error) {
	return s.CreateToken(ctx, TokenRequest{UserID: userID, Name: name, Expires: expires, Scopes: scopes, ProductID: productID})
}

// CreateToken issues a token; the plain token is returned once. A parent
// must be a live token of the same user (the caller checks that the child
// is a subset of it).
func (s *Store) CreateToken(ctx context.Context, req TokenRequest) (string, APIToken, error) {
	plain, hash := identity.NewSecret(identity.TokenPrefix)
	t := APIToken{UserID: req.UserID, Name: strings.TrimSpace(req.Name), Prefix: plain[:len(identity.TokenPrefix)+6], CreatedAt: time.Now().UTC(),
		Scopes: req.Scopes, ProductID: req.ProductID, ParentID: req.ParentID}
	if len(req.Scopes) == 0 {
		return "", t, &ValidationError{"scopes", "must name at least one scope"}
	}
	if t.Name == "" || len(t.Name) > 100 {
		return "", t, &ValidationError{"name", "must be 1 to 100 characters"}
	}
	var pid, parent, exp any
	if req.ProductID != 0 {
		pid = req.ProductID
	}
	if req.ParentID != 0 {
		parent = req.ParentID
	}
	if req.Expires > 0 && req.ExpiresAt.IsZero() {
		req.ExpiresAt = t.CreatedAt.Add(req.Expires)
	}
	if !req.ExpiresAt.IsZero() {
		e := req.ExpiresAt.UTC()
		t.ExpiresAt = &e
		exp = fmtTime(e)
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if req.ParentID != 0 {
			var owner int64
			if err := tx.QueryRowContext(ctx, s.q(`SELECT user_id FROM api_tokens WHERE id = ? AND NOT revoked`), req.ParentID).Scan(&owner); err != nil || owner != req.UserID {
				return fmt.Errorf("parent token %d: %w", req.ParentID, ErrNotFound)
			}
		}
		id, err := s.insertID(ctx, tx, `INSERT INTO api_tokens (user_id, name, hash, prefix, created_at, expires_at, scopes, product_id, parent_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			req.UserID, t.Name, hash, t.Prefix, fmtTime(t.CreatedAt), exp, identity.JoinScopes(req.Scopes), pid, parent)
		t.ID = id
		return err
	})
	if err != nil {
		return "", t, fmt.Errorf("create token %q: %w", t.Name, err)
	}
	return plain, t, nil
}

// tokenChain selects a token (by hash) and every ancestor of it.
const tokenChain = `WITH RECURSIVE chain(id, parent_id, revoked, expires_at) AS (
	SELECT id, parent_id, revoked, expires_at FROM api_tokens WHERE hash = ?
	UNION ALL
	SELECT t.id, t.parent_id, t.revoked, t.expires_at FROM api_tokens t JOIN chain c ON t.id = c.parent_id)
	`

// TokenPrincipal authenticates a bearer token; expired, revoked and disabled
// users' tokens are not found. Last use is recorded (at most once a minute).
func (s *Store) TokenPrincipal(ctx context.Context, plain string) (*identity.Principal, error) {
	hash := identity.HashSecret(plain)
	now := time.Now()
	p := &identity.Principal{Via: "token"}
	var role, scopes string
	var id int64
	var last, exp sql.NullString
	var product sql.NullInt64
	err := s.conn(ctx).QueryRowContext(ctx, s.q(`SELECT t.id, u.id, u.name, u.role, u.all_products, t.last_used_at, t.scopes, t.product_id, t.expires_at, t.name FROM api_tokens t JOIN users u ON u.id = t.user_id
		WHERE t.hash = ? AND NOT t.revoked AND (t.expires_at IS NULL OR t.expires_at > ?) AND NOT u.disabled`), hash, fmtTime(now)).
		Scan(&id, &p.UserID, &p.Name, &role, &p.AllProducts, &last, &scopes, &product, &exp, &p.TokenName)
	if err != nil {
		return nil, mapErr(err)
	}
	// A token lives only while every ancestor does (revoked or expired
	// parents take their children with them).
	var dead int
	if err := s.conn(ctx).QueryRowContext(ctx, s.q(tokenChain+`SELECT COUNT(*) FROM chain WHERE revoked OR (expires_at IS NOT NULL AND expires_at <= ?)`), hash, fmtTime(now)).Scan(&dead); err != nil {
		return nil, fmt.Errorf("check token chain: %w", err)
	}
	if dead > 0 {
		return nil, ErrNotFound
	}
	p.TokenID, p.TokenProduct = id, product.Int64
	if exp.Valid {
		p.TokenExpires = parseTime(exp.String)
	}
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
	rows, err := s.conn(ctx).QueryContext(ctx, s.q(`SELECT id, user_id, name, prefix, created_at, expires_at, last_used_at, revoked, scopes, product_id, parent_id FROM api_tokens WHERE user_id = ? ORDER BY id`), userID)
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
		var pid, parent sql.NullInt64
		if err := rows.Scan(&t.ID, &t.UserID, &t.Name, &t.Prefix, &created, &exp, &last, &t.Revoked, &scopes, &pid, &parent); err != nil {
			return nil, err
		}
		t.ProductID, t.ParentID = pid.Int64, parent.Int64
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

// RevokeAPIToken revokes one of a user's tokens and every token created
// from it (its descendants).
func (s *Store) RevokeAPIToken(ctx context.Context, userID, id int64) error {
	res, err := s.exec(ctx, s.q(`WITH RECURSIVE tree(id) AS (
		SELECT id FROM api_tokens WHERE id = ? AND user_id = ?
		UNION ALL
		SELECT t.id FROM api_tokens t JOIN tree ON t.parent_id = tree.id)
		UPDATE api_tokens SET revoked = ? WHERE id IN (SELECT id FROM tree)`), id, userID, true)
	if err != nil {
		return fmt.Errorf("revoke token %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("token %d: %w", id, ErrNotFound)
	}
	return nil
}

// TokenDescends reports whether token id is token ancestor or one of its
// descendants (a token may manage only itself and the tokens it created).
func (s *Store) TokenDescends(ctx context.Context, id, ancestor int64) (bool, error) {
	var n int
	err := s.conn(ctx).QueryRowContext(ctx, s.q(`WITH RECURSIVE up(id, parent_id) AS (
		SELECT id, parent_id FROM api_tokens WHERE id = ?
		UNION ALL
		SELECT t.id, t.parent_id FROM api_tokens t JOIN up ON t.id = up.parent_id)
		SELECT COUNT(*) FROM up WHERE id = ?`), id, ancestor).Scan(&n)
	return n > 0, err
}

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
	exp := fmtTime(time.Now().Add(ttl))
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
		return "", fmt.Errorf("setup link: %w: an administrator exists already", ErrConflict)
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
	err := s.conn(ctx).QueryRowContext(ctx, s.q(q), identity.HashSecret(plain), purpose, fmtTime(time.Now())).Scan(&n)
	return err == nil && n == 1
}

// CompleteSetup consumes the setup link and creates the first admin in one
// transaction; the link works exactly once, even with concurrent requests,
// and never once an administrator exists.
func (s *Store) CompleteSetup(ctx context.Context, plain string, u *identity.User) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE setup_tokens SET used = ? WHERE hash = ? AND purpose = 'setup' AND NOT used AND expires_at > ? AND `+noAdmin),
			true, identity.HashSecret(plain), fmtTime(time.Now()))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("setup link: %w (already used, replaced by a newer link, expired, or an administrator exists; restart rampart serve on an empty database for a new one)", ErrNotFound)
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

// truncate bounds s to n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// MarkSessionReauth records that a session just proved who it is again.
func (s *Store) MarkSessionReauth(ctx context.Context, hash string) error {
	_, err := s.exec(ctx, s.q(`UPDATE sessions SET auth_at = ? WHERE id_hash = ?`), fmtTime(time.Now()), hash)
	return err
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

// RevokeUserTokens revokes every token of a user and returns how many.
func (s *Store) RevokeUserTokens(ctx context.Context, userID int64) (int64, error) {
	res, err := s.exec(ctx, s.q(`UPDATE api_tokens SET revoked = ? WHERE user_id = ? AND NOT revoked`), true, userID)
	if err != nil {
		return 0, fmt.Errorf("revoke tokens of user %d: %w", userID, err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
