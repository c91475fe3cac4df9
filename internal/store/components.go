package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/rampart-security/rampart/internal/blob"
	"github.com/rampart-security/rampart/internal/inventory"
)

// ImportComponents replaces the components of a release in one transaction
// and records the raw SBOM as a content-addressed blob. On any error nothing
// changes. Empty or duplicate component refs are made unique.
func (s *Store) ImportComponents(ctx context.Context, releaseID int64, comps []inventory.Component, raw blob.Blob) error {
	normaliseRefs(comps)
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.clearComponents(ctx, tx, releaseID, &raw); err != nil {
			return err
		}
		if err := s.insertComponents(ctx, tx, releaseID, comps); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE releases SET components = ?, sbom_sha256 = ? WHERE id = ?`),
			len(comps), raw.SHA256, releaseID); err != nil {
			return fmt.Errorf("update release %d: %w", releaseID, err)
		}
		return nil
	})
}

// clearComponents starts an import of a release's components in tx: the
// release must exist, raw (when it has content) is stored as a blob and
// the release's components are deleted.
func (s *Store) clearComponents(ctx context.Context, tx *sql.Tx, releaseID int64, raw *blob.Blob) error {
	var exists int64
	if err := tx.QueryRowContext(ctx, s.q(`SELECT id FROM releases WHERE id = ?`), releaseID).Scan(&exists); err != nil {
		return fmt.Errorf("release %d: %w", releaseID, mapErr(err))
	}
	if raw.Content != nil {
		if err := s.putBlob(ctx, tx, raw); err != nil {
			return err
		}
	}
	for _, q := range []string{`DELETE FROM component_cpes WHERE release_id = ?`, `DELETE FROM components WHERE release_id = ?`} {
		if _, err := tx.ExecContext(ctx, s.q(q), releaseID); err != nil {
			return fmt.Errorf("clear components of release %d: %w", releaseID, err)
		}
	}
	return nil
}

// componentWriter writes a streamed SBOM's components into the import
// transaction of ImportComponentsStream (the inventory.ComponentSink it
// hands to fill).
type componentWriter struct {
	s         *Store
	ctx       context.Context
	tx        *sql.Tx
	releaseID int64
	n         int
	get, set  *sql.Stmt
}

// Add inserts the next components. Their refs must be non-empty and unique
// within the release (the streaming decoder guarantees it).
func (w *componentWriter) Add(batch []inventory.Component) error {
	for i := range batch {
		if batch[i].Ref == "" {
			return fmt.Errorf("insert components: component %q has no ref", batch[i].Name)
		}
	}
	if err := w.s.insertComponents(w.ctx, w.tx, w.releaseID, batch); err != nil {
		return err
	}
	w.n += len(batch)
	return nil
}

// Link adds dependency edges from the component with ref from.
func (w *componentWriter) Link(from string, to []string) error {
	var err error
	if w.get == nil {
		if w.get, err = w.tx.PrepareContext(w.ctx, w.s.q(`SELECT depends_on FROM components WHERE release_id = ? AND ref = ?`)); err != nil {
			return err
		}
		if w.set, err = w.tx.PrepareContext(w.ctx, w.s.q(`UPDATE components SET depends_on = ? WHERE release_id = ? AND ref = ?`)); err != nil {
			return err
		}
	}
	var cur string
	if err := w.get.QueryRowContext(w.ctx, w.releaseID, from).Scan(&cur); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil // not a component of the release (a service, say)
		}
		return fmt.Errorf("dependencies of %s: %w", from, err)
	}
	var deps []string
	unjsonList(cur, &deps)
	n := len(deps)
	seen := make(map[string]struct{}, len(deps)+len(to)) // a scan per edge was quadratic
	for _, d := range deps {
		seen[d] = struct{}{}
	}
	for _, t := range to {
		if _, ok := seen[t]; !ok {
			seen[t] = struct{}{}
			deps = append(deps, t)
		}
	}
	if len(deps) == n {
		return nil
	}
	if _, err := w.set.ExecContext(w.ctx, jsonList(deps), w.releaseID, from); err != nil {
		return fmt.Errorf("dependencies of %s: %w", from, err)
	}
	return nil
}

// ImportComponentsStream replaces the components of a release with those
// that fill writes to the sink it is given, in one transaction (joining the
// caller's Atomic one), and records raw as the release's SBOM blob. It is
// ImportComponents for documents too large to hold in memory. On any error
// from fill nothing changes. It returns the number of components written.
func (s *Store) ImportComponentsStream(ctx context.Context, releaseID int64, raw blob.Blob, fill func(w inventory.ComponentSink) error) (int, error) {
	n := 0
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.clearComponents(ctx, tx, releaseID, &raw); err != nil {
			return err
		}
		if s.engine == SQLite {
			// A streamed document writes far more pages than the page
			// cache holds: spilling a smaller cache to the WAL costs
			// little and keeps the import's memory down.
			if _, err := tx.ExecContext(ctx, `PRAGMA cache_size = -16384`); err != nil {
				return err
			}
			defer tx.ExecContext(ctx, `PRAGMA cache_size = -65536`) // the DSN's setting, for the pooled connection
		}
		w := &componentWriter{s: s, ctx: ctx, tx: tx, releaseID: releaseID}
		defer func() {
			if w.get != nil {
				w.get.Close()
				w.set.Close()
			}
		}()
		if err := fill(w); err != nil {
			return err
		}
		n = w.n
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE releases SET components = ?, sbom_sha256 = ? WHERE id = ?`),
			w.n, raw.SHA256, releaseID); err != nil {
			return fmt.Errorf("update release %d: %w", releaseID, err)
		}
		return nil
	})
	return n, err
}

