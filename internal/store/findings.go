package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rampart-security/rampart/internal/findings"
)

// ScanImport is one scanner report to import into a release.
type ScanImport struct {
	ReleaseID int64
	Tool      string // format name, e.g. "zap"
	// Scope groups re-imports: the same tool and target label. Empty means
	// the tool name.
	Scope    string
	FileName string
	// RawAfter returns the raw report once Each has read it: its content
	// (stored content-addressed) or, for very large reports, only its SHA-256.
	RawAfter func() Blob
	Actor    string
	Now      time.Time
	// Each calls emit for every parsed finding (a streaming parser); any
	// error aborts the import and nothing changes.
	Each func(emit func(findings.Finding) error) error
}

// ScanResult summarises an import.
type ScanResult struct {
	ScanID    int64  `json:"scan_id"`
	ReleaseID int64  `json:"release_id"`
	Tool      string `json:"tool"`
	Scope     string `json:"scope"`
	Findings  int    `json:"findings"`
	New       int    `json:"new"`
	Unchanged int    `json:"unchanged"`
	Reopened  int    `json:"reopened"`
	Closed    int    `json:"closed"`
	// Duplicates counts new findings linked to the same issue already
	// reported in the release by another tool.
	Duplicates int `json:"duplicates"`
}

// ProductSLA returns a product's SLA policy (the default when unset).
func (s *Store) ProductSLA(ctx context.Context, productID int64) (findings.SLAPolicy, error) {
	var raw string
	if err := s.conn(ctx).QueryRowContext(ctx, s.q(`SELECT sla FROM products WHERE id = ?`), productID).Scan(&raw); err != nil {
		return findings.SLAPolicy{}, fmt.Errorf("product %d: %w", productID, mapErr(err))
	}
	if raw == "" {
		return findings.DefaultSLA(), nil
	}
	var p findings.SLAPolicy
	if err := json.Unmarshal([]byte(raw), &p); err != nil {
		return findings.DefaultSLA(), nil
	}
	return p, nil
}

// ProductMaxAcceptance returns a product's maximum risk-acceptance
// duration in days as stored (0: the global default,
// findings.MaxAcceptanceDays).
func (s *Store) ProductMaxAcceptance(ctx context.Context, productID int64) (int, error) {
	var days int
	if err := s.conn(ctx).QueryRowContext(ctx, s.q(`SELECT max_acceptance_days FROM products WHERE id = ?`), productID).Scan(&days); err != nil {
		return 0, fmt.Errorf("product %d: %w", productID, mapErr(err))
	}
	return days, nil
}

// SetProductMaxAcceptance stores a product's maximum risk-acceptance
// duration in days (0: the global default).
func (s *Store) SetProductMaxAcceptance(ctx context.Context, productID int64, days int) error {
	if err := findings.ValidateMaxAcceptance(days); err != nil {
		return &ValidationError{"max_days", err.Error()}
	}
	res, err := s.exec(ctx, s.q(`UPDATE products SET max_acceptance_days = ? WHERE id = ?`), days, productID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("product %d: %w", productID, ErrNotFound)
	}
	return nil
}

// SetProductSLA stores a product's SLA policy in days per severity.
func (s *Store) SetProductSLA(ctx context.Context, productID int64, p findings.SLAPolicy) error {
	if err := p.Validate(); err != nil {
		return &ValidationError{"sla", err.Error()}
	}
	b, _ := json.Marshal(p)
	res, err := s.exec(ctx, s.q(`UPDATE products SET sla = ? WHERE id = ?`), string(b), productID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("product %d: %w", productID, ErrNotFound)
	}
	return nil
}

const findingBatch = 200

