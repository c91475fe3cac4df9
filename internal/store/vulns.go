package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/notify"
	"github.com/rampart-security/rampart/internal/vuln"
)

const advisoryBatch = 300

// ImportAdvisories stores advisories (replacing earlier versions with the
// same id), EPSS scores, KEV entries and the other exploitation reports
// (EUVD, CSAF; by CVE) in one transaction: a failure leaves the previous
// data intact.
func (s *Store) ImportAdvisories(ctx context.Context, advs []vuln.Advisory, epss map[string]vuln.EPSS, kev map[string]vuln.KEV,
	exploited map[string][]vuln.Exploitation, rec vuln.FeedImport) (vuln.FeedImport, error) {
	rec.At = s.now().UTC()
	rec.Advisories, rec.EPSS, rec.KEV = len(advs), len(epss), len(kev)
	rec.Exploited = 0
	for _, xs := range exploited {
		rec.Exploited += len(xs)
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for start := 0; start < len(advs); start += advisoryBatch {
			chunk := advs[start:min(start+advisoryBatch, len(advs))]
			ids := make([]any, len(chunk))
			var b strings.Builder
			b.WriteString(`INSERT INTO advisories (id, modified, data) VALUES `)
			args := make([]any, 0, len(chunk)*3)
			var aliasArgs, keyArgs []any
			for i := range chunk {
				a := &chunk[i]
				data, err := json.Marshal(a)
				if err != nil {
					return fmt.Errorf("advisory %s: %w", a.ID, err)
				}
				if i > 0 {
					b.WriteByte(',')
				}
				b.WriteString("(?,?,?)")
				mod := ""
				if !a.Modified.IsZero() {
					mod = fmtTime(a.Modified)
				}
				args = append(args, a.ID, mod, string(data))
				ids[i] = a.ID
				for _, id := range a.IDs() {
					aliasArgs = append(aliasArgs, id, a.ID)
				}
				for _, k := range a.IndexKeys() {
					keyArgs = append(keyArgs, k, a.ID)
				}
			}
			b.WriteString(` ON CONFLICT (id) DO UPDATE SET modified = excluded.modified, data = excluded.data`)
			in := `(` + placeholders(len(ids)) + `)`
			for _, del := range []string{`DELETE FROM advisory_ids WHERE advisory_id IN ` + in, `DELETE FROM advisory_keys WHERE advisory_id IN ` + in} {
				if _, err := tx.ExecContext(ctx, s.q(del), ids...); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, s.q(b.String()), args...); err != nil {
				return fmt.Errorf("store advisories: %w", err)
			}
			if err := s.insertPairs(ctx, tx, `advisory_ids (alias, advisory_id)`, aliasArgs); err != nil {
				return fmt.Errorf("store advisory aliases: %w", err)
			}
			if err := s.insertPairs(ctx, tx, `advisory_keys (key, advisory_id)`, keyArgs); err != nil {
				return fmt.Errorf("store advisory index keys: %w", err)
			}
		}
		if err := s.upsertEPSS(ctx, tx, epss); err != nil {
			return err
		}
		for cve, k := range kev {
			data, _ := json.Marshal(k)
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO kev (cve, data) VALUES (?, ?) ON CONFLICT (cve) DO UPDATE SET data = excluded.data`), cve, string(data)); err != nil {
				return fmt.Errorf("store KEV %s: %w", cve, err)
			}
		}
		for cve, xs := range exploited {
			for _, x := range xs {
				data, _ := json.Marshal(x)
				if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO exploited (cve, source, reference, data) VALUES (?, ?, ?, ?)
					ON CONFLICT (cve, source, reference) DO UPDATE SET data = excluded.data`), cve, string(x.Source), x.Reference, string(data)); err != nil {
					return fmt.Errorf("store exploitation report %s %s for %s: %w", x.Source, x.Reference, cve, err)
				}
			}
		}
		paths, _ := json.Marshal(rec.Paths)
		files, _ := json.Marshal(rec.Files)
		var err error
		rec.ID, err = s.insertID(ctx, tx, `INSERT INTO feed_imports (at, actor, paths, files, advisories, epss, kev, exploited) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			fmtTime(rec.At), rec.Actor, string(paths), string(files), rec.Advisories, rec.EPSS, rec.KEV, rec.Exploited)
		if err != nil {
			return err
		}
		// New data owes the portfolio a re-match: the generation says so
		// until RematchAll records that it completed this one.
		_, err = tx.ExecContext(ctx, s.q(`INSERT INTO generations (name, value) VALUES (?, 1)
			ON CONFLICT (name) DO UPDATE SET value = generations.value + 1`), vuln.GenAdvisories)
		return err
	})
	return rec, err
}

// insertPairs inserts two-column rows, flattened in args, into table
// ("name (col1, col2)", never input) in batches of 500, skipping the rows
// already there.
func (s *Store) insertPairs(ctx context.Context, tx *sql.Tx, table string, args []any) error {
	for len(args) > 0 {
		n := min(len(args)/2, 500)
		q := `INSERT INTO ` + table + ` VALUES ` + strings.TrimSuffix(strings.Repeat("(?,?),", n), ",") + ` ON CONFLICT DO NOTHING`
		if _, err := tx.ExecContext(ctx, s.q(q), args[:n*2]...); err != nil {
			return err
		}
		args = args[n*2:]
	}
	return nil
}

func (s *Store) upsertEPSS(ctx context.Context, tx *sql.Tx, epss map[string]vuln.EPSS) error {
	cves := make([]string, 0, len(epss))
	for c := range epss {
		cves = append(cves, c)
	}
	sort.Strings(cves)
	for start := 0; start < len(cves); start += 500 {
		chunk := cves[start:min(start+500, len(cves))]
		args := make([]any, 0, len(chunk)*4)
		for _, c := range chunk {
			e := epss[c]
			day := ""
			if !e.Date.IsZero() {
				day = e.Date.Format("2006-01-02")
			}
			args = append(args, c, e.Score, e.Percentile, day)
		}
		q := `INSERT INTO epss (cve, score, percentile, day) VALUES ` + strings.TrimSuffix(strings.Repeat("(?,?,?,?),", len(chunk)), ",") +
			` ON CONFLICT (cve) DO UPDATE SET score = excluded.score, percentile = excluded.percentile, day = excluded.day`
		if _, err := tx.ExecContext(ctx, s.q(q), args...); err != nil {
			return fmt.Errorf("store EPSS: %w", err)
		}
		// History keeps one score per CVE and score date (scores without a
		// date are not kept: they cannot be placed on a timeline).
		var hist []any
		for i := 0; i < len(args); i += 4 {
			if args[i+3].(string) != "" {
				hist = append(hist, args[i], args[i+3], args[i+1], args[i+2])
			}
		}
		if len(hist) > 0 {
			hq := `INSERT INTO epss_history (cve, day, score, percentile) VALUES ` + strings.TrimSuffix(strings.Repeat("(?,?,?,?),", len(hist)/4), ",") +
				` ON CONFLICT (cve, day) DO UPDATE SET score = excluded.score, percentile = excluded.percentile`
			if _, err := tx.ExecContext(ctx, s.q(hq), hist...); err != nil {
				return fmt.Errorf("store EPSS history: %w", err)
			}
		}
	}
	return nil
}

// Advisory returns one stored advisory record by its id or any alias.
func (s *Store) Advisory(ctx context.Context, id string) (vuln.Advisory, error) {
	advs, err := s.AdvisoriesByAlias(ctx, id)
	if err != nil {
		return vuln.Advisory{}, err
	}
	if len(advs) == 0 {
		return vuln.Advisory{}, fmt.Errorf("vulnerability %s: %w", id, fault.ErrNotFound)
	}
	return advs[0], nil
}

// AdvisoriesByAlias returns every stored record that names id (its own id
// or an alias), e.g. the OSV, NVD and CVE 5 records of one CVE.
func (s *Store) AdvisoriesByAlias(ctx context.Context, id string) ([]vuln.Advisory, error) {
	return s.queryAdvisories(ctx, `SELECT DISTINCT a.id, a.data FROM advisory_ids x JOIN advisories a ON a.id = x.advisory_id WHERE x.alias = ? ORDER BY a.id`, id)
}

// AdvisoriesByKeys returns the advisories indexed under any of the keys
// (vuln.ComponentKeys of a release): only these can match it.
func (s *Store) AdvisoriesByKeys(ctx context.Context, keys []string) ([]vuln.Advisory, error) {
	return s.advisoriesIn(ctx, `SELECT DISTINCT a.id, a.data FROM advisory_keys k JOIN advisories a ON a.id = k.advisory_id WHERE k.key IN `, keys)
}

// advisoriesIn runs query (ending in "IN ") over values in chunks of 500
// bound parameters and returns each advisory once.
func (s *Store) advisoriesIn(ctx context.Context, query string, values []string) ([]vuln.Advisory, error) {
	var out []vuln.Advisory
	seen := map[string]bool{}
	err := inChunks(values, 500, func(in string, args []any) error {
		advs, err := s.queryAdvisories(ctx, query+in, args...)
		if err != nil {
			return err
		}
		for _, a := range advs {
			if !seen[a.ID] {
				seen[a.ID] = true
				out = append(out, a)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Store) queryAdvisories(ctx context.Context, query string, args ...any) ([]vuln.Advisory, error) {
	return queryAll(ctx, s.conn(ctx), s.q(query), scanStoredAdvisory, args...)
}

func scanStoredAdvisory(sc rowScanner) (vuln.Advisory, error) {
	var id string
	var data []byte
	if err := sc.Scan(&id, &data); err != nil {
		return vuln.Advisory{}, err
	}
	var a vuln.Advisory
	if err := json.Unmarshal(data, &a); err != nil {
		return a, fmt.Errorf("stored advisory %s: %w", id, err)
	}
	return a, nil
}

// Enrichment returns the EPSS scores and KEV entries of the given CVEs.
func (s *Store) Enrichment(ctx context.Context, cves []string) (map[string]vuln.EPSS, map[string]vuln.KEV, error) {
	epss, kev := map[string]vuln.EPSS{}, map[string]vuln.KEV{}
	err := inChunks(cves, 500, func(in string, args []any) error {
		err := queryEach(ctx, s.conn(ctx), s.q(`SELECT cve, score, percentile, day FROM epss WHERE cve IN `+in), func(sc rowScanner) error {
			var c, day string
			var e vuln.EPSS
			if err := sc.Scan(&c, &e.Score, &e.Percentile, &day); err != nil {
				return err
			}
			e.Date, _ = time.Parse("2006-01-02", day)
			epss[c] = e
			return nil
		}, args...)
		if err != nil {
			return err
		}
		return queryEach(ctx, s.conn(ctx), s.q(`SELECT cve, data FROM kev WHERE cve IN `+in), func(sc rowScanner) error {
			var c string
			var data []byte
			var k vuln.KEV
			if err := sc.Scan(&c, &data); err != nil {
				return err
			}
			_ = json.Unmarshal(data, &k)
			kev[c] = k
			return nil
		}, args...)
	})
	if err != nil {
		return nil, nil, err
	}
	return epss, kev, nil
}

// Exploitations returns the EUVD and CSAF exploitation reports of the given
// CVEs.
func (s *Store) Exploitations(ctx context.Context, cves []string) (map[string][]vuln.Exploitation, error) {
	out := map[string][]vuln.Exploitation{}
	err := inChunks(cves, 500, func(in string, args []any) error {
		return queryEach(ctx, s.conn(ctx), s.q(`SELECT cve, data FROM exploited WHERE cve IN `+in+` ORDER BY cve, source, reference`), func(sc rowScanner) error {
			var c string
			var data []byte
			var x vuln.Exploitation
			if err := sc.Scan(&c, &data); err != nil {
				return err
			}
			if json.Unmarshal(data, &x) == nil {
				out[c] = append(out[c], x)
			}
			return nil
		}, args...)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// VulnDBStatus counts the stored data and lists recent imports.
func (s *Store) VulnDBStatus(ctx context.Context) (vuln.DBStatus, error) {
	var st vuln.DBStatus
	for q, dst := range map[string]*int{`SELECT COUNT(*) FROM advisories`: &st.Advisories, `SELECT COUNT(*) FROM epss`: &st.EPSS, `SELECT COUNT(*) FROM kev`: &st.KEV} {
		if err := s.conn(ctx).QueryRowContext(ctx, q).Scan(dst); err != nil {
			return st, err
		}
	}
	imports, err := queryAll(ctx, s.conn(ctx), `SELECT id, at, actor, paths, files, advisories, epss, kev, exploited FROM feed_imports ORDER BY id DESC LIMIT 20`, func(sc rowScanner) (vuln.FeedImport, error) {
		var f vuln.FeedImport
		var at, paths, files string
		if err := sc.Scan(&f.ID, &at, &f.Actor, &paths, &files, &f.Advisories, &f.EPSS, &f.KEV, &f.Exploited); err != nil {
			return f, err
		}
		f.At = parseTime(at)
		_ = json.Unmarshal([]byte(paths), &f.Paths)
		_ = json.Unmarshal([]byte(files), &f.Files)
		return f, nil
	})
	if err != nil {
		return st, err
	}
	st.Imports = imports
	st.Sources, err = s.SourceStatuses(ctx)
	return st, err
}

// ReplaceReleaseVulns stores the current matches of a release and returns
// the ones that are new (not matched before). First-seen dates are kept.
func (s *Store) ReplaceReleaseVulns(ctx context.Context, releaseID int64, matches []vuln.ReleaseVuln) ([]vuln.ReleaseVuln, error) {
	var added []vuln.ReleaseVuln
	now := s.now().UTC()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		added = added[:0] // a retried attempt starts afresh
		old, err := queryMap(ctx, tx, s.q(`SELECT component_ref, vuln_id, first_seen FROM release_vulns WHERE release_id = ?`), func(sc rowScanner) (string, string, error) {
			var ref, id, first string
			err := sc.Scan(&ref, &id, &first)
			return ref + "\x00" + id, first, err
		}, releaseID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM release_vulns WHERE release_id = ?`), releaseID); err != nil {
			return err
		}
		seen := map[string]bool{}
		for start := 0; start < len(matches); start += 200 {
			chunk := matches[start:min(start+200, len(matches))]
			var b strings.Builder
			b.WriteString(`INSERT INTO release_vulns (release_id, component_ref, vuln_id, severity_rank, kev, suppressed, first_seen, data) VALUES `)
			args := make([]any, 0, len(chunk)*8)
			n := 0
			for i := range chunk {
				m := &chunk[i]
				key := m.ComponentRef + "\x00" + m.VulnID
				if seen[key] {
					continue
				}
				seen[key] = true
				first, ok := old[key]
				if !ok {
					first = fmtTime(now)
					added = append(added, *m)
				}
				m.FirstSeen = parseTime(first)
				m.LinkedFindings = nil
				data, _ := json.Marshal(m)
				if n > 0 {
					b.WriteByte(',')
				}
				n++
				b.WriteString("(?,?,?,?,?,?,?,?)")
				args = append(args, releaseID, m.ComponentRef, m.VulnID, m.SeverityRank, m.KEV, m.Suppressed, first, string(data))
			}
			if n == 0 {
				continue
			}
			if _, err := tx.ExecContext(ctx, s.q(b.String()), args...); err != nil {
				return fmt.Errorf("store matches of release %d: %w", releaseID, err)
			}
		}
		return nil
	})
	return added, err
}