// normaliseRefs gives every component a ref unique within the release.
func normaliseRefs(comps []inventory.Component) {
	seen := make(map[string]int, len(comps))
	for i := range comps {
		ref := comps[i].Ref
		if ref == "" {
			ref = comps[i].PURL
		}
		if ref == "" {
			ref = comps[i].Name + "@" + comps[i].Version
		}
		if n := seen[ref]; n > 0 {
			seen[ref] = n + 1
			ref = ref + "#" + strconv.Itoa(n+1)
		}
		seen[ref]++
		comps[i].Ref = ref
	}
}

const componentBatch = 200

func (s *Store) insertComponents(ctx context.Context, tx *sql.Tx, releaseID int64, comps []inventory.Component) error {
	const cols = 13
	for start := 0; start < len(comps); start += componentBatch {
		end := min(start+componentBatch, len(comps))
		var b strings.Builder
		b.WriteString(`INSERT INTO components (release_id, ref, type, grp, name, name_key, version, purl, cpes, hashes, licenses, supplier, depends_on) VALUES `)
		args := make([]any, 0, (end-start)*cols)
		var cpeArgs []any
		for i, c := range comps[start:end] {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("(?,?,?,?,?,?,?,?,?,?,?,?,?)")
			typ := c.Type
			if typ == "" {
				typ = inventory.TypeLibrary
			}
			args = append(args, releaseID, c.Ref, string(typ), c.Group, c.Name, strings.ToLower(c.Name), c.Version, c.PURL,
				jsonList(c.CPEs), jsonList(c.Hashes), jsonList(c.Licenses), c.Supplier, jsonList(c.DependsOn))
			for _, cpe := range c.CPEs {
				cpeArgs = append(cpeArgs, releaseID, c.Ref, strings.ToLower(cpe))
			}
		}
		if _, err := tx.ExecContext(ctx, s.q(b.String()), args...); err != nil {
			return fmt.Errorf("insert components: %w", mapErr(err))
		}
		for len(cpeArgs) > 0 {
			n := min(len(cpeArgs)/3, 500)
			q := `INSERT INTO component_cpes (release_id, ref, cpe) VALUES ` + strings.TrimSuffix(strings.Repeat("(?,?,?),", n), ",")
			if _, err := tx.ExecContext(ctx, s.q(q), cpeArgs[:n*3]...); err != nil {
				return fmt.Errorf("insert component CPEs: %w", err)
			}
			cpeArgs = cpeArgs[n*3:]
		}
	}
	return nil
}

