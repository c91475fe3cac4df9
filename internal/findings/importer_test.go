package findings_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/findings"
)

// memStore is an in-memory findings.ImportStore: one release, its
// findings and their history. ImportTx works on a copy that replaces the
// committed state only when fn succeeds, like a database transaction.
type memStore struct {
	releaseID int64
	product   findings.ImportScope // settings only: Existing and OtherScopes are derived
	state     memState
	// calls lists every ImportTx method called, committed or not.
	calls []string
	// attempts runs fn this many times per ImportTx (a store retrying a
	// transient conflict); the last attempt commits. 0 means 1.
	attempts int
}

type memState struct {
	nextID   int64
	findings []memFinding
	history  []memEvent
	scans    []findings.ScanRecord
}

type memFinding struct {
	findings.ImportedFinding
	Scope    string
	LastSeen time.Time
}

type memEvent struct {
	FindingID int64
	At        time.Time
	Actor     string
	findings.HistoryEntry
}

func (s memState) clone() memState {
	s.findings = slices.Clone(s.findings)
	s.history = slices.Clone(s.history)
	s.scans = slices.Clone(s.scans)
	return s
}

var errNoRelease = errors.New("not found")

func (m *memStore) ImportTx(ctx context.Context, releaseID int64, scope string, fn func(findings.ImportTx) error) error {
	if releaseID != m.releaseID {
		return fmt.Errorf("release %d: %w", releaseID, errNoRelease)
	}
	for n := 1; ; n++ {
		tx := &memTx{m: m, scope: scope, state: m.state.clone()}
		if err := fn(tx); err != nil {
			return err // rolled back: m.state is untouched
		}
		if n >= max(m.attempts, 1) {
			m.state = tx.state
			return nil
		}
	}
}

type memTx struct {
	m     *memStore
	scope string
	state memState
}

func (t *memTx) ScopeContext(ctx context.Context) (findings.ImportScope, error) {
	t.m.calls = append(t.m.calls, "ScopeContext")
	sc := t.m.product
	sc.OtherScopes = map[string]int64{}
	for _, f := range t.state.findings {
		if f.Scope == t.scope {
			sc.Existing = append(sc.Existing, findings.Existing{ID: f.ID, Fingerprint: f.Finding.Fingerprint, Status: f.Status})
		} else if f.Status != findings.StatusDuplicate {
			if id, ok := sc.OtherScopes[f.DedupKey]; !ok || f.ID < id {
				sc.OtherScopes[f.DedupKey] = f.ID
			}
		}
	}
	return sc, nil
}

func (t *memTx) byID(id int64) *memFinding {
	for i := range t.state.findings {
		if t.state.findings[i].ID == id {
			return &t.state.findings[i]
		}
	}
	panic(fmt.Sprintf("finding %d not stored", id))
}

func (t *memTx) event(id int64, at time.Time, actor string, h findings.HistoryEntry) {
	t.state.history = append(t.state.history, memEvent{FindingID: id, At: at, Actor: actor, HistoryEntry: h})
}

func (t *memTx) WriteFindings(ctx context.Context, at time.Time, actor string, batch []findings.ImportedFinding) error {
	t.m.calls = append(t.m.calls, fmt.Sprintf("WriteFindings(%d)", len(batch)))
	for _, r := range batch {
		switch r.Outcome {
		case findings.OutcomeNew:
			t.state.nextID++
			r.ID = t.state.nextID
			t.state.findings = append(t.state.findings, memFinding{ImportedFinding: r, Scope: t.scope, LastSeen: at})
		case findings.OutcomeUnchanged:
			f := t.byID(r.ID)
			f.Finding, f.Risk, f.LastSeen = r.Finding, r.Risk, at
		case findings.OutcomeReopened:
			f := t.byID(r.ID)
			f.Finding, f.Risk, f.LastSeen, f.Status, f.Reason, f.ClosedAt = r.Finding, r.Risk, at, r.Status, r.Reason, nil
		default:
			return fmt.Errorf("outcome %q cannot be written", r.Outcome)
		}
		if r.History != nil {
			t.event(r.ID, at, actor, *r.History)
		}
	}
	return nil
}

func (t *memTx) CloseFindings(ctx context.Context, at time.Time, actor string, ids []int64, c findings.Closure) error {
	t.m.calls = append(t.m.calls, fmt.Sprintf("CloseFindings(%v)", ids))
	for _, id := range ids {
		f := t.byID(id)
		f.Status, f.Reason, f.ClosedAt = c.Status, c.Reason, &at
		t.event(id, at, actor, c.History)
	}
	return nil
}