const releaseVulnCols = `v.data, v.first_seen, r.id, r.version, r.status, p.id, p.name`

func scanReleaseVuln(sc rowScanner) (vuln.ReleaseVuln, error) {
	var m vuln.ReleaseVuln
	var data []byte
	var first string
	if err := sc.Scan(&data, &first, &m.ReleaseID, &m.ReleaseVersion, &m.ReleaseStatus, &m.ProductID, &m.ProductName); err != nil {
		return m, err
	}
	rid, rv, rs, pid, pn := m.ReleaseID, m.ReleaseVersion, m.ReleaseStatus, m.ProductID, m.ProductName
	if err := json.Unmarshal(data, &m); err != nil {
		return m, err
	}
	m.ReleaseID, m.ReleaseVersion, m.ReleaseStatus, m.ProductID, m.ProductName = rid, rv, rs, pid, pn
	m.FirstSeen = parseTime(first)
	return m, nil
}

// ReleaseVulns lists a release's matches, worst first (KEV, severity, CVSS).
func (s *Store) ReleaseVulns(ctx context.Context, releaseID int64) ([]vuln.ReleaseVuln, error) {
	ms, err := s.queryReleaseVulns(ctx, `v.release_id = ?`, releaseID)
	if err != nil {
		return nil, err
	}
	return ms, s.linkedFindings(ctx, ms)
}

