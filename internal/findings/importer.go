package findings

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// This file is the import use case: a scanner report's findings are
// reconciled with the earlier imports of the same scope, scored, given
// their duplicate key and SLA deadline and linked to the same issue found
// by another tool. The rules live here; the persistence is the small
// ImportStore interface below, which internal/store implements with SQL
// only (one transaction, serialised per release and scope).

// importBatch is how many findings the Importer hands ImportTx.WriteFindings
// at once: large reports stream through in bounded memory.
const importBatch = 200

// ScanImport is one scanner report to import into a release.
type ScanImport struct {
	ReleaseID int64
	Tool      string // format name, e.g. "zap"
	// Scope groups re-imports: the same tool and target label. Empty means
	// the tool name.
	Scope    string
	FileName string
	// RawAfter returns the raw report once Each has read it: its content
	// (stored content-addressed) or, for very large reports, only its
	// SHA-256. Nil: nothing is kept.
	RawAfter func() RawReport
	Actor    string
	// Now is the import's time: when findings are first and last seen and
	// their SLA windows start. Zero: the Importer's clock.
	Now time.Time
	// Each calls emit for every parsed finding (a streaming parser); any
	// error aborts the import and nothing changes. Each may be called
	// again when the store retries the transaction, and must then emit
	// the report from its start.
	Each func(emit func(Finding) error) error
	// Partial says the report is of a scan that did not re-check
	// everything (stopped, interrupted, failed part-way, one page of the
	// results): its findings are written, re-reported fixed ones reopen,
	// but nothing is closed, since what it does not list was not
	// necessarily checked.
	//
	// A report that says so itself needs no flag: when Each ends with an
	// error wrapping ErrIncompleteScan (the parser emits every finding it
	// has before saying so), the report is imported as a partial scan if
	// it listed a finding, and ScanResult.PartialReason says why. One that
	// listed none has nothing to import and is refused with that error,
	// unless Partial asks for it to be recorded anyway.
	Partial bool
}

// ErrIncompleteScan: the report says its own scan failed, was stopped or
// did not finish, or it lists fewer results than it says it has. A
// re-import closes what the report no longer lists, so such a report is
// imported only as a partial scan (ScanImport.Partial), which closes
// nothing.
var ErrIncompleteScan = errors.New("the scan did not complete")

// TakenAsPartial reports whether a report whose parse emitted n findings
// and ended in err is imported as a partial scan without being asked to:
// it says its scan did not complete (ErrIncompleteScan) and lists a
// finding. One that lists none is refused.
func TakenAsPartial(err error, n int) bool {
	return n > 0 && errors.Is(err, ErrIncompleteScan)
}

// incompleteHint says what to do with a report refused by ErrIncompleteScan:
// one that lists no finding.
const incompleteHint = "it lists no finding, so nothing was imported or closed: import a complete run's report, " +
	"or record this one as a partial scan (--partial, the API's partial=true, the upload form's \"Partial scan\")"

// RawReport is the raw report of an import, kept for re-processing and
// audit.
type RawReport struct {
	Name      string
	MediaType string
	// SHA256 is the report's content address (hex). The store computes it
	// from Content when it is empty.
	SHA256 string
	// Content is the report to keep; nil when it is too large to keep, and
	// only SHA256 is recorded.
	Content []byte
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
	// Partial: the import was of a partial scan and closed nothing
	// (ScanImport.Partial, or a report that says its scan did not
	// complete). The scan's record keeps it (Scan), so the release's
	// scan history shows which imports could not close findings.
	Partial bool `json:"partial"`
	// PartialReason is what the report says about its scan not
	// completing (the file, the field and its value), when it says so;
	// empty for a complete scan and for one only asked to be partial.
	PartialReason string `json:"partial_reason"`
	// Duplicates counts new findings linked to the same issue already
	// reported in the release by another tool.
	Duplicates int `json:"duplicates"`
}

// ImportStore is the persistence the Importer needs.
type ImportStore interface {
	// ImportTx runs fn in one transaction that no other import of the same
	// release and scope interleaves with, committing when fn returns nil
	// and changing nothing otherwise. A transaction already carried by ctx
	// (an enclosing atomic unit with the audit record) is joined. The store
	// may run fn again after a transient conflict, so fn must start afresh
	// each time.
	ImportTx(ctx context.Context, releaseID int64, scope string, fn func(ImportTx) error) error
}

