package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/rampart-security/rampart/internal/blob"
	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/updates"
)

var _ updates.Store = (*Store)(nil)

// keepVersions is how many versions of the online roles are kept (root
// versions are all kept: devices walk them one by one). A device that read a
// timestamp still finds the snapshot and targets it names while fewer than
// this many commits happened in between.
const keepVersions = 20

func updateErr(err error, format string, args ...any) error {
	err = mapErr(err)
	switch {
	case errors.Is(err, fault.ErrNotFound):
		return fault.NotFound(format, args...)
	case errors.Is(err, fault.ErrConflict):
		return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), fault.Conflict("%v", err))
	}
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), err)
}

// UpdateRepo returns the update repository with this slug.
func (s *Store) UpdateRepo(ctx context.Context, slug string) (updates.Repo, error) {
	r, err := s.updateRepoBy(ctx, "slug", slug)
	if err != nil {
		return updates.Repo{Slug: slug}, updateErr(err, "no update repository for product %q: create it with 'rampart updates init --product %s'", slug, slug)
	}
	return r, nil
}

// UpdateRepoOfProduct returns the update repository of a product.
func (s *Store) UpdateRepoOfProduct(ctx context.Context, productID int64) (updates.Repo, error) {
	r, err := s.updateRepoBy(ctx, "product_id", productID)
	if err != nil {
		return updates.Repo{ProductID: productID}, updateErr(err, "product %d has no update repository", productID)
	}
	return r, nil
}

// updateRepoBy returns the repository whose column col (slug or
// product_id, never input) is v.
func (s *Store) updateRepoBy(ctx context.Context, col string, v any) (updates.Repo, error) {
	var r updates.Repo
	var created string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT id, product_id, slug, sealed_keys, created_at FROM update_repos WHERE `+col+` = ?`), v).
		Scan(&r.ID, &r.ProductID, &r.Slug, &r.SealedKeys, &created)
	r.CreatedAt = parseTime(created)
	return r, err
}

// UpdateRepos lists every update repository by slug.
func (s *Store) UpdateRepos(ctx context.Context) ([]updates.Repo, error) {
	out, err := queryAll(ctx, s.db, `SELECT id, product_id, slug, created_at FROM update_repos ORDER BY slug`, scanUpdateRepo)
	if err != nil {
		return nil, fmt.Errorf("list update repositories: %w", err)
	}
	return out, nil
}

func scanUpdateRepo(sc rowScanner) (updates.Repo, error) {
	var r updates.Repo
	var created string
	err := sc.Scan(&r.ID, &r.ProductID, &r.Slug, &created)
	r.CreatedAt = parseTime(created)
	return r, err
}

// CreateUpdateRepo creates a repository with its first metadata, and the
// product named productName when r.ProductID is 0 and no such product exists.
func (s *Store) CreateUpdateRepo(ctx context.Context, r *updates.Repo, productName string, metas []updates.Meta) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		now := s.now().UTC()
		if r.ProductID == 0 {
			err := tx.QueryRowContext(ctx, s.q(`SELECT id FROM products WHERE name = ?`), productName).Scan(&r.ProductID)
			if errors.Is(err, sql.ErrNoRows) {
				p := inventory.Product{Name: productName}
				if err := p.Validate(); err != nil {
					return err
				}
				r.ProductID, err = s.insertID(ctx, tx, `INSERT INTO products (name, description, owner, criticality, exposure, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
					p.Name, "", "", p.Criticality, string(p.Exposure), fmtTime(now))
				if err != nil {
					return updateErr(err, "create product %q", productName)
				}
			} else if err != nil {
				return fmt.Errorf("product %q: %w", productName, err)
			}
		}
		id, err := s.insertID(ctx, tx, `INSERT INTO update_repos (product_id, slug, sealed_keys, created_at) VALUES (?, ?, ?, ?)`,
			r.ProductID, r.Slug, r.SealedKeys, fmtTime(now))
		if err != nil {
			return updateErr(err, "create update repository %q (a product has at most one)", r.Slug)
		}
		r.ID, r.CreatedAt = id, now
		return s.insertMetas(ctx, tx, id, metas)
	})
}

func (s *Store) insertMetas(ctx context.Context, tx *sql.Tx, repoID int64, metas []updates.Meta) error {
	now := fmtTime(s.now())
	for _, m := range metas {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO update_metadata (repo_id, role, version, expires_at, content, created_at) VALUES (?, ?, ?, ?, ?, ?)`),
			repoID, m.Role, m.Version, fmtTime(m.Expires), m.Content, now); err != nil {
			return updateErr(err, "store %d.%s.json", m.Version, m.Role)
		}
		if m.Role == updates.RoleRoot {
			continue
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM update_metadata WHERE repo_id = ? AND role = ? AND version <= ?`),
			repoID, m.Role, m.Version-keepVersions); err != nil {
			return fmt.Errorf("prune old %s metadata: %w", m.Role, err)
		}
	}
	return nil
}