// VulnReleases lists every release in the portfolio a vulnerability
// (by any of its ids) affects.
// products, when non-nil, restricts the result to those product ids.
func (s *Store) VulnReleases(ctx context.Context, ids []string, products []int64) ([]vuln.ReleaseVuln, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	pf, pargs := productFilter("p.id", products)
	ms, err := s.queryReleaseVulns(ctx, `v.vuln_id IN (`+placeholders(len(ids))+`)`+pf, append(args, pargs...)...)
	if err != nil {
		return nil, err
	}
	return ms, s.linkedFindings(ctx, ms)
}

func (s *Store) queryReleaseVulns(ctx context.Context, cond string, args ...any) ([]vuln.ReleaseVuln, error) {
	return queryAll(ctx, s.conn(ctx), s.q(`SELECT `+releaseVulnCols+` FROM release_vulns v JOIN releases r ON r.id = v.release_id JOIN products p ON p.id = r.product_id
		WHERE `+cond+` ORDER BY v.suppressed, v.kev DESC, v.severity_rank DESC, v.vuln_id, v.component_ref`), scanReleaseVuln, args...)
}

// VulnSummary counts matches by severity, and KEV exposure, over the
// releases of the given products (nil: all).
func (s *Store) VulnSummary(ctx context.Context, products []int64) (vuln.Summary, error) {
	sum := vuln.Summary{BySeverity: map[string]int{}}
	pf, pargs := productFilter("r.product_id", products)
	err := queryEach(ctx, s.conn(ctx), s.q(`SELECT v.severity_rank, COUNT(*) FROM release_vulns v JOIN releases r ON r.id = v.release_id WHERE NOT v.suppressed`+pf+` GROUP BY v.severity_rank`), func(sc rowScanner) error {
		var rank, n int
		if err := sc.Scan(&rank, &n); err != nil {
			return err
		}
		sum.BySeverity[vuln.Level(rank).String()] = n
		return nil
	}, pargs...)
	if err != nil {
		return sum, err
	}
	err = s.conn(ctx).QueryRowContext(ctx, s.q(`SELECT COALESCE(SUM(CASE WHEN v.kev THEN 1 ELSE 0 END), 0), COUNT(DISTINCT CASE WHEN v.kev THEN v.release_id END), COUNT(DISTINCT v.release_id)
		FROM release_vulns v JOIN releases r ON r.id = v.release_id WHERE NOT v.suppressed`+pf), pargs...).Scan(&sum.KEV, &sum.KEVReleases, &sum.AffectedRelease)
	return sum, err
}

