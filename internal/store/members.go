package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/identity"
)

// Product members: a user's role on a product.

// Memberships returns a user's product roles.
func (s *Store) Memberships(ctx context.Context, userID int64) (map[int64]identity.ProductRole, error) {
	out, err := queryMap(ctx, s.conn(ctx), s.q(`SELECT product_id, role FROM product_members WHERE user_id = ?`), func(sc rowScanner) (int64, identity.ProductRole, error) {
		var id int64
		var role string
		err := sc.Scan(&id, &role)
		return id, identity.ProductRole(role), err
	}, userID)
	if err != nil {
		return nil, fmt.Errorf("product roles of user %d: %w", userID, err)
	}
	return out, nil
}

// SetMember gives a user a role on a product (replacing any previous one).
func (s *Store) SetMember(ctx context.Context, productID, userID int64, role identity.ProductRole) error {
	if err := role.Validate(); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM product_members WHERE product_id = ? AND user_id = ?`), productID, userID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO product_members (product_id, user_id, role) VALUES (?, ?, ?)`), productID, userID, string(role))
		if err != nil {
			if isForeignKey(err) {
				return fmt.Errorf("product %d or user %d: %w", productID, userID, fault.ErrNotFound)
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
		return fmt.Errorf("user %d on product %d: %w", userID, productID, fault.ErrNotFound)
	}
	return nil
}

// Members lists product roles, of one product (productID != 0) or of one
// user (userID != 0), or all.
func (s *Store) Members(ctx context.Context, productID, userID int64) ([]identity.Member, error) {
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
	out, err := queryList(ctx, s.conn(ctx), s.q(q+" ORDER BY p.name, u.name"), scanMember, args...)
	if err != nil {
		return nil, fmt.Errorf("list product members: %w", err)
	}
	return out, nil
}

func scanMember(sc rowScanner) (identity.Member, error) {
	var m identity.Member
	var role string
	err := sc.Scan(&m.ProductID, &m.ProductName, &m.UserID, &m.UserName, &role)
	m.Role = identity.ProductRole(role)
	return m, err
}
