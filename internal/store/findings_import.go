package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/blob"
	"github.com/rampart-security/rampart/internal/findings"
)

// This file is the SQL of a scan import (findings.Importer holds the
// rules): one transaction per import, serialised per release and scope.

// ImportTx runs fn in one import transaction of a release's scope
// (findings.ImportStore). Reconciliation reads the scope's findings and
// then writes, so two imports of one scope must not interleave: SQLite has
// one writer; on PostgreSQL a transaction-scoped advisory lock on the
// scope queues the second import behind the first. Inside an Atomic call
// fn joins that transaction; otherwise the whole transaction is retried on
// a transient conflict.
func (s *Store) ImportTx(ctx context.Context, releaseID int64, scope string, fn func(findings.ImportTx) error) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.lockKey(ctx, tx, fmt.Sprintf("scan-scope:%d:%s", releaseID, scope)); err != nil {
			return err
		}
		return fn(&importTx{s: s, tx: tx, releaseID: releaseID, scope: scope})
	})
}

// importTx is one import transaction (findings.ImportTx).
type importTx struct {
	s         *Store
	tx        *sql.Tx
	releaseID int64
	scope     string
	productID int64 // 0 until read
}

var _ findings.ImportStore = (*Store)(nil)

// ScopeContext reads the release's product settings, the scope's findings
// and the duplicate keys of the release's other scopes.
func (t *importTx) ScopeContext(ctx context.Context) (findings.ImportScope, error) {
	var sc findings.ImportScope
	var exposure, slaRaw, dedupRaw string
	err := t.tx.QueryRowContext(ctx, t.s.q(`SELECT p.id, p.criticality, p.exposure, p.sla, p.dedup, p.max_acceptance_days FROM releases r JOIN products p ON p.id = r.product_id WHERE r.id = ?`), t.releaseID).
		Scan(&t.productID, &sc.Criticality, &exposure, &slaRaw, &dedupRaw, &sc.MaxAcceptanceDays)
	if err != nil {
		return sc, fmt.Errorf("release %d: %w", t.releaseID, mapErr(err))
	}
	sc.Exposure = findings.Exposure(exposure)
	sc.SLA = findings.DefaultSLA()
	if slaRaw != "" {
		_ = json.Unmarshal([]byte(slaRaw), &sc.SLA)
	}
	if dedupRaw != "" {
		_ = json.Unmarshal([]byte(dedupRaw), &sc.DedupFields)
	}
	if sc.Existing, err = t.scopeFindings(ctx); err != nil {
		return sc, err
	}
	if sc.OtherScopes, err = t.otherScopeKeys(ctx); err != nil {
		return sc, err
	}
	return sc, nil
}

func (t *importTx) scopeFindings(ctx context.Context) ([]findings.Existing, error) {
	out, err := queryAll(ctx, t.tx, t.s.q(`SELECT id, fingerprint, status FROM findings WHERE release_id = ? AND scope = ?`), scanExistingFinding, t.releaseID, t.scope)
	if err != nil {
		return nil, fmt.Errorf("load findings of scope %q: %w", t.scope, err)
	}
	return out, nil
}

func scanExistingFinding(sc rowScanner) (findings.Existing, error) {
	var e findings.Existing
	var st string
	err := sc.Scan(&e.ID, &e.Fingerprint, &st)
	e.Status = findings.Status(st)
	return e, err
}

// otherScopeKeys maps the duplicate keys of the release's non-duplicate
// findings from other scopes to their ids.
func (t *importTx) otherScopeKeys(ctx context.Context) (map[string]int64, error) {
	return queryMap(ctx, t.tx, t.s.q(`SELECT dedup_key, MIN(id) FROM findings WHERE release_id = ? AND scope <> ? AND status <> ? GROUP BY dedup_key`),
		func(sc rowScanner) (string, int64, error) {
			var fp string
			var id int64
			err := sc.Scan(&fp, &id)
			return fp, id, err
		}, t.releaseID, t.scope, string(findings.StatusDuplicate))
}

