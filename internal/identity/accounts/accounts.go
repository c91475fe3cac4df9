// Package accounts holds the account use cases shared by the JSON API and
// the web UI: sign-in with throttling and second factors, password change,
// sign-out everywhere, API tokens, users, invitations, product members and
// the security settings. It knows no *http.Request: callers pass the
// context (with the identity.Principal acting) and, for sign-in, the
// client's address. The account types live in internal/identity; the
// service is a subpackage because it records audit events (internal/audit
// imports internal/identity).
package accounts

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/identity"
)

// Service runs the account use cases over one store.
type Service struct {
	store        Store
	policy       identity.SignInPolicy
	maxTokenLife time.Duration
	now          func() time.Time
	log          *slog.Logger
}

// New builds the service: pol is the sign-in throttling policy (counters
// are in the database, so every server process shares them), maxTokenLife
// bounds API token lifetimes (0: identity.DefaultMaxTokenLifetime) and now
// is the clock (nil: time.Now).
func New(st Store, pol identity.SignInPolicy, maxTokenLife time.Duration, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: st, policy: pol, maxTokenLife: maxTokenLife, now: now, log: slog.New(slog.DiscardHandler)}
}

// WithLogger makes the service log the failures of its bookkeeping (a sign
// count or an audit record that could not be written), which never fail
// the use case itself.
func (s *Service) WithLogger(l *slog.Logger) *Service {
	s.log = l
	return s
}

// Client is who is on the other end of a sign-in: the address the server
// resolved (throttling key) and the user agent (shown with the session).
type Client struct {
	IP        string
	UserAgent string
}

// SignIn checks a name, password and (when the account has one) TOTP code
// or recovery code, with throttling per account and per source address
// shared through the database, and on success starts a session. It is
// shared by the API login and the UI sign-in form. Unknown users, wrong
// passwords and wrong codes get the same error and take the same time.
func (s *Service) SignIn(ctx context.Context, c Client, name, password, code string) (cookie, csrf string, err error) {
	return s.signIn(ctx, c, name, password, code, false)
}

// PasskeyStep is returned by SignInWithPasskeyStep when the password was
// right and the account's second factor is a passkey: the browser must
// now present it (the UI's second step). UserID names the account.
type PasskeyStep struct{ UserID int64 }

// SignInWithPasskeyStep is SignIn for browsers, which can complete a
// passkey second factor: instead of failing it returns PasskeyStep.
func (s *Service) SignInWithPasskeyStep(ctx context.Context, c Client, name, password, code string) (cookie, csrf string, err error) {
	return s.signIn(ctx, c, name, password, code, true)
}

