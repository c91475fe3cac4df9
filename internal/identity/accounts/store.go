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
	Challenges
	SSOUsers
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

// SSOUsers are the accounts single sign-on signs in.
type SSOUsers interface {
	// SSOUser returns the account linked to the identity's issuer and
	// subject. A first sign-in creates an account named id.Name (never
	// taking over an existing one by that name) or, with linkEmail and a
	// verified email, links the password-less account named by the email.
	// The account's global role becomes id.Role. A disabled account or a
	// name clash is an error whose message is shown to the user.
	SSOUser(ctx context.Context, id identity.SSOIdentity, linkEmail bool) (identity.User, error)
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
	// Failures is the highest failure count of keys and the latest time
	// until which one of them is blocked (passkey sign-in's address check).
	Failures(ctx context.Context, keys ...string) (maxFailures int, until time.Time, err error)
	// RecordFailure counts a failure against key, blocked for delay(count).
	RecordFailure(ctx context.Context, key string, delay func(failures int) time.Duration) (int, error)
	// ClearFailures forgets key's failures.
	ClearFailures(ctx context.Context, key string) error
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
	// MarkSessionMFA records that the session now holds a second factor.
	MarkSessionMFA(ctx context.Context, hash string) error
	// CreateSession starts a single-factor session (cookie value and CSRF
	// token); DeleteSession ends one by its hash.
	CreateSession(ctx context.Context, userID int64, source, userAgent string) (plain, csrf string, err error)
	DeleteSession(ctx context.Context, hash string) error
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
	// SetTOTPPending keeps a TOTP secret pending confirmation;
	// TOTPPending returns it ("" when none).
	SetTOTPPending(ctx context.Context, userID int64, secret string) error
	TOTPPending(ctx context.Context, userID int64) (string, error)
	// EnableTOTP makes the pending secret the user's second factor, with
	// step as the last used step and the recovery codes' hashes.
	EnableTOTP(ctx context.Context, userID int64, secret string, step int64, recoveryHashes []string) error
	// DisableTOTP removes the TOTP secret and the recovery codes.
	DisableTOTP(ctx context.Context, userID int64) error
	// ReplaceRecoveryCodes replaces the user's recovery codes.
	ReplaceRecoveryCodes(ctx context.Context, userID int64, hashes []string) error
	// Passkeys lists a user's passkeys; AddPasskey stores one (filling its
	// ID), TouchPasskey records a credential's new state (sign count) and
	// DeletePasskey removes one (another user's: not found).
	Passkeys(ctx context.Context, userID int64) ([]identity.Passkey, error)
	AddPasskey(ctx context.Context, p *identity.Passkey) error
	TouchPasskey(ctx context.Context, userID int64, credential, data string) error
	DeletePasskey(ctx context.Context, userID, id int64) error
}

// Challenges keep the state of a WebAuthn ceremony or a single sign-on
// between its two steps.
type Challenges interface {
	// SaveChallenge keeps data for ttl, bound to userID (0: anyone), and
	// returns its id.
	SaveChallenge(ctx context.Context, userID int64, data string, ttl time.Duration) (string, error)
	// TakeChallenge returns and deletes the data (once; expired, unknown
	// or another user's: not found).
	TakeChallenge(ctx context.Context, id string, userID int64) (string, error)
}

// Tokens are API tokens.
type Tokens interface {
	// CreateToken issues a token (validated with
	// identity.TokenRequest.Validate; a dead parent: not found).
	CreateToken(ctx context.Context, req identity.TokenRequest) (string, identity.APIToken, error)
	// RevokeUserTokens revokes every token of a user.
	RevokeUserTokens(ctx context.Context, userID int64) (int64, error)
	// RevokeAPIToken revokes one token of a user (another's: not found).
	RevokeAPIToken(ctx context.Context, userID, id int64) error
	// TokenDescends reports whether token id is ancestor or was created by
	// it, directly or not.
	TokenDescends(ctx context.Context, id, ancestor int64) (bool, error)
}

// Invitations are one-time links for new users.
type Invitations interface {
	// CreateInvite stores an invitation for a role (validated with
	// identity.Role.Validate) and returns its secret.
	CreateInvite(ctx context.Context, role identity.Role, by string, ttl time.Duration) (string, error)
	// ValidSetupToken reports whether a one-time link of purpose is usable.
	ValidSetupToken(ctx context.Context, plain, purpose string) bool
	// CompleteSetup consumes the setup link and creates the first
	// administrator; AcceptInvite consumes an invitation and creates its
	// user with the invitation's role (filled into u). A taken name:
	// conflict.
	CompleteSetup(ctx context.Context, plain string, u *identity.User) error
	AcceptInvite(ctx context.Context, plain string, u *identity.User) error
}

// Members are users' roles on products.
type Members interface {
	// SetMember gives a user a role on a product (validated with
	// identity.ProductRole.Validate; an unknown product or user:
	// not found).
	SetMember(ctx context.Context, productID, userID int64, role identity.ProductRole) error
	// RemoveMember takes the role away (none: not found).
	RemoveMember(ctx context.Context, productID, userID int64) error
}

// Settings are the server-wide security settings.
type Settings interface {
	SetSetting(ctx context.Context, name, value string) error
}
