package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/identity"
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

// Memberships returns a user's product roles.
func (s *Store) Memberships(ctx context.Context, userID int64) (map[int64]identity.ProductRole, error) {
	rows, err := s.conn(ctx).QueryContext(ctx, s.q(`SELECT product_id, role FROM product_members WHERE user_id = ?`), userID)
	if err != nil {
		return nil, fmt.Errorf("product roles of user %d: %w", userID, err)
	}
	defer rows.Close()
	out := map[int64]identity.ProductRole{}
	for rows.Next() {
		var id int64
		var role string
		if err := rows.Scan(&id, &role); err != nil {
			return nil, err
		}
		out[id] = identity.ProductRole(role)
	}
	return out, rows.Err()
}

// Member is a user's role on a product.
type Member struct {
	ProductID   int64                `json:"product_id"`
	ProductName string               `json:"product_name"`
	UserID      int64                `json:"user_id"`
	UserName    string               `json:"user_name"`
	Role        identity.ProductRole `json:"role"`
}

// SetMember gives a user a role on a product (replacing any previous one).
func (s *Store) SetMember(ctx context.Context, productID, userID int64, role identity.ProductRole) error {
	if _, err := identity.ParseProductRole(string(role)); err != nil {
		return &ValidationError{"role", err.Error()}
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM product_members WHERE product_id = ? AND user_id = ?`), productID, userID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO product_members (product_id, user_id, role) VALUES (?, ?, ?)`), productID, userID, string(role))
		if err != nil {
			if strings.Contains(err.Error(), "FOREIGN KEY") || strings.Contains(err.Error(), "23503") {
				return fmt.Errorf("product %d or user %d: %w", productID, userID, ErrNotFound)
			}
			return fmt.Errorf("set role of user %d on product %d: %w", userID, productID, mapErr(err))
		}
		return nil
	})
}

// RemoveMember removes a user's role on a product.
func (s *Store) RemoveMember(ctx context.Context, productID, userID int64) error {
	res, err := s.exec(ctx, s.q(`DELETE FROM product_members WHERE product_id = ? AND user_id = ?`), productID, userID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("user %d on product %d: %w", userID, productID, ErrNotFound)
	}
	return nil
}

// Members lists product roles, of one product (productID != 0) or of one
// user (userID != 0), or all.
func (s *Store) Members(ctx context.Context, productID, userID int64) ([]Member, error) {
	q := `SELECT m.product_id, p.name, m.user_id, u.name, m.role FROM product_members m
		JOIN products p ON p.id = m.product_id JOIN users u ON u.id = m.user_id WHERE 1=1`
	var args []any
	if productID != 0 {
		q += " AND m.product_id = ?"
		args = append(args, productID)
	}
	if userID != 0 {
		q += " AND m.user_id = ?"
		args = append(args, userID)
	}
	rows, err := s.conn(ctx).QueryContext(ctx, s.q(q+" ORDER BY p.name, u.name"), args...)
	if err != nil {
		return nil, fmt.Errorf("list product members: %w", err)
	}
	defer rows.Close()
	out := []Member{}
	for rows.Next() {
		var m Member
		var role string
		if err := rows.Scan(&m.ProductID, &m.ProductName, &m.UserID, &m.UserName, &role); err != nil {
			return nil, err
		}
		m.Role = identity.ProductRole(role)
		out = append(out, m)
	}
	return out, rows.Err()
}

// UserUpdate changes an account; nil fields are left as they are.
type UserUpdate struct {
	Role        *identity.Role `json:"role,omitempty"`
	Disabled    *bool          `json:"disabled,omitempty"`
	AllProducts *bool          `json:"all_products,omitempty"`
}

