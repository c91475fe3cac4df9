package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/identity"
)

// API tokens: issued, authenticated, listed and revoked (with their descendants).

// CreateAPIToken issues a token for a user; the plain token is returned once.
// expires 0 means no expiry.
func (s *Store) CreateAPIToken(ctx context.Context, userID int64, name string, expires time.Duration) (string, identity.APIToken, error) {
	return s.CreateScopedToken(ctx, userID, name, expires, []identity.Scope{identity.ScopeAll}, 0)
}

// CreateScopedToken issues a token limited to scopes and, when productID is
// not 0, to one product.
func (s *Store) CreateScopedToken(ctx context.Context, userID int64, name string, expires time.Duration, scopes []identity.Scope, productID int64) (string, identity.APIToken, error) {
	return s.CreateToken(ctx, identity.TokenRequest{UserID: userID, Name: name, Expires: expires, Scopes: scopes, ProductID: productID})
}

// CreateToken issues a token; the plain token is returned once. A parent
// must be a live token of the same user (the caller checks that the child
// is a subset of it).
func (s *Store) CreateToken(ctx context.Context, req identity.TokenRequest) (string, identity.APIToken, error) {
	plain, hash := identity.NewSecret(identity.TokenPrefix)
	verr := req.Validate()
	t := identity.APIToken{UserID: req.UserID, Name: req.Name, Prefix: plain[:len(identity.TokenPrefix)+6], CreatedAt: s.now().UTC(),
		Scopes: req.Scopes, ProductID: req.ProductID, ParentID: req.ParentID}
	if verr != nil {
		return "", t, verr
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
				return fmt.Errorf("parent token %d: %w", req.ParentID, fault.ErrNotFound)
			}
		}
		id, err := s.insertID(ctx, tx, `INSERT INTO api_tokens (user_id, name, hash, prefix, created_at, expires_at, scopes, product_id, parent_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			req.UserID, t.Name, hash, t.Prefix, fmtTime(t.CreatedAt), exp, identity.JoinScopes(req.Scopes), pid, parent)
		t.ID = id
		return err
	})
	if isForeignKey(err) && req.ProductID != 0 {
		return "", t, fault.Invalid("product_id", "product %d: no such product; give the id of an existing product, or none for all of yours", req.ProductID)
	}
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
	now := s.now()
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
		return nil, fault.ErrNotFound
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
func (s *Store) APITokens(ctx context.Context, userID int64) ([]identity.APIToken, error) {
	return queryAll(ctx, s.conn(ctx), s.q(`SELECT id, user_id, name, prefix, created_at, expires_at, last_used_at, revoked, scopes, product_id, parent_id FROM api_tokens WHERE user_id = ? ORDER BY id`), scanAPIToken, userID)
}

func scanAPIToken(sc rowScanner) (identity.APIToken, error) {
	var t identity.APIToken
	var created string
	var exp, last sql.NullString
	var scopes string
	var pid, parent sql.NullInt64
	if err := sc.Scan(&t.ID, &t.UserID, &t.Name, &t.Prefix, &created, &exp, &last, &t.Revoked, &scopes, &pid, &parent); err != nil {
		return t, err
	}
	t.ProductID, t.ParentID = pid.Int64, parent.Int64
	for _, scope := range strings.Fields(scopes) {
		t.Scopes = append(t.Scopes, identity.Scope(scope))
	}
	t.CreatedAt, t.ExpiresAt, t.LastUsedAt = parseTime(created), parseNullTime(exp), parseNullTime(last)
	return t, nil
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
		return fmt.Errorf("token %d: %w", id, fault.ErrNotFound)
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

// RevokeUserTokens revokes every token of a user and returns how many.
func (s *Store) RevokeUserTokens(ctx context.Context, userID int64) (int64, error) {
	res, err := s.exec(ctx, s.q(`UPDATE api_tokens SET revoked = ? WHERE user_id = ? AND NOT revoked`), true, userID)
	if err != nil {
		return 0, fmt.Errorf("revoke tokens of user %d: %w", userID, err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
