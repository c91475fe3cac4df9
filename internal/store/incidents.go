package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/incident"
	"github.com/rampart-security/rampart/internal/notify"
)

// The store implements incident.Store.
var _ incident.Store = (*Store)(nil)

// incidentData is the JSON column of an incident: what no query filters on.
type incidentData struct {
	Details incident.Details             `json:"details"`
	PhaseAt map[incident.Phase]time.Time `json:"phase_at,omitempty"`
	Links   map[string][]string          `json:"links,omitempty"`
}

// marshalIncidentData is the JSON column of inc (scanIncident reads it).
func marshalIncidentData(inc *incident.Incident) ([]byte, error) {
	return json.Marshal(incidentData{Details: inc.Details, PhaseAt: inc.PhaseAt, Links: inc.Links})
}

func fmtTimePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return fmtTime(*t)
}

func parseTimePtr(ns sql.NullString) *time.Time {
	if !ns.Valid || ns.String == "" {
		return nil
	}
	t := parseTime(ns.String)
	return &t
}

// incidentWriteErr maps a foreign-key or unique violation of an incident
// write to the fault vocabulary (by the driver's error code).
func incidentWriteErr(what string, err error) error {
	if err == nil {
		return nil
	}
	if isForeignKey(err) {
		return fault.NotFound("%s: no such product or release", what)
	}
	err = mapErr(err)
	if errors.Is(err, fault.ErrConflict) {
		return &fault.Error{Kind: fault.KindConflict, Msg: what + ": already recorded", Err: err}
	}
	return fmt.Errorf("%s: %w", what, err)
}

// CreateIncident stores inc with its first timeline entry and audit event.
func (s *Store) CreateIncident(ctx context.Context, inc *incident.Incident, e incident.Entry) error {
	data, err := marshalIncidentData(inc)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		id, err := s.insertID(ctx, tx, `INSERT INTO incidents (kind, title, severity, vulnerability, owner, phase, drill, scenario, aware_at, aware_signal, corrective_measure_at, data, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			string(inc.Kind), inc.Title, inc.Severity, inc.Vulnerability, inc.Owner, string(inc.Phase), inc.Drill, inc.Scenario,
			fmtTime(inc.AwareAt), inc.AwareSignal, fmtTimePtr(inc.CorrectiveMeasureAt), string(data), fmtTime(inc.CreatedAt), fmtTime(inc.UpdatedAt))
		if err != nil {
			return incidentWriteErr("create incident", err)
		}
		inc.ID = id
		if err := s.writeIncidentSets(ctx, tx, inc, false); err != nil {
			return err
		}
		return s.writeIncidentEntry(ctx, tx, inc, e)
	})
}

// SaveIncident updates inc (row, products, releases, new submissions) with
// one timeline entry and audit event.
func (s *Store) SaveIncident(ctx context.Context, inc *incident.Incident, e incident.Entry) error {
	data, err := marshalIncidentData(inc)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE incidents SET title = ?, severity = ?, vulnerability = ?, owner = ?, phase = ?, corrective_measure_at = ?, data = ?, updated_at = ? WHERE id = ?`),
			inc.Title, inc.Severity, inc.Vulnerability, inc.Owner, string(inc.Phase), fmtTimePtr(inc.CorrectiveMeasureAt), string(data), fmtTime(inc.UpdatedAt), inc.ID)
		if err != nil {
			return incidentWriteErr(fmt.Sprintf("update incident %d", inc.ID), err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fault.NotFound("incident %d does not exist", inc.ID)
		}
		if err := s.writeIncidentSets(ctx, tx, inc, true); err != nil {
			return err
		}
		return s.writeIncidentEntry(ctx, tx, inc, e)
	})
}