func (t *memTx) AddLocations(ctx context.Context, fp string, locs []findings.Location) error {
	t.m.calls = append(t.m.calls, fmt.Sprintf("AddLocations(%d)", len(locs)))
	for i := range t.state.findings {
		if f := &t.state.findings[i]; f.Scope == t.scope && f.Finding.Fingerprint == fp {
			f.Finding.Locations = findings.MergeLocations(f.Finding.Locations, locs)
			return nil
		}
	}
	return fmt.Errorf("finding %s: %w", fp, errNoRelease)
}

func (t *memTx) RecordScan(ctx context.Context, sc findings.ScanRecord) (int64, error) {
	t.m.calls = append(t.m.calls, "RecordScan")
	t.state.scans = append(t.state.scans, sc)
	return int64(len(t.state.scans)), nil
}

// find returns the stored finding of scope with the fingerprint of title.
func (m *memStore) find(t *testing.T, scope, title string) memFinding {
	t.Helper()
	fp := findings.Fingerprint(finding(title, findings.High))
	for _, f := range m.state.findings {
		if f.Scope == scope && f.Finding.Fingerprint == fp {
			return f
		}
	}
	t.Fatalf("no finding %q in scope %q", title, scope)
	return memFinding{}
}

func (m *memStore) setStatus(t *testing.T, scope, title string, st findings.Status) {
	t.Helper()
	id := m.find(t, scope, title).ID
	for i := range m.state.findings {
		if m.state.findings[i].ID == id {
			m.state.findings[i].Status = st
		}
	}
}

func finding(title string, sev findings.Severity) findings.Finding {
	return findings.Finding{Title: title, Severity: sev, Component: findings.Component{Name: "lib" + strings.ToLower(title), Version: "1.0"},
		VulnerabilityIDs: []string{"CVE-2026-" + fmt.Sprint(1000+len(title))}}
}

// report emits the findings named by titles (severity high).
func report(titles ...string) func(emit func(findings.Finding) error) error {
	return func(emit func(findings.Finding) error) error {
		for _, title := range titles {
			if err := emit(finding(title, findings.High)); err != nil {
				return err
			}
		}
		return nil
	}
}

var day0 = time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)

func newMem() *memStore {
	return &memStore{releaseID: 7, product: findings.ImportScope{Criticality: 4, Exposure: findings.InternetFacing, SLA: findings.DefaultSLA()}}
}

func counts(r findings.ScanResult) string {
	return fmt.Sprintf("findings=%d new=%d unchanged=%d reopened=%d closed=%d duplicates=%d", r.Findings, r.New, r.Unchanged, r.Reopened, r.Closed, r.Duplicates)
}

