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
	if err := s.productColumn(ctx, "sla", productID, &raw); err != nil {
		return findings.SLAPolicy{}, err
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
	if err := s.productColumn(ctx, "max_acceptance_days", productID, &days); err != nil {
		return 0, err
	}
	return days, nil
}

// SetProductMaxAcceptance stores a product's maximum risk-acceptance
// duration in days (0: the global default).
func (s *Store) SetProductMaxAcceptance(ctx context.Context, productID int64, days int) error {
	if err := findings.ValidateMaxAcceptance(days); err != nil {
		return fault.Invalid("max_days", "max_days: %v", err)
	}
	return s.setProductColumn(ctx, s.exec, "max_acceptance_days", days, productID)
}

// SetProductSLA stores a product's SLA policy in days per severity.
func (s *Store) SetProductSLA(ctx context.Context, productID int64, p findings.SLAPolicy) error {
	if err := p.Validate(); err != nil {
		return fault.Invalid("sla", "sla: %v", err)
	}
	b, _ := json.Marshal(p)
	return s.setProductColumn(ctx, s.exec, "sla", string(b), productID)
}

// ProductDedup returns a product's duplicate definition (empty: fingerprint rules).
func (s *Store) ProductDedup(ctx context.Context, productID int64) ([]string, error) {
	var raw string
	if err := s.productColumn(ctx, "dedup", productID, &raw); err != nil {
		return nil, err
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
		if err := s.setProductColumn(ctx, tx.ExecContext, "dedup", raw, productID); err != nil {
			return err
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

// productColumn reads one column of product id (column is a constant of
// this file, never input) into dest.
func (s *Store) productColumn(ctx context.Context, column string, id int64, dest any) error {
	if err := s.conn(ctx).QueryRowContext(ctx, s.q(`SELECT `+column+` FROM products WHERE id = ?`), id).Scan(dest); err != nil {
		return fmt.Errorf("product %d: %w", id, mapErr(err))
	}
	return nil
}

// setProductColumn writes value to one column of product id with exec
// (s.exec, or the ExecContext of the caller's transaction); fault.ErrNotFound
// when there is no such product.
func (s *Store) setProductColumn(ctx context.Context, exec func(context.Context, string, ...any) (sql.Result, error), column string, value any, id int64) error {
	res, err := exec(ctx, s.q(`UPDATE products SET `+column+` = ? WHERE id = ?`), value, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("product %d: %w", id, fault.ErrNotFound)
	}
	return nil
}