// CommitUpdate stores new metadata versions, a target and new sealed keys
// in one transaction. Conflict when a version exists already.
func (s *Store) CommitUpdate(ctx context.Context, c updates.Commit) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		for _, tc := range c.Targets {
			t := tc.Target
			b := blob.New(t.Name, "application/octet-stream", tc.Content)
			if b.SHA256 != t.SHA256 {
				return fmt.Errorf("target %s: content does not match its digest", t.Name)
			}
			if err := s.putBlob(ctx, tx, &b); err != nil {
				return err
			}
			var rel any
			if t.ReleaseID != 0 {
				rel = t.ReleaseID
			}
			_, err := tx.ExecContext(ctx, s.q(`INSERT INTO update_targets (repo_id, name, sha256, length, hardware, version, release_id, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (repo_id, name) DO UPDATE SET sha256 = excluded.sha256, length = excluded.length, hardware = excluded.hardware,
					version = excluded.version, release_id = excluded.release_id, created_at = excluded.created_at`),
				c.RepoID, t.Name, t.SHA256, t.Length, t.Hardware, t.Version, rel, fmtTime(t.CreatedAt))
			if err != nil {
				return updateErr(err, "store target %s", t.Name)
			}
		}
		if c.SealedKeys != nil {
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE update_repos SET sealed_keys = ? WHERE id = ?`), c.SealedKeys, c.RepoID); err != nil {
				return fmt.Errorf("store online keys: %w", err)
			}
		}
		return s.insertMetas(ctx, tx, c.RepoID, c.Metas)
	})
}

// UpdateMeta returns a version of a role's metadata; version 0 the newest.
func (s *Store) UpdateMeta(ctx context.Context, repoID int64, role string, version int64) (updates.Meta, error) {
	m := updates.Meta{Role: role}
	var exp string
	var row *sql.Row
	if version == 0 {
		row = s.db.QueryRowContext(ctx, s.q(`SELECT version, expires_at, content FROM update_metadata WHERE repo_id = ? AND role = ? ORDER BY version DESC LIMIT 1`), repoID, role)
	} else {
		row = s.db.QueryRowContext(ctx, s.q(`SELECT version, expires_at, content FROM update_metadata WHERE repo_id = ? AND role = ? AND version = ?`), repoID, role, version)
	}
	if err := row.Scan(&m.Version, &exp, &m.Content); err != nil {
		if version == 0 {
			return m, updateErr(err, "no %s metadata", role)
		}
		return m, updateErr(err, "no %d.%s.json", version, role)
	}
	m.Expires = parseTime(exp)
	return m, nil
}

const targetCols = `name, sha256, length, hardware, version, COALESCE(release_id, 0), created_at`

func scanTarget(sc rowScanner, extra ...any) (updates.Target, error) {
	var t updates.Target
	var created string
	err := sc.Scan(append([]any{&t.Name, &t.SHA256, &t.Length, &t.Hardware, &t.Version, &t.ReleaseID, &created}, extra...)...)
	t.CreatedAt = parseTime(created)
	return t, err
}

// scanTargetRow is scanTarget for a row of targetCols alone.
func scanTargetRow(sc rowScanner) (updates.Target, error) { return scanTarget(sc) }

// UpdateTarget returns one published target.
func (s *Store) UpdateTarget(ctx context.Context, repoID int64, name string) (updates.Target, error) {
	t, err := scanTarget(s.db.QueryRowContext(ctx, s.q(`SELECT `+targetCols+` FROM update_targets WHERE repo_id = ? AND name = ?`), repoID, name))
	if err != nil {
		return t, updateErr(err, "no target %q", name)
	}
	return t, nil
}

// UpdateTargetContent returns a target with its bytes.
func (s *Store) UpdateTargetContent(ctx context.Context, repoID int64, name string) (updates.Target, []byte, error) {
	var content []byte
	t, err := scanTarget(s.db.QueryRowContext(ctx, s.q(`SELECT t.name, t.sha256, t.length, t.hardware, t.version, COALESCE(t.release_id, 0), t.created_at, b.content
		FROM update_targets t JOIN blobs b ON b.sha256 = t.sha256 WHERE t.repo_id = ? AND t.name = ?`), repoID, name), &content)
	if err != nil {
		return t, nil, updateErr(err, "no target %q", name)
	}
	return t, content, nil
}

// UpdateTargets lists a repository's targets, newest first.
func (s *Store) UpdateTargets(ctx context.Context, repoID int64) ([]updates.Target, error) {
	out, err := queryAll(ctx, s.db, s.q(`SELECT `+targetCols+` FROM update_targets WHERE repo_id = ? ORDER BY created_at DESC, name`), scanTargetRow, repoID)
	if err != nil {
		return nil, fmt.Errorf("list targets: %w", err)
	}
	return out, nil
}