// SetAnalysis stores a VEX decision (checked by vuln.Analysis.Validate).
func (s *Store) SetAnalysis(ctx context.Context, releaseID int64, ref, vulnID string, a vuln.Analysis) error {
	if err := a.Validate(); err != nil {
		return err
	}
	_, err := s.exec(ctx, s.q(`INSERT INTO vex_analysis (release_id, component_ref, vuln_id, status, justification, detail, updated_at, updated_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (release_id, component_ref, vuln_id) DO UPDATE SET status = excluded.status,
		justification = excluded.justification, detail = excluded.detail, updated_at = excluded.updated_at, updated_by = excluded.updated_by`),
		releaseID, ref, vulnID, string(a.Status), a.Justification, a.Detail, fmtTime(a.UpdatedAt), a.UpdatedBy)
	return mapErr(err)
}

// Analyses returns a release's VEX decisions keyed by component ref and vulnerability id.
func (s *Store) Analyses(ctx context.Context, releaseID int64) (map[[2]string]vuln.Analysis, error) {
	return queryMap(ctx, s.conn(ctx), s.q(`SELECT component_ref, vuln_id, status, justification, detail, updated_at, updated_by FROM vex_analysis WHERE release_id = ?`), func(sc rowScanner) ([2]string, vuln.Analysis, error) {
		var ref, id, status, at string
		var a vuln.Analysis
		err := sc.Scan(&ref, &id, &status, &a.Justification, &a.Detail, &at, &a.UpdatedBy)
		a.Status, a.UpdatedAt = vuln.VEXStatus(status), parseTime(at)
		return [2]string{ref, id}, a, err
	}, releaseID)
}