// UpdateUser applies u. Disabling a user ends their sessions, clears their
// sign-in lock and revokes nothing else (tokens stop working while disabled).
func (s *Store) UpdateUser(ctx context.Context, id int64, u UserUpdate) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var name string
		if err := tx.QueryRowContext(ctx, s.q(`SELECT name FROM users WHERE id = ?`), id).Scan(&name); err != nil {
			return fmt.Errorf("user %d: %w", id, mapErr(err))
		}
		if u.Role != nil {
			if !u.Role.Valid() {
				return &ValidationError{"role", "must be admin, editor or viewer"}
			}
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE users SET role = ? WHERE id = ?`), string(*u.Role), id); err != nil {
				return err
			}
		}
		if u.AllProducts != nil {
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE users SET all_products = ? WHERE id = ?`), *u.AllProducts, id); err != nil {
				return err
			}
		}
		if u.Disabled != nil {
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE users SET disabled = ? WHERE id = ?`), *u.Disabled, id); err != nil {
				return err
			}
			if *u.Disabled {
				if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE user_id = ?`), id); err != nil {
					return err
				}
			} else {
				// Unlocking clears the account's lock and its per-source
				// back-off: the administrator has vouched for the account.
				acct := "user:" + strings.ToLower(name)
				like := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(acct) + "|%"
				if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM auth_failures WHERE key = ? OR key LIKE ? ESCAPE '\'`), acct, like); err != nil {
					return err
				}
			}
		}
		return nil
	})
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

// Sessions lists a user's live sessions, marking the one with hash current.
func (s *Store) Sessions(ctx context.Context, userID int64, current string) ([]Session, error) {
	rows, err := s.conn(ctx).QueryContext(ctx, s.q(`SELECT id_hash, created_at, last_seen, expires_at, source, user_agent FROM sessions
		WHERE user_id = ? AND expires_at > ? ORDER BY last_seen DESC`), userID, fmtTime(time.Now()))
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	defer rows.Close()
	var out []Session
	for rows.Next() {
		var x Session
		var c, l, e string
		if err := rows.Scan(&x.Hash, &c, &l, &e, &x.Source, &x.UserAgent); err != nil {
			return nil, err
		}
		x.CreatedAt, x.LastSeen, x.ExpiresAt, x.Current = parseTime(c), parseTime(l), parseTime(e), x.Hash == current
		out = append(out, x)
	}
	return out, rows.Err()
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

// SetTOTPPending stores a secret awaiting confirmation (enrolment step 1).
func (s *Store) SetTOTPPending(ctx context.Context, userID int64, secret string) error {
	_, err := s.exec(ctx, s.q(`UPDATE users SET totp_pending = ? WHERE id = ?`), secret, userID)
	return err
}

// TOTPPending returns the secret awaiting confirmation ("" when none).
func (s *Store) TOTPPending(ctx context.Context, userID int64) (string, error) {
	var sec string
	err := s.conn(ctx).QueryRowContext(ctx, s.q(`SELECT totp_pending FROM users WHERE id = ?`), userID).Scan(&sec)
	return sec, mapErr(err)
}

// EnableTOTP makes the pending secret active, records the step of the code
// that confirmed it (so it cannot be replayed) and replaces the recovery
// codes with the given hashes.
func (s *Store) EnableTOTP(ctx context.Context, userID int64, secret string, step int64, recoveryHashes []string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE users SET totp_secret = ?, totp_pending = '', totp_last_step = ? WHERE id = ? AND totp_pending = ?`),
			secret, step, userID, secret)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("TOTP enrolment of user %d: %w (start again)", userID, ErrNotFound)
		}
		return replaceRecovery(ctx, s, tx, userID, recoveryHashes)
	})
}

func replaceRecovery(ctx context.Context, s *Store, tx *sql.Tx, userID int64, hashes []string) error {
	if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM recovery_codes WHERE user_id = ?`), userID); err != nil {
		return err
	}
	for _, h := range hashes {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO recovery_codes (user_id, hash, used) VALUES (?, ?, ?)`), userID, h, false); err != nil {
			return fmt.Errorf("store recovery code: %w", err)
		}
	}
	return nil
}

// ReplaceRecoveryCodes stores new recovery code hashes, invalidating the old.
func (s *Store) ReplaceRecoveryCodes(ctx context.Context, userID int64, hashes []string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error { return replaceRecovery(ctx, s, tx, userID, hashes) })
}

// RecoveryCodesLeft counts unused recovery codes.
func (s *Store) RecoveryCodesLeft(ctx context.Context, userID int64) (int, error) {
	var n int
	err := s.conn(ctx).QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM recovery_codes WHERE user_id = ? AND NOT used`), userID).Scan(&n)
	return n, err
}

