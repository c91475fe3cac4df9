package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/findings"
)

// This file holds a product's finding rules: its SLA policy, maximum
// risk-acceptance duration and duplicate definition.

// ProductSLA returns a product's SLA policy (the default when unset).
func (s *Store) ProductSLA(ctx context.Context, productID int64) (findings.SLAPolicy, error) {
	var raw string
	if err := s.conn(ctx).QueryRowContext(ctx, s.q(`SELECT sla FROM products WHERE id = ?`), productID).Scan(&raw); err != nil {
		return findings.SLAPolicy{}, fmt.Errorf("product %d: %w", productID, mapErr(err))
	}
	if raw == "" {
		return findings.DefaultSLA(), nil
	}
	var p findings.SLAPolicy
	if err := json.Unmarshal([]byte(raw), &p); err != nil {
		return findings.DefaultSLA(), nil
	}
	return p, nil
}

// ProductMaxAcceptance returns a product's maximum risk-acceptance
// duration in days as stored (0: the global default,
// findings.MaxAcceptanceDays).
func (s *Store) ProductMaxAcceptance(ctx context.Context, productID int64) (int, error) {
	var days int
	if err := s.conn(ctx).QueryRowContext(ctx, s.q(`SELECT max_acceptance_days FROM products WHERE id = ?`), productID).Scan(&days); err != nil {
		return 0, fmt.Errorf("product %d: %w", productID, mapErr(err))
	}
	return days, nil
}

// SetProductMaxAcceptance stores a product's maximum risk-acceptance
// duration in days (0: the global default).
func (s *Store) SetProductMaxAcceptance(ctx context.Context, productID int64, days int) error {
	if err := findings.ValidateMaxAcceptance(days); err != nil {
		return fault.Invalid("max_days", "max_days: %v", err)
	}
	res, err := s.exec(ctx, s.q(`UPDATE products SET max_acceptance_days = ? WHERE id = ?`), days, productID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("product %d: %w", productID, fault.ErrNotFound)
	}
	return nil
}

// SetProductSLA stores a product's SLA policy in days per severity.
func (s *Store) SetProductSLA(ctx context.Context, productID int64, p findings.SLAPolicy) error {
	if err := p.Validate(); err != nil {
		return fault.Invalid("sla", "sla: %v", err)
	}
	b, _ := json.Marshal(p)
	res, err := s.exec(ctx, s.q(`UPDATE products SET sla = ? WHERE id = ?`), string(b), productID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("product %d: %w", productID, fault.ErrNotFound)
	}
	return nil
}

// ProductDedup returns a product's duplicate definition (empty: fingerprint rules).
func (s *Store) ProductDedup(ctx context.Context, productID int64) ([]string, error) {
	var raw string
	if err := s.conn(ctx).QueryRowContext(ctx, s.q(`SELECT dedup FROM products WHERE id = ?`), productID).Scan(&raw); err != nil {
		return nil, fmt.Errorf("product %d: %w", productID, mapErr(err))
	}
	fields := []string{}
	if raw != "" {
		_ = json.Unmarshal([]byte(raw), &fields)
	}
	return fields, nil
}

// SetProductDedup stores which fields define a duplicate for a product and
// recomputes the duplicate key of its findings in one transaction. Findings
// already linked as duplicates stay linked; new imports use the new keys.
func (s *Store) SetProductDedup(ctx context.Context, productID int64, fields []string) error {
	if err := findings.ValidDedupFields(fields); err != nil {
		return fault.Invalid("fields", "fields: %v", err)
	}
	raw := ""
	if len(fields) > 0 {
		b, _ := json.Marshal(fields)
		raw = string(b)
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE products SET dedup = ? WHERE id = ?`), raw, productID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("product %d: %w", productID, fault.ErrNotFound)
		}
		type key struct {
			id  int64
			key string
		}
		keys, err := queryAll(ctx, tx, s.q(`SELECT id, tool, data FROM findings WHERE product_id = ?`), func(sc rowScanner) (key, error) {
			var id int64
			var tool string
			var data []byte
			if err := sc.Scan(&id, &tool, &data); err != nil {
				return key{}, err
			}
			var f findings.Finding
			if err := json.Unmarshal(data, &f); err != nil {
				return key{}, fmt.Errorf("finding %d: %w", id, err)
			}
			if f.Tool == "" {
				f.Tool = tool
			}
			return key{id, findings.DedupKey(f, fields)}, nil
		}, productID)
		if err != nil {
			return err
		}
		for _, k := range keys {
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE findings SET dedup_key = ? WHERE id = ?`), k.key, k.id); err != nil {
				return err
			}
		}
		return nil
	})
}