// product returns the release's product id.
func (t *importTx) product(ctx context.Context) (int64, error) {
	if t.productID == 0 {
		if err := t.tx.QueryRowContext(ctx, t.s.q(`SELECT product_id FROM releases WHERE id = ?`), t.releaseID).Scan(&t.productID); err != nil {
			return 0, fmt.Errorf("release %d: %w", t.releaseID, mapErr(err))
		}
	}
	return t.productID, nil
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

// vulnIDsColumn is the vuln_ids column: the ids between spaces, so that
// " ID " finds one exactly.
func vulnIDsColumn(ids []string) string { return " " + strings.Join(ids, " ") + " " }

// WriteFindings inserts the batch's new findings in one statement and
// updates its unchanged and reopened ones.
func (t *importTx) WriteFindings(ctx context.Context, at time.Time, actor string, batch []findings.ImportedFinding) error {
	now := fmtTime(at)
	ins := make([]importRow, 0, len(batch))
	for _, r := range batch {
		data, err := json.Marshal(r.Finding)
		if err != nil {
			return err
		}
		f := r.Finding
		switch r.Outcome {
		case findings.OutcomeNew:
			ins = append(ins, importRow{ImportedFinding: r, data: data})
		case findings.OutcomeUnchanged:
			// Evidence and scores follow the newest scan; status, reason,
			// assignee and acceptance are a person's and stay.
			// The searched columns (title, rule, component, vulnerability
			// ids: the full-text index's text) follow the evidence too.
			_, err = t.tx.ExecContext(ctx, t.s.q(`UPDATE findings SET last_seen = ?, title = ?, severity = ?, severity_rank = ?, kev = ?, epss = ?, cvss = ?,
				risk_score = ?, priority = ?, data = ?, rule_id = ?, vuln_ids = ?, component = ?, component_version = ? WHERE id = ?`), now, f.Title, string(f.Severity), f.Severity.Rank(), f.KEV,
				nullFloat(f.EPSS.Score), nullFloat(cvssOf(f.CVSS)), r.Risk.Score, r.Risk.Priority, string(data),
				f.RuleID, vulnIDsColumn(f.VulnerabilityIDs), f.Component.Name, f.Component.Version, r.ID)
		case findings.OutcomeReopened:
			_, err = t.tx.ExecContext(ctx, t.s.q(`UPDATE findings SET last_seen = ?, status = ?, status_reason = ?, closed_at = NULL, data = ?,
				risk_score = ?, priority = ?, title = ?, rule_id = ?, vuln_ids = ?, component = ?, component_version = ? WHERE id = ?`), now, string(r.Status), r.Reason, string(data), r.Risk.Score, r.Risk.Priority,
				f.Title, f.RuleID, vulnIDsColumn(f.VulnerabilityIDs), f.Component.Name, f.Component.Version, r.ID)
			if err == nil && r.History != nil {
				err = t.s.findingEvent(ctx, t.tx, r.ID, now, actor, r.History.Kind, r.History.From, r.History.To, r.History.Detail)
			}
		default:
			err = fmt.Errorf("outcome %q cannot be written", r.Outcome)
		}
		if err != nil {
			return fmt.Errorf("update finding %q: %w", f.Title, err)
		}
	}
	if len(ins) == 0 {
		return nil
	}
	productID, err := t.product(ctx)
	if err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString(`INSERT INTO findings (product_id, release_id, scope, tool, fingerprint, title, severity, severity_rank, rule_id, vuln_ids,
		component, component_version, kev, epss, cvss, risk_score, priority, status, status_reason, duplicate_of, sla_due, first_seen, last_seen, data, dedup_key, sla_source) VALUES `)
	args := make([]any, 0, len(ins)*26)
	for i, r := range ins {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
		f := r.Finding
		var dup, due any
		dueSource := ""
		if r.DuplicateOf != 0 {
			dup = r.DuplicateOf
		}
		if !r.Due.Due.IsZero() {
			due, dueSource = fmtTime(r.Due.Due), r.Due.Source
		}
		first := now
		if !r.FirstSeen.Equal(at) {
			first = fmtTime(r.FirstSeen)
		}
		args = append(args, productID, t.releaseID, t.scope, r.Tool, f.Fingerprint, f.Title, string(f.Severity), f.Severity.Rank(), f.RuleID,
			vulnIDsColumn(f.VulnerabilityIDs), f.Component.Name, f.Component.Version, f.KEV, nullFloat(f.EPSS.Score),
			nullFloat(cvssOf(f.CVSS)), r.Risk.Score, r.Risk.Priority, string(r.Status), r.Reason, dup, due, first, now, string(r.data), r.DedupKey, dueSource)
	}
	if _, err := t.tx.ExecContext(ctx, t.s.q(b.String()), args...); err != nil {
		return fmt.Errorf("insert findings: %w", mapErr(err))
	}
	return t.importedTriage(ctx, now, actor, ins)
}

type importRow struct {
	findings.ImportedFinding
	data []byte // Finding as JSON
}

// importedTriage completes, for new findings the report records as
// triaged, what the INSERT does not carry (acceptance expiry and approver,
// closing time) and records the decision in the finding's history.
func (t *importTx) importedTriage(ctx context.Context, now, actor string, rows []importRow) error {
	for _, r := range rows {
		h := r.History
		if h == nil {
			continue
		}
		var id int64
		if err := t.tx.QueryRowContext(ctx, t.s.q(`SELECT id FROM findings WHERE release_id = ? AND scope = ? AND fingerprint = ?`), t.releaseID, t.scope, r.Finding.Fingerprint).Scan(&id); err != nil {
			return fmt.Errorf("triage of imported finding %q: %w", r.Finding.Title, mapErr(err))
		}
		var until, closedAt any
		if r.AcceptedUntil != nil {
			until = fmtTime(*r.AcceptedUntil)
		}
		if r.ClosedAt != nil {
			closedAt = fmtTime(*r.ClosedAt)
		}
		if _, err := t.tx.ExecContext(ctx, t.s.q(`UPDATE findings SET accepted_until = ?, accepted_by = ?, closed_at = ? WHERE id = ?`), until, r.AcceptedBy, closedAt, id); err != nil {
			return fmt.Errorf("triage of imported finding %d: %w", id, err)
		}
		if err := t.s.findingEvent(ctx, t.tx, id, now, actor, h.Kind, h.From, h.To, h.Detail); err != nil {
			return err
		}
	}
	return nil
}

// CloseFindings closes the given findings with c's status and reason.
func (t *importTx) CloseFindings(ctx context.Context, at time.Time, actor string, ids []int64, c findings.Closure) error {
	now := fmtTime(at)
	for _, id := range ids {
		if _, err := t.tx.ExecContext(ctx, t.s.q(`UPDATE findings SET status = ?, status_reason = ?, closed_at = ? WHERE id = ?`),
			string(c.Status), c.Reason, now, id); err != nil {
			return fmt.Errorf("close finding %d: %w", id, err)
		}
		if err := t.s.findingEvent(ctx, t.tx, id, now, actor, c.History.Kind, c.History.From, c.History.To, c.History.Detail); err != nil {
			return err
		}
	}
	return nil
}

// AddLocations merges locs into the stored locations of the scope's
// finding with fingerprint fp (findings.MergeLocations); the rest of its
// data stays as written.
func (t *importTx) AddLocations(ctx context.Context, fp string, locs []findings.Location) error {
	var id int64
	var data string
	if err := t.tx.QueryRowContext(ctx, t.s.q(`SELECT id, data FROM findings WHERE release_id = ? AND scope = ? AND fingerprint = ?`), t.releaseID, t.scope, fp).Scan(&id, &data); err != nil {
		return fmt.Errorf("locations of finding %s: %w", fp, mapErr(err))
	}
	var f findings.Finding
	if err := json.Unmarshal([]byte(data), &f); err != nil {
		return fmt.Errorf("locations of finding %d: %w", id, err)
	}
	f.Locations = findings.MergeLocations(f.Locations, locs)
	out, err := json.Marshal(f)
	if err != nil {
		return err
	}
	if _, err := t.tx.ExecContext(ctx, t.s.q(`UPDATE findings SET data = ? WHERE id = ?`), string(out), id); err != nil {
		return fmt.Errorf("locations of finding %d: %w", id, err)
	}
	return nil
}

// RecordScan keeps the raw report content-addressed (when it has content)
// and inserts the scan row, with whether it was partial and why.
func (t *importTx) RecordScan(ctx context.Context, sc findings.ScanRecord) (int64, error) {
	raw := blob.Blob{SHA256: sc.Raw.SHA256, Size: int64(len(sc.Raw.Content)), MediaType: sc.Raw.MediaType, Name: sc.Raw.Name, Content: sc.Raw.Content}
	if raw.Content != nil {
		if err := t.s.putBlob(ctx, t.tx, &raw); err != nil {
			return 0, err
		}
	}
	res := sc.Result
	return t.s.insertID(ctx, t.tx, `INSERT INTO scans (release_id, tool, scope, file_name, blob_sha256, imported_at, imported_by, findings, new, unchanged, reopened, closed, partial, partial_reason)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, t.releaseID, res.Tool, t.scope, sc.FileName, raw.SHA256, fmtTime(sc.At), sc.Actor,
		res.Findings, res.New, res.Unchanged, res.Reopened, res.Closed, res.Partial, res.PartialReason)
}