// ImportTx is what an import reads and writes inside its transaction.
type ImportTx interface {
	// ScopeContext returns the release's product settings and the findings
	// the rules reconcile against. An unknown release is an error wrapping
	// the store's not-found error.
	ScopeContext(ctx context.Context) (ImportScope, error)
	// WriteFindings persists a batch of reported findings as decided:
	// inserts the new ones, updates the unchanged and reopened ones, and
	// records each History entry, at time at by actor.
	WriteFindings(ctx context.Context, at time.Time, actor string, batch []ImportedFinding) error
	// CloseFindings gives the findings ids status c.Status with c.Reason,
	// closed at at, and records c.History for each.
	CloseFindings(ctx context.Context, at time.Time, actor string, ids []int64, c Closure) error
	// AddLocations merges locs into the locations of the finding of the
	// scope with fingerprint fp, written earlier in this transaction
	// (MergeLocations): a report that lists the issue again after its
	// first occurrence's batch was written.
	AddLocations(ctx context.Context, fp string, locs []Location) error
	// RecordScan keeps the raw report (when it has content) and records the
	// import; it returns the scan's id.
	RecordScan(ctx context.Context, sc ScanRecord) (int64, error)
}

// ImportScope is what an import needs to know about its release and scope.
type ImportScope struct {
	// Criticality and Exposure of the release's product (risk score).
	Criticality int
	Exposure    Exposure
	// SLA is the product's SLA policy (DefaultSLA when unset).
	SLA SLAPolicy
	// DedupFields is the product's duplicate definition (empty:
	// fingerprint rules; see DedupKey).
	DedupFields []string
	// MaxAcceptanceDays is the product's maximum risk-acceptance duration
	// as stored (0: the global default, MaxAcceptanceDays).
	MaxAcceptanceDays int
	// Existing lists the scope's stored findings, whatever their status.
	Existing []Existing
	// OtherScopes maps the duplicate keys of the release's findings in
	// other scopes that are not duplicates themselves to the lowest id
	// with that key.
	OtherScopes map[string]int64
}

// ImportedFinding is one reported finding with the import's decisions
// made, for the store to write as is.
type ImportedFinding struct {
	// Finding is as reported, with its Fingerprint set.
	Finding Finding
	// Outcome is new, unchanged or reopened.
	Outcome Outcome
	// ID is the stored finding an unchanged or reopened one updates.
	ID int64
	// Tool is the finding's own tool, else the import's.
	Tool     string
	DedupKey string
	Risk     Risk
	// Status and Reason: a new finding's status (open, duplicate or the
	// triage its report records) or a reopened one's (open). Unchanged
	// findings keep theirs: a person's decisions are never overwritten.
	Status Status
	Reason string

	// The rest is for new findings only.

	// DuplicateOf is the finding of another scope this one duplicates (0:
	// none).
	DuplicateOf int64
	// Due is the SLA deadline (zero: the policy sets none).
	Due Deadline
	// FirstSeen is when the finding was discovered: the import's time, or
	// an earlier date its report carries (a migrated finding).
	FirstSeen time.Time
	// AcceptedUntil, AcceptedBy and ClosedAt complete the triage its
	// report records.
	AcceptedUntil *time.Time
	AcceptedBy    string
	ClosedAt      *time.Time

	// History is the entry to add to the finding's history (nil: none).
	History *HistoryEntry
}

// HistoryEntry is an entry the import adds to a finding's history, at the
// import's time by its actor.
type HistoryEntry struct {
	Kind, From, To, Detail string
}

// Closure is how an import closes the active findings a re-scan no longer
// reports.
type Closure struct {
	Status  Status
	Reason  string
	History HistoryEntry
}

// Scan is one imported report as the release lists it: its result as
// recorded, Partial and PartialReason included.
type Scan struct {
	ScanResult
	FileName   string    `json:"file_name"`
	SHA256     string    `json:"sha256"`
	ImportedAt time.Time `json:"imported_at"`
	ImportedBy string    `json:"imported_by"`
}