// TestImporterReconciles: new, unchanged, reopened and closed findings
// across three imports of one scope, with the history each change leaves
// and a person's decision that re-scans never overwrite.
func TestImporterReconciles(t *testing.T) {
	ctx := context.Background()
	m := newMem()
	im := findings.NewImporter(m, nil)
	imp := func(at time.Time, titles ...string) findings.ScanResult {
		t.Helper()
		res, err := im.Import(ctx, findings.ScanImport{ReleaseID: 7, Tool: "grype", FileName: "r.json", Actor: "ci", Now: at, Each: report(titles...)})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}

	res := imp(day0, "A", "B", "C", "FP")
	if got, want := counts(res), "findings=4 new=4 unchanged=0 reopened=0 closed=0 duplicates=0"; got != want {
		t.Fatalf("first import: %s, want %s", got, want)
	}
	if res.Scope != "grype" || res.Tool != "grype" || res.ReleaseID != 7 || res.ScanID != 1 {
		t.Errorf("first import: %+v (empty scope is the tool's)", res)
	}
	m.setStatus(t, "grype", "FP", findings.StatusFalsePositive) // a person's decision

	// B twice (one issue), C and FP gone, D new.
	day1 := day0.Add(24 * time.Hour)
	res = imp(day1, "A", "B", "B", "D")
	if got, want := counts(res), "findings=3 new=1 unchanged=2 reopened=0 closed=1 duplicates=0"; got != want {
		t.Fatalf("second import: %s, want %s", got, want)
	}
	c := m.find(t, "grype", "C")
	if c.Status != findings.StatusVerified || c.Reason != "fixed — verified by re-scan" || c.ClosedAt == nil || !c.ClosedAt.Equal(day1) {
		t.Errorf("C not reported any more: %s %q closed %v", c.Status, c.Reason, c.ClosedAt)
	}
	if fp := m.find(t, "grype", "FP"); fp.Status != findings.StatusFalsePositive {
		t.Errorf("false positive not reported any more became %s", fp.Status)
	}
	if a := m.find(t, "grype", "A"); !a.LastSeen.Equal(day1) || !a.FirstSeen.Equal(day0) || a.Status != findings.StatusOpen {
		t.Errorf("A seen again: first %v last %v status %s", a.FirstSeen, a.LastSeen, a.Status)
	}

	m.setStatus(t, "grype", "A", findings.StatusFixed)
	day2 := day1.Add(24 * time.Hour)
	res = imp(day2, "A", "D", "FP")
	if got, want := counts(res), "findings=3 new=0 unchanged=2 reopened=1 closed=1 duplicates=0"; got != want {
		t.Fatalf("third import: %s, want %s", got, want)
	}
	a := m.find(t, "grype", "A")
	if a.Status != findings.StatusOpen || a.Reason != "reported again by grype" || a.ClosedAt != nil {
		t.Errorf("A fixed and reported again: %s %q closed %v", a.Status, a.Reason, a.ClosedAt)
	}
	if fp := m.find(t, "grype", "FP"); fp.Status != findings.StatusFalsePositive {
		t.Errorf("false positive reported again became %s", fp.Status)
	}

	var hist []string
	for _, e := range m.state.history {
		hist = append(hist, fmt.Sprintf("%d %s %s %s>%s %s", e.FindingID, e.At.Format("01-02"), e.Actor, e.From, e.To, e.Detail))
		if e.Kind != "rescan" {
			t.Errorf("history kind %q", e.Kind)
		}
	}
	want := []string{
		"3 11-03 ci >verified not reported by re-scan of grype",
		"1 11-04 ci fixed>open reported again by re-scan of grype",
		"2 11-04 ci >verified not reported by re-scan of grype",
	}
	if !slices.Equal(hist, want) {
		t.Errorf("history:\n%s\nwant:\n%s", strings.Join(hist, "\n"), strings.Join(want, "\n"))
	}
	recorded := res
	recorded.ScanID = 0 // the store assigns it
	if len(m.state.scans) != 3 || m.state.scans[2].Result != recorded || res.ScanID != 3 || m.state.scans[2].Actor != "ci" || m.state.scans[2].FileName != "r.json" || !m.state.scans[2].At.Equal(day2) {
		t.Errorf("scan records: %+v", m.state.scans)
	}
}

// TestImporterScores: risk from the product's criticality and exposure,
// the duplicate key, and the finding's own tool over the import's.
func TestImporterScores(t *testing.T) {
	m := newMem()
	m.product.DedupFields = []string{"vulnerability", "component"}
	f := finding("A", findings.Critical)
	f.KEV, f.Tool = true, "trivy"
	_, err := findings.NewImporter(m, nil).Import(context.Background(), findings.ScanImport{ReleaseID: 7, Tool: "defectdojo", Now: day0,
		Each: func(emit func(findings.Finding) error) error { return emit(f) }})
	if err != nil {
		t.Fatal(err)
	}
	got := m.state.findings[0]
	wantRisk := findings.RiskScore(findings.RiskInput{Severity: findings.Critical, KEV: true, Criticality: 4, Exposure: findings.InternetFacing})
	if got.Risk.Score != wantRisk.Score || got.Risk.Priority != wantRisk.Priority {
		t.Errorf("risk %+v, want %+v", got.Risk, wantRisk)
	}
	f.Fingerprint = findings.Fingerprint(f)
	if got.Finding.Fingerprint != f.Fingerprint {
		t.Errorf("fingerprint %q, want %q", got.Finding.Fingerprint, f.Fingerprint)
	}
	if want := findings.DedupKey(f, m.product.DedupFields); got.DedupKey != want || got.DedupKey == f.Fingerprint {
		t.Errorf("dedup key %q, want %q (the product's fields)", got.DedupKey, want)
	}
	if got.Tool != "trivy" {
		t.Errorf("tool %q, want the finding's own", got.Tool)
	}
}