// ImportScan streams a report's findings into a release in one transaction
// and reconciles them with the earlier imports of the same scope: new
// findings open, seen ones are updated, active ones not reported any more
// are closed as verified, fixed ones that re-appear reopen. Triage decisions
// and assignees are never overwritten. A new finding whose fingerprint an
// active finding of another scope in the release already has is linked to
// it as a duplicate (cross-tool de-duplication).
func (s *Store) ImportScan(ctx context.Context, in ScanImport) (ScanResult, error) {
	if in.Scope == "" {
		in.Scope = in.Tool
	}
	if in.Now.IsZero() {
		in.Now = time.Now().UTC()
	}
	var res ScanResult
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res = ScanResult{ReleaseID: in.ReleaseID, Tool: in.Tool, Scope: in.Scope} // a retried attempt starts afresh
		// Reconciliation reads the scope's findings and then writes; two
		// imports of one scope must not interleave. SQLite has one writer;
		// on PostgreSQL a transaction-scoped advisory lock on the scope
		// queues the second import behind the first.
		if err := s.lockKey(ctx, tx, fmt.Sprintf("scan-scope:%d:%s", in.ReleaseID, in.Scope)); err != nil {
			return err
		}
		var productID int64
		var crit int
		var exposure, slaRaw, dedupRaw string
		err := tx.QueryRowContext(ctx, s.q(`SELECT p.id, p.criticality, p.exposure, p.sla, p.dedup FROM releases r JOIN products p ON p.id = r.product_id WHERE r.id = ?`), in.ReleaseID).
			Scan(&productID, &crit, &exposure, &slaRaw, &dedupRaw)
		if err != nil {
			return fmt.Errorf("release %d: %w", in.ReleaseID, mapErr(err))
		}
		sla := findings.DefaultSLA()
		if slaRaw != "" {
			_ = json.Unmarshal([]byte(slaRaw), &sla)
		}
		existing, err := s.scopeFindings(ctx, tx, in.ReleaseID, in.Scope)
		if err != nil {
			return err
		}
		var dedupFields []string
		if dedupRaw != "" {
			_ = json.Unmarshal([]byte(dedupRaw), &dedupFields)
		}
		others, err := s.otherScopeKeys(ctx, tx, in.ReleaseID, in.Scope)
		if err != nil {
			return err
		}
		rec := findings.NewReconciler(existing)
		now := fmtTime(in.Now)
		var batch []findingRow
		flush := func() error {
			if err := s.writeFindings(ctx, tx, productID, in, batch, now); err != nil {
				return err
			}
			batch = batch[:0]
			return nil
		}
		emit := func(f findings.Finding) error {
			if f.Fingerprint == "" {
				f.Fingerprint = findings.Fingerprint(f)
			}
			outcome, ex, dup := rec.AddTriaged(f.Fingerprint, f.Triage)
			if dup {
				return nil // one issue reported twice in one report
			}
			res.Findings++
			risk := findings.RiskScore(findings.RiskInput{Severity: f.Severity, CVSS: f.CVSS, EPSS: f.EPSS.Score, KEV: f.KEV,
				Criticality: crit, Exposure: findings.Exposure(exposure)})
			row := findingRow{f: f, outcome: outcome, id: ex.ID, status: ex.Status, risk: risk}
			keyed := f
			if keyed.Tool == "" {
				keyed.Tool = in.Tool
			}
			row.dedupKey = findings.DedupKey(keyed, dedupFields)
			if outcome == findings.OutcomeNew {
				if orig, ok := others[row.dedupKey]; ok {
					row.duplicateOf = orig
					res.Duplicates++
				}
				if d, ok := sla.Due(f.Severity, in.Now, nil); ok {
					row.due = fmtTime(d.Due)
				}
			}
			batch = append(batch, row)
			if len(batch) >= findingBatch {
				return flush()
			}
			return nil
		}
		if err := in.Each(emit); err != nil {
			return err
		}
		if err := flush(); err != nil {
			return err
		}
		plan := rec.Finish()
		res.New, res.Unchanged, res.Reopened, res.Closed = plan.New, plan.Unchanged, plan.Reopened, plan.Closed
		for _, id := range plan.Close {
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE findings SET status = ?, status_reason = ?, closed_at = ? WHERE id = ?`),
				string(findings.StatusVerified), "fixed — verified by re-scan", now, id); err != nil {
				return fmt.Errorf("close finding %d: %w", id, err)
			}
			if err := s.findingEvent(ctx, tx, id, now, in.Actor, "rescan", "", string(findings.StatusVerified), "not reported by re-scan of "+in.Scope); err != nil {
				return err
			}
		}
		var raw Blob
		if in.RawAfter != nil {
			raw = in.RawAfter()
		}
		if raw.Content != nil {
			if err := s.putBlob(ctx, tx, &raw); err != nil {
				return err
			}
		}
		res.ScanID, err = s.insertID(ctx, tx, `INSERT INTO scans (release_id, tool, scope, file_name, blob_sha256, imported_at, imported_by, findings, new, unchanged, reopened, closed)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, in.ReleaseID, in.Tool, in.Scope, in.FileName, raw.SHA256, now, in.Actor,
			res.Findings, res.New, res.Unchanged, res.Reopened, res.Closed)
		return err
	})
	return res, err
}

type findingRow struct {
	f           findings.Finding
	dedupKey    string
	data        []byte // f as JSON
	outcome     findings.Outcome
	id          int64
	status      findings.Status
	risk        findings.Risk
	duplicateOf int64
	due         string
}

