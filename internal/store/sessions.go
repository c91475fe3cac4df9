package store

import (
	"context"
	"fmt"
	"time"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/identity"
)

// Sessions: signed-in browsers, their lifetimes and what they proved.

// Session lifetimes.
const (
	SessionIdle     = 12 * time.Hour
	SessionAbsolute = 7 * 24 * time.Hour
)

// SetSessionLifetimes configures idle and absolute session expiry (0 keeps
// the default).
func (s *Store) SetSessionLifetimes(idle, absolute time.Duration) {
	s.idle, s.absolute = idle, absolute
}

func (s *Store) sessionIdle() time.Duration {
	if s.idle > 0 {
		return s.idle
	}
	return SessionIdle
}

// SessionAbsoluteLifetime is how long a session lives at most (cookie Max-Age).
func (s *Store) SessionAbsoluteLifetime() time.Duration { return s.sessionAbsolute() }

func (s *Store) sessionAbsolute() time.Duration {
	if s.absolute > 0 {
		return s.absolute
	}
	return SessionAbsolute
}

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
	now := s.now()
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
	now := s.now()
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
		return nil, fault.ErrNotFound
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

// Sessions lists a user's live sessions, marking the one with hash current.
func (s *Store) Sessions(ctx context.Context, userID int64, current string) ([]identity.Session, error) {
	out, err := queryAll(ctx, s.conn(ctx), s.q(`SELECT id_hash, created_at, last_seen, expires_at, source, user_agent FROM sessions
		WHERE user_id = ? AND expires_at > ? ORDER BY last_seen DESC`), func(sc rowScanner) (identity.Session, error) {
		var x identity.Session
		var c, l, e string
		err := sc.Scan(&x.Hash, &c, &l, &e, &x.Source, &x.UserAgent)
		x.CreatedAt, x.LastSeen, x.ExpiresAt, x.Current = parseTime(c), parseTime(l), parseTime(e), x.Hash == current
		return x, err
	}, userID, fmtTime(s.now()))
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	return out, nil
}

// DeleteUserSessions ends every session of a user except keep ("" for all)
// and returns how many ended.
func (s *Store) DeleteUserSessions(ctx context.Context, userID int64, keep string) (int64, error) {
	res, err := s.exec(ctx, s.q(`DELETE FROM sessions WHERE user_id = ? AND id_hash <> ?`), userID, keep)
	if err != nil {
		return 0, fmt.Errorf("end sessions of user %d: %w", userID, err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// MarkSessionMFA records that a session has proven a second factor (after
// enrolling TOTP or a passkey in it).
func (s *Store) MarkSessionMFA(ctx context.Context, hash string) error {
	_, err := s.exec(ctx, s.q(`UPDATE sessions SET mfa = ? WHERE id_hash = ?`), true, hash)
	return err
}

// MarkSessionReauth records that a session proved who it is again at at.
func (s *Store) MarkSessionReauth(ctx context.Context, hash string, at time.Time) error {
	_, err := s.exec(ctx, s.q(`UPDATE sessions SET auth_at = ? WHERE id_hash = ?`), fmtTime(at), hash)
	return err
}
