package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/identity"
)

// SaveChallenge stores a WebAuthn ceremony's state under a random id.
func (s *Store) SaveChallenge(ctx context.Context, userID int64, data string, ttl time.Duration) (string, error) {
	id, _ := identity.NewSecret("")
	var uid any
	if userID != 0 {
		uid = userID
	}
	_, _ = s.exec(ctx, s.q(`DELETE FROM webauthn_challenges WHERE expires_at < ?`), fmtTime(s.now()))
	_, err := s.exec(ctx, s.q(`INSERT INTO webauthn_challenges (id, user_id, data, expires_at) VALUES (?, ?, ?, ?)`),
		id, uid, data, fmtTime(s.now().Add(ttl)))
	if err != nil {
		return "", fmt.Errorf("save WebAuthn challenge: %w", err)
	}
	return id, nil
}

// TakeChallenge returns and deletes a ceremony's state (usable once). A
// ceremony bound to a user (userID != 0) can only be finished by them.
func (s *Store) TakeChallenge(ctx context.Context, id string, userID int64) (string, error) {
	var data string
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var uid sql.NullInt64
		err := tx.QueryRowContext(ctx, s.q(`SELECT data, user_id FROM webauthn_challenges WHERE id = ? AND expires_at > ?`), id, fmtTime(s.now())).Scan(&data, &uid)
		if err != nil {
			return fmt.Errorf("passkey ceremony: %w (expired or already used; try again)", mapErr(err))
		}
		if uid.Int64 != userID {
			return fmt.Errorf("passkey ceremony: %w", fault.ErrNotFound)
		}
		_, err = tx.ExecContext(ctx, s.q(`DELETE FROM webauthn_challenges WHERE id = ?`), id)
		return err
	})
	return data, err
}

// AddPasskey stores a new credential.
func (s *Store) AddPasskey(ctx context.Context, p *identity.Passkey) error {
	p.Normalize()
	p.CreatedAt = s.now().UTC()
	id, err := s.insertID(ctx, s.conn(ctx), `INSERT INTO passkeys (user_id, credential, name, data, created_at) VALUES (?, ?, ?, ?, ?)`,
		p.UserID, p.Credential, truncate(p.Name, 100), p.Data, fmtTime(p.CreatedAt))
	if err != nil {
		return fmt.Errorf("store passkey: %w", err)
	}
	p.ID = id
	return nil
}

// Passkeys lists a user's credentials.
func (s *Store) Passkeys(ctx context.Context, userID int64) ([]identity.Passkey, error) {
	out, err := queryAll(ctx, s.conn(ctx), s.q(`SELECT id, user_id, credential, name, data, created_at, last_used_at FROM passkeys WHERE user_id = ? ORDER BY id`), scanPasskey, userID)
	if err != nil {
		return nil, fmt.Errorf("list passkeys: %w", err)
	}
	return out, nil
}

func scanPasskey(sc rowScanner) (identity.Passkey, error) {
	var p identity.Passkey
	var created string
	var last sql.NullString
	err := sc.Scan(&p.ID, &p.UserID, &p.Credential, &p.Name, &p.Data, &created, &last)
	p.CreatedAt, p.LastUsedAt = parseTime(created), parseNullTime(last)
	return p, err
}

// TouchPasskey records a use and the credential's updated state (sign count).
func (s *Store) TouchPasskey(ctx context.Context, userID int64, credential, data string) error {
	_, err := s.exec(ctx, s.q(`UPDATE passkeys SET data = ?, last_used_at = ? WHERE user_id = ? AND credential = ?`),
		data, fmtTime(s.now()), userID, credential)
	return err
}

// DeletePasskey removes one of a user's credentials.
func (s *Store) DeletePasskey(ctx context.Context, userID, id int64) error {
	res, err := s.exec(ctx, s.q(`DELETE FROM passkeys WHERE id = ? AND user_id = ?`), id, userID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("passkey %d: %w", id, fault.ErrNotFound)
	}
	return nil
}

// DeleteUserPasskeys removes every passkey of a user (after a password
// change that signs out everywhere: an attacker's passkey must not
// survive it) and returns how many.
func (s *Store) DeleteUserPasskeys(ctx context.Context, userID int64) (int64, error) {
	res, err := s.exec(ctx, s.q(`DELETE FROM passkeys WHERE user_id = ?`), userID)
	if err != nil {
		return 0, fmt.Errorf("remove passkeys of user %d: %w", userID, err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