// DisableTOTP removes the second factor and its recovery codes.
func (s *Store) DisableTOTP(ctx context.Context, userID int64) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE users SET totp_secret = '', totp_pending = '', totp_last_step = 0 WHERE id = ?`), userID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`DELETE FROM recovery_codes WHERE user_id = ?`), userID)
		return err
	})
}

// UseTOTPStep accepts a verified code's time step only if it is later than
// every step used before (RFC 6238 §5.2: a code is accepted once). It
// reports false for a replay, atomically even across servers.
func (s *Store) UseTOTPStep(ctx context.Context, userID, step int64) (bool, error) {
	res, err := s.exec(ctx, s.q(`UPDATE users SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?`), step, userID, step)
	if err != nil {
		return false, fmt.Errorf("record TOTP step: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// UseRecoveryCode consumes an unused recovery code by its hash.
func (s *Store) UseRecoveryCode(ctx context.Context, userID int64, hash string) (bool, error) {
	res, err := s.exec(ctx, s.q(`UPDATE recovery_codes SET used = ? WHERE user_id = ? AND hash = ? AND NOT used`), true, userID, hash)
	if err != nil {
		return false, fmt.Errorf("use recovery code: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// Failures returns the failure count and the time until which each key
// is blocked.
func (s *Store) Failures(ctx context.Context, keys ...string) (maxFailures int, until time.Time, err error) {
	for _, k := range keys {
		var n int
		var u string
		err := s.conn(ctx).QueryRowContext(ctx, s.q(`SELECT failures, until FROM auth_failures WHERE key = ?`), k).Scan(&n, &u)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return 0, time.Time{}, fmt.Errorf("read sign-in failures: %w", err)
		}
		if strings.HasPrefix(k, "user:") {
			maxFailures = max(maxFailures, n)
		}
		if t := parseTime(u); t.After(until) {
			until = t
		}
	}
	return maxFailures, until, nil
}

// RecordFailure increments a key's consecutive failure count and sets its
// block time with delay(failures); it returns the new count.
func (s *Store) RecordFailure(ctx context.Context, key string, delay func(failures int) time.Duration) (int, error) {
	var n int
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, s.q(`SELECT failures FROM auth_failures WHERE key = ?`+s.forUpdate()), key).Scan(&n)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		exists := err == nil
		n++
		until := fmtTime(time.Now().Add(delay(n)))
		if exists {
			_, err = tx.ExecContext(ctx, s.q(`UPDATE auth_failures SET failures = ?, until = ? WHERE key = ?`), n, until, key)
		} else {
			_, err = tx.ExecContext(ctx, s.q(`INSERT INTO auth_failures (key, failures, until) VALUES (?, ?, ?)`+s.onConflictAdd()), key, n, until)
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("record sign-in failure: %w", err)
	}
	return n, nil
}

func (s *Store) forUpdate() string {
	if s.engine == Postgres {
		return " FOR UPDATE"
	}
	return ""
}

func (s *Store) onConflictAdd() string {
	return " ON CONFLICT (key) DO UPDATE SET failures = auth_failures.failures + 1, until = excluded.until"
}

// ClearFailures forgets a key's failures (after a successful sign-in).
func (s *Store) ClearFailures(ctx context.Context, key string) error {
	_, err := s.exec(ctx, s.q(`DELETE FROM auth_failures WHERE key = ?`), key)
	return err
}

// Setting returns a setting's value ("" when unset).
func (s *Store) Setting(ctx context.Context, name string) (string, error) {
	var v string
	err := s.conn(ctx).QueryRowContext(ctx, s.q(`SELECT value FROM settings WHERE name = ?`), name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

// SetSetting stores a setting.
func (s *Store) SetSetting(ctx context.Context, name, value string) error {
	_, err := s.exec(ctx, s.q(`INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value`), name, value)
	if err != nil {
		return fmt.Errorf("save setting %s: %w", name, err)
	}
	return nil
}

// CreateInvite stores a one-time invitation for a new user with a role.
func (s *Store) CreateInvite(ctx context.Context, role identity.Role, by string, ttl time.Duration) (string, error) {
	if !role.Valid() {
		return "", &ValidationError{"role", "must be admin, editor or viewer"}
	}
	plain, hash := identity.NewSecret(identity.SetupPrefix)
	_, err := s.exec(ctx, s.q(`INSERT INTO setup_tokens (hash, purpose, expires_at, role, created_by) VALUES (?, 'invite', ?, ?, ?)`),
		hash, fmtTime(time.Now().Add(ttl)), string(role), by)
	if err != nil {
		return "", fmt.Errorf("create invitation: %w", err)
	}
	return plain, nil
}

// AcceptInvite consumes an invitation and creates the user with its role,
// exactly once.
func (s *Store) AcceptInvite(ctx context.Context, plain string, u *identity.User) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		// One atomic claim: of concurrent acceptances (on PostgreSQL a
		// SELECT then UPDATE let two through), exactly one changes the row.
		var role string
		err := tx.QueryRowContext(ctx, s.q(`UPDATE setup_tokens SET used = ? WHERE hash = ? AND purpose = 'invite' AND NOT used AND expires_at > ? RETURNING role`),
			true, identity.HashSecret(plain), fmtTime(time.Now())).Scan(&role)
		if err != nil {
			return fmt.Errorf("invitation: %w (already used or expired; ask an administrator for a new one)", mapErr(err))
		}
		u.Role = identity.Role(role)
		id, err := s.insertID(ctx, tx, `INSERT INTO users (name, password_hash, role, disabled, created_at, all_products, password_changed_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			u.Name, u.PasswordHash, role, false, fmtTime(time.Now()), !u.ProductsOnly, fmtTime(time.Now()))
		if err != nil {
			return fmt.Errorf("create user %q: %w", u.Name, err)
		}
		u.ID = id
		return nil
	})
}

