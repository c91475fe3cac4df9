package jobs

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/blob"
	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/notify"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
	"github.com/rampart-security/rampart/internal/vuln"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newRelease creates a product and a release of it.
func newRelease(t *testing.T, st *store.Store, product, version string, status inventory.ReleaseStatus) inventory.Release {
	t.Helper()
	ctx := context.Background()
	p := inventory.Product{Name: product}
	if err := st.CreateProduct(ctx, &p); err != nil {
		t.Fatal(err)
	}
	rel := inventory.Release{ProductID: p.ID, Version: version, Status: status}
	if err := st.CreateRelease(ctx, &rel); err != nil {
		t.Fatal(err)
	}
	return rel
}

// seedAccepted creates n risk-accepted findings whose acceptance ends an
// hour after now.
func seedAccepted(t *testing.T, st *store.Store, now time.Time, n int) []int64 {
	t.Helper()
	ctx := context.Background()
	rel := newRelease(t, st, "Gateway", "2.0", "")
	_, err := findings.NewImporter(st, nil).Import(ctx, findings.ScanImport{ReleaseID: rel.ID, Tool: "generic", Now: now, Each: func(emit func(findings.Finding) error) error {
		for i := range n {
			if err := emit(findings.Finding{Title: fmt.Sprintf("finding %d", i), Severity: findings.High, RuleID: fmt.Sprint(i)}); err != nil {
				return err
			}
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	fs, _, err := st.Findings(ctx, findings.Query{ReleaseID: rel.ID, Limit: 1000})
	if err != nil || len(fs) != n {
		t.Fatalf("findings %d %v", len(fs), err)
	}
	ids := make([]int64, len(fs))
	for i, f := range fs {
		ids[i] = f.ID
	}
	until := now.Add(time.Hour)
	if err := st.UpdateFindings(ctx, ids, findings.Update{Transition: &findings.Transition{To: findings.StatusRiskAccepted,
		Reason: "compensating control", Approver: "ciso", AcceptedUntil: &until}}, "alice", now); err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestTwoServersExpireOnce: two servers sharing one database start
// together with due risk acceptances; each acceptance is expired, recorded
// and announced exactly once (before: both servers reopened every finding
// and raised 2 events per finding), and a later tick changes nothing.
func TestTwoServersExpireOnce(t *testing.T) {
	for _, eng := range storetest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) {
			ctx := context.Background()
			var servers []*store.Store
			for range 2 {
				st, err := store.Open(ctx, eng.Config)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { st.Close() })
				servers = append(servers, st)
			}
			now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
			const n = 40
			ids := seedAccepted(t, servers[0], now, n)
			later := now.Add(2 * time.Hour)
			var wg sync.WaitGroup
			errs := make([]error, len(servers))
			start := make(chan struct{})
			for i, st := range servers {
				r := New(Config{}, st, quiet())
				r.now = func() time.Time { return later }
				wg.Go(func() {
					<-start
					errs[i] = r.Tick(ctx)
				})
			}
			close(start)
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("server %d: %v", i, err)
				}
			}
			if got := storetest.CountEvents(t, servers[0], "finding.acceptance-expired"); got != n {
				t.Errorf("acceptance-expired events = %d, want %d", got, n)
			}
			for _, id := range ids {
				h, err := servers[1].FindingHistory(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				expired := 0
				for _, ev := range h {
					if ev.Kind == "acceptance-expired" {
						expired++
					}
				}
				if expired != 1 {
					t.Errorf("finding %d: %d acceptance-expired history entries, want 1", id, expired)
				}
				if f, _ := servers[1].Finding(ctx, id); f.Status != findings.StatusOpen {
					t.Errorf("finding %d: status %s", id, f.Status)
				}
			}
			// The next interval: the job runs again (its lease ended) and
			// finds nothing to do.
			r := New(Config{}, servers[1], quiet())
			r.now = func() time.Time { return later.Add(2 * time.Minute) }
			if err := r.Tick(ctx); err != nil {
				t.Fatal(err)
			}
			if got := storetest.CountEvents(t, servers[0], "finding.acceptance-expired"); got != n {
				t.Errorf("after a second run: %d events, want %d", got, n)
			}
		})
	}
}

