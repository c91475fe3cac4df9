package accounts

import (
	"context"
	"time"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/identity"
)

// Store is what the account use cases need from persistence; internal/store
// implements it. "Not found" and "conflict" below are the store's sentinel
// errors (the error table maps them to 404 and 409); validation failures
// are fault.Invalid naming the field. Writes done inside audit.Change use
// the context they are given (which carries the transaction).
type Store interface {
	audit.AtomicLog
	Users
	Attempts
	Sessions
	SecondFactors
	Tokens
	Invitations
	Members
	Settings
}

// Users are the accounts.
type Users interface {
	// UserByName and UserByID return a user (missing: not found).
	UserByName(ctx context.Context, name string) (identity.User, error)
	UserByID(ctx context.Context, id int64) (identity.User, error)
	// CreateUser stores a user with an already-hashed password (validated
	// with identity.User.Validate; a taken name: conflict).
	CreateUser(ctx context.Context, u *identity.User) error
	// UpdateUser applies an update (an unknown user: not found).
	UpdateUser(ctx context.Context, id int64, u identity.UserUpdate) error
	// SetPassword replaces the password hash and ends every session of the
	// user except keep.
	SetPassword(ctx context.Context, userID int64, hash, keep string) error
}

// Attempts are the shared throttle counters of authentication attempts
// (see identity.SignInPolicy); waits are measured from the now given.
type Attempts interface {
	// BeginAttempt checks every key and, when none blocks, charges the
	// attempt to each, atomically.
	BeginAttempt(ctx context.Context, keys []identity.AttemptKey, now time.Time) (identity.Attempt, error)
	// EndAttempt settles a successful (or unevaluated, refunded) attempt.
	EndAttempt(ctx context.Context, keys []identity.AttemptKey, now time.Time) error
	// FailAttempt settles a failed attempt: each key's back-off runs from now.
	FailAttempt(ctx context.Context, keys []identity.AttemptKey, att identity.Attempt, now time.Time) error
}

// Sessions are signed-in browsers.
type Sessions interface {
	// CreateSessionAuth starts a session and returns its cookie value and
	// CSRF token (shown once).
	CreateSessionAuth(ctx context.Context, userID int64, source, userAgent string, mfa bool) (plain, csrf string, err error)
	// DeleteUserSessions ends every session of a user except keep.
	DeleteUserSessions(ctx context.Context, userID int64, keep string) (int64, error)
	// MarkSessionReauth records that the session proved who it is at at.
	MarkSessionReauth(ctx context.Context, hash string, at time.Time) error
}

// SecondFactors are TOTP steps, recovery codes and passkeys.
type SecondFactors interface {
	// UseTOTPStep accepts a step later than every step used before
	// (false: a replay).
	UseTOTPStep(ctx context.Context, userID, step int64) (bool, error)
	// UseRecoveryCode consumes an unused recovery code by its hash.
	UseRecoveryCode(ctx context.Context, userID int64, hash string) (bool, error)
	// DeleteUserPasskeys removes every passkey of a user.
	DeleteUserPasskeys(ctx context.Context, userID int64) (int64, error)
}

// Tokens are API tokens.
type Tokens interface {
	// CreateToken issues a token (validated with
	// identity.TokenRequest.Validate; a dead parent: not found).
	CreateToken(ctx context.Context, req identity.TokenRequest) (string, identity.APIToken, error)
	// RevokeUserTokens revokes every token of a user.
	RevokeUserTokens(ctx context.Context, userID int64) (int64, error)
}

// Invitations are one-time links for new users.
type Invitations interface {
	// CreateInvite stores an invitation for a role (validated with
	// identity.Role.Validate) and returns its secret.
	CreateInvite(ctx context.Context, role identity.Role, by string, ttl time.Duration) (string, error)
}

// Members are users' roles on products.
type Members interface {
	// SetMember gives a user a role on a product (validated with
	// identity.ProductRole.Validate; an unknown product or user:
	// not found).
	SetMember(ctx context.Context, productID, userID int64, role identity.ProductRole) error
}

// Settings are the server-wide security settings.
type Settings interface {
	SetSetting(ctx context.Context, name, value string) error
}
