package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/policy"
	"github.com/rampart-security/rampart/internal/threatmodel"
)

// Versioned documents: policies, approved-component lists and threat
// models are kept in tables of the same shape, one row per version of a
// product's document: (product_id, version, source, sha256, note,
// created_at, created_by).

// docTable is one table of versioned documents.
type docTable struct {
	table  string // one of the tables below, never input
	what   string // the document, for messages
	global bool   // product 0 is the global document, without a products row
}

var (
	policyDocs      = docTable{table: "policies", what: "policy", global: true}
	approvedDocs    = docTable{table: "approved_lists", what: "approved list", global: true}
	threatModelDocs = docTable{table: "threat_models", what: "threat model"}
)

// docVersion is a row of a docTable. The domains' version types have the
// same fields (with their own JSON tags), so a docVersion converts to each.
type docVersion struct {
	ProductID int64
	Version   int
	Source    string
	SHA256    string
	Note      string
	CreatedAt time.Time
	CreatedBy string
}

// versionType is a domain type a docVersion converts to.
type versionType interface {
	policy.PolicyVersion | threatmodel.ThreatModelVersion
}

// saveDoc stores source as the next version of the product's document in
// d, unless it equals the latest, and returns the version in effect and
// whether it was created. With base >= 0 the save is an edit of version
// base: when the latest is another one (or a concurrent save takes
// base+1) it fails with ErrStaleVersion.
func saveDoc[V versionType](ctx context.Context, s *Store, d docTable, productID int64, base int, source, note, actor string, now time.Time) (V, bool, error) {
	sum := sha256.Sum256([]byte(source))
	v := docVersion{ProductID: productID, Source: source, SHA256: hex.EncodeToString(sum[:]), Note: note, CreatedBy: actor, CreatedAt: now.UTC()}
	created := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		created = false // a retried attempt starts afresh
		if productID != 0 || !d.global {
			var exists int64
			if err := tx.QueryRowContext(ctx, s.q(`SELECT id FROM products WHERE id = ?`), productID).Scan(&exists); err != nil {
				return fmt.Errorf("product %d: %w", productID, mapErr(err))
			}
		}
		var last int
		var lastSHA sql.NullString
		err := tx.QueryRowContext(ctx, s.q(`SELECT version, sha256 FROM `+d.table+` WHERE product_id = ? ORDER BY version DESC LIMIT 1`), productID).Scan(&last, &lastSHA)
		if err != nil && mapErr(err) != fault.ErrNotFound {
			return err
		}
		if base >= 0 && last != base {
			return ErrStaleVersion
		}
		if lastSHA.Valid && lastSHA.String == v.SHA256 {
			v.Version = last
			return nil
		}
		v.Version, created = last+1, true
		_, err = tx.ExecContext(ctx, s.q(`INSERT INTO `+d.table+` (product_id, version, source, sha256, note, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)`),
			productID, v.Version, source, v.SHA256, note, fmtTime(v.CreatedAt), actor)
		if err = mapErr(err); base >= 0 && errors.Is(err, fault.ErrConflict) {
			return ErrStaleVersion // a concurrent save took version base+1
		}
		return err
	})
	if err != nil {
		return V(v), false, err
	}
	if !created {
		latest, err := docAt[V](ctx, s, d, productID, v.Version)
		return latest, false, err
	}
	return V(v), true, nil
}

// docAt returns one version (0: the latest) of a product's document in d;
// fault.ErrNotFound when there is none.
func docAt[V versionType](ctx context.Context, s *Store, d docTable, productID int64, version int) (V, error) {
	q := `SELECT version, source, sha256, note, created_at, created_by FROM ` + d.table + ` WHERE product_id = ? AND version = ?`
	args := []any{productID, version}
	if version == 0 {
		q = `SELECT version, source, sha256, note, created_at, created_by FROM ` + d.table + ` WHERE product_id = ? ORDER BY version DESC LIMIT 1`
		args = args[:1]
	}
	v := docVersion{ProductID: productID}
	var at string
	if err := s.conn(ctx).QueryRowContext(ctx, s.q(q), args...).Scan(&v.Version, &v.Source, &v.SHA256, &v.Note, &at, &v.CreatedBy); err != nil {
		return V(v), fmt.Errorf("%s of product %d (version %d): %w", d.what, productID, version, mapErr(err))
	}
	v.CreatedAt = parseTime(at)
	return V(v), nil
}

// docVersions appends a product's versions in d (without source), newest
// first, to out.
func docVersions[V versionType](ctx context.Context, s *Store, d docTable, productID int64, out []V) ([]V, error) {
	return queryInto(ctx, s.conn(ctx), out, s.q(`SELECT version, sha256, note, created_at, created_by FROM `+d.table+` WHERE product_id = ? ORDER BY version DESC`), func(sc rowScanner) (V, error) {
		v := docVersion{ProductID: productID}
		var at string
		err := sc.Scan(&v.Version, &v.SHA256, &v.Note, &at, &v.CreatedBy)
		v.CreatedAt = parseTime(at)
		return V(v), err
	}, productID)
}
