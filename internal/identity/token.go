package identity

import (
	"strings"
	"time"
)

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
	Scopes []Scope `json:"scopes"`
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
	Scopes    []Scope
	// ProductID restricts the token to one product (0: any).
	ProductID int64
	// ParentID is the token creating this one (0: none).
	ParentID int64
}

// Validate trims the token's name and checks that it names at least one
// scope and has a name of 1 to 100 characters.
func (r *TokenRequest) Validate() error {
	r.Name = strings.TrimSpace(r.Name)
	if len(r.Scopes) == 0 {
		return invalid("scopes", "must name at least one scope")
	}
	if r.Name == "" || len(r.Name) > 100 {
		return invalid("name", "must be 1 to 100 characters")
	}
	return nil
}