// TestJobClaimedOncePerInterval: of several servers claiming a job at once,
// exactly one gets it; after the interval the next claim succeeds.
func TestJobClaimedOncePerInterval(t *testing.T) {
	for _, eng := range storetest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) {
			ctx := context.Background()
			now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
			var won atomic.Int32
			var wg sync.WaitGroup
			for i := range 4 {
				st, err := store.Open(ctx, eng.Config)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { st.Close() })
				wg.Go(func() {
					ok, err := st.ClaimJob(ctx, "test.job", fmt.Sprintf("server-%d", i), now, time.Minute)
					if err != nil {
						t.Error(err)
					}
					if ok {
						won.Add(1)
					}
				})
			}
			wg.Wait()
			if won.Load() != 1 {
				t.Fatalf("%d servers claimed the job, want 1", won.Load())
			}
			st, _ := store.Open(ctx, eng.Config)
			defer st.Close()
			if ok, _ := st.ClaimJob(ctx, "test.job", "late", now.Add(30*time.Second), time.Minute); ok {
				t.Error("claimed within the lease")
			}
			if ok, _ := st.ClaimJob(ctx, "test.job", "next", now.Add(61*time.Second), time.Minute); !ok {
				t.Error("not claimed after the lease")
			}
		})
	}
}

// TestWebhookBacklogInOneInterval: a backlog of 5,000 events is delivered
// in one run (before: at most 100 per server per minute).
func TestWebhookBacklogInOneInterval(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		var got atomic.Int32
		var mu sync.Mutex
		seen := map[string]int{}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got.Add(1)
			mu.Lock()
			seen[r.Header.Get("X-Rampart-Delivery")]++
			mu.Unlock()
		}))
		defer srv.Close()
		now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
		const n = 5000
		err := st.Atomic(ctx, func(ctx context.Context) error {
			for i := range n {
				if err := st.AddEvent(ctx, notify.Event{At: now, Kind: "vulnerability.new", Title: fmt.Sprint("event ", i)}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		r := New(Config{Webhooks: []string{srv.URL}}, st, quiet())
		r.now = func() time.Time { return now }
		if err := r.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		if got.Load() != n || len(seen) != n {
			t.Fatalf("delivered %d calls for %d events in one run, want %d each", got.Load(), len(seen), n)
		}
		// Nothing is sent twice.
		if err := r.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		if got.Load() != n {
			t.Errorf("second run sent %d more", got.Load()-n)
		}
	})
}

// TestRematchResumesAfterInterruptedImport: vulnerability data imported
// without its re-match (a kill in between, or --no-rematch) is re-matched
// by the next server start, which records the generation it completed.
func TestRematchResumesAfterInterruptedImport(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		rel := newRelease(t, st, "Camera", "1", "")
		comp := inventory.Component{Ref: "pkg:golang/example.com/lib@v1.0.0", Name: "example.com/lib", Version: "v1.0.0", PURL: "pkg:golang/example.com/lib@v1.0.0"}
		if err := st.ImportComponents(ctx, rel.ID, []inventory.Component{comp}, blob.Blob{}); err != nil {
			t.Fatal(err)
		}
		adv := vuln.Advisory{ID: "GO-2026-0001", Summary: "bad", Affected: []vuln.Affected{{Ecosystem: "Go", Name: "example.com/lib",
			Ranges: []vuln.Range{{Type: vuln.RangeSemver, Events: []vuln.Event{{Introduced: "0"}, {Fixed: "1.0.1"}}}}}}}
		if _, err := st.ImportAdvisories(ctx, []vuln.Advisory{adv}, nil, nil, nil, vuln.FeedImport{Actor: "test"}); err != nil {
			t.Fatal(err)
		}
		// The process died here: no re-match ran.
		if vs, _ := st.ReleaseVulns(ctx, rel.ID); len(vs) != 0 {
			t.Fatalf("matched before any re-match: %v", vs)
		}
		r := New(Config{}, st, quiet())
		if pending, err := r.vulns.RematchPending(ctx); err != nil || !pending {
			t.Fatalf("re-match pending = %v, %v; want true", pending, err)
		}
		if err := r.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		vs, err := st.ReleaseVulns(ctx, rel.ID)
		if err != nil || len(vs) != 1 {
			t.Fatalf("after the start-up re-match: %d matches (%v), want 1", len(vs), err)
		}
		if pending, _ := r.vulns.RematchPending(ctx); pending {
			t.Error("re-match still pending after it completed")
		}
	})
}