// AddEvent records an event.
func (s *Store) AddEvent(ctx context.Context, e notify.Event) error {
	if e.At.IsZero() {
		e.At = s.now().UTC()
	}
	_, err := s.exec(ctx, s.q(`INSERT INTO events (at, kind, product_id, release_id, subject, title, detail) VALUES (?, ?, ?, ?, ?, ?, ?)`),
		fmtTime(e.At), e.Kind, e.ProductID, e.ReleaseID, e.Subject, e.Title, e.Detail)
	return err
}

// Events returns the newest events of the given products and the events
// about no product (nil: all events).
func (s *Store) Events(ctx context.Context, limit int, products []int64) ([]notify.Event, error) {
	pf, args := "", []any{}
	if products != nil {
		pf = " AND (product_id IS NULL OR product_id = 0"
		if len(products) > 0 {
			pf += " OR product_id IN (" + placeholders(len(products)) + ")"
			args = int64sToAny(products)
		}
		pf += ")"
	}
	args = append(args, clampLimit(limit))
	return queryAll(ctx, s.conn(ctx), s.q(`SELECT id, at, kind, COALESCE(product_id, 0), COALESCE(release_id, 0), subject, title, detail FROM events WHERE 1 = 1`+pf+` ORDER BY id DESC LIMIT ?`), scanEvent, args...)
}

