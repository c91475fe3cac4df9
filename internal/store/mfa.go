package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/rampart-security/rampart/internal/fault"
)

// Second factors of users: TOTP secrets and recovery codes.

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
			return fmt.Errorf("TOTP enrolment of user %d: %w (start again)", userID, fault.ErrNotFound)
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
