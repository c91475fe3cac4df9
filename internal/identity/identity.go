// Package identity holds who may do what in Rampart: users and roles,
// password hashing, session and API token secrets, and the Principal that
// authentication middleware attaches to each request.
package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"time"
)

// Role is a global role. Higher roles include the rights of lower ones.
type Role string

// Roles, least privileged first.
const (
	RoleViewer Role = "viewer"
	RoleEditor Role = "editor"
	RoleAdmin  Role = "admin"
)

func (r Role) rank() int {
	switch r {
	case RoleViewer:
		return 1
	case RoleEditor:
		return 2
	case RoleAdmin:
		return 3
	}
	return 0
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r.rank() > 0 }

// Allows reports whether a holder of r may do what needs role need.
// Unknown roles allow nothing (deny by default).
func (r Role) Allows(need Role) bool { return r.rank() > 0 && r.rank() >= need.rank() }

// ParseRole validates a role name.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if !r.Valid() {
		return "", fmt.Errorf("role %q: must be admin, editor or viewer", s)
	}
	return r, nil
}

// User is an account.
type User struct {
	ID           int64  `json:"id"`
	Name         string `json:"name"`
	Role         Role   `json:"role"`
	Disabled     bool   `json:"disabled"`
	PasswordHash string `json:"-"`
	// ProductsOnly: access to products only through product memberships.
	// false (the default) applies Role to every product (the fallback
	// mapping, see GlobalPermissions).
	ProductsOnly bool `json:"products_only"`
	// MFA reports a TOTP second factor or passkey is enrolled.
	MFA        bool   `json:"mfa"`
	TOTPSecret string `json:"-"`
	TOTPStep   int64  `json:"-"`
}

// Principal is the authenticated caller of one request.
type Principal struct {
	UserID int64
	Name   string
	Role   Role
	// Via is "session" or "token".
	Via string
	// CSRF is the session's anti-forgery token (sessions only).
	CSRF string
	// SessionHash identifies the session (sessions only).
	SessionHash string
	// AllProducts applies the global role to every product (see
	// GlobalPermissions); Products holds the user's product memberships.
	AllProducts bool
	Products    map[int64]ProductRole
	// Scopes and TokenProduct restrict a token (tokens only; 0: any product).
	Scopes       []Scope
	TokenID      int64
	TokenProduct int64
	// TokenName names the token (for audit events); TokenExpires is when
	// it expires (zero: never).
	TokenName    string
	TokenExpires time.Time
	// MFA reports whether this session was established with more than one
	// factor (always false for tokens).
	MFA bool
	// AuthAt is when the session last proved who it is (sign-in or
	// re-authentication; sessions only).
	AuthAt time.Time
}

// ReauthWindow is how recent a session's proof of identity must be to
// change how the account authenticates (second factors, passkeys).
const ReauthWindow = 5 * time.Minute

// RecentlyAuthenticated reports whether a session proved who it is within
// ReauthWindow of now (tokens never have).
func (p *Principal) RecentlyAuthenticated(now time.Time) bool {
	return p != nil && p.Via == "session" && !p.AuthAt.IsZero() && now.Sub(p.AuthAt) <= ReauthWindow
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the request's principal, or nil when unauthenticated.
func FromContext(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}

// Secret prefixes make leaked secrets recognisable by secret scanners.
const (
	TokenPrefix   = "rmp_"  // API tokens
	SessionPrefix = "rms_"  // session cookies
	SetupPrefix   = "rmsu_" // one-time setup and invitation links
)

// NewSecret returns a new random secret with the given prefix (256 bits of
// entropy) and the hash under which it is stored. The plain secret is shown
// once and never stored.
func NewSecret(prefix string) (plain, hash string) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand failed: " + err.Error()) // never returns an error on supported platforms
	}
	plain = prefix + base64.RawURLEncoding.EncodeToString(b[:])
	return plain, HashSecret(plain)
}

// HashSecret is the storage form of a high-entropy secret: SHA-256 is enough
// (a 256-bit random secret cannot be brute-forced), unlike passwords.
func HashSecret(plain string) string {
	sum := sha256.Sum256([]byte(plain))
	return hex.EncodeToString(sum[:])
}

// ConstantTimeEqual compares two short secrets without leaking where they differ.
func ConstantTimeEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