// ReleaseProduct returns the product id of a release.
func (s *Store) ReleaseProduct(ctx context.Context, releaseID int64) (int64, error) {
	var id int64
	err := s.conn(ctx).QueryRowContext(ctx, s.q(`SELECT product_id FROM releases WHERE id = ?`), releaseID).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("release %d: %w", releaseID, mapErr(err))
	}
	return id, nil
}

// ProductExists reports ErrNotFound for an unknown product.
func (s *Store) ProductExists(ctx context.Context, id int64) (int64, error) {
	var n int64
	err := s.conn(ctx).QueryRowContext(ctx, s.q(`SELECT id FROM products WHERE id = ?`), id).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("product %d: %w", id, mapErr(err))
	}
	return n, nil
}

func idList(ids []int64) (string, []any) {
	ph := make([]string, len(ids))
	args := make([]any, len(ids))
	for i, id := range ids {
		ph[i], args[i] = "?", id
	}
	return strings.Join(ph, ","), args
}

// SSOUser finds or creates the account of a single-sign-on user and sets
// its global role from the provider's groups. The account is found by the
// provider's (issuer, sub) only. A first sign-in creates a new account
// named id.Name; it never takes over an existing account by that name.
// With linkEmail (an administrator's choice) and a verified email, a first
// sign-in may instead link the existing password-less account named by
// that email.
func (s *Store) SSOUser(ctx context.Context, id identity.SSOIdentity, linkEmail bool) (identity.User, error) {
	var u identity.User
	if id.Issuer == "" || id.Subject == "" {
		return u, fmt.Errorf("single sign-on: the ID token has no issuer or sub: %w", ErrNotFound)
	}
	var uid int64
	err := s.conn(ctx).QueryRowContext(ctx, s.q(`SELECT user_id FROM sso_identities WHERE issuer = ? AND subject = ?`), id.Issuer, id.Subject).Scan(&uid)
	switch {
	case err == nil:
		if u, err = s.UserByID(ctx, uid); err != nil {
			return u, err
		}
	case !errors.Is(err, sql.ErrNoRows):
		return u, fmt.Errorf("find SSO identity: %w", err)
	default:
		name := id.Name
		if linkEmail && id.EmailVerified && id.Email != "" {
			if existing, err := s.UserByName(ctx, id.Email); err == nil {
				if existing.PasswordHash != "" {
					return existing, fmt.Errorf("user %q: %w: a local account with a password has this email as its name; an administrator must remove its password or rename it", id.Email, ErrConflict)
				}
				u = existing
			}
			name = id.Email
		}
		if u.ID == 0 {
			if _, err := s.UserByName(ctx, name); err == nil {
				return u, fmt.Errorf("user %q: %w: an account with this name exists and single sign-on links accounts by the provider's subject only; an administrator must rename one of them", name, ErrConflict)
			}
			u = identity.User{Name: name, Role: id.Role}
			if err := s.CreateUser(ctx, &u); err != nil {
				return u, err
			}
		}
		if _, err := s.exec(ctx, s.q(`INSERT INTO sso_identities (issuer, subject, user_id) VALUES (?, ?, ?)`), id.Issuer, id.Subject, u.ID); err != nil {
			return u, fmt.Errorf("link SSO identity: %w", mapErr(err))
		}
	}
	if u.Disabled {
		return u, fmt.Errorf("user %q is disabled: %w", u.Name, ErrNotFound)
	}
	if u.Role != id.Role {
		if _, err := s.exec(ctx, s.q(`UPDATE users SET role = ? WHERE id = ?`), string(id.Role), u.ID); err != nil {
			return u, fmt.Errorf("update role of %q: %w", u.Name, err)
		}
		u.Role = id.Role
	}
	return u, nil
}