func (s *Store) scopeFindings(ctx context.Context, tx *sql.Tx, releaseID int64, scope string) ([]findings.Existing, error) {
	rows, err := tx.QueryContext(ctx, s.q(`SELECT id, fingerprint, status FROM findings WHERE release_id = ? AND scope = ?`), releaseID, scope)
	if err != nil {
		return nil, fmt.Errorf("load findings of scope %q: %w", scope, err)
	}
	defer rows.Close()
	var out []findings.Existing
	for rows.Next() {
		var e findings.Existing
		var st string
		if err := rows.Scan(&e.ID, &e.Fingerprint, &st); err != nil {
			return nil, err
		}
		e.Status = findings.Status(st)
		out = append(out, e)
	}
	return out, rows.Err()
}

// otherScopeKeys maps the duplicate keys of the release's non-duplicate
// findings from other scopes to their ids.
func (s *Store) otherScopeKeys(ctx context.Context, tx *sql.Tx, releaseID int64, scope string) (map[string]int64, error) {
	rows, err := tx.QueryContext(ctx, s.q(`SELECT dedup_key, MIN(id) FROM findings WHERE release_id = ? AND scope <> ? AND status <> ? GROUP BY dedup_key`),
		releaseID, scope, string(findings.StatusDuplicate))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var fp string
		var id int64
		if err := rows.Scan(&fp, &id); err != nil {
			return nil, err
		}
		out[fp] = id
	}
	return out, rows.Err()
}

