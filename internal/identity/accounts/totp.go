package accounts

import (
	"context"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/identity"
)

// Errors of TOTP enrolment, each with the kind the UI shows it as.
var (
	// ErrNoEnrolment: there is no pending TOTP secret to confirm (never
	// started, or already confirmed).
	ErrNoEnrolment = fault.Conflict("no enrolment in progress; start again")
	// ErrCodeMismatch: the code does not match the pending secret.
	ErrCodeMismatch = fault.Invalid("code", "that code does not match; check the time on your phone and enter the current 6-digit code")
	// ErrWrongPassword: the password that must confirm a change is wrong.
	ErrWrongPassword = fault.Invalid("password", "wrong password")
	// ErrNoTOTP: the account has no TOTP second factor.
	ErrNoTOTP = fault.Conflict("turn on two-factor authentication first")
)

// StartTOTP begins TOTP enrolment for the signed-in user: a new secret,
// pending until ConfirmTOTP proves the authenticator has it.
func (s *Service) StartTOTP(ctx context.Context) (secret string, err error) {
	p := identity.FromContext(ctx)
	key, err := identity.NewTOTPKey(p.Name)
	if err != nil {
		return "", err
	}
	if err := s.store.SetTOTPPending(ctx, p.UserID, key.Secret()); err != nil {
		return "", err
	}
	return key.Secret(), nil
}

// PendingTOTPQR is the pending secret's QR code as a PNG of size pixels
// (ErrNoEnrolment when nothing is pending).
func (s *Service) PendingTOTPQR(ctx context.Context, size int) ([]byte, error) {
	p := identity.FromContext(ctx)
	sec, err := s.store.TOTPPending(ctx, p.UserID)
	if err != nil || sec == "" {
		return nil, ErrNoEnrolment
	}
	return identity.TOTPQR(sec, p.Name, size)
}

// PendingTOTP is the signed-in user's pending secret ("" when none).
func (s *Service) PendingTOTP(ctx context.Context) (string, error) {
	return s.store.TOTPPending(ctx, identity.FromContext(ctx).UserID)
}

// ConfirmTOTP turns TOTP on when code matches the pending secret, audited,
// and returns the new recovery codes (shown once). The session that
// confirmed it counts as multi-factor from now on.
func (s *Service) ConfirmTOTP(ctx context.Context, code string) (recovery []string, err error) {
	p := identity.FromContext(ctx)
	sec, err := s.store.TOTPPending(ctx, p.UserID)
	if err != nil || sec == "" {
		return nil, ErrNoEnrolment
	}
	step, ok := identity.TOTPMatch(sec, code, s.now())
	if !ok {
		return nil, ErrCodeMismatch
	}
	plain, hashes := identity.NewRecoveryCodes()
	if err := audit.Change(ctx, s.store, func(ctx context.Context) (audit.Event, error) {
		err := s.store.EnableTOTP(ctx, p.UserID, sec, step, hashes)
		return audit.Event{Action: audit.ActionMFAEnable, Object: "user " + p.Name, Detail: "TOTP authenticator"}, err
	}); err != nil {
		return nil, err
	}
	if err := s.store.MarkSessionMFA(ctx, p.SessionHash); err != nil {
		return nil, err
	}
	p.MFA = true
	return plain, nil
}

// DisableTOTP turns TOTP off when password is the user's, audited.
func (s *Service) DisableTOTP(ctx context.Context, password string) error {
	p := identity.FromContext(ctx)
	u, err := s.store.UserByID(ctx, p.UserID)
	if err != nil {
		return err
	}
	if !identity.VerifyPassword(u.PasswordHash, password) {
		return ErrWrongPassword
	}
	return audit.Change(ctx, s.store, func(ctx context.Context) (audit.Event, error) {
		err := s.store.DisableTOTP(ctx, p.UserID)
		return audit.Event{Action: audit.ActionMFADisable, Object: "user " + p.Name, Detail: "TOTP authenticator"}, err
	})
}

// NewRecoveryCodes replaces the user's recovery codes, audited, and
// returns the new ones (shown once): the old ones stop working.
func (s *Service) NewRecoveryCodes(ctx context.Context) ([]string, error) {
	p := identity.FromContext(ctx)
	if u, err := s.store.UserByID(ctx, p.UserID); err != nil || u.TOTPSecret == "" {
		return nil, ErrNoTOTP
	}
	plain, hashes := identity.NewRecoveryCodes()
	if err := audit.Change(ctx, s.store, func(ctx context.Context) (audit.Event, error) {
		err := s.store.ReplaceRecoveryCodes(ctx, p.UserID, hashes)
		return audit.Event{Action: audit.ActionRecoveryRegen, Object: "user " + p.Name}, err
	}); err != nil {
		return nil, err
	}
	return plain, nil
}