func scanEvent(sc rowScanner) (notify.Event, error) {
	var e notify.Event
	var at string
	err := sc.Scan(&e.ID, &at, &e.Kind, &e.ProductID, &e.ReleaseID, &e.Subject, &e.Title, &e.Detail)
	e.At = parseTime(at)
	return e, err
}

// ReleaseIDs returns every release id (for portfolio-wide re-matching).
func (s *Store) ReleaseIDs(ctx context.Context) ([]int64, error) {
	return queryAll(ctx, s.conn(ctx), `SELECT id FROM releases ORDER BY id`, scanValue[int64])
}

// productFilter returns " AND <col> IN (…)" and its arguments for a
// non-nil product list (nil: every product; empty: none).
func productFilter(col string, products []int64) (string, []any) {
	if products == nil {
		return "", nil
	}
	if len(products) == 0 {
		return " AND 1 = 0", nil
	}
	return " AND " + col + " IN (" + placeholders(len(products)) + ")", int64sToAny(products)
}

// EPSSHistory returns the recorded EPSS scores of the CVEs, oldest first
// (for several CVEs of one vulnerability, the highest score of each day).
func (s *Store) EPSSHistory(ctx context.Context, cves []string) ([]vuln.EPSSPoint, error) {
	if len(cves) == 0 {
		return nil, nil
	}
	args := make([]any, len(cves))
	for i, c := range cves {
		args[i] = c
	}
	return queryAll(ctx, s.conn(ctx), s.q(`SELECT day, MAX(score), MAX(percentile) FROM epss_history WHERE cve IN (`+
		placeholders(len(cves))+`) GROUP BY day ORDER BY day`), scanEPSSPoint, args...)
}

func scanEPSSPoint(sc rowScanner) (vuln.EPSSPoint, error) {
	var p vuln.EPSSPoint
	err := sc.Scan(&p.Day, &p.Score, &p.Percentile)
	return p, err
}

// Matches lists the portfolio's matches selected by q, worst first.
func (s *Store) Matches(ctx context.Context, q vuln.MatchQuery) ([]vuln.ReleaseVuln, error) {
	cond := `1 = 1`
	var args []any
	if q.ProductID > 0 {
		cond += ` AND p.id = ?`
		args = append(args, q.ProductID)
	}
	if q.ReleaseStatus != "" {
		cond += ` AND r.status = ?`
		args = append(args, q.ReleaseStatus)
	}
	if q.KEV {
		cond += ` AND v.kev`
	}
	if q.MinSeverity > 0 {
		cond += ` AND v.severity_rank >= ?`
		args = append(args, q.MinSeverity)
	}
	if !q.Suppressed {
		cond += ` AND NOT v.suppressed`
	}
	pf, pargs := productFilter("p.id", q.Products)
	return s.queryReleaseVulns(ctx, cond+pf, append(args, pargs...)...)
}
