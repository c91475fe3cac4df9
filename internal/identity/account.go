package identity

import (
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/fault"
)

// Validate trims the user's name and checks it (1 to 100 characters) and
// the role. Errors are fault.Invalid naming the field.
func (u *User) Validate() error {
	u.Name = strings.TrimSpace(u.Name)
	if u.Name == "" || len(u.Name) > 100 {
		return invalid("name", "must be 1 to 100 characters")
	}
	return u.Role.Validate()
}

// Validate checks that r is a known global role (fault.Invalid on "role").
func (r Role) Validate() error {
	if !r.Valid() {
		return invalid("role", "must be admin, editor or viewer")
	}
	return nil
}

// Validate checks that r is a known product role (fault.Invalid on "role").
func (r ProductRole) Validate() error {
	if _, err := ParseProductRole(string(r)); err != nil {
		return invalid("role", err.Error())
	}
	return nil
}

// invalid is a fault.Invalid on field whose message starts with the field's
// name, as every validation message of accounts reads ("role: must be …").
func invalid(field, msg string) error { return fault.Invalid(field, "%s: %s", field, msg) }

// UserUpdate changes an account; nil fields are left as they are.
type UserUpdate struct {
	Role        *Role `json:"role,omitempty"`
	Disabled    *bool `json:"disabled,omitempty"`
	AllProducts *bool `json:"all_products,omitempty"`
}

// Validate checks the fields the update sets.
func (u UserUpdate) Validate() error {
	if u.Role != nil {
		return u.Role.Validate()
	}
	return nil
}

// Member is a user's role on a product.
type Member struct {
	ProductID   int64       `json:"product_id"`
	ProductName string      `json:"product_name"`
	UserID      int64       `json:"user_id"`
	UserName    string      `json:"user_name"`
	Role        ProductRole `json:"role"`
}

// Session describes a signed-in browser without its secret.
type Session struct {
	Hash      string    `json:"-"`
	CreatedAt time.Time `json:"created_at"`
	LastSeen  time.Time `json:"last_seen"`
	ExpiresAt time.Time `json:"expires_at"`
	Source    string    `json:"source"`
	UserAgent string    `json:"user_agent"`
	Current   bool      `json:"current"`
}

// Passkey is a WebAuthn credential of a user. Data is the library's JSON
// form of the credential (public key, sign count, flags), never a secret.
type Passkey struct {
	ID         int64      `json:"id"`
	UserID     int64      `json:"user_id"`
	Credential string     `json:"credential"` // base64url credential id
	Name       string     `json:"name"`
	Data       string     `json:"-"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

// DefaultPasskeyName names a passkey registered without a name.
const DefaultPasskeyName = "passkey"

// Normalize trims the passkey's name, naming it DefaultPasskeyName when
// empty.
func (p *Passkey) Normalize() {
	p.Name = strings.TrimSpace(p.Name)
	if p.Name == "" {
		p.Name = DefaultPasskeyName
	}
}