// MarkSessionMFA records that a session has proven a second factor (after
// enrolling TOTP or a passkey in it).
func (s *Store) MarkSessionMFA(ctx context.Context, hash string) error {
	_, err := s.exec(ctx, s.q(`UPDATE sessions SET mfa = ? WHERE id_hash = ?`), true, hash)
	return err
}

// FindingProduct returns the product id of a finding.
func (s *Store) FindingProduct(ctx context.Context, findingID int64) (int64, error) {
	var id int64
	err := s.conn(ctx).QueryRowContext(ctx, s.q(`SELECT product_id FROM findings WHERE id = ?`), findingID).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("finding %d: %w", findingID, mapErr(err))
	}
	return id, nil
}

// Attempt is the outcome of charging an authentication attempt.
type Attempt struct {
	// Wait > 0: refused, try again after Wait. Locked: refused until an
	// administrator unlocks the account.
	Wait   time.Duration
	Locked bool
	// Failures is the new count of each key (when allowed).
	Failures map[string]int
}

// Allowed reports whether the attempt may proceed.
func (a Attempt) Allowed() bool { return a.Wait <= 0 && !a.Locked }

// attemptInFlight is how long a charged attempt beyond the free ones
// blocks its keys until FailAttempt or EndAttempt settles it.
const attemptInFlight = 10 * time.Second

