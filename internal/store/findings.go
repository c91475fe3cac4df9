package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rampart-security/rampart/internal/findings"
)

// findingSorts are the columns and directions of findings.QuerySorts.
var findingSorts = map[string]struct{ col, dir string }{
	"risk":       {"f.risk_score", "DESC"},
	"severity":   {"f.severity_rank", "DESC"},
	"first_seen": {"f.first_seen", "DESC"},
	"due":        {"COALESCE(f.sla_due, '9999')", "ASC"},
}

const findingCols = `f.id, f.product_id, p.name, f.release_id, r.version, f.scope, f.status, f.status_reason, f.accepted_until, f.accepted_by, f.assignee,
	f.duplicate_of, f.risk_score, f.priority, f.sla_due, f.first_seen, f.last_seen, f.closed_at, f.data, p.criticality, p.exposure,
	f.enrichment, f.sla_source, f.match_ref, f.match_vuln`

func scanStoredFinding(sc rowScanner, now time.Time, extra ...any) (findings.Stored, error) {
	var f findings.Stored
	var status, first, last, data, exposure string
	var accepted, due, closed sql.NullString
	var dup sql.NullInt64
	var crit int
	var enrichment, matchRef, matchVuln string
	dst := append([]any{&f.ID, &f.ProductID, &f.ProductName, &f.ReleaseID, &f.Release, &f.Scope, &status, &f.StatusReason, &accepted, &f.AcceptedBy,
		&f.Assignee, &dup, &f.Risk.Score, &f.Risk.Priority, &due, &first, &last, &closed, &data, &crit, &exposure,
		&enrichment, &f.SLASource, &matchRef, &matchVuln}, extra...)
	if err := sc.Scan(dst...); err != nil {
		return f, err
	}
	f.Status = findings.Status(status)
	f.FirstSeen, f.LastSeen = parseTime(first), parseTime(last)
	f.AcceptedUntil, f.ClosedAt = parseNullTime(accepted), parseNullTime(closed)
	if dup.Valid {
		f.DuplicateOf = &dup.Int64
	}
	if err := json.Unmarshal([]byte(data), &f.Finding); err != nil {
		return f, fmt.Errorf("finding %d: stored data: %w", f.ID, err)
	}
	if enrichment != "" {
		var e findings.Enrichment
		if err := json.Unmarshal([]byte(enrichment), &e); err != nil {
			return f, fmt.Errorf("finding %d: stored enrichment: %w", f.ID, err)
		}
		f.Enrichment = &e
		f.Finding = findings.Enrich(f.Finding, e)
	}
	if matchVuln != "" {
		f.LinkedMatch = &findings.MatchLink{ComponentRef: matchRef, VulnerabilityID: matchVuln}
	}
	f.Risk = findings.RiskScore(findings.RiskInput{Severity: f.Finding.Severity, CVSS: f.Finding.CVSS, EPSS: f.Finding.EPSS.Score, KEV: f.Finding.KEV,
		Criticality: crit, Exposure: findings.Exposure(exposure)})
	f.SLAState = findings.SLANone
	if due.Valid {
		t := parseTime(due.String)
		f.SLADue = &t
		if f.Status.Active() {
			f.SLAState = findings.Deadline{Due: t}.State(f.FirstSeen, now)
		}
	}
	return f, nil
}

// Findings returns a page of findings and the next cursor.
func (s *Store) Findings(ctx context.Context, q findings.Query) ([]findings.Stored, string, error) {
	if err := q.Validate(); err != nil {
		return nil, "", err
	}
	limit := clampLimit(q.Limit)
	so := findingSorts[q.SortKey()]
	var c cursor
	if err := c.decode(q.After); err != nil {
		return nil, "", err
	}
	now := s.now().UTC()
	var where []string
	var args []any
	add := func(cond string, a ...any) { where = append(where, cond); args = append(args, a...) }
	if q.ProductID != 0 {
		add("f.product_id = ?", q.ProductID)
	}
	if q.ReleaseID != 0 {
		add("f.release_id = ?", q.ReleaseID)
	}
	switch q.Status {
	case "":
	case "active": // a generated, indexed column: status is open, confirmed or in progress
		add("f.active = ?", true)
	default:
		add("f.status = ?", q.Status)
	}
	if q.Severity != "" {
		add("f.severity = ?", string(q.Severity))
	}
	if q.Tool != "" {
		add("f.tool = ?", q.Tool)
	}
	if q.Assignee != "" {
		add("f.assignee = ?", q.Assignee)
	}
	if q.KEV {
		add("f.kev = ?", true)
	}
	if q.Overdue {
		add("f.sla_due < ? AND f.status IN (?, ?, ?)", fmtTime(now), string(findings.StatusOpen), string(findings.StatusConfirmed), string(findings.StatusInProgress))
	}
	if t := strings.TrimSpace(q.Text); t != "" {
		cond, a, err := s.findingText(ctx, t)
		if err != nil {
			return nil, "", err
		}
		add(cond, a...)
	}
	if len(q.VulnIDs) > 0 {
		conds := make([]string, 0, len(q.VulnIDs))
		var a []any
		for _, id := range q.VulnIDs {
			conds = append(conds, `f.vuln_ids LIKE ? ESCAPE '\'`)
			a = append(a, "% "+escapeLike(id)+" %")
		}
		add("("+strings.Join(conds, " OR ")+")", a...)
	}
	if q.Products != nil {
		if len(q.Products) == 0 {
			return nil, "", nil
		}
		add("f.product_id IN ("+placeholders(len(q.Products))+")", int64sToAny(q.Products)...)
	}
	cmp := "<"
	if so.dir == "ASC" {
		cmp = ">"
	}
	if q.After != "" {
		add(fmt.Sprintf("(%s %s ? OR (%s = ? AND f.id %s ?))", so.col, cmp, so.col, cmp), c.Key, c.Key, c.ID)
	}
	cond := ""
	if len(where) > 0 {
		cond = "WHERE " + strings.Join(where, " AND ")
	}
	args = append(args, limit+1)
	query := fmt.Sprintf(`SELECT %s, %s FROM findings f JOIN releases r ON r.id = f.release_id JOIN products p ON p.id = f.product_id %s ORDER BY %s %s, f.id %s LIMIT ?`,
		findingCols, so.col, cond, so.col, so.dir, so.dir)
	var keys []string
	out, err := queryAll(ctx, s.conn(ctx), s.q(query), func(sc rowScanner) (findings.Stored, error) {
		var key any
		f, err := scanStoredFinding(sc, now, &key)
		keys = append(keys, fmt.Sprint(key))
		return f, err
	}, args...)
	if err != nil {
		return nil, "", fmt.Errorf("list findings: %w", err)
	}
	out, next := nextPage(out, limit, func(last findings.Stored) cursor { return cursor{Key: keys[limit-1], ID: last.ID} })
	return out, next, nil
}