func (s *Store) writeIncidentSets(ctx context.Context, tx *sql.Tx, inc *incident.Incident, replace bool) error {
	if replace {
		for _, q := range []string{`DELETE FROM incident_products WHERE incident_id = ?`, `DELETE FROM incident_releases WHERE incident_id = ?`} {
			if _, err := tx.ExecContext(ctx, s.q(q), inc.ID); err != nil {
				return err
			}
		}
	}
	for _, p := range inc.Products {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO incident_products (incident_id, product_id) VALUES (?, ?)`), inc.ID, p); err != nil {
			return incidentWriteErr(fmt.Sprintf("product %d", p), err)
		}
	}
	for _, r := range inc.Releases {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO incident_releases (incident_id, release_id) VALUES (?, ?)`), inc.ID, r); err != nil {
			return incidentWriteErr(fmt.Sprintf("release %d", r), err)
		}
	}
	for k, sub := range inc.Submissions {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO incident_reports (incident_id, kind, submitted_at, reference, submitted_by) VALUES (?, ?, ?, ?, ?) ON CONFLICT (incident_id, kind) DO NOTHING`),
			inc.ID, string(k), fmtTime(sub.SubmittedAt), sub.Reference, sub.By); err != nil {
			return err
		}
	}
	return nil
}

// writeIncidentEntry appends the audit event and the timeline entry (which
// names the audit sequence number) and records the entry's signals.
func (s *Store) writeIncidentEntry(ctx context.Context, tx *sql.Tx, inc *incident.Incident, e incident.Entry) error {
	for _, sg := range e.Signals {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO incident_signals (source, subject, release_id, incident_id, at, detail) VALUES (?, ?, ?, ?, ?, ?)`),
			sg.Source, sg.Subject, sg.ReleaseID, inc.ID, fmtTime(e.At), sg.Detail); err != nil {
			return incidentWriteErr(fmt.Sprintf("signal %s %s on release %d", sg.Source, sg.Subject, sg.ReleaseID), err)
		}
	}
	var pid int64
	if len(inc.Products) > 0 {
		pid = inc.Products[0]
	}
	action := "incident." + e.Action
	if inc.Drill {
		action = "drill." + e.Action
	}
	ev := audit.Event{At: e.At.UTC().Truncate(time.Microsecond), Actor: e.Actor, Source: audit.SourceFrom(ctx), Action: action,
		Object: fmt.Sprintf("incident %d %s", inc.ID, inc.Title), ProductID: pid, Outcome: audit.OK, Detail: e.Detail}
	if ev.Actor == "" {
		ev.Actor = "system"
	}
	if err := s.appendAuditTx(ctx, tx, &ev); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO incident_timeline (incident_id, at, actor, action, detail, audit_seq) VALUES (?, ?, ?, ?, ?, ?)`),
		inc.ID, fmtTime(ev.At), ev.Actor, e.Action, truncate(e.Detail, 2000), ev.Seq)
	return mapErr(err)
}

const incidentCols = `id, kind, title, severity, vulnerability, owner, phase, drill, scenario, aware_at, aware_signal, corrective_measure_at, data, created_at, updated_at`

func scanIncident(sc rowScanner) (incident.Incident, error) {
	var inc incident.Incident
	var kind, phase, aware, data, created, updated string
	var corr sql.NullString
	if err := sc.Scan(&inc.ID, &kind, &inc.Title, &inc.Severity, &inc.Vulnerability, &inc.Owner, &phase, &inc.Drill, &inc.Scenario,
		&aware, &inc.AwareSignal, &corr, &data, &created, &updated); err != nil {
		return inc, err
	}
	inc.Kind, inc.Phase = incident.Kind(kind), incident.Phase(phase)
	inc.AwareAt, inc.CreatedAt, inc.UpdatedAt = parseTime(aware), parseTime(created), parseTime(updated)
	inc.CorrectiveMeasureAt = parseTimePtr(corr)
	var d incidentData
	if err := json.Unmarshal([]byte(data), &d); err != nil {
		return inc, fmt.Errorf("incident %d data: %w", inc.ID, err)
	}
	inc.Details, inc.PhaseAt, inc.Links = d.Details, d.PhaseAt, d.Links
	return inc, nil
}

// Incident loads one incident with products, releases, submissions, tasks
// and timeline.
func (s *Store) Incident(ctx context.Context, id int64) (*incident.Incident, error) {
	inc, err := scanIncident(s.db.QueryRowContext(ctx, s.q(`SELECT `+incidentCols+` FROM incidents WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fault.NotFound("incident %d does not exist", id)
	}
	if err != nil {
		return nil, err
	}
	if err := s.loadIncidentSets(ctx, &inc); err != nil {
		return nil, err
	}
	if inc.Tasks, err = queryInto(ctx, s.db, inc.Tasks, s.q(`SELECT id, title, owner, due, done_at FROM incident_tasks WHERE incident_id = ? ORDER BY id`), scanIncidentTask, id); err != nil {
		return nil, err
	}
	if inc.Timeline, err = queryInto(ctx, s.db, inc.Timeline, s.q(`SELECT at, actor, action, detail FROM incident_timeline WHERE incident_id = ? ORDER BY id`), scanIncidentEntry, id); err != nil {
		return nil, err
	}
	return &inc, nil
}