func nullFloat(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func cvssOf(c findings.CVSS) *float64 {
	if c.V4Score != nil {
		return c.V4Score
	}
	return c.V3Score
}

func (s *Store) writeFindings(ctx context.Context, tx *sql.Tx, productID int64, in ScanImport, rows []findingRow, now string) error {
	var ins []findingRow
	for _, r := range rows {
		data, err := json.Marshal(r.f)
		if err != nil {
			return err
		}
		r.data = data
		switch r.outcome {
		case findings.OutcomeNew:
			ins = append(ins, r)
		case findings.OutcomeUnchanged:
			// Evidence and scores follow the newest scan; status, reason,
			// assignee and acceptance are a person's and stay.
			_, err = tx.ExecContext(ctx, s.q(`UPDATE findings SET last_seen = ?, title = ?, severity = ?, severity_rank = ?, kev = ?, epss = ?, cvss = ?,
				risk_score = ?, priority = ?, data = ? WHERE id = ?`), now, r.f.Title, string(r.f.Severity), r.f.Severity.Rank(), r.f.KEV,
				nullFloat(r.f.EPSS.Score), nullFloat(cvssOf(r.f.CVSS)), r.risk.Score, r.risk.Priority, string(data), r.id)
		case findings.OutcomeReopened:
			_, err = tx.ExecContext(ctx, s.q(`UPDATE findings SET last_seen = ?, status = ?, status_reason = ?, closed_at = NULL, data = ?,
				risk_score = ?, priority = ? WHERE id = ?`), now, string(findings.StatusOpen), "reported again by "+in.Scope, string(data), r.risk.Score, r.risk.Priority, r.id)
			if err == nil {
				err = s.findingEvent(ctx, tx, r.id, now, in.Actor, "rescan", string(r.status), string(findings.StatusOpen), "reported again by re-scan of "+in.Scope)
			}
		}
		if err != nil {
			return fmt.Errorf("update finding %q: %w", r.f.Title, err)
		}
	}
	if len(ins) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString(`INSERT INTO findings (product_id, release_id, scope, tool, fingerprint, title, severity, severity_rank, rule_id, vuln_ids,
		component, component_version, kev, epss, cvss, risk_score, priority, status, status_reason, duplicate_of, sla_due, first_seen, last_seen, data, dedup_key) VALUES `)
	args := make([]any, 0, len(ins)*25)
	for i, r := range ins {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
		data := r.data
		status, reason := findings.StatusOpen, ""
		var dup, due any
		if r.duplicateOf != 0 {
			status, reason, dup = findings.StatusDuplicate, "same issue as finding "+fmt.Sprint(r.duplicateOf), r.duplicateOf
		} else if t := r.f.Triage; t != nil && t.Status.Valid() {
			status, reason = t.Status, t.Reason // the report's own triage (SARIF suppression, DefectDojo status)
		}
		if r.due != "" {
			due = r.due
		}
		first := now
		if r.f.FirstSeen != nil && !r.f.FirstSeen.IsZero() && r.f.FirstSeen.Before(in.Now) {
			first = fmtTime(*r.f.FirstSeen) // a migrated finding keeps its discovery date
		}
		tool := in.Tool
		if r.f.Tool != "" {
			tool = r.f.Tool
		}
		args = append(args, productID, in.ReleaseID, in.Scope, tool, r.f.Fingerprint, r.f.Title, string(r.f.Severity), r.f.Severity.Rank(), r.f.RuleID,
			" "+strings.Join(r.f.VulnerabilityIDs, " ")+" ", r.f.Component.Name, r.f.Component.Version, r.f.KEV, nullFloat(r.f.EPSS.Score),
			nullFloat(cvssOf(r.f.CVSS)), r.risk.Score, r.risk.Priority, string(status), reason, dup, due, first, now, string(data), r.dedupKey)
	}
	if _, err := tx.ExecContext(ctx, s.q(b.String()), args...); err != nil {
		return fmt.Errorf("insert findings: %w", mapErr(err))
	}
	return s.importedTriage(ctx, tx, in, ins, now)
}

// importedTriage completes, for new findings the report records as
// triaged, what the INSERT cannot carry (acceptance expiry and approver,
// closing time) and records the decision in the finding's history.
//
// A risk acceptance recorded in a report never lasts longer than one made
// in Rampart could: its expiry is capped to the product's maximum from the
// import (a report without expiry, or with a later one, gets the cap), so
// it reopens and needs a Rampart approver by then.
func (s *Store) importedTriage(ctx context.Context, tx *sql.Tx, in ScanImport, rows []findingRow, now string) error {
	maxDays := -1 // read once, when a report carries a risk acceptance
	for _, r := range rows {
		t := r.f.Triage
		if t == nil || !t.Status.Valid() || r.duplicateOf != 0 || t.Status == findings.StatusOpen {
			continue
		}
		note := ""
		if t.Status == findings.StatusRiskAccepted {
			if maxDays < 0 {
				if err := tx.QueryRowContext(ctx, s.q(`SELECT p.max_acceptance_days FROM releases r JOIN products p ON p.id = r.product_id WHERE r.id = ?`), in.ReleaseID).Scan(&maxDays); err != nil {
					return fmt.Errorf("release %d: %w", in.ReleaseID, mapErr(err))
				}
			}
			if limit := findings.AcceptanceDeadline(in.Now, maxDays); t.AcceptedUntil == nil || t.AcceptedUntil.After(limit) {
				capped := *t
				capped.AcceptedUntil = &limit
				t = &capped
				note = fmt.Sprintf("; expiry capped to the product's maximum of %d days (%s)", findings.EffectiveMaxAcceptance(maxDays), limit.Format("2006-01-02"))
			}
		}
		var id int64
		if err := tx.QueryRowContext(ctx, s.q(`SELECT id FROM findings WHERE release_id = ? AND scope = ? AND fingerprint = ?`), in.ReleaseID, in.Scope, r.f.Fingerprint).Scan(&id); err != nil {
			return fmt.Errorf("triage of imported finding %q: %w", r.f.Title, mapErr(err))
		}
		var until, closedAt any
		if t.AcceptedUntil != nil {
			until = fmtTime(*t.AcceptedUntil)
		}
		if t.Status.Closed() {
			closedAt = now
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE findings SET accepted_until = ?, accepted_by = ?, closed_at = ? WHERE id = ?`), until, t.AcceptedBy, closedAt, id); err != nil {
			return fmt.Errorf("triage of imported finding %d: %w", id, err)
		}
		if err := s.findingEvent(ctx, tx, id, now, in.Actor, "import", "", string(t.Status), "as recorded in the report: "+t.Reason+note); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) findingEvent(ctx context.Context, tx querier, id int64, at, actor, kind, from, to, detail string) error {
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO finding_events (finding_id, at, actor, kind, from_status, to_status, detail) VALUES (?, ?, ?, ?, ?, ?, ?)`),
		id, at, actor, kind, from, to, detail)
	if err != nil {
		return fmt.Errorf("record history of finding %d: %w", id, err)
	}
	return nil
}

// StoredFinding is a finding with its platform state.
type StoredFinding struct {
	ID            int64             `json:"id"`
	ProductID     int64             `json:"product_id"`
	ProductName   string            `json:"product_name"`
	ReleaseID     int64             `json:"release_id"`
	Release       string            `json:"release_version"`
	Scope         string            `json:"scope"`
	Status        findings.Status   `json:"status"`
	StatusReason  string            `json:"status_reason,omitempty"`
	AcceptedUntil *time.Time        `json:"accepted_until,omitempty"`
	AcceptedBy    string            `json:"accepted_by,omitempty"`
	Assignee      string            `json:"assignee,omitempty"`
	DuplicateOf   *int64            `json:"duplicate_of,omitempty"`
	Risk          findings.Risk     `json:"risk"`
	SLADue        *time.Time        `json:"sla_due,omitempty"`
	SLAState      findings.SLAState `json:"sla_state"`
	FirstSeen     time.Time         `json:"first_seen"`
	LastSeen      time.Time         `json:"last_seen"`
	ClosedAt      *time.Time        `json:"closed_at,omitempty"`
	Finding       findings.Finding  `json:"finding"`
}

// FindingQuery filters, sorts and pages findings.
type FindingQuery struct {
	ProductID int64
	ReleaseID int64
	// Status is a status, "active" (open, confirmed, in progress) or "" for all.
	Status   string
	Severity findings.Severity
	Tool     string
	Assignee string
	KEV      bool
	Overdue  bool
	Text     string // substring of title, rule, component or a vulnerability id
	// Sort: "risk" (default, highest first), "severity", "first_seen", "due".
	Sort  string
	After string
	Limit int
	// Products, when non-nil, restricts results to these product ids.
	Products []int64
}

var findingSorts = map[string]struct{ col, dir string }{
	"risk":       {"f.risk_score", "DESC"},
	"severity":   {"f.severity_rank", "DESC"},
	"first_seen": {"f.first_seen", "DESC"},
	"due":        {"COALESCE(f.sla_due, '9999')", "ASC"},
}

const findingCols = `f.id, f.product_id, p.name, f.release_id, r.version, f.scope, f.status, f.status_reason, f.accepted_until, f.accepted_by, f.assignee,
	f.duplicate_of, f.risk_score, f.priority, f.sla_due, f.first_seen, f.last_seen, f.closed_at, f.data, p.criticality, p.exposure`

func scanStoredFinding(sc interface{ Scan(...any) error }, now time.Time, extra ...any) (StoredFinding, error) {
	var f StoredFinding
	var status, first, last, data, exposure string
	var accepted, due, closed sql.NullString
	var dup sql.NullInt64
	var crit int
	dst := append([]any{&f.ID, &f.ProductID, &f.ProductName, &f.ReleaseID, &f.Release, &f.Scope, &status, &f.StatusReason, &accepted, &f.AcceptedBy,
		&f.Assignee, &dup, &f.Risk.Score, &f.Risk.Priority, &due, &first, &last, &closed, &data, &crit, &exposure}, extra...)
	if err := sc.Scan(dst...); err != nil {
		return f, err
	}
	f.Status = findings.Status(status)
	f.FirstSeen, f.LastSeen = parseTime(first), parseTime(last)
	if accepted.Valid {
		t := parseTime(accepted.String)
		f.AcceptedUntil = &t
	}
	if closed.Valid {
		t := parseTime(closed.String)
		f.ClosedAt = &t
	}
	if dup.Valid {
		f.DuplicateOf = &dup.Int64
	}
	if err := json.Unmarshal([]byte(data), &f.Finding); err != nil {
		return f, fmt.Errorf("finding %d: stored data: %w", f.ID, err)
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
func (s *Store) Findings(ctx context.Context, q FindingQuery) ([]StoredFinding, string, error) {
	limit := clampLimit(q.Limit)
	sortBy := q.Sort
	if sortBy == "" {
		sortBy = "risk"
	}
	so, ok := findingSorts[sortBy]
	if !ok {
		return nil, "", &ValidationError{"sort", "must be risk, severity, first_seen or due"}
	}
	var c cursor
	if err := c.decode(q.After); err != nil {
		return nil, "", err
	}
	now := time.Now().UTC()
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
		if !findings.Status(q.Status).Valid() {
			return nil, "", &ValidationError{"status", fmt.Sprintf("%q: must be active or one of %v", q.Status, findings.Statuses)}
		}
		add("f.status = ?", q.Status)
	}
	if q.Severity != "" {
		if !q.Severity.Valid() {
			return nil, "", &ValidationError{"severity", "must be critical, high, medium, low or info"}
		}
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
	if q.Products != nil {
		if len(q.Products) == 0 {
			return nil, "", nil
		}
		add("f.product_id IN ("+strings.TrimSuffix(strings.Repeat("?,", len(q.Products)), ",")+")", int64sToAny(q.Products)...)
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
	rows, err := s.conn(ctx).QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, "", fmt.Errorf("list findings: %w", err)
	}
	defer rows.Close()
	var out []StoredFinding
	var keys []string
	for rows.Next() {
		var key any
		f, err := scanStoredFinding(rows, now, &key)
		if err != nil {
			return nil, "", err
		}
		out = append(out, f)
		keys = append(keys, fmt.Sprint(key))
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = cursor{Key: keys[limit-1], ID: out[limit-1].ID}.encode()
	}
	return out, next, nil
}

func int64sToAny(v []int64) []any {
	out := make([]any, len(v))
	for i, x := range v {
		out[i] = x
	}
	return out
}

// Finding returns one finding.
func (s *Store) Finding(ctx context.Context, id int64) (StoredFinding, error) {
	f, err := scanStoredFinding(s.conn(ctx).QueryRowContext(ctx, s.q(`SELECT `+findingCols+` FROM findings f JOIN releases r ON r.id = f.release_id
		JOIN products p ON p.id = f.product_id WHERE f.id = ?`), id), time.Now().UTC())
	if err != nil {
		return f, fmt.Errorf("finding %d: %w", id, mapErr(err))
	}
	return f, nil
}

// FindingEvent is one entry of a finding's history.
type FindingEvent struct {
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Kind   string    `json:"kind"`
	From   string    `json:"from,omitempty"`
	To     string    `json:"to,omitempty"`
	Detail string    `json:"detail,omitempty"`
}

// FindingHistory returns a finding's history, oldest first.
func (s *Store) FindingHistory(ctx context.Context, id int64) ([]FindingEvent, error) {
	rows, err := s.conn(ctx).QueryContext(ctx, s.q(`SELECT at, actor, kind, from_status, to_status, detail FROM finding_events WHERE finding_id = ? ORDER BY id`), id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []FindingEvent
	for rows.Next() {
		var e FindingEvent
		var at string
		if err := rows.Scan(&at, &e.Actor, &e.Kind, &e.From, &e.To, &e.Detail); err != nil {
			return nil, err
		}
		e.At = parseTime(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// FindingUpdate is a triage change by a person. Nil fields are unchanged.
type FindingUpdate struct {
	Transition *findings.Transition
	Assignee   *string
	Comment    string
}

// UpdateFindings applies one triage change to several findings in one
// transaction (bulk actions), recording history.
func (s *Store) UpdateFindings(ctx context.Context, ids []int64, u FindingUpdate, actor string, now time.Time) error {
	if len(ids) == 0 {
		return &ValidationError{"ids", "select at least one finding"}
	}
	at := fmtTime(now)
	// Rows are locked in ascending id order, so two bulk changes over
	// overlapping selections queue behind each other instead of
	// deadlocking (PostgreSQL); a duplicate id is changed once.
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	return s.inTx(ctx, func(tx *sql.Tx) error {
		for _, id := range ids {
			var status string
			if err := tx.QueryRowContext(ctx, s.q(`SELECT status FROM findings WHERE id = ?`+s.forUpdate()), id).Scan(&status); err != nil {
				return fmt.Errorf("finding %d: %w", id, mapErr(err))
			}
			if t := u.Transition; t != nil {
				if err := t.Check(findings.Status(status), now); err != nil {
					return &ValidationError{"status", err.Error()}
				}
				var until any
				if t.AcceptedUntil != nil {
					until = fmtTime(*t.AcceptedUntil)
				}
				var closedAt any
				if t.To.Closed() {
					closedAt = at
				}
				if _, err := tx.ExecContext(ctx, s.q(`UPDATE findings SET status = ?, status_reason = ?, accepted_until = ?, accepted_by = ?, closed_at = ? WHERE id = ?`),
					string(t.To), t.Reason, until, t.Approver, closedAt, id); err != nil {
					return err
				}
				detail := t.Reason
				if t.AcceptedUntil != nil {
					detail += fmt.Sprintf(" (approved by %s until %s)", t.Approver, t.AcceptedUntil.Format("2006-01-02"))
				}
				if err := s.findingEvent(ctx, tx, id, at, actor, "status", status, string(t.To), detail); err != nil {
					return err
				}
			}
			if u.Assignee != nil {
				if _, err := tx.ExecContext(ctx, s.q(`UPDATE findings SET assignee = ? WHERE id = ?`), *u.Assignee, id); err != nil {
					return err
				}
				if err := s.findingEvent(ctx, tx, id, at, actor, "assign", "", "", *u.Assignee); err != nil {
					return err
				}
			}
			if c := strings.TrimSpace(u.Comment); c != "" {
				if err := s.findingEvent(ctx, tx, id, at, actor, "comment", "", "", c); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// ExpireAcceptances reopens risk-accepted findings whose acceptance ended
// and returns them; each gets a history entry and one
// "finding.acceptance-expired" event, in the same transaction. It is
// idempotent and safe to run on several servers at once: a finding is
// reopened (and announced) only by the transaction whose UPDATE changed
// its status, and PostgreSQL servers skip rows another one has locked.
func (s *Store) ExpireAcceptances(ctx context.Context, now time.Time) ([]StoredFinding, error) {
	var out []StoredFinding
	at := fmtTime(now)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		out = out[:0] // a retried attempt starts afresh
		lock := ""
		if s.engine == Postgres {
			lock = " ORDER BY f.id FOR UPDATE OF f SKIP LOCKED"
		}
		rows, err := tx.QueryContext(ctx, s.q(`SELECT `+findingCols+` FROM findings f JOIN releases r ON r.id = f.release_id JOIN products p ON p.id = f.product_id
			WHERE f.status = ? AND f.accepted_until <= ?`+lock), string(findings.StatusRiskAccepted), at)
		if err != nil {
			return err
		}
		var due []StoredFinding
		for rows.Next() {
			f, err := scanStoredFinding(rows, now)
			if err != nil {
				rows.Close()
				return err
			}
			due = append(due, f)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, f := range due {
			res, err := tx.ExecContext(ctx, s.q(`UPDATE findings SET status = ?, status_reason = ? WHERE id = ? AND status = ?`),
				string(findings.StatusOpen), "risk acceptance expired", f.ID, string(findings.StatusRiskAccepted))
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				continue // another server reopened it first
			}
			if err := s.findingEvent(ctx, tx, f.ID, at, "rampart", "acceptance-expired", string(findings.StatusRiskAccepted), string(findings.StatusOpen), "risk acceptance expired"); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO events (at, kind, product_id, release_id, subject, title, detail) VALUES (?, ?, ?, ?, ?, ?, ?)`),
				at, "finding.acceptance-expired", f.ProductID, f.ReleaseID, strconv.FormatInt(f.ID, 10),
				fmt.Sprintf("Risk acceptance expired: %s (%s %s) reopened", f.Finding.Title, f.ProductName, f.Release), ""); err != nil {
				return err
			}
			f.Status = findings.StatusOpen
			out = append(out, f)
		}
		return nil
	})
	return out, err
}

// FindingStats counts a set of findings for dashboards.
type FindingStats struct {
	ActiveBySeverity map[findings.Severity]int `json:"active_by_severity"`
	Active           int                       `json:"active"`
	Overdue          int                       `json:"overdue"`
	KEV              int                       `json:"kev"`
	Closed           int                       `json:"closed"`
	// MeanTimeToRemediate is the mean days from first seen to closed.
	MeanTimeToRemediate float64 `json:"mttr_days"`
	// SLACompliance is the share (0–100) of closed findings with a due
	// date that were closed by it; -1 when none was closed yet.
	SLACompliance float64 `json:"sla_compliance"`
}

// FindingStats counts findings of one product (0: all) among the given
// products (nil: all).
func (s *Store) FindingStats(ctx context.Context, productID int64, products []int64) (FindingStats, error) {
	st := FindingStats{ActiveBySeverity: map[findings.Severity]int{}}
	cond, args := productFilter("product_id", products)
	if productID != 0 {
		cond, args = cond+" AND product_id = ?", append(args, productID)
	}
	now := fmtTime(time.Now().UTC())
	rows, err := s.conn(ctx).QueryContext(ctx, s.q(`SELECT severity, COUNT(*), SUM(CASE WHEN sla_due < ? THEN 1 ELSE 0 END), SUM(CASE WHEN kev THEN 1 ELSE 0 END)
		FROM findings WHERE status IN ('open','confirmed','in_progress')`+cond+` GROUP BY severity`), append([]any{now}, args...)...)
	if err != nil {
		return st, err
	}
	defer rows.Close()
	for rows.Next() {
		var sev string
		var n, over, kev int
		if err := rows.Scan(&sev, &n, &over, &kev); err != nil {
			return st, err
		}
		st.ActiveBySeverity[findings.Severity(sev)] = n
		st.Active += n
		st.Overdue += over
		st.KEV += kev
	}
	if err := rows.Err(); err != nil {
		return st, err
	}
	crows, err := s.conn(ctx).QueryContext(ctx, s.q(`SELECT first_seen, closed_at, COALESCE(sla_due, '') FROM findings WHERE closed_at IS NOT NULL`+cond), args...)
	if err != nil {
		return st, err
	}
	defer crows.Close()
	var total float64
	withDue, inTime := 0, 0
	for crows.Next() {
		var first, closed, due string
		if err := crows.Scan(&first, &closed, &due); err != nil {
			return st, err
		}
		st.Closed++
		total += parseTime(closed).Sub(parseTime(first)).Hours() / 24
		if due != "" {
			withDue++
			if closed <= due {
				inTime++
			}
		}
	}
	if st.Closed > 0 {
		st.MeanTimeToRemediate = total / float64(st.Closed)
	}
	st.SLACompliance = -1
	if withDue > 0 {
		st.SLACompliance = float64(inTime) * 100 / float64(withDue)
	}
	return st, crows.Err()
}

// Scan is one imported report.
type Scan struct {
	ScanResult
	FileName   string    `json:"file_name"`
	SHA256     string    `json:"sha256"`
	ImportedAt time.Time `json:"imported_at"`
	ImportedBy string    `json:"imported_by"`
}

// Scans lists a release's imported reports, newest first.
func (s *Store) Scans(ctx context.Context, releaseID int64) ([]Scan, error) {
	rows, err := s.conn(ctx).QueryContext(ctx, s.q(`SELECT id, release_id, tool, scope, file_name, blob_sha256, imported_at, imported_by, findings, new, unchanged, reopened, closed
		FROM scans WHERE release_id = ? ORDER BY id DESC LIMIT 200`), releaseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Scan
	for rows.Next() {
		var sc Scan
		var at string
		if err := rows.Scan(&sc.ScanID, &sc.ReleaseID, &sc.Tool, &sc.Scope, &sc.FileName, &sc.SHA256, &at, &sc.ImportedBy, &sc.Findings, &sc.New, &sc.Unchanged, &sc.Reopened, &sc.Closed); err != nil {
			return nil, err
		}
		sc.ImportedAt = parseTime(at)
		out = append(out, sc)
	}
	return out, rows.Err()
}

// ProductDedup returns a product's duplicate definition (empty: fingerprint rules).
func (s *Store) ProductDedup(ctx context.Context, productID int64) ([]string, error) {
	var raw string
	if err := s.conn(ctx).QueryRowContext(ctx, s.q(`SELECT dedup FROM products WHERE id = ?`), productID).Scan(&raw); err != nil {
		return nil, fmt.Errorf("product %d: %w", productID, mapErr(err))
	}
	fields := []string{}
	if raw != "" {
		_ = json.Unmarshal([]byte(raw), &fields)
	}
	return fields, nil
}

// SetProductDedup stores which fields define a duplicate for a product and
// recomputes the duplicate key of its findings in one transaction. Findings
// already linked as duplicates stay linked; new imports use the new keys.
func (s *Store) SetProductDedup(ctx context.Context, productID int64, fields []string) error {
	if err := findings.ValidDedupFields(fields); err != nil {
		return &ValidationError{"fields", err.Error()}
	}
	raw := ""
	if len(fields) > 0 {
		b, _ := json.Marshal(fields)
		raw = string(b)
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE products SET dedup = ? WHERE id = ?`), raw, productID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("product %d: %w", productID, ErrNotFound)
		}
		rows, err := tx.QueryContext(ctx, s.q(`SELECT id, tool, data FROM findings WHERE product_id = ?`), productID)
		if err != nil {
			return err
		}
		type key struct {
			id  int64
			key string
		}
		var keys []key
		for rows.Next() {
			var id int64
			var tool string
			var data []byte
			if err := rows.Scan(&id, &tool, &data); err != nil {
				rows.Close()
				return err
			}
			var f findings.Finding
			if err := json.Unmarshal(data, &f); err != nil {
				rows.Close()
				return fmt.Errorf("finding %d: %w", id, err)
			}
			if f.Tool == "" {
				f.Tool = tool
			}
			keys = append(keys, key{id, findings.DedupKey(f, fields)})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, k := range keys {
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE findings SET dedup_key = ? WHERE id = ?`), k.key, k.id); err != nil {
				return err
			}
		}
		return nil
	})
}

// ftsCommon is how many index hits make a text "common" (see findingText).
var ftsCommon = 50000

// findingText is the q= condition: a case-insensitive substring of the
// finding's title, rule, component or vulnerability ids.
//
// On SQLite a text of three or more characters is first looked up in the
// FTS5 trigram index (migration 00032), at most ftsCommon hits. A text
// with fewer hits is answered from the index. A very common one
// ("synthetic", in every title) is not: handing the query a million
// matching ids took 19 s on 1M findings. Instead the page is read in the
// requested order from the sort index, testing each row for the
// substring, which stops after one page. The threshold is high because
// that scan is only fast when the matches are spread over the order: a
// rule id in 2% of the findings whose findings all rank last took 5 s
// that way (1.1 s from the index). On PostgreSQL the substring test is answered by the
// pg_trgm GIN index when the planner deems it selective. Texts shorter
// than a trigram are matched by a scan on both engines.
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
	var hits int
	if err := s.conn(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT rowid FROM findings_text WHERE findings_text MATCH ? LIMIT ?)`, phrase, ftsCommon).Scan(&hits); err != nil {
		return "", nil, fmt.Errorf("search findings for %q: %w", t, err)
	}
	if hits >= ftsCommon {
		return scan, []any{like}, nil
	}
	return `f.id IN (SELECT rowid FROM findings_text WHERE findings_text MATCH ?)`, []any{phrase}, nil
}