func jsonList[T any](v []T) string {
	if len(v) == 0 {
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func unjsonList[T any](s string, dst *[]T) {
	if s != "" {
		_ = json.Unmarshal([]byte(s), dst)
	}
}

const componentCols = `c.id, c.ref, c.type, c.grp, c.name, c.version, c.purl, c.cpes, c.hashes, c.licenses, c.supplier, c.depends_on`

func scanComponent(sc rowScanner, extra ...any) (inventory.Component, error) {
	var c inventory.Component
	var typ, cpes, hashes, lic, deps string
	dst := append([]any{&c.ID, &c.Ref, &typ, &c.Group, &c.Name, &c.Version, &c.PURL, &cpes, &hashes, &lic, &c.Supplier, &deps}, extra...)
	if err := sc.Scan(dst...); err != nil {
		return c, err
	}
	c.Type = inventory.ComponentType(typ)
	unjsonList(cpes, &c.CPEs)
	unjsonList(hashes, &c.Hashes)
	unjsonList(lic, &c.Licenses)
	unjsonList(deps, &c.DependsOn)
	return c, nil
}

// scanComponentRow is scanComponent for a row of componentCols alone.
func scanComponentRow(sc rowScanner) (inventory.Component, error) { return scanComponent(sc) }

var componentSortCols = map[string]string{"name": "c.name_key", "version": "c.version", "type": "c.type", "purl": "c.purl"}

// Components returns a page of a release's components and the next cursor.
func (s *Store) Components(ctx context.Context, q inventory.ComponentQuery) ([]inventory.Component, string, error) {
	if err := q.Validate(); err != nil {
		return nil, "", err
	}
	limit := clampLimit(q.Limit)
	col, ok := componentSortCols[q.Sort]
	if !ok {
		col = "c.name_key"
	}
	var c cursor
	if err := c.decode(q.After); err != nil {
		return nil, "", err
	}
	cmp, dir := ">", "ASC"
	if q.Desc {
		cmp, dir = "<", "DESC"
	}
	where := []string{"c.release_id = ?"}
	args := []any{q.ReleaseID}
	if q.After != "" {
		where = append(where, fmt.Sprintf("(%s %s ? OR (%s = ? AND c.id %s ?))", col, cmp, col, cmp))
		args = append(args, c.Key, c.Key, c.ID)
	}
	if f := strings.TrimSpace(q.Filter); f != "" {
		like := "%" + escapeLike(strings.ToLower(f)) + "%"
		where = append(where, `(c.name_key LIKE ? ESCAPE '\' OR LOWER(c.version) LIKE ? ESCAPE '\' OR LOWER(c.purl) LIKE ? ESCAPE '\' OR LOWER(c.licenses) LIKE ? ESCAPE '\')`)
		args = append(args, like, like, like, like)
	}
	args = append(args, limit+1)
	query := fmt.Sprintf(`SELECT %s, %s FROM components c WHERE %s ORDER BY %s %s, c.id %s LIMIT ?`,
		componentCols, col, strings.Join(where, " AND "), col, dir, dir)
	var keys []string
	out, err := queryAll(ctx, s.conn(ctx), s.q(query), func(sc rowScanner) (inventory.Component, error) {
		var key string
		comp, err := scanComponent(sc, &key)
		keys = append(keys, key)
		return comp, err
	}, args...)
	if err != nil {
		return nil, "", fmt.Errorf("list components: %w", err)
	}
	out, next := nextPage(out, limit, func(last inventory.Component) cursor { return cursor{Key: keys[limit-1], ID: last.ID} })
	return out, next, nil
}

// AllComponents returns every component of a release in ref order (for SBOM export).
func (s *Store) AllComponents(ctx context.Context, releaseID int64) ([]inventory.Component, error) {
	out, err := queryAll(ctx, s.conn(ctx), s.q(`SELECT `+componentCols+` FROM components c WHERE c.release_id = ? ORDER BY c.id`), scanComponentRow, releaseID)
	if err != nil {
		return nil, fmt.Errorf("components of release %d: %w", releaseID, err)
	}
	return out, nil
}

// EachComponents calls fn with the components of a release in batches of
// at most batch, in AllComponents' order, so a caller need not hold the
// whole release (a re-match of a 200,000-component release). Each batch
// is one short query (keyset pagination on the id), so no read stays open
// across fn; batch is reused once fn returns.
//
// On SQLite, outside a transaction, the pages are read on one connection
// whose page cache is cut to scanCacheKiB for the scan: a release larger
// than the cache gains nothing from caching a sequential read, and each of
// the pool's connections would otherwise fill its own 64 MiB cache with it
// (the server reads a large release seven times after an upload: re-match
// and gate).
func (s *Store) EachComponents(ctx context.Context, releaseID int64, batch int, fn func([]inventory.Component) error) error {
	if batch <= 0 {
		batch = 1000
	}
	q := s.conn(ctx)
	if s.engine == SQLite && s.joined(ctx) == nil {
		c, err := s.db.Conn(ctx)
		if err != nil {
			return fmt.Errorf("components of release %d: %w", releaseID, err)
		}
		defer c.Close()
		if _, err := c.ExecContext(ctx, fmt.Sprintf(`PRAGMA cache_size = -%d`, scanCacheKiB)); err != nil {
			return fmt.Errorf("components of release %d: %w", releaseID, err)
		}
		// The DSN's setting again, for the pooled connection.
		defer c.ExecContext(context.WithoutCancel(ctx), `PRAGMA cache_size = -65536`)
		q = c
	}
	buf := make([]inventory.Component, 0, batch)
	after := int64(0)
	for {
		var err error
		buf, err = queryInto(ctx, q, buf[:0], s.q(`SELECT `+componentCols+` FROM components c WHERE c.release_id = ? AND c.id > ? ORDER BY c.id LIMIT ?`), scanComponentRow, releaseID, after, batch)
		if err != nil {
			return fmt.Errorf("components of release %d: %w", releaseID, err)
		}
		if len(buf) == 0 {
			return nil
		}
		after = buf[len(buf)-1].ID
		if err := fn(buf); err != nil {
			return err
		}
		if len(buf) < batch {
			return nil
		}
	}
}

// scanCacheKiB is the SQLite page cache of a connection while
// EachComponents reads a release (KiB).
const scanCacheKiB = 4096

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// prefixEnd is an upper bound for every string with the given prefix in
// byte order (C collation on PostgreSQL, BINARY on SQLite).
func prefixEnd(p string) string { return p + "\U0010FFFF" }

// Search finds components across all releases. Results are ordered by the
// matched key (name, purl or CPE) and paginated by cursor.
func (s *Store) Search(ctx context.Context, sq inventory.SearchQuery) ([]inventory.SearchHit, string, error) {
	if err := sq.Validate(); err != nil {
		return nil, "", err
	}
	limit := clampLimit(sq.Limit)
	q := strings.TrimSpace(sq.Q)
	vr, err := inventory.ParseVersionRange(sq.Version)
	if err != nil {
		return nil, "", err // Validate parsed it
	}
	var c cursor
	if err := c.decode(sq.After); err != nil {
		return nil, "", err
	}
	var keyCol, from string
	switch {
	case strings.HasPrefix(q, "pkg:"):
		keyCol, from = "c.purl", "components c"
	case strings.HasPrefix(strings.ToLower(q), "cpe:"):
		q = strings.ToLower(q)
		keyCol, from = "x.cpe", "component_cpes x JOIN components c ON c.release_id = x.release_id AND c.ref = x.ref"
	default:
		q = strings.ToLower(q)
		keyCol, from = "c.name_key", "components c"
	}
	if sq.Products != nil && len(sq.Products) == 0 {
		return nil, "", nil
	}
	scope := ""
	var scopeArgs []any
	if sq.Products != nil {
		ph, a := idList(sq.Products)
		scope, scopeArgs = " AND p.id IN ("+ph+")", a
	}
	base := fmt.Sprintf(`SELECT %s, %s, r.id, r.version, p.id, p.name FROM %s
		JOIN releases r ON r.id = c.release_id JOIN products p ON p.id = r.product_id
		WHERE %s >= ? AND %s < ? AND (%s > ? OR (%s = ? AND c.id > ?))%s
		ORDER BY %s, c.id LIMIT ?`, componentCols, keyCol, from, keyCol, keyCol, keyCol, keyCol, scope, keyCol)
	stmt := s.q(base)
	var hits []inventory.SearchHit
	var lastKey string
	var lastID int64
	key, id := c.Key, c.ID
	if key == "" {
		key = q
	}
	batch := limit + 1
	if !vr.Empty() {
		batch = max(batch*4, 200)
	}
	for len(hits) <= limit {
		args := append([]any{q, prefixEnd(q), key, key, id}, scopeArgs...)
		rows, err := s.conn(ctx).QueryContext(ctx, stmt, append(args, batch)...)
		if err != nil {
			return nil, "", fmt.Errorf("search %q: %w", q, err)
		}
		n := 0
		for rows.Next() {
			var h inventory.SearchHit
			var k string
			comp, err := scanComponent(rows, &k, &h.ReleaseID, &h.ReleaseVersion, &h.ProductID, &h.ProductName)
			if err != nil {
				rows.Close()
				return nil, "", err
			}
			n++
			key, id = k, comp.ID
			if !vr.Contains(comp.Version) {
				continue
			}
			h.Component = comp
			if len(hits) <= limit {
				hits = append(hits, h)
				if len(hits) == limit {
					lastKey, lastID = k, comp.ID
				}
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, "", err
		}
		if n < batch {
			break
		}
	}
	next := ""
	if len(hits) > limit {
		hits = hits[:limit]
		next = cursor{Key: lastKey, ID: lastID}.encode()
	}
	return hits, next, nil
}