func scanIncidentTask(sc rowScanner) (incident.Task, error) {
	var t incident.Task
	var due, done sql.NullString
	err := sc.Scan(&t.ID, &t.Title, &t.Owner, &due, &done)
	t.Due, t.DoneAt = parseTimePtr(due), parseTimePtr(done)
	return t, err
}

func scanIncidentEntry(sc rowScanner) (incident.Entry, error) {
	var e incident.Entry
	var at string
	err := sc.Scan(&at, &e.Actor, &e.Action, &e.Detail)
	e.At = parseTime(at)
	return e, err
}

func (s *Store) loadIncidentSets(ctx context.Context, inc *incident.Incident) error {
	var err error
	if inc.Products, err = queryList(ctx, s.db, s.q(`SELECT product_id FROM incident_products WHERE incident_id = ? ORDER BY product_id`), scanValue[int64], inc.ID); err != nil {
		return err
	}
	if inc.Releases, err = queryList(ctx, s.db, s.q(`SELECT release_id FROM incident_releases WHERE incident_id = ? ORDER BY release_id`), scanValue[int64], inc.ID); err != nil {
		return err
	}
	inc.Submissions, err = queryMap(ctx, s.db, s.q(`SELECT kind, submitted_at, reference, submitted_by FROM incident_reports WHERE incident_id = ?`), func(sc rowScanner) (incident.ReportKind, incident.Submission, error) {
		var k, at string
		var sub incident.Submission
		err := sc.Scan(&k, &at, &sub.Reference, &sub.By)
		sub.SubmittedAt = parseTime(at)
		return incident.ReportKind(k), sub, err
	}, inc.ID)
	return err
}

// Incidents lists incidents, newest awareness first.
func (s *Store) Incidents(ctx context.Context, f incident.Filter) ([]incident.Incident, error) {
	var where []string
	var args []any
	if f.Product != 0 {
		where = append(where, "id IN (SELECT incident_id FROM incident_products WHERE product_id = ?)")
		args = append(args, f.Product)
	}
	if f.Products != nil {
		if len(f.Products) == 0 {
			return []incident.Incident{}, nil
		}
		where = append(where, "id IN (SELECT incident_id FROM incident_products WHERE product_id IN ("+placeholders(len(f.Products))+"))")
		args = append(args, int64sToAny(f.Products)...)
	}
	if f.Phase != "" {
		where = append(where, "phase = ?")
		args = append(args, string(f.Phase))
	}
	if f.Drill != nil {
		where = append(where, "drill = ?")
		args = append(args, *f.Drill)
	}
	q := `SELECT ` + incidentCols + ` FROM incidents`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY aware_at DESC, id DESC LIMIT ?"
	args = append(args, clampLimit(f.Limit))
	out, err := queryList(ctx, s.db, s.q(q), scanIncident, args...)
	if err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	for i := range out {
		if err := s.loadIncidentSets(ctx, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// AddIncidentTask stores a task with its timeline entry.
func (s *Store) AddIncidentTask(ctx context.Context, incidentID int64, t *incident.Task, e incident.Entry) error {
	inc, err := s.Incident(ctx, incidentID)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		id, err := s.insertID(ctx, tx, `INSERT INTO incident_tasks (incident_id, title, owner, due, done_at) VALUES (?, ?, ?, ?, ?)`,
			incidentID, t.Title, t.Owner, fmtTimePtr(t.Due), fmtTimePtr(t.DoneAt))
		if err != nil {
			return err
		}
		t.ID = id
		return s.writeIncidentEntry(ctx, tx, inc, e)
	})
}

// SetIncidentTaskDone marks a task of the incident done at doneAt (nil:
// open again) with its timeline entry; a task of another incident is not found.
func (s *Store) SetIncidentTaskDone(ctx context.Context, incidentID, taskID int64, doneAt *time.Time, e incident.Entry) (incident.Task, error) {
	inc, err := s.Incident(ctx, incidentID)
	if err != nil {
		return incident.Task{}, err
	}
	var t incident.Task
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE incident_tasks SET done_at = ? WHERE id = ? AND incident_id = ?`), fmtTimePtr(doneAt), taskID, incidentID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fault.NotFound("incident %d has no task %d", incidentID, taskID)
		}
		var due, done sql.NullString
		if err := tx.QueryRowContext(ctx, s.q(`SELECT title, owner, due, done_at FROM incident_tasks WHERE id = ?`), taskID).Scan(&t.Title, &t.Owner, &due, &done); err != nil {
			return err
		}
		t.ID = taskID
		t.Due, t.DoneAt = parseTimePtr(due), parseTimePtr(done)
		return s.writeIncidentEntry(ctx, tx, inc, e)
	})
	return t, err
}

// OpenIncidentFor finds the oldest open real (not drill) incident about vulnerability.
func (s *Store) OpenIncidentFor(ctx context.Context, vulnerability string) (*incident.Incident, error) {
	var id int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT id FROM incidents WHERE vulnerability = ? AND phase <> ? AND drill = ? ORDER BY id LIMIT 1`),
		vulnerability, string(incident.PhaseClosed), false).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fault.NotFound("no open incident about %s", vulnerability)
	}
	if err != nil {
		return nil, err
	}
	return s.Incident(ctx, id)
}