// Finding returns one finding.
func (s *Store) Finding(ctx context.Context, id int64) (findings.Stored, error) {
	f, err := scanStoredFinding(s.conn(ctx).QueryRowContext(ctx, s.q(`SELECT `+findingCols+` FROM findings f JOIN releases r ON r.id = f.release_id
		JOIN products p ON p.id = f.product_id WHERE f.id = ?`), id), s.now().UTC())
	if err != nil {
		return f, fmt.Errorf("finding %d: %w", id, mapErr(err))
	}
	return f, nil
}

// ftsCommon is how many index hits make a text "common" (see findingText).
var ftsCommon = 50000

// ftsWalk is how many index hits make findingText walk the sort order
// instead of looking the hits up one by one (see findingText).
var ftsWalk = 5000

// findingText is the q= condition: a case-insensitive substring of the
// finding's title, rule, component or vulnerability ids.
//
// On SQLite a text of three or more characters is first looked up in the
// FTS5 trigram index (migration 00032), at most ftsCommon hits; the count
// is remembered for a while (ftsCounts), since paging through one search
// asks again. The count only chooses how the page is read; every way
// returns the same rows in the same order:
//
//   - fewer than ftsWalk hits: the hits are looked up by id and sorted.
//   - up to ftsCommon hits: the page is read in the requested order from
//     the sort index, testing each entry's id against the set of hits
//     (the unary + keeps the planner from looking the hits up by id).
//     Looking up 20,000 hits (a rule id in 2% of 1M findings, all ranked
//     low) read 20,000 table pages and took 0.25-1.2 s; the index walk
//     reads only index pages (the id is in every index) and the table rows
//     of the page, 35-60 ms even when the walk reaches the end.
//   - ftsCommon hits or more ("synthetic", in every title): handing the
//     query a million matching ids took 19 s on 1M findings, so the page is
//     read in the requested order testing each row for the substring,
//     which stops after one page.
//
// On PostgreSQL the substring test is answered by the pg_trgm GIN index
// when the planner deems it selective. Texts shorter than a trigram are
// matched by a scan on both engines.
func (s *Store) findingText(ctx context.Context, t string) (string, []any, error) {
	lower := strings.ToLower(t)
	like := "%" + escapeLike(lower) + "%"
	scan := `LOWER(f.title || ' ' || f.rule_id || ' ' || f.component || ' ' || f.vuln_ids) LIKE ? ESCAPE '\'`
	if s.engine == Postgres || utf8.RuneCountInString(t) < 3 {
		return scan, []any{like}, nil
	}
	// A phrase of trigrams: every row containing t as a substring (the
	// trigram tokenizer folds case).
	phrase := `"` + strings.ReplaceAll(t, `"`, `""`) + `"`
	hits, ok := s.ftsCounts.get(phrase, s.now())
	if !ok {
		if err := s.conn(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT rowid FROM findings_text WHERE findings_text MATCH ? LIMIT ?)`, phrase, ftsCommon).Scan(&hits); err != nil {
			return "", nil, fmt.Errorf("search findings for %q: %w", t, err)
		}
		s.ftsCounts.put(phrase, hits, s.now())
	}
	switch {
	case hits >= ftsCommon:
		return scan, []any{like}, nil
	case hits >= ftsWalk:
		return `+f.id IN (SELECT rowid FROM findings_text WHERE findings_text MATCH ?)`, []any{phrase}, nil
	}
	return `f.id IN (SELECT rowid FROM findings_text WHERE findings_text MATCH ?)`, []any{phrase}, nil
}