func (s *Service) signIn(ctx context.Context, c Client, name, password, code string, passkeyStep bool) (cookie, csrf string, err error) {
	st, pol, ip := s.store, s.policy, c.IP
	name = truncateName(name)
	keys := pol.Keys(name, ip)
	// The attempt is charged before the password is checked, atomically:
	// parallel guesses cannot all pass one read of the counters.
	att, err := st.BeginAttempt(ctx, keys, s.now())
	if err != nil {
		return "", "", err
	}
	if att.Locked {
		s.recordSignIn(ctx, name, audit.Failed, "account locked")
		return "", "", TooManyAttempts{Wait: pol.MaxDelay, Locked: true}
	}
	if !att.Allowed() {
		return "", "", TooManyAttempts{Wait: att.Wait}
	}
	u, uerr := st.UserByName(ctx, name)
	ok := false
	if uerr == nil && !u.Disabled {
		ok, err = identity.VerifyPasswordContext(ctx, u.PasswordHash, password)
	} else {
		err = identity.EqualizeTimingContext(ctx, password)
	}
	if err != nil { // no hashing slot: the attempt was not evaluated
		_ = st.EndAttempt(ctx, refundAll(keys), s.now())
		return "", "", err
	}
	reason := "wrong user name or password"
	switch {
	case ok && u.TOTPSecret != "":
		ok, reason = s.checkSecondFactor(ctx, u, code)
	case ok && u.MFA: // passkeys are the second factor
		if passkeyStep {
			_ = st.EndAttempt(ctx, keys, s.now())
			return "", "", PasskeyStep{UserID: u.ID}
		}
		ok, reason = false, "second factor (passkey) needs a browser"
	}
	if !ok {
		_ = st.FailAttempt(ctx, keys, att, s.now())
		s.recordSignIn(ctx, name, audit.Failed, reason)
		if n := att.Failures[identity.AccountKey(name)]; pol.LockAfter > 0 && n == pol.LockAfter {
			s.audit(ctx, audit.Event{Action: audit.ActionLocked, Actor: name, Object: "user " + name, Outcome: audit.Failed,
				Detail: fmt.Sprintf("%d consecutive failed sign-ins", n)})
		}
		return "", "", ErrBadCredentials
	}
	_ = st.EndAttempt(ctx, keys, s.now())
	cookie, csrf, err = st.CreateSessionAuth(ctx, u.ID, ip, c.UserAgent, u.TOTPSecret != "")
	if err == nil {
		s.recordSignIn(ctx, u.Name, audit.OK, "")
	}
	return cookie, csrf, err
}

// refundAll gives an unevaluated attempt's charge back on every key.
func refundAll(keys []identity.AttemptKey) []identity.AttemptKey {
	out := append([]identity.AttemptKey(nil), keys...)
	for i := range out {
		out[i].Refund = true
	}
	return out
}

// checkSecondFactor accepts a current TOTP code used for the first time,
// or an unused recovery code.
func (s *Service) checkSecondFactor(ctx context.Context, u identity.User, code string) (bool, string) {
	st := s.store
	code = strings.TrimSpace(code)
	if code == "" {
		return false, "second factor missing"
	}
	if step, ok := identity.TOTPMatch(u.TOTPSecret, code, s.now()); ok {
		fresh, err := st.UseTOTPStep(ctx, u.ID, step)
		if err != nil || !fresh {
			return false, "TOTP code replayed"
		}
		return true, ""
	}
	if len(code) > 6 {
		used, err := st.UseRecoveryCode(ctx, u.ID, identity.HashRecoveryCode(code))
		if err == nil && used {
			s.audit(ctx, audit.Event{Action: audit.ActionRecoveryUsed, Actor: u.Name, Object: "user " + u.Name})
			return true, ""
		}
	}
	return false, "wrong second factor"
}

func (s *Service) recordSignIn(ctx context.Context, name, outcome, reason string) {
	action := audit.ActionSignIn
	if outcome != audit.OK {
		action = audit.ActionSignInFailed
	}
	s.audit(ctx, audit.Event{Action: action, Actor: truncateName(name), Object: "user " + truncateName(name), Outcome: outcome, Detail: reason})
}

// audit records e; a failure is logged, never shown to the user (the
// records of refusals and of sign-ins, whose answer must not change with
// the audit log's health).
func (s *Service) audit(ctx context.Context, e audit.Event) {
	if err := audit.Record(ctx, s.store, e); err != nil {
		s.log.ErrorContext(ctx, "audit log append failed", "action", e.Action, "err", err)
	}
}

