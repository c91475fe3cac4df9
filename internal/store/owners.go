package store

import (
	"context"
	"fmt"
)

// Which product owns a release or finding (for the route guard).

// ReleaseProduct returns the product id of a release.
func (s *Store) ReleaseProduct(ctx context.Context, releaseID int64) (int64, error) {
	return s.idOf(ctx, `SELECT product_id FROM releases WHERE id = ?`, "release", releaseID)
}

// ProductExists reports fault.ErrNotFound for an unknown product.
func (s *Store) ProductExists(ctx context.Context, id int64) (int64, error) {
	return s.idOf(ctx, `SELECT id FROM products WHERE id = ?`, "product", id)
}

// FindingProduct returns the product id of a finding.
func (s *Store) FindingProduct(ctx context.Context, findingID int64) (int64, error) {
	return s.idOf(ctx, `SELECT product_id FROM findings WHERE id = ?`, "finding", findingID)
}

// idOf runs query, which reads one id of the object of the given kind
// (its name in the error) with this id.
func (s *Store) idOf(ctx context.Context, query, kind string, id int64) (int64, error) {
	var v int64
	if err := s.conn(ctx).QueryRowContext(ctx, s.q(query), id).Scan(&v); err != nil {
		return 0, fmt.Errorf("%s %d: %w", kind, id, mapErr(err))
	}
	return v, nil
}