// SignalRecorded reports whether a signal was already acted on.
func (s *Store) SignalRecorded(ctx context.Context, sg incident.Signal) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM incident_signals WHERE source = ? AND subject = ? AND release_id = ?`), sg.Source, sg.Subject, sg.ReleaseID).Scan(&n)
	return n > 0, err
}

// ReleaseProducts returns the product of each release.
func (s *Store) ReleaseProducts(ctx context.Context, releases []int64) (map[int64]int64, error) {
	out := map[int64]int64{}
	for _, r := range releases {
		p, err := s.ReleaseProduct(ctx, r)
		if err != nil {
			return nil, fault.NotFound("release %d does not exist", r)
		}
		out[r] = p
	}
	return out, nil
}

// IncidentEvent raises a platform event about an incident (shown in the UI
// and delivered to webhooks).
func (s *Store) IncidentEvent(ctx context.Context, inc *incident.Incident, kind, title string) error {
	var pid, rid int64
	if len(inc.Products) > 0 {
		pid = inc.Products[0]
	}
	if len(inc.Releases) > 0 {
		rid = inc.Releases[0]
	}
	return s.AddEvent(ctx, notify.Event{Kind: kind, ProductID: pid, ReleaseID: rid, Subject: fmt.Sprint(inc.ID), Title: title, Detail: inc.Vulnerability})
}

// ProductIncidentSettings returns a product's reporting settings (empty when unset).
func (s *Store) ProductIncidentSettings(ctx context.Context, productID int64) (incident.ProductSettings, error) {
	var ps incident.ProductSettings
	var ms, alerts string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT manufacturer, contact, member_states, alert_emails FROM product_incident_settings WHERE product_id = ?`), productID).
		Scan(&ps.Manufacturer, &ps.Contact, &ms, &alerts)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return ps, err
	}
	ps.AlertEmails = []string{}
	for _, a := range strings.Split(alerts, ",") {
		if a != "" {
			ps.AlertEmails = append(ps.AlertEmails, a)
		}
	}
	ps.MemberStates = []string{}
	for _, m := range strings.Split(ms, ",") {
		if m != "" {
			ps.MemberStates = append(ps.MemberStates, m)
		}
	}
	return ps, nil
}

// SetProductIncidentSettings stores a product's reporting settings.
func (s *Store) SetProductIncidentSettings(ctx context.Context, productID int64, ps incident.ProductSettings) error {
	_, err := s.exec(ctx, s.q(`INSERT INTO product_incident_settings (product_id, manufacturer, contact, member_states, alert_emails) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (product_id) DO UPDATE SET manufacturer = excluded.manufacturer, contact = excluded.contact, member_states = excluded.member_states,
		alert_emails = excluded.alert_emails`),
		productID, ps.Manufacturer, ps.Contact, strings.Join(ps.MemberStates, ","), strings.Join(ps.AlertEmails, ","))
	return incidentWriteErr(fmt.Sprintf("settings of product %d", productID), err)
}

// IncidentProducts describes an incident's products with their settings
// and the versions of the incident's releases.
func (s *Store) IncidentProducts(ctx context.Context, inc *incident.Incident) ([]incident.ProductInfo, error) {
	versions := map[int64][]string{}
	for _, rid := range inc.Releases {
		rel, err := s.Release(ctx, rid)
		if err != nil {
			continue // deleted since
		}
		versions[rel.ProductID] = append(versions[rel.ProductID], rel.Version)
	}
	out := []incident.ProductInfo{}
	for _, pid := range inc.Products {
		p, err := s.Product(ctx, pid)
		if err != nil {
			continue
		}
		ps, err := s.ProductIncidentSettings(ctx, pid)
		if err != nil {
			return nil, err
		}
		ps.AlertEmails = nil // internal addresses stay out of reports
		v := versions[pid]
		if v == nil {
			v = []string{}
		}
		out = append(out, incident.ProductInfo{ID: pid, Name: p.Name, Versions: v, ProductSettings: ps})
	}
	return out, nil
}
