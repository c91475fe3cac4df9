package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/inventory"
)

// CreateProduct inserts p and fills its ID and CreatedAt. Returns fault.ErrConflict
// when a product of that name exists.
func (s *Store) CreateProduct(ctx context.Context, p *inventory.Product) error {
	if err := p.Validate(); err != nil {
		return err
	}
	p.CreatedAt = s.now().UTC()
	id, err := s.insertID(ctx, s.conn(ctx),
		`INSERT INTO products (name, description, owner, criticality, exposure, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		p.Name, p.Description, p.Owner, p.Criticality, string(p.Exposure), fmtTime(p.CreatedAt))
	if err != nil {
		return fmt.Errorf("create product %q: %w", p.Name, err)
	}
	p.ID = id
	return nil
}

const productCols = `p.id, p.name, p.description, p.owner, p.criticality, p.exposure, p.created_at,
	(SELECT COUNT(*) FROM releases r WHERE r.product_id = p.id),
	(SELECT COALESCE(SUM(r.components),0) FROM releases r WHERE r.product_id = p.id)`

func scanProduct(sc rowScanner) (inventory.Product, error) {
	var p inventory.Product
	var exp, created string
	err := sc.Scan(&p.ID, &p.Name, &p.Description, &p.Owner, &p.Criticality, &exp, &created, &p.Releases, &p.Components)
	p.Exposure = inventory.Exposure(exp)
	p.CreatedAt = parseTime(created)
	return p, err
}

// Product returns one product by id.
func (s *Store) Product(ctx context.Context, id int64) (inventory.Product, error) {
	p, err := scanProduct(s.conn(ctx).QueryRowContext(ctx, s.q(`SELECT `+productCols+` FROM products p WHERE p.id = ?`), id))
	if err != nil {
		return p, fmt.Errorf("product %d: %w", id, mapErr(err))
	}
	return p, nil
}

// ProductByName returns one product by its unique name.
func (s *Store) ProductByName(ctx context.Context, name string) (inventory.Product, error) {
	p, err := scanProduct(s.conn(ctx).QueryRowContext(ctx, s.q(`SELECT `+productCols+` FROM products p WHERE p.name = ?`), name))
	if err != nil {
		return p, fmt.Errorf("product %q: %w", name, mapErr(err))
	}
	return p, nil
}

// Products lists products by name, after the cursor, at most limit.
func (s *Store) Products(ctx context.Context, after string, limit int) ([]inventory.Product, string, error) {
	return s.ProductsIn(ctx, nil, after, limit)
}

// ProductsIn lists the products among ids (nil: all), by name, after the
// cursor, at most limit. It is how list endpoints show a caller only the
// products it may see.
func (s *Store) ProductsIn(ctx context.Context, ids []int64, after string, limit int) ([]inventory.Product, string, error) {
	limit = clampLimit(limit)
	var c cursor
	if err := c.decode(after); err != nil {
		return nil, "", err
	}
	if ids != nil && len(ids) == 0 {
		return nil, "", nil
	}
	filter := ""
	args := []any{c.Key, c.Key, c.ID}
	if ids != nil {
		ph, idArgs := idList(ids)
		filter = " AND p.id IN (" + ph + ")"
		args = append(args, idArgs...)
	}
	args = append(args, limit+1)
	out, err := queryAll(ctx, s.conn(ctx), s.q(`SELECT `+productCols+` FROM products p
		WHERE (p.name > ? OR (p.name = ? AND p.id > ?))`+filter+` ORDER BY p.name, p.id LIMIT ?`), scanProduct, args...)
	if err != nil {
		return nil, "", fmt.Errorf("list products: %w", err)
	}
	out, next := nextPage(out, limit, func(last inventory.Product) cursor { return cursor{Key: last.Name, ID: last.ID} })
	return out, next, nil
}

// DeleteProduct removes a product with its releases and components.
func (s *Store) DeleteProduct(ctx context.Context, id int64) error {
	return s.deleteByID(ctx, "products", "product", id)
}

// deleteByID deletes the row with id from table (never input), an object
// of the given kind (its name in the errors).
func (s *Store) deleteByID(ctx context.Context, table, kind string, id int64) error {
	res, err := s.exec(ctx, s.q(`DELETE FROM `+table+` WHERE id = ?`), id)
	if err != nil {
		return fmt.Errorf("delete %s %d: %w", kind, id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%s %d: %w", kind, id, fault.ErrNotFound)
	}
	return nil
}

// CreateRelease inserts r for its product and fills ID and CreatedAt.
func (s *Store) CreateRelease(ctx context.Context, r *inventory.Release) error {
	if err := r.ValidateNew(); err != nil {
		return err
	}
	if _, err := s.Product(ctx, r.ProductID); err != nil {
		return err
	}
	r.CreatedAt = s.now().UTC()
	id, err := s.insertID(ctx, s.conn(ctx),
		`INSERT INTO releases (product_id, version, release_date, support_end, status, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		r.ProductID, r.Version, fmtDate(r.ReleaseDate), fmtDate(r.SupportEnd), string(r.Status), fmtTime(r.CreatedAt))
	if err != nil {
		return fmt.Errorf("create release %q: %w", r.Version, err)
	}
	r.ID = id
	return nil
}

const releaseCols = `r.id, r.product_id, p.name, r.version, r.release_date, r.support_end, r.status, r.sbom_sha256, r.components, r.created_at`

func scanRelease(sc rowScanner) (inventory.Release, error) {
	var r inventory.Release
	var rd, se sql.NullString
	var status, created string
	err := sc.Scan(&r.ID, &r.ProductID, &r.ProductName, &r.Version, &rd, &se, &status, &r.SBOMSHA256, &r.Components, &created)
	r.ReleaseDate, r.SupportEnd = parseDate(rd), parseDate(se)
	r.Status = inventory.ReleaseStatus(status)
	r.CreatedAt = parseTime(created)
	return r, err
}

// Release returns one release by id.
func (s *Store) Release(ctx context.Context, id int64) (inventory.Release, error) {
	r, err := scanRelease(s.conn(ctx).QueryRowContext(ctx, s.q(`SELECT `+releaseCols+` FROM releases r JOIN products p ON p.id = r.product_id WHERE r.id = ?`), id))
	if err != nil {
		return r, fmt.Errorf("release %d: %w", id, mapErr(err))
	}
	return r, nil
}

// ReleaseByVersion returns a product's release by version.
func (s *Store) ReleaseByVersion(ctx context.Context, productID int64, version string) (inventory.Release, error) {
	r, err := scanRelease(s.conn(ctx).QueryRowContext(ctx, s.q(`SELECT `+releaseCols+` FROM releases r JOIN products p ON p.id = r.product_id WHERE r.product_id = ? AND r.version = ?`), productID, version))
	if err != nil {
		return r, fmt.Errorf("release %q: %w", version, mapErr(err))
	}
	return r, nil
}

// Releases lists a product's releases, newest first.
func (s *Store) Releases(ctx context.Context, productID int64, after string, limit int) ([]inventory.Release, string, error) {
	limit = clampLimit(limit)
	var c cursor
	if err := c.decode(after); err != nil {
		return nil, "", err
	}
	if c.ID == 0 {
		c.ID = 1 << 62
	}
	out, err := queryAll(ctx, s.conn(ctx), s.q(`SELECT `+releaseCols+` FROM releases r JOIN products p ON p.id = r.product_id
		WHERE r.product_id = ? AND r.id < ? ORDER BY r.id DESC LIMIT ?`), scanRelease, productID, c.ID, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("list releases: %w", err)
	}
	out, next := nextPage(out, limit, func(last inventory.Release) cursor { return cursor{ID: last.ID} })
	return out, next, nil
}

// EnsureRelease finds or creates the product and release by name and version
// (the CLI's "creates product/release if missing").
func (s *Store) EnsureRelease(ctx context.Context, productName, version string) (inventory.Release, error) {
	p, err := s.ProductByName(ctx, productName)
	if err != nil {
		if !isNotFound(err) {
			return inventory.Release{}, err
		}
		p = inventory.Product{Name: productName}
		if err := s.CreateProduct(ctx, &p); err != nil && !isConflict(err) {
			return inventory.Release{}, err
		}
		if p, err = s.ProductByName(ctx, productName); err != nil {
			return inventory.Release{}, err
		}
	}
	r, err := s.ReleaseByVersion(ctx, p.ID, version)
	if err == nil {
		return r, nil
	}
	if !isNotFound(err) {
		return r, err
	}
	r = inventory.Release{ProductID: p.ID, Version: version}
	if err := s.CreateRelease(ctx, &r); err != nil && !isConflict(err) {
		return r, err
	}
	return s.ReleaseByVersion(ctx, p.ID, version)
}

// UpdateProduct stores p's name, description, owner, criticality and
// exposure (validated as on create). fault.ErrConflict when another product has
// the name.
func (s *Store) UpdateProduct(ctx context.Context, p *inventory.Product) error {
	if err := p.Validate(); err != nil {
		return err
	}
	res, err := s.exec(ctx, s.q(`UPDATE products SET name = ?, description = ?, owner = ?, criticality = ?, exposure = ? WHERE id = ?`),
		p.Name, p.Description, p.Owner, p.Criticality, string(p.Exposure), p.ID)
	if err != nil {
		return fmt.Errorf("update product %d: name %q: %w", p.ID, p.Name, mapErr(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("product %d: %w", p.ID, fault.ErrNotFound)
	}
	return nil
}

// UpdateRelease stores r's version, dates and status. fault.ErrConflict when the
// product has another release of that version.
func (s *Store) UpdateRelease(ctx context.Context, r *inventory.Release) error {
	if err := r.Validate(); err != nil {
		return err
	}
	res, err := s.exec(ctx, s.q(`UPDATE releases SET version = ?, release_date = ?, support_end = ?, status = ? WHERE id = ?`),
		r.Version, fmtDate(r.ReleaseDate), fmtDate(r.SupportEnd), string(r.Status), r.ID)
	if err != nil {
		return fmt.Errorf("update release %d: version %q: %w", r.ID, r.Version, mapErr(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("release %d: %w", r.ID, fault.ErrNotFound)
	}
	return nil
}

// ProductIncidents counts the incidents that name the product or one of
// its releases.
func (s *Store) ProductIncidents(ctx context.Context, id int64) (int, error) {
	var n int
	err := s.conn(ctx).QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM incidents i WHERE
		EXISTS (SELECT 1 FROM incident_products ip WHERE ip.incident_id = i.id AND ip.product_id = ?) OR
		EXISTS (SELECT 1 FROM incident_releases ir JOIN releases r ON r.id = ir.release_id WHERE ir.incident_id = i.id AND r.product_id = ?)`), id, id).Scan(&n)
	return n, err
}

// ReleaseIncidents counts the incidents that name the release.
func (s *Store) ReleaseIncidents(ctx context.Context, id int64) (int, error) {
	var n int
	err := s.conn(ctx).QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM incident_releases WHERE release_id = ?`), id).Scan(&n)
	return n, err
}

// DeleteRelease removes a release with its components, findings, matches
// and analyses.
func (s *Store) DeleteRelease(ctx context.Context, id int64) error {
	return s.deleteByID(ctx, "releases", "release", id)
}
