package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/notify"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
)

// TestNULStoredAlike: a NUL in report text is stored (as U+FFFD) on both
// engines instead of failing on PostgreSQL with SQLSTATE 22021, and a
// re-import of the same report reconciles to the same finding.
func TestNULStoredAlike(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		p := createProduct(t, st, "Cam\x00era")
		rel := createRelease(t, st, p.ID, "1")
		imp := func() findings.ScanResult {
			res, err := findings.NewImporter(st, nil).Import(ctx, findings.ScanImport{ReleaseID: rel.ID, Tool: "grype", Each: func(emit func(findings.Finding) error) error {
				return emit(findings.Finding{Title: "libfoo\x00 overflow", Severity: findings.High, Description: "bad\x00bytes",
					Component: findings.Component{Name: "lib\x00foo", Version: "1.0"}, VulnerabilityIDs: []string{"CVE-2026-0001"}})
			}})
			if err != nil {
				t.Fatalf("import with NUL: %v", err)
			}
			return res
		}
		if res := imp(); res.New != 1 {
			t.Fatalf("first import: %+v", res)
		}
		if res := imp(); res.Unchanged != 1 || res.New != 0 || res.Closed != 0 {
			t.Fatalf("re-import: %+v", res)
		}
		fs, _, err := st.Findings(ctx, findings.Query{ReleaseID: rel.ID})
		if err != nil || len(fs) != 1 {
			t.Fatalf("findings: %d %v", len(fs), err)
		}
		// Columns hold the replacement character; the finding's JSON
		// document keeps the original as the escape "\u0000" (valid in
		// PostgreSQL text), so nothing of the report is lost.
		var title string
		if err := st.DB().QueryRowContext(ctx, `SELECT title FROM findings WHERE id = `+fmt.Sprint(fs[0].ID)).Scan(&title); err != nil || title != "libfoo\uFFFD overflow" {
			t.Errorf("title column %q (%v)", title, err)
		}
		if got := fs[0].Finding.Title; got != "libfoo\x00 overflow" {
			t.Errorf("finding document title %q", got)
		}
		if got, _ := st.Product(ctx, p.ID); got.Name != "Cam\uFFFDera" {
			t.Errorf("product name stored as %q", got.Name)
		}
	})
}

// TestWebhookQueueOutOfOrderCommit: an event whose id is lower than one
// already queued, because its transaction committed later, is still
// queued (a high-water mark skipped it for good on PostgreSQL).
func TestWebhookQueueOutOfOrderCommit(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		if st.Engine() != store.Postgres {
			t.Skip("SQLite has one writer: ids commit in order")
		}
		ctx := context.Background()
		now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
		db := st.DB()
		slow, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer slow.Rollback()
		at := now.Format("2006-01-02T15:04:05.000000Z")
		var early int64
		if err := slow.QueryRowContext(ctx, `INSERT INTO events (at, kind, subject, title, detail) VALUES ($1, 'test', '', 'early id, late commit', '') RETURNING id`, at).Scan(&early); err != nil {
			t.Fatal(err)
		}
		if err := st.AddEvent(ctx, notify.Event{At: now, Kind: "test", Title: "later id, early commit"}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.QueueDeliveries(ctx, []string{"http://hook"}, now); err != nil {
			t.Fatal(err)
		}
		if err := slow.Commit(); err != nil {
			t.Fatal(err)
		}
		if _, err := st.QueueDeliveries(ctx, []string{"http://hook"}, now.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM webhook_deliveries WHERE event_id = $1`, early).Scan(&n); err != nil || n != 1 {
			t.Fatalf("deliveries of the late-committed event %d = %d (%v), want 1", early, n, err)
		}
	})
}

// TestRetryOnDeadlock: two transactions that lock two rows in opposite
// orders deadlock on PostgreSQL; the store's transaction helper retries
// the victim (40P01, by error code) and both complete.
func TestRetryOnDeadlock(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		if st.Engine() != store.Postgres {
			t.Skip("SQLite has one writer and cannot deadlock")
		}
		ctx := context.Background()
		a, b := createProduct(t, st, "A"), createProduct(t, st, "B")
		var mu sync.Mutex
		var retried []error
		st.OnRetry(func(err error) { mu.Lock(); retried = append(retried, err); mu.Unlock() })
		var ready sync.WaitGroup
		ready.Add(2)
		lockBoth := func(first, second int64) error {
			once := false
			return st.Atomic(ctx, func(ctx context.Context) error {
				// Touch first, wait until the other transaction touched
				// its first (only on the first attempt), then second.
				if err := st.SetProductDedup(ctx, first, []string{"title"}); err != nil {
					return err
				}
				if !once {
					once = true
					ready.Done()
					ready.Wait()
				}
				return st.SetProductDedup(ctx, second, []string{"title"})
			})
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		wg.Go(func() { errs[0] = lockBoth(a.ID, b.ID) })
		wg.Go(func() { errs[1] = lockBoth(b.ID, a.ID) })
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("transaction %d: %v", i, err)
			}
		}
		if len(retried) == 0 || !store.Retryable(retried[0]) || !strings.Contains(retried[0].Error(), "40P01") {
			t.Errorf("retried errors: %v (want a deadlock)", retried)
		}
	})
}

var _ = sql.ErrNoRows