// ScanRecord is the record of one import.
type ScanRecord struct {
	Result   ScanResult
	FileName string
	Raw      RawReport
	At       time.Time
	Actor    string
}

// Importer imports scanner reports into a release (the "import a scan"
// use case).
type Importer struct {
	store ImportStore
	now   func() time.Time
}

// NewImporter returns an Importer over st. now is its clock for imports
// that carry no time (nil: time.Now).
func NewImporter(st ImportStore, now func() time.Time) *Importer {
	if now == nil {
		now = time.Now
	}
	return &Importer{store: st, now: now}
}

// Import streams a report's findings into a release in one transaction and
// reconciles them with the earlier imports of the same scope: new findings
// open, seen ones are updated, active ones not reported any more are
// closed as verified, fixed ones that re-appear reopen. Triage decisions
// and assignees are never overwritten. A new finding whose duplicate key
// an active finding of another scope in the release already has is linked
// to it as a duplicate (cross-tool de-duplication). An error from in.Each
// (a truncated or invalid report) changes nothing.
func (im *Importer) Import(ctx context.Context, in ScanImport) (ScanResult, error) {
	if in.Scope == "" {
		in.Scope = in.Tool
	}
	if in.Now.IsZero() {
		in.Now = im.now().UTC()
	}
	var res ScanResult
	err := im.store.ImportTx(ctx, in.ReleaseID, in.Scope, func(tx ImportTx) error {
		var err error
		res, err = importScan(ctx, tx, in) // a retried attempt starts afresh
		return err
	})
	return res, err
}

func importScan(ctx context.Context, tx ImportTx, in ScanImport) (ScanResult, error) {
	res := ScanResult{ReleaseID: in.ReleaseID, Tool: in.Tool, Scope: in.Scope}
	sc, err := tx.ScopeContext(ctx)
	if err != nil {
		return res, err
	}
	rec := NewReconciler(sc.Existing)
	batch := make([]ImportedFinding, 0, importBatch)
	// A report that lists one issue twice (the same fingerprint at other
	// locations) gives one finding with the locations of both; everything
	// else is the first occurrence's. pending indexes the batch by
	// fingerprint; written holds the further locations of findings whose
	// batch was already written, added once at the end (each bounded by
	// MaxLocations), in the order of their first repeat.
	pending := make(map[string]int, importBatch)
	written := map[string][]Location{}
	var writtenOrder []string
	flush := func() error {
		if err := tx.WriteFindings(ctx, in.Now, in.Actor, batch); err != nil {
			return err
		}
		batch = batch[:0]
		clear(pending)
		return nil
	}
	emit := func(f Finding) error {
		if f.Fingerprint == "" {
			f.Fingerprint = Fingerprint(f)
		}
		outcome, ex, dup := rec.AddTriaged(f.Fingerprint, f.Triage)
		if dup {
			if i, ok := pending[f.Fingerprint]; ok {
				batch[i].Finding.Locations = MergeLocations(batch[i].Finding.Locations, f.Locations)
			} else if len(f.Locations) > 0 {
				if _, ok := written[f.Fingerprint]; !ok {
					writtenOrder = append(writtenOrder, f.Fingerprint)
				}
				written[f.Fingerprint] = MergeLocations(written[f.Fingerprint], f.Locations)
			}
			return nil
		}
		res.Findings++
		r := ImportedFinding{Finding: f, Outcome: outcome, ID: ex.ID, Tool: in.Tool,
			Risk: RiskScore(RiskInput{Severity: f.Severity, CVSS: f.CVSS, EPSS: f.EPSS.Score, KEV: f.KEV,
				Criticality: sc.Criticality, Exposure: sc.Exposure})}
		if f.Tool != "" {
			r.Tool = f.Tool
		}
		keyed := f
		keyed.Tool = r.Tool
		r.DedupKey = DedupKey(keyed, sc.DedupFields)
		switch outcome {
		case OutcomeNew:
			if orig, ok := sc.OtherScopes[r.DedupKey]; ok {
				r.DuplicateOf = orig
				res.Duplicates++
			}
			newFinding(&r, in, sc)
		case OutcomeReopened:
			r.Status, r.Reason = StatusOpen, "reported again by "+in.Scope
			r.History = &HistoryEntry{Kind: "rescan", From: string(ex.Status), To: string(StatusOpen), Detail: "reported again by re-scan of " + in.Scope}
		}
		pending[f.Fingerprint] = len(batch)
		batch = append(batch, r)
		if len(batch) >= importBatch {
			return flush()
		}
		return nil
	}
	switch err := in.Each(emit); {
	case err == nil:
	case TakenAsPartial(err, res.Findings), in.Partial && errors.Is(err, ErrIncompleteScan):
		in.Partial, res.PartialReason = true, err.Error()
	case errors.Is(err, ErrIncompleteScan):
		return res, fmt.Errorf("%w; %s", err, incompleteHint)
	default:
		return res, err
	}
	if len(batch) > 0 {
		if err := flush(); err != nil {
			return res, err
		}
	}
	for _, fp := range writtenOrder {
		if locs := written[fp]; len(locs) > 0 {
			if err := tx.AddLocations(ctx, fp, locs); err != nil {
				return res, err
			}
		}
	}
	plan := rec.Finish()
	res.New, res.Unchanged, res.Reopened, res.Closed = plan.New, plan.Unchanged, plan.Reopened, plan.Closed
	if in.Partial {
		res.Partial, res.Closed, plan.Close = true, 0, nil
	}
	if len(plan.Close) > 0 {
		c := Closure{Status: StatusVerified, Reason: "fixed — verified by re-scan",
			History: HistoryEntry{Kind: "rescan", To: string(StatusVerified), Detail: "not reported by re-scan of " + in.Scope}}
		if err := tx.CloseFindings(ctx, in.Now, in.Actor, plan.Close, c); err != nil {
			return res, err
		}
	}
	scan := ScanRecord{Result: res, FileName: in.FileName, At: in.Now, Actor: in.Actor}
	if in.RawAfter != nil {
		scan.Raw = in.RawAfter()
	}
	res.ScanID, err = tx.RecordScan(ctx, scan)
	return res, err
}