// BeginAttempt atomically checks every key and, when none blocks, charges
// the attempt to each (it counts as a failure until EndAttempt refunds it
// on success). Parallel attempts are serialised per key by row locks, so
// no more attempts are evaluated than the policy allows.
func (s *Store) BeginAttempt(ctx context.Context, keys []identity.AttemptKey) (Attempt, error) {
	sorted := append([]identity.AttemptKey(nil), keys...)
	slices.SortFunc(sorted, func(a, b identity.AttemptKey) int { return strings.Compare(a.Key, b.Key) }) // one lock order: no deadlocks
	var out Attempt
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		out = Attempt{Failures: map[string]int{}}
		now := time.Now()
		counts := make([]int, len(sorted))
		for i, k := range sorted {
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO auth_failures (key, failures, until) VALUES (?, 0, ?) ON CONFLICT (key) DO NOTHING`), k.Key, fmtTime(now)); err != nil {
				return err
			}
			var u string
			if err := tx.QueryRowContext(ctx, s.q(`SELECT failures, until FROM auth_failures WHERE key = ?`+s.forUpdate()), k.Key).Scan(&counts[i], &u); err != nil {
				return err
			}
			if k.LockAt > 0 && counts[i] >= k.LockAt {
				out.Locked = true
			}
			if w := parseTime(u).Sub(now); w > out.Wait {
				out.Wait = w
			}
		}
		if !out.Allowed() {
			return nil
		}
		for i, k := range sorted {
			n := counts[i] + 1
			until := now
			if k.Delay != nil && k.Delay(n) > 0 {
				// Beyond the free attempts, the key stays blocked while this
				// attempt is being evaluated; settling it sets the real wait.
				until = now.Add(k.Delay(n) + attemptInFlight)
			}
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE auth_failures SET failures = ?, until = ? WHERE key = ?`), n, fmtTime(until), k.Key); err != nil {
				return err
			}
			out.Failures[k.Key] = n
		}
		return nil
	})
	if err != nil {
		return Attempt{}, fmt.Errorf("charge sign-in attempt: %w", err)
	}
	return out, nil
}

// EndAttempt settles a successful attempt: keys are cleared, or given
// their charge back when they ask for a refund.
func (s *Store) EndAttempt(ctx context.Context, keys []identity.AttemptKey) error {
	now := time.Now()
	for _, k := range keys {
		if !k.Refund {
			if _, err := s.exec(ctx, s.q(`DELETE FROM auth_failures WHERE key = ?`), k.Key); err != nil {
				return fmt.Errorf("settle sign-in attempt: %w", err)
			}
			continue
		}
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			var n int
			err := tx.QueryRowContext(ctx, s.q(`SELECT failures FROM auth_failures WHERE key = ?`+s.forUpdate()), k.Key).Scan(&n)
			if errors.Is(err, sql.ErrNoRows) || err == nil && n == 0 {
				return nil
			}
			if err != nil {
				return err
			}
			until := now
			if k.Delay != nil {
				until = now.Add(k.Delay(n - 1))
			}
			_, err = tx.ExecContext(ctx, s.q(`UPDATE auth_failures SET failures = ?, until = ? WHERE key = ?`), n-1, fmtTime(until), k.Key)
			return err
		})
		if err != nil {
			return fmt.Errorf("settle sign-in attempt: %w", err)
		}
	}
	return nil
}

// FailAttempt settles a failed attempt: its charge stays, and each key's
// back-off is measured from now (the failure's answer), replacing the
// in-flight block (unless a later attempt was charged meanwhile).
func (s *Store) FailAttempt(ctx context.Context, keys []identity.AttemptKey, att Attempt) error {
	now := time.Now()
	for _, k := range keys {
		n, ok := att.Failures[k.Key]
		if k.Delay == nil || !ok || k.Delay(n) <= 0 {
			continue
		}
		if _, err := s.exec(ctx, s.q(`UPDATE auth_failures SET until = ? WHERE key = ? AND failures = ?`),
			fmtTime(now.Add(k.Delay(n))), k.Key, n); err != nil {
			return fmt.Errorf("record sign-in failure: %w", err)
		}
	}
	return nil
}