// TestImporterLinksDuplicates: a new finding another scope of the release
// already reports is linked to the lowest such finding that is not itself
// a duplicate; re-imports keep the link and do not count it again.
func TestImporterLinksDuplicates(t *testing.T) {
	ctx := context.Background()
	m := newMem()
	im := findings.NewImporter(m, func() time.Time { return day0 })
	imp := func(tool string, titles ...string) findings.ScanResult {
		t.Helper()
		res, err := im.Import(ctx, findings.ScanImport{ReleaseID: 7, Tool: tool, Each: report(titles...)})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	imp("grype", "A", "B")
	if res := imp("trivy", "A", "C"); res.Duplicates != 1 || res.New != 2 {
		t.Fatalf("second tool: %s", counts(res))
	}
	orig, dup := m.find(t, "grype", "A"), m.find(t, "trivy", "A")
	if dup.Status != findings.StatusDuplicate || dup.DuplicateOf != orig.ID || dup.Reason != fmt.Sprintf("same issue as finding %d", orig.ID) {
		t.Errorf("duplicate: %s of %d %q, want of %d", dup.Status, dup.DuplicateOf, dup.Reason, orig.ID)
	}
	if c := m.find(t, "trivy", "C"); c.Status != findings.StatusOpen || c.DuplicateOf != 0 {
		t.Errorf("C only trivy reports: %s of %d", c.Status, c.DuplicateOf)
	}
	// A third tool links to the original, never to the duplicate.
	if res := imp("zap", "A"); res.Duplicates != 1 {
		t.Fatalf("third tool: %s", counts(res))
	}
	if z := m.find(t, "zap", "A"); z.DuplicateOf != orig.ID {
		t.Errorf("third tool's A duplicates %d, want %d", z.DuplicateOf, orig.ID)
	}
	if res := imp("trivy", "A", "C"); res.Duplicates != 0 || res.Unchanged != 2 {
		t.Errorf("re-import: %s", counts(res))
	}
	if dup := m.find(t, "trivy", "A"); dup.Status != findings.StatusDuplicate {
		t.Errorf("re-imported duplicate became %s", dup.Status)
	}
}

// TestImporterSLA: a new finding's deadline runs from the import's time
// by the product's policy; a severity without days has none, and seen
// findings keep theirs.
func TestImporterSLA(t *testing.T) {
	ctx := context.Background()
	m := newMem()
	m.product.SLA = findings.SLAPolicy{Critical: 3, High: 14}
	im := findings.NewImporter(m, nil)
	each := func(emit func(findings.Finding) error) error {
		for _, f := range []findings.Finding{finding("A", findings.Critical), finding("BB", findings.High), finding("CCC", findings.Low)} {
			if err := emit(f); err != nil {
				return err
			}
		}
		return nil
	}
	if _, err := im.Import(ctx, findings.ScanImport{ReleaseID: 7, Tool: "grype", Now: day0, Each: each}); err != nil {
		t.Fatal(err)
	}
	due := map[string]string{}
	for _, f := range m.state.findings {
		due[f.Finding.Title] = "none"
		if !f.Due.Due.IsZero() {
			due[f.Finding.Title] = f.Due.Due.Format(time.RFC3339) + " " + f.Due.Source
		}
	}
	want := map[string]string{"A": "2026-11-05T09:30:00Z sla:critical", "BB": "2026-11-16T09:30:00Z sla:high", "CCC": "none"}
	if !maps.Equal(due, want) {
		t.Errorf("deadlines %v, want %v", due, want)
	}
	var batch []findings.ImportedFinding
	spy := &spyStore{ImportStore: m, batches: &batch}
	if _, err := findings.NewImporter(spy, nil).Import(ctx, findings.ScanImport{ReleaseID: 7, Tool: "grype", Now: day0.AddDate(0, 1, 0), Each: each}); err != nil {
		t.Fatal(err)
	}
	for _, r := range batch {
		if r.Outcome != findings.OutcomeUnchanged || !r.Due.Due.IsZero() {
			t.Errorf("re-import of %q: %s with deadline %v", r.Finding.Title, r.Outcome, r.Due)
		}
	}
}

// spyStore records the batches an import writes.
type spyStore struct {
	findings.ImportStore
	batches *[]findings.ImportedFinding
}

func (s *spyStore) ImportTx(ctx context.Context, releaseID int64, scope string, fn func(findings.ImportTx) error) error {
	return s.ImportStore.ImportTx(ctx, releaseID, scope, func(tx findings.ImportTx) error {
		*s.batches = (*s.batches)[:0]
		return fn(spyTx{tx, s.batches})
	})
}

type spyTx struct {
	findings.ImportTx
	batches *[]findings.ImportedFinding
}

func (s spyTx) WriteFindings(ctx context.Context, at time.Time, actor string, batch []findings.ImportedFinding) error {
	*s.batches = append(*s.batches, batch...)
	return s.ImportTx.WriteFindings(ctx, at, actor, batch)
}

// TestImporterTruncatedInput: a report that fails part-way (truncated,
// invalid) closes nothing and records no scan, even after whole batches
// of its findings were written: the transaction is rolled back.
func TestImporterTruncatedInput(t *testing.T) {
	ctx := context.Background()
	m := newMem()
	im := findings.NewImporter(m, nil)
	if _, err := im.Import(ctx, findings.ScanImport{ReleaseID: 7, Tool: "nessus", Now: day0, Each: report("A", "B", "C")}); err != nil {
		t.Fatal(err)
	}
	before := m.state.clone()
	m.calls = nil
	errTruncated := errors.New("nessus report: unexpected EOF")
	_, err := im.Import(ctx, findings.ScanImport{ReleaseID: 7, Tool: "nessus", Now: day0.Add(time.Hour), Each: func(emit func(findings.Finding) error) error {
		for i := range 450 { // two full batches are written before the report breaks
			if err := emit(finding(fmt.Sprint("X", i), findings.Medium)); err != nil {
				return err
			}
		}
		return errTruncated
	}})
	if !errors.Is(err, errTruncated) {
		t.Fatalf("truncated report: %v", err)
	}
	if want := []string{"ScopeContext", "WriteFindings(200)", "WriteFindings(200)"}; !slices.Equal(m.calls, want) {
		t.Errorf("calls %v, want %v (nothing closed, no scan)", m.calls, want)
	}
	if len(m.state.findings) != len(before.findings) || len(m.state.history) != 0 || len(m.state.scans) != 1 {
		t.Errorf("truncated report changed the store: %d findings, %d history, %d scans", len(m.state.findings), len(m.state.history), len(m.state.scans))
	}
	for _, f := range m.state.findings {
		if f.Status != findings.StatusOpen {
			t.Errorf("%q became %s", f.Finding.Title, f.Status)
		}
	}
	if _, err := im.Import(ctx, findings.ScanImport{ReleaseID: 8, Tool: "nessus", Each: report("A")}); !errors.Is(err, errNoRelease) {
		t.Errorf("unknown release: %v", err)
	}
}

// TestImporterRetry: a transaction the store runs again starts afresh:
// the result counts each finding once.
func TestImporterRetry(t *testing.T) {
	m := newMem()
	m.attempts = 3
	res, err := findings.NewImporter(m, nil).Import(context.Background(), findings.ScanImport{ReleaseID: 7, Tool: "zap", Now: day0, Each: report("A", "B")})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := counts(res), "findings=2 new=2 unchanged=0 reopened=0 closed=0 duplicates=0"; got != want || len(m.state.findings) != 2 || len(m.state.scans) != 1 {
		t.Errorf("retried import: %s (%d stored, %d scans), want %s", got, len(m.state.findings), len(m.state.scans), want)
	}
}

// TestImporterClock: an import without a time uses the Importer's clock;
// a migrated finding keeps an earlier discovery date.
func TestImporterClock(t *testing.T) {
	m := newMem()
	clock := day0.Add(90 * time.Minute)
	earlier, later := day0.AddDate(0, -2, 0), clock.Add(time.Hour)
	a, b := finding("A", findings.High), finding("BB", findings.High)
	a.FirstSeen, b.FirstSeen = &earlier, &later
	_, err := findings.NewImporter(m, func() time.Time { return clock }).Import(context.Background(), findings.ScanImport{ReleaseID: 7, Tool: "defectdojo",
		Each: func(emit func(findings.Finding) error) error { return errors.Join(emit(a), emit(b)) }})
	if err != nil {
		t.Fatal(err)
	}
	fa, fb := m.find(t, "defectdojo", "A"), m.find(t, "defectdojo", "BB")
	if !fa.FirstSeen.Equal(earlier) || !fa.LastSeen.Equal(clock) || !fa.Due.Due.Equal(clock.AddDate(0, 0, 30)) {
		t.Errorf("migrated finding: first %v last %v due %v", fa.FirstSeen, fa.LastSeen, fa.Due.Due)
	}
	if !fb.FirstSeen.Equal(clock) {
		t.Errorf("discovery date after the import: first seen %v, want %v", fb.FirstSeen, clock)
	}
	if !m.state.scans[0].At.Equal(clock) {
		t.Errorf("scan at %v, want %v", m.state.scans[0].At, clock)
	}
}

// TestImporterReportTriage: the triage a report records is kept for new
// findings, a risk acceptance capped to the product's maximum, with one
// history entry each; a report's "fixed" does not reopen a closed finding.
func TestImporterReportTriage(t *testing.T) {
	ctx := context.Background()
	m := newMem()
	m.product.MaxAcceptanceDays = 30
	far := day0.AddDate(1, 0, 0)
	soon := day0.AddDate(0, 0, 10)
	tri := func(title string, tr findings.Triage) findings.Finding {
		f := finding(title, findings.High)
		f.Triage = &tr
		return f
	}
	fs := []findings.Finding{
		tri("A", findings.Triage{Status: findings.StatusRiskAccepted, Reason: "vendor", AcceptedUntil: &far, AcceptedBy: "ann"}),
		tri("BB", findings.Triage{Status: findings.StatusRiskAccepted, Reason: "short", AcceptedUntil: &soon}),
		tri("CCC", findings.Triage{Status: findings.StatusFixed, Reason: "mitigated"}),
		tri("DDDD", findings.Triage{Status: findings.StatusOpen, Reason: "active"}),
		tri("EEEEE", findings.Triage{Status: "bogus"}),
	}
	each := func(emit func(findings.Finding) error) error {
		for _, f := range fs {
			if err := emit(f); err != nil {
				return err
			}
		}
		return nil
	}
	if _, err := findings.NewImporter(m, nil).Import(ctx, findings.ScanImport{ReleaseID: 7, Tool: "defectdojo", Actor: "cli", Now: day0, Each: each}); err != nil {
		t.Fatal(err)
	}
	limit := findings.AcceptanceDeadline(day0, 30)
	a, b, c, d, e := m.find(t, "defectdojo", "A"), m.find(t, "defectdojo", "BB"), m.find(t, "defectdojo", "CCC"), m.find(t, "defectdojo", "DDDD"), m.find(t, "defectdojo", "EEEEE")
	if a.Status != findings.StatusRiskAccepted || a.Reason != "vendor" || !a.AcceptedUntil.Equal(limit) || a.AcceptedBy != "ann" {
		t.Errorf("acceptance beyond the maximum: %s %q until %v by %q, want until %v", a.Status, a.Reason, a.AcceptedUntil, a.AcceptedBy, limit)
	}
	if !b.AcceptedUntil.Equal(soon) {
		t.Errorf("acceptance within the maximum: until %v, want %v", b.AcceptedUntil, soon)
	}
	if c.Status != findings.StatusFixed || c.ClosedAt == nil || !c.ClosedAt.Equal(day0) {
		t.Errorf("fixed in the report: %s closed %v", c.Status, c.ClosedAt)
	}
	if d.Status != findings.StatusOpen || d.Reason != "active" || d.History != nil || e.Status != findings.StatusOpen || e.Reason != "" {
		t.Errorf("open and invalid triage: %s %q %v; %s %q", d.Status, d.Reason, d.History, e.Status, e.Reason)
	}
	var hist []string
	for _, h := range m.state.history {
		hist = append(hist, fmt.Sprintf("%s %s>%s %s", h.Kind, h.From, h.To, h.Detail))
	}
	want := []string{
		"import >risk_accepted as recorded in the report: vendor; expiry capped to the product's maximum of 30 days (2026-12-02)",
		"import >risk_accepted as recorded in the report: short",
		"import >fixed as recorded in the report: mitigated",
	}
	if !slices.Equal(hist, want) {
		t.Errorf("history:\n%s\nwant:\n%s", strings.Join(hist, "\n"), strings.Join(want, "\n"))
	}

	// A newer export still saying "fixed" leaves the closed finding closed.
	m.setStatus(t, "defectdojo", "CCC", findings.StatusVerified)
	res, err := findings.NewImporter(m, nil).Import(ctx, findings.ScanImport{ReleaseID: 7, Tool: "defectdojo", Now: day0.AddDate(0, 0, 1), Each: each})
	if err != nil {
		t.Fatal(err)
	}
	if res.Reopened != 0 || m.find(t, "defectdojo", "CCC").Status != findings.StatusVerified {
		t.Errorf("re-import of a fixed finding: %s, status %s", counts(res), m.find(t, "defectdojo", "CCC").Status)
	}
}

// TestImporterPartialScan: a report that says its scan did not complete
// (Each ends with ErrIncompleteScan after its findings) is imported as a
// partial scan, saying why: its findings are written, a fixed one it
// reports reopens, and nothing is closed, even what it no longer lists. One
// that lists no finding is refused, saying what to do, and changes nothing;
// with Partial it is recorded.
func TestImporterPartialScan(t *testing.T) {
	ctx := context.Background()
	m := newMem()
	im := findings.NewImporter(m, nil)
	if _, err := im.Import(ctx, findings.ScanImport{ReleaseID: 7, Tool: "nexpose", Now: day0, Each: report("A", "B", "C")}); err != nil {
		t.Fatal(err)
	}
	m.setStatus(t, "nexpose", "C", findings.StatusVerified) // fixed earlier
	stoppedWith := func(list ...string) func(emit func(findings.Finding) error) error {
		return func(emit func(findings.Finding) error) error {
			if err := report(list...)(emit); err != nil {
				return err
			}
			return fmt.Errorf("r.xml:4: scans/scan/@status: %w: scan 1 has status \"stopped\"", findings.ErrIncompleteScan)
		}
	}
	before := m.state.clone()
	_, err := im.Import(ctx, findings.ScanImport{ReleaseID: 7, Tool: "nexpose", Now: day0.Add(time.Hour), Each: stoppedWith()})
	if !errors.Is(err, findings.ErrIncompleteScan) || !strings.Contains(err.Error(), `r.xml:4: scans/scan/@status: the scan did not complete: scan 1 has status "stopped"; it lists no finding, so nothing was imported or closed: import a complete run's report, or record this one as a partial scan (--partial`) {
		t.Fatalf("stopped scan listing nothing: %v, want a refusal saying what to do", err)
	}
	if len(m.state.scans) != len(before.scans) || m.find(t, "nexpose", "B").Status != findings.StatusOpen {
		t.Fatalf("a refused report changed the store")
	}
	res, err := im.Import(ctx, findings.ScanImport{ReleaseID: 7, Tool: "nexpose", Now: day0.Add(2 * time.Hour), Each: stoppedWith("A", "C", "D")})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := counts(res), "findings=3 new=1 unchanged=1 reopened=1 closed=0 duplicates=0"; got != want || !res.Partial {
		t.Errorf("stopped scan: %s partial %v, want %s partial true", got, res.Partial, want)
	}
	if want := `r.xml:4: scans/scan/@status: the scan did not complete: scan 1 has status "stopped"`; res.PartialReason != want {
		t.Errorf("partial reason %q, want %q", res.PartialReason, want)
	}
	if b := m.find(t, "nexpose", "B"); b.Status != findings.StatusOpen {
		t.Errorf("B, not listed by the partial scan, became %s", b.Status)
	}
	if c := m.find(t, "nexpose", "C"); c.Status != findings.StatusOpen {
		t.Errorf("C, fixed and reported again, is %s", c.Status)
	}
	if res, err := im.Import(ctx, findings.ScanImport{ReleaseID: 7, Tool: "nexpose", Now: day0.Add(150 * time.Minute), Each: stoppedWith(), Partial: true}); err != nil || !res.Partial || res.Closed != 0 || res.Findings != 0 {
		t.Errorf("stopped scan listing nothing, as a partial scan: %+v %v", res, err)
	}
	// Partial also holds for a report that does not say it is incomplete.
	res, err = im.Import(ctx, findings.ScanImport{ReleaseID: 7, Tool: "nexpose", Now: day0.Add(3 * time.Hour), Each: report("A"), Partial: true})
	if err != nil || res.Closed != 0 || m.find(t, "nexpose", "D").Status != findings.StatusOpen {
		t.Errorf("partial import of a complete-looking report: %+v %v", res, err)
	}
	// Any other error still aborts a partial import.
	errCut := errors.New("r.xml:9: truncated XML")
	if _, err := im.Import(ctx, findings.ScanImport{ReleaseID: 7, Tool: "nexpose", Each: func(func(findings.Finding) error) error { return errCut }, Partial: true}); !errors.Is(err, errCut) {
		t.Errorf("truncated report as a partial scan: %v", err)
	}
}

// at returns finding(title) located at files.
func at(title string, files ...string) findings.Finding {
	f := finding(title, findings.High)
	for _, p := range files {
		f.Locations = append(f.Locations, findings.Location{File: p})
	}
	return f
}

func files(f findings.Finding) string {
	var out []string
	for _, l := range f.Locations {
		out = append(out, l.File)
	}
	return strings.Join(out, " ")
}

// TestImporterMergesRepeatedIssue: a report that lists one issue twice
// (the same fingerprint at another location: Grype's one CVE of libc6 at
// two paths, a Semgrep Supply Chain export's one advisory in many
// repositories) gives one finding with the locations of every occurrence,
// de-duplicated in order, whether the first occurrence is still in the
// batch being gathered or was already written; the counts are those of
// one finding. Before, the repeat and its locations were dropped.
func TestImporterMergesRepeatedIssue(t *testing.T) {
	ctx := context.Background()
	fillers := make([]findings.Finding, 250) // more than one batch
	for i := range fillers {
		fillers[i] = at(fmt.Sprintf("F%03d", i), "go.sum")
	}
	cases := []struct {
		name   string
		report []findings.Finding
		want   string
		result [2]string // first import, re-import
	}{
		{name: "in one batch", report: []findings.Finding{at("A", "a/go.sum"), at("B", "b/go.sum"), at("A", "c/go.sum", "a/go.sum"), at("A"), at("A", "d/go.sum")},
			want: "a/go.sum c/go.sum d/go.sum", result: [2]string{"findings=2 new=2 unchanged=0 reopened=0 closed=0 duplicates=0", "findings=2 new=0 unchanged=2 reopened=0 closed=0 duplicates=0"}},
		{name: "first occurrence already written", report: slices.Concat([]findings.Finding{at("A", "a/go.sum")}, fillers, []findings.Finding{at("A", "c/go.sum"), at("A", "a/go.sum", "d/go.sum")}),
			want: "a/go.sum c/go.sum d/go.sum", result: [2]string{"findings=251 new=251 unchanged=0 reopened=0 closed=0 duplicates=0", "findings=251 new=0 unchanged=251 reopened=0 closed=0 duplicates=0"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := newMem()
			im := findings.NewImporter(m, nil)
			for n, want := range c.result { // a re-import merges again
				res, err := im.Import(ctx, findings.ScanImport{ReleaseID: 7, Tool: "grype", Actor: "ci", Now: day0.Add(time.Duration(n) * time.Hour),
					Each: func(emit func(findings.Finding) error) error {
						for _, f := range c.report {
							if err := emit(f); err != nil {
								return err
							}
						}
						return nil
					}})
				if err != nil {
					t.Fatal(err)
				}
				if got := counts(res); got != want {
					t.Errorf("import %d: %s, want %s", n+1, got, want)
				}
				a := m.find(t, "grype", "A")
				if got := files(a.Finding); got != c.want {
					t.Errorf("import %d: A located at %q, want %q", n+1, got, c.want)
				}
				if a.Finding.Title != "A" || a.Status != findings.StatusOpen {
					t.Errorf("import %d: A is %q %s, want the first occurrence", n+1, a.Finding.Title, a.Status)
				}
			}
		})
	}
}

// TestImporterBoundsMergedLocations: the repeats of one issue add at most
// findings.MaxLocations locations to it, in the batch and after it.
func TestImporterBoundsMergedLocations(t *testing.T) {
	m := newMem()
	_, err := findings.NewImporter(m, nil).Import(context.Background(), findings.ScanImport{ReleaseID: 7, Tool: "grype", Now: day0,
		Each: func(emit func(findings.Finding) error) error {
			for i := range 3 * findings.MaxLocations {
				if err := emit(at("A", fmt.Sprintf("r%d/go.sum", i))); err != nil {
					return err
				}
				if i == 10 {
					for j := range 300 {
						if err := emit(at(fmt.Sprintf("F%03d", j))); err != nil {
							return err
						}
					}
				}
			}
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	a := m.find(t, "grype", "A")
	if n := len(a.Finding.Locations); n != findings.MaxLocations || a.Finding.Locations[0].File != "r0/go.sum" || a.Finding.Locations[n-1].File != fmt.Sprintf("r%d/go.sum", n-1) {
		t.Errorf("A has %d locations (first %v), want the first %d", n, a.Finding.Locations[0], findings.MaxLocations)
	}
}