// newFinding decides a new finding's status, discovery date, SLA deadline
// and the triage its report records.
//
// A risk acceptance recorded in a report never lasts longer than one made
// in Rampart could: its expiry is capped to the product's maximum at the
// import (a report without expiry, or with a later one, gets the cap), so
// it reopens and needs a Rampart approver by then.
func newFinding(r *ImportedFinding, in ScanImport, sc ImportScope) {
	f := r.Finding
	if d, ok := sc.SLA.Due(f.Severity, in.Now, nil); ok {
		r.Due = d
	}
	r.FirstSeen = in.Now
	if f.FirstSeen != nil && !f.FirstSeen.IsZero() && f.FirstSeen.Before(in.Now) {
		r.FirstSeen = *f.FirstSeen // a migrated finding keeps its discovery date
	}
	t := f.Triage
	switch {
	case r.DuplicateOf != 0:
		r.Status, r.Reason = StatusDuplicate, fmt.Sprintf("same issue as finding %d", r.DuplicateOf)
		return
	case t == nil || !t.Status.Valid():
		r.Status = StatusOpen
		return
	}
	r.Status, r.Reason = t.Status, t.Reason // the report's own triage (SARIF suppression, DefectDojo status)
	if t.Status == StatusOpen {
		return
	}
	r.AcceptedUntil, r.AcceptedBy = t.AcceptedUntil, t.AcceptedBy
	note := ""
	if t.Status == StatusRiskAccepted {
		if limit := AcceptanceDeadline(in.Now, sc.MaxAcceptanceDays); t.AcceptedUntil == nil || t.AcceptedUntil.After(limit) {
			r.AcceptedUntil = &limit
			note = fmt.Sprintf("; expiry capped to the product's maximum of %d days (%s)", EffectiveMaxAcceptance(sc.MaxAcceptanceDays), limit.Format("2006-01-02"))
		}
	}
	if t.Status.Closed() {
		at := in.Now
		r.ClosedAt = &at
	}
	r.History = &HistoryEntry{Kind: "import", To: string(t.Status), Detail: "as recorded in the report: " + t.Reason + note}
}
