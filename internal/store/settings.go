package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Server-wide settings (the security settings among them).

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