// truncateName bounds an anonymous user name (before any lookup or write)
// to 100 bytes without splitting a UTF-8 sequence.
func truncateName(s string) string {
	if len(s) <= 100 {
		return s
	}
	s = s[:100]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// ErrBadCredentials is the one answer for unknown users and wrong passwords.
var ErrBadCredentials = badCredentials{}

type badCredentials struct{}

// TooManyAttempts is returned while sign-in is throttled or the account is
// locked (Locked: until an administrator unlocks it).
type TooManyAttempts struct {
	Wait   time.Duration
	Locked bool
}

// SignOutEverywhere ends every session of the principal's user, including
// the current one.
func (s *Service) SignOutEverywhere(ctx context.Context) (int64, error) {
	st := s.store
	p := identity.FromContext(ctx)
	var n int64
	err := audit.Change(ctx, st, func(ctx context.Context) (audit.Event, error) {
		var err error
		n, err = st.DeleteUserSessions(ctx, p.UserID, "")
		return audit.Event{Action: audit.ActionSignOutAll, Object: "user " + p.Name, Detail: fmt.Sprintf("%d sessions ended", n)}, err
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// ChangePassword checks the new password against the policy first, then
// the current password under the sign-in throttle (so the route is no
// password oracle: a weak new password is refused without evaluating the
// current one, and a wrong current one gets the sign-in's answer), stores
// the new hash and ends every other session of the user.
// Every other session ends; the user's passkeys are removed unless
// opt.KeepPasskeys (a passkey an attacker registered must not survive), and
// with opt.RevokeTokens every API token is revoked.
func (s *Service) ChangePassword(ctx context.Context, c Client, current, next string, opt PasswordChangeOptions) error {
	st, pol := s.store, s.policy
	p := identity.FromContext(ctx)
	u, err := st.UserByID(ctx, p.UserID)
	if err != nil {
		return err
	}
	// 8 characters suffice when every password sign-in also needs a second
	// factor (a TOTP code or a passkey).
	if err := identity.CheckPasswordFor(next, u.Name, u.TOTPSecret != "" || u.MFA && opt.KeepPasskeys); err != nil {
		return fault.Invalid("new_password", "%v", err)
	}
	keys := pol.Keys(u.Name, c.IP)
	att, err := st.BeginAttempt(ctx, keys, s.now())
	if err != nil {
		return err
	}
	if att.Locked {
		return TooManyAttempts{Wait: pol.MaxDelay, Locked: true}
	}
	if !att.Allowed() {
		return TooManyAttempts{Wait: att.Wait}
	}
	ok, err := identity.VerifyPasswordContext(ctx, u.PasswordHash, current)
	if err != nil {
		_ = st.EndAttempt(ctx, refundAll(keys), s.now())
		return err
	}
	if !ok {
		_ = st.FailAttempt(ctx, keys, att, s.now())
		s.audit(ctx, audit.Event{Action: audit.ActionPasswordChange, Object: "user " + u.Name, Outcome: audit.Failed, Detail: "wrong current password"})
		return fault.Invalid("current_password", "password not changed: check your current password")
	}
	_ = st.EndAttempt(ctx, keys, s.now())
	hash, err := identity.HashPasswordContext(ctx, next)
	if err != nil {
		return err
	}
	// The new password, the sessions, passkeys and tokens it ends and the
	// audit record commit together.
	return audit.Change(ctx, st, func(ctx context.Context) (audit.Event, error) {
		if err := st.SetPassword(ctx, u.ID, hash, p.SessionHash); err != nil {
			return audit.Event{}, err
		}
		detail := "other sessions ended"
		if !opt.KeepPasskeys {
			n, err := st.DeleteUserPasskeys(ctx, u.ID)
			if err != nil {
				return audit.Event{}, err
			}
			detail += fmt.Sprintf("; %d passkeys removed", n)
		}
		if opt.RevokeTokens {
			n, err := st.RevokeUserTokens(ctx, u.ID)
			if err != nil {
				return audit.Event{}, err
			}
			detail += fmt.Sprintf("; %d API tokens revoked", n)
		}
		return audit.Event{Action: audit.ActionPasswordChange, Object: "user " + u.Name, Detail: detail}, nil
	})
}

// PasswordChangeOptions are the choices offered with a password change.
type PasswordChangeOptions struct {
	KeepPasskeys bool // keep registered passkeys (default: remove them)
	RevokeTokens bool // revoke every API token too
}

// CreateToken validates and issues a token for the principal: scopes must
// be known, a product restriction must name a product the principal can
// read, the lifetime must not exceed maxLife, and a token creating a token
// can only create a subset of itself (identity.CheckChildToken); the child
// records its parent and dies with it. Shared by the API and the UI.
func (s *Service) CreateToken(ctx context.Context, name, expires, scopes string, productID int64) (string, identity.APIToken, error) {
	st := s.store
	p := identity.FromContext(ctx)
	exp, err := ParseExpiry(expires, s.maxTokenLife)
	if err != nil {
		return "", identity.APIToken{}, err
	}
	sc, err := identity.ParseScopes(scopes)
	if err != nil {
		return "", identity.APIToken{}, fault.Invalid("scopes", "%v", err)
	}
	expiresAt := s.now().Add(exp)
	if p.Via == "token" {
		if productID == 0 {
			productID = p.TokenProduct // a restricted token's children inherit the restriction
		}
		if strings.TrimSpace(expires) == "" && !p.TokenExpires.IsZero() && expiresAt.After(p.TokenExpires) {
			expiresAt = p.TokenExpires // the default lifetime is cut to the parent's
		}
	}
	if err := p.CheckChildToken(identity.ChildToken{Scopes: sc, ProductID: productID, ExpiresAt: expiresAt}); err != nil {
		return "", identity.APIToken{}, err
	}
	if productID != 0 && !p.Can(productID, identity.PermRead) {
		return "", identity.APIToken{}, fault.Invalid("product_id", "product %d: not found or not yours", productID)
	}
	req := identity.TokenRequest{UserID: p.UserID, Name: name, ExpiresAt: expiresAt, Scopes: sc, ProductID: productID}
	if p.Via == "token" {
		req.ParentID = p.TokenID
	}
	var plain string
	var tok identity.APIToken
	err = audit.Change(ctx, st, func(ctx context.Context) (audit.Event, error) {
		var err error
		plain, tok, err = st.CreateToken(ctx, req)
		if err != nil {
			return audit.Event{}, err
		}
		e := audit.Event{Action: audit.ActionTokenCreate, Object: fmt.Sprintf("token %d %s (%s…)", tok.ID, tok.Name, tok.Prefix),
			ProductID: productID, Detail: "scopes " + identity.JoinScopes(sc)}
		if req.ParentID != 0 {
			e.Detail += fmt.Sprintf("; created by token %d", req.ParentID)
		}
		return e, nil
	})
	if err != nil {
		return "", identity.APIToken{}, err
	}
	return plain, tok, nil
}

// ParseExpiry parses a token lifetime: empty means the 90-day default (cut
// to maxLife), and no lifetime may exceed maxLife (0: the default maximum,
// identity.DefaultMaxTokenLifetime). "never" is refused: every token expires.
func ParseExpiry(s string, maxLife time.Duration) (time.Duration, error) {
	if maxLife <= 0 {
		maxLife = identity.DefaultMaxTokenLifetime
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return min(90*24*time.Hour, maxLife), nil
	}
	d, err := time.ParseDuration(s)
	if s == "never" || err == nil && d > maxLife {
		return 0, fault.Invalid("expires", "%q: tokens live at most %s on this server; give a shorter lifetime such as 720h", s, maxLife)
	}
	if err != nil || d <= 0 {
		return 0, fault.Invalid("expires", "%q is not a positive duration such as 720h", s)
	}
	return d, nil
}

// CreateUser checks the password policy, hashes and stores a new user.
func (s *Service) CreateUser(ctx context.Context, name string, role identity.Role, password string, productsOnly bool) (identity.User, error) {
	st := s.store
	u := identity.User{Name: name, Role: role, ProductsOnly: productsOnly}
	if err := role.Validate(); err != nil {
		return u, err
	}
	if err := identity.CheckPassword(password, name); err != nil {
		return u, fault.Invalid("password", "password: %v", err)
	}
	hash, err := identity.HashPasswordContext(ctx, password)
	if err != nil {
		return u, err
	}
	u.PasswordHash = hash
	err = audit.Change(ctx, st, func(ctx context.Context) (audit.Event, error) {
		return audit.Event{Action: audit.ActionUserCreate, Object: "user " + u.Name, Detail: "role " + string(u.Role)}, st.CreateUser(ctx, &u)
	})
	return u, err
}

func (PasskeyStep) Error() string { return "confirm the sign-in with your passkey" }

func (badCredentials) Error() string {
	return "wrong user name, password or authentication code"
}

// Unwrap classifies it for the error table (fault.KindUnauthenticated).
func (badCredentials) Unwrap() error { return fault.ErrUnauthenticated }

func (e TooManyAttempts) Error() string {
	if e.Locked {
		return "too many failed sign-ins: this account is locked; an administrator must unlock it"
	}
	return fmt.Sprintf("too many failed sign-ins; try again in %s", e.Wait.Round(time.Second))
}

// Unwrap classifies it for the error table (fault.KindTooMany).
func (TooManyAttempts) Unwrap() error { return fault.ErrTooMany }

// RetryAfter is the Retry-After header value in whole seconds.
func (e TooManyAttempts) RetryAfter() string {
	return strconv.Itoa(int(math.Ceil(e.Wait.Seconds())))
}

// SettingRequireMFA names the setting that requires a second factor: ""
// (nobody), "all", or a comma-separated list of global and product roles.
const SettingRequireMFA = "require_mfa"

// UpdateUser applies an administrator's change to an account and audits it.
// An administrator cannot disable or demote themselves (no lock-out).
func (s *Service) UpdateUser(ctx context.Context, id int64, in identity.UserUpdate) error {
	st := s.store
	p := identity.FromContext(ctx)
	if id == p.UserID && ((in.Disabled != nil && *in.Disabled) || (in.Role != nil && *in.Role != identity.RoleAdmin)) {
		return fault.Invalid("id", "id: you cannot disable or demote your own account; ask another administrator")
	}
	u, err := st.UserByID(ctx, id)
	if err != nil {
		return err
	}
	return audit.Change(ctx, st, func(ctx context.Context) (audit.Event, error) {
		if err := st.UpdateUser(ctx, id, in); err != nil {
			return audit.Event{}, err
		}
		detail, _ := json.Marshal(in)
		return audit.Event{Action: audit.ActionUserUpdate, Object: "user " + u.Name, Detail: string(detail)}, nil
	})
}

// InviteTTL is how long an invitation link stays valid.
const InviteTTL = 7 * 24 * time.Hour

// Invite creates a one-time invitation link path for a new user.
func (s *Service) Invite(ctx context.Context, role identity.Role) (string, error) {
	st := s.store
	p := identity.FromContext(ctx)
	var plain string
	if err := audit.Change(ctx, st, func(ctx context.Context) (audit.Event, error) {
		var err error
		plain, err = st.CreateInvite(ctx, role, p.Name, InviteTTL)
		return audit.Event{Action: audit.ActionUserInvite, Object: "invitation", Detail: "role " + string(role)}, err
	}); err != nil {
		return "", err
	}
	return "/invite?token=" + plain, nil
}

// SetRequireMFA validates and stores the require_mfa setting.
func (s *Service) SetRequireMFA(ctx context.Context, v string) error {
	st := s.store
	var parts []string
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		_, perr := identity.ParseProductRole(part)
		if part != "all" && !identity.Role(part).Valid() && perr != nil {
			return fault.Invalid("require_mfa", "require_mfa: %q is not all, a global role (admin, editor, viewer) or a product role (owner, editor, viewer, auditor)", part)
		}
		parts = append(parts, part)
	}
	v = strings.Join(parts, ",")
	return audit.Change(ctx, st, func(ctx context.Context) (audit.Event, error) {
		return audit.Event{Action: audit.ActionSettings, Object: "setting " + SettingRequireMFA, Detail: fmt.Sprintf("%q", v)},
			st.SetSetting(ctx, SettingRequireMFA, v)
	})
}

// SetMember gives a user (by id) a role on a product and audits it.
func (s *Service) SetMember(ctx context.Context, productID, userID int64, role identity.ProductRole) error {
	st := s.store
	u, err := st.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	return audit.Change(ctx, st, func(ctx context.Context) (audit.Event, error) {
		return audit.Event{Action: audit.ActionMemberSet, Object: "user " + u.Name, ProductID: productID, Detail: "role " + string(role)},
			st.SetMember(ctx, productID, userID, role)
	})
}

// RemoveMember takes a user's role on a product away, audited.
func (s *Service) RemoveMember(ctx context.Context, productID, userID int64) error {
	return audit.Change(ctx, s.store, func(ctx context.Context) (audit.Event, error) {
		return audit.Event{Action: audit.ActionMemberRemove, Object: fmt.Sprintf("user %d", userID), ProductID: productID},
			s.store.RemoveMember(ctx, productID, userID)
	})
}

// ErrNotConfirmed is the answer to a re-authentication with a wrong
// password or code.
var ErrNotConfirmed = notConfirmed{}

type notConfirmed struct{}

func (notConfirmed) Error() string { return "that password or code is not right" }

// Unwrap classifies it for the error table (fault.KindUnauthenticated).
func (notConfirmed) Unwrap() error { return fault.ErrUnauthenticated }

// Reauthenticate lets the principal's session prove who it is again, with
// a current TOTP code (when code is given and the account has TOTP) or its
// password under the sign-in throttle, opening the identity.ReauthWindow
// in which second factors and passkeys may change. A wrong password or
// code is ErrNotConfirmed (and audited); a throttled attempt is
// TooManyAttempts; no hashing slot is fault.TooMany.
func (s *Service) Reauthenticate(ctx context.Context, c Client, password, code string) error {
	st := s.store
	p := identity.FromContext(ctx)
	u, err := st.UserByID(ctx, p.UserID)
	if err != nil {
		return err
	}
	ok := false
	if code = strings.TrimSpace(code); code != "" && u.TOTPSecret != "" {
		if step, match := identity.TOTPMatch(u.TOTPSecret, code, s.now()); match {
			if ok, err = st.UseTOTPStep(ctx, u.ID, step); err != nil {
				return err
			}
		}
	} else {
		keys := s.policy.Keys(u.Name, c.IP)
		att, err := st.BeginAttempt(ctx, keys, s.now())
		if err != nil {
			return err
		}
		if !att.Allowed() {
			return TooManyAttempts{Wait: att.Wait, Locked: att.Locked}
		}
		if ok, err = identity.VerifyPasswordContext(ctx, u.PasswordHash, password); err != nil {
			return err
		}
		if ok {
			err = st.EndAttempt(ctx, keys, s.now())
		} else {
			err = st.FailAttempt(ctx, keys, att, s.now())
		}
		if err != nil {
			return err
		}
	}
	if !ok {
		s.audit(ctx, audit.Event{Action: audit.ActionReauth, Object: "user " + p.Name, Outcome: audit.Failed, Detail: "wrong password or code"})
		return ErrNotConfirmed
	}
	if err := st.MarkSessionReauth(ctx, p.SessionHash, s.now()); err != nil {
		return err
	}
	s.audit(ctx, audit.Event{Action: audit.ActionReauth, Object: "user " + p.Name})
	return nil
}

// RecentlyAuthenticated reports whether the principal's session proved who
// it is within identity.ReauthWindow of the service's clock.
func (s *Service) RecentlyAuthenticated(p *identity.Principal) bool {
	return p.RecentlyAuthenticated(s.now())
}
