package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"strings"

	"github.com/rampart-security/rampart/internal/advisory"
	"github.com/rampart-security/rampart/internal/advisory/provider"
	"github.com/rampart-security/rampart/internal/advisory/signing"
	"github.com/rampart-security/rampart/internal/fault"
)

var _ advisory.Store = (*Store)(nil)

const csafCols = `id, product_id, tracking_id, title, tlp, status, require_review, author, reviewer, document, created_at, updated_at,
	published_version, published_tlp, initial_release_date, current_release_date, sha256, sha512, signed_by`

func scanCSAF(r rowScanner, a *advisory.Advisory) error {
	var product sql.NullInt64
	var review int
	var doc, created, updated, ini, cur string
	if err := r.Scan(&a.ID, &product, &a.TrackingID, &a.Title, &a.TLP, &a.Status, &review, &a.Author, &a.Reviewer, &doc, &created, &updated,
		&a.PublishedVersion, &a.PublishedTLP, &ini, &cur, &a.SHA256, &a.SHA512, &a.SignedBy); err != nil {
		return err
	}
	a.ProductID = product.Int64
	a.RequireReview = review != 0
	a.Document = []byte(doc)
	a.CreatedAt, a.UpdatedAt = parseTime(created), parseTime(updated)
	if ini != "" {
		a.InitialReleaseDate = parseTime(ini)
	}
	if cur != "" {
		a.CurrentReleaseDate = parseTime(cur)
	}
	if a.PublishedTLP != "" {
		a.PublishedURL = a.Entry().Path()
	}
	return nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func optTime(a *advisory.Advisory, published bool) (string, string) {
	if !published {
		return "", ""
	}
	return fmtTime(a.InitialReleaseDate), fmtTime(a.CurrentReleaseDate)
}

// CreateCSAFAdvisory stores a new CSAF advisory (a draft).
func (s *Store) CreateCSAFAdvisory(ctx context.Context, a *advisory.Advisory) error {
	id, err := s.insertID(ctx, s.conn(ctx), `INSERT INTO csaf_advisories (product_id, tracking_id, title, tlp, status, require_review, author, document, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		nullID(a.ProductID), a.TrackingID, a.Title, a.TLP, string(a.Status), boolInt(a.RequireReview), a.Author, string(a.Document), fmtTime(a.CreatedAt), fmtTime(a.UpdatedAt))
	if err != nil {
		return fmt.Errorf("advisory %s: %w", a.TrackingID, err)
	}
	a.ID = id
	return nil
}

// SaveCSAFAdvisory updates every mutable field of an advisory; the published
// copy is replaced when a.Published is set.
func (s *Store) SaveCSAFAdvisory(ctx context.Context, a *advisory.Advisory) error {
	args := []any{a.TrackingID, a.Title, a.TLP, string(a.Status), boolInt(a.RequireReview), a.Reviewer, string(a.Document), fmtTime(a.UpdatedAt)}
	set := `tracking_id = ?, title = ?, tlp = ?, status = ?, require_review = ?, reviewer = ?, document = ?, updated_at = ?`
	if a.Published != nil {
		ini, cur := optTime(a, true)
		set += `, published = ?, published_version = ?, published_tlp = ?, published_year = ?, published_file = ?, initial_release_date = ?, current_release_date = ?, sha256 = ?, sha512 = ?, signature = ?, signed_by = ?`
		e := a.Entry()
		args = append(args, string(a.Published), a.PublishedVersion, a.PublishedTLP, e.Year(), e.File(), ini, cur, a.SHA256, a.SHA512, a.Signature, a.SignedBy)
	}
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE csaf_advisories SET `+set+` WHERE id = ?`), append(args, a.ID)...)
	if err != nil {
		return fmt.Errorf("advisory %s: %w", a.TrackingID, mapErr(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fault.NotFound("advisory %d not found", a.ID)
	}
	return nil
}

// CSAFAdvisory returns one CSAF advisory (with its published copy).
func (s *Store) CSAFAdvisory(ctx context.Context, id int64) (advisory.Advisory, error) {
	var a advisory.Advisory
	var pub sql.NullString
	row := s.db.QueryRowContext(ctx, s.q(`SELECT `+csafCols+`, published, signature FROM csaf_advisories WHERE id = ?`), id)
	err := scanCSAFWith(row, &a, &pub)
	if errors.Is(err, sql.ErrNoRows) {
		return a, fault.NotFound("advisory %d not found", id)
	}
	if pub.Valid {
		a.Published = []byte(pub.String)
	}
	return a, err
}

func scanCSAFWith(r *sql.Row, a *advisory.Advisory, pub *sql.NullString) error {
	return scanCSAF(rowFunc(func(dest ...any) error {
		return r.Scan(append(dest, pub, &a.Signature)...)
	}), a)
}

type rowFunc func(dest ...any) error

func (f rowFunc) Scan(dest ...any) error { return f(dest...) }

// CSAFAdvisories lists CSAF advisories (without published copies), newest first.
func (s *Store) CSAFAdvisories(ctx context.Context, f advisory.Filter) ([]advisory.Advisory, error) {
	var conds []string
	var args []any
	if f.Status != "" {
		conds = append(conds, "status = ?")
		args = append(args, string(f.Status))
	}
	if f.Products != nil {
		if len(f.Products) == 0 {
			return nil, nil
		}
		conds = append(conds, "product_id IN ("+placeholders(len(f.Products))+")")
		for _, p := range f.Products {
			args = append(args, p)
		}
	}
	where := ""
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	return queryAll(ctx, s.db, s.q(`SELECT `+csafCols+` FROM csaf_advisories`+where+` ORDER BY updated_at DESC, id DESC`), scanCSAFRow, args...)
}

// scanCSAFRow is scanCSAF for queryAll.
func scanCSAFRow(sc rowScanner) (advisory.Advisory, error) {
	var a advisory.Advisory
	err := scanCSAF(sc, &a)
	return a, err
}

// PublishedEntries streams the published advisories of one label, newest first.
func (s *Store) PublishedEntries(ctx context.Context, tlp string) iter.Seq2[provider.Entry, error] {
	return func(yield func(provider.Entry, error) bool) {
		rows, err := s.db.QueryContext(ctx, s.q(`SELECT tracking_id, title, initial_release_date, current_release_date FROM csaf_advisories
			WHERE published_tlp = ? ORDER BY current_release_date DESC, id DESC`), tlp)
		if err != nil {
			yield(provider.Entry{}, err)
			return
		}
		defer rows.Close()
		for rows.Next() {
			e := provider.Entry{TLP: tlp}
			var ini, cur string
			if err := rows.Scan(&e.TrackingID, &e.Title, &ini, &cur); err != nil {
				yield(e, err)
				return
			}
			e.InitialReleaseDate, e.CurrentReleaseDate = parseTime(ini), parseTime(cur)
			if !yield(e, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(provider.Entry{}, err)
		}
	}
}

// PublishedFile returns the published advisory stored at tlp/year/file.
func (s *Store) PublishedFile(ctx context.Context, tlp string, year int, file string) (advisory.Advisory, error) {
	var a advisory.Advisory
	var pub sql.NullString
	row := s.db.QueryRowContext(ctx, s.q(`SELECT `+csafCols+`, published, signature FROM csaf_advisories WHERE published_tlp = ? AND published_year = ? AND published_file = ?`), tlp, year, file)
	err := scanCSAFWith(row, &a, &pub)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !pub.Valid) {
		return a, fault.NotFound("no advisory %s/%d/%s", provider.Folder(tlp), year, file)
	}
	a.Published = []byte(pub.String)
	return a, err
}

// PublishedYears lists the year folders of a label.
func (s *Store) PublishedYears(ctx context.Context, tlp string) ([]int, error) {
	return queryAll(ctx, s.db, s.q(`SELECT DISTINCT published_year FROM csaf_advisories WHERE published_tlp = ? ORDER BY published_year`), scanValue[int], tlp)
}

// PublishedFilesIn streams the file names of one year folder.
func (s *Store) PublishedFilesIn(ctx context.Context, tlp string, year int) ([]string, error) {
	return queryAll(ctx, s.db, s.q(`SELECT published_file FROM csaf_advisories WHERE published_tlp = ? AND published_year = ? ORDER BY published_file`), scanValue[string], tlp, year)
}

// PublishedCount counts the published advisories of a label.
func (s *Store) PublishedCount(ctx context.Context, tlp string) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM csaf_advisories WHERE published_tlp = ?`), tlp).Scan(&n)
	return n, err
}

// SigningKeys lists the signing keys, current (newest) first.
func (s *Store) SigningKeys(ctx context.Context) ([]signing.Key, error) {
	return queryAll(ctx, s.db, `SELECT fingerprint, public_key, private_key, created_at FROM csaf_signing_keys ORDER BY id DESC`, scanSigningKey)
}

func scanSigningKey(sc rowScanner) (signing.Key, error) {
	var k signing.Key
	var created string
	err := sc.Scan(&k.Fingerprint, &k.Public, &k.Private, &created)
	k.CreatedAt = parseTime(created)
	return k, err
}

// AddSigningKey stores a new key; it becomes the current one.
func (s *Store) AddSigningKey(ctx context.Context, k signing.Key) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO csaf_signing_keys (fingerprint, public_key, private_key, created_at) VALUES (?, ?, ?, ?)`),
		k.Fingerprint, k.Public, k.Private, fmtTime(k.CreatedAt))
	return mapErr(err)
}

// Resign re-signs every published advisory in one transaction.
func (s *Store) Resign(ctx context.Context, sign func([]byte) (string, error), fingerprint string) (int, error) {
	n := 0
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		type item struct {
			id  int64
			sig string
		}
		items, err := queryAll(ctx, tx, `SELECT id, published FROM csaf_advisories WHERE published IS NOT NULL`, func(sc rowScanner) (item, error) {
			var it item
			var doc string
			if err := sc.Scan(&it.id, &doc); err != nil {
				return it, err
			}
			var err error
			it.sig, err = sign([]byte(doc))
			return it, err
		})
		if err != nil {
			return err
		}
		for _, it := range items {
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE csaf_advisories SET signature = ?, signed_by = ? WHERE id = ?`), it.sig, fingerprint, it.id); err != nil {
				return err
			}
		}
		n = len(items)
		return nil
	})
	return n, err
}
