package store

import (
	"context"
	"fmt"
)

// Which product owns a release or finding (for the route guard).

// ReleaseProduct returns the product id of a release.
func (s *Store) ReleaseProduct(ctx context.Context, releaseID int64) (int64, error) {
	var id int64
	err := s.conn(ctx).QueryRowContext(ctx, s.q(`SELECT product_id FROM releases WHERE id = ?`), releaseID).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("release %d: %w", releaseID, mapErr(err))
	}
	return id, nil
}

// ProductExists reports fault.ErrNotFound for an unknown product.
func (s *Store) ProductExists(ctx context.Context, id int64) (int64, error) {
	var n int64
	err := s.conn(ctx).QueryRowContext(ctx, s.q(`SELECT id FROM products WHERE id = ?`), id).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("product %d: %w", id, mapErr(err))
	}
	return n, nil
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
