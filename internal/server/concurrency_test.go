package server_test

// The concurrency suite (issue 12): slow uploads beside writers, parallel
// bulk triage, parallel imports of one scope, on every configured engine.
// Every request must succeed (no 5xx, no 409) and the history must have
// exactly the events a serial run gives. Bounded in time: the slow upload
// trickles for a little longer than SQLite's busy timeout (10 s), which is
// what made writers fail before uploads were spooled.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/findings"
)

// genericReport is a DefectDojo generic JSON report with n findings
// (titles "<prefix> i").
func genericReport(prefix string, from, n int) []byte {
	var b strings.Builder
	b.WriteString(`{"findings":[`)
	for i := from; i < from+n; i++ {
		if i > from {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"title":"%s %d","severity":"High","unique_id_from_tool":"%s-%d","description":"finding %d"}`, prefix, i, prefix, i, i)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

// post sends body with a bearer token and returns the status and body.
func (e *env) post(role, method, path string, body io.Reader) (int, string, error) {
	req, err := http.NewRequest(method, e.url+path, body)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Authorization", "Bearer "+e.tokens[role])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data), nil
}

// trickle yields data in small pieces over about d.
type trickle struct {
	data  []byte
	every time.Duration
	chunk int
}

func (r *trickle) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	time.Sleep(r.every)
	n := copy(p[:min(len(p), r.chunk)], r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestConcurrencySlowUploadBesideWriters(t *testing.T) {
	if testing.Short() {
		t.Skip("slow upload takes 11 s")
	}
	forEachEngine(t, func(t *testing.T, e *env) {
		rel := e.newRelease(t, "Slow")
		other := e.newRelease(t, "Busy")
		// Findings for the writers to triage.
		if code, body, err := e.post("admin", "POST", fmt.Sprintf("/api/v1/releases/%d/scans?tool=generic&scope=base", other.ID), bytes.NewReader(genericReport("base", 0, 40))); err != nil || code != 200 {
			t.Fatalf("seed import: %d %s %v", code, body, err)
		}
		fs, _, err := e.store.Findings(context.Background(), findings.Query{ReleaseID: other.ID, Limit: 100})
		if err != nil || len(fs) != 40 {
			t.Fatalf("seed findings: %d %v", len(fs), err)
		}
		report := genericReport("slow", 0, 200)
		chunk := len(report)/110 + 1
		slowDone := make(chan error, 1)
		go func() {
			code, body, err := e.post("admin", "POST", fmt.Sprintf("/api/v1/releases/%d/scans?tool=generic&scope=slow", rel.ID),
				&trickle{data: report, every: 100 * time.Millisecond, chunk: chunk}) // ~11 s
			if err == nil && code != 200 {
				err = fmt.Errorf("slow upload: %d %s", code, body)
			}
			slowDone <- err
		}()
		time.Sleep(300 * time.Millisecond) // the slow upload is under way
		var mu sync.Mutex
		var failures []string
		var ok int
		var wg sync.WaitGroup
		stop := time.Now().Add(10500 * time.Millisecond)
		for w := range 8 {
			wg.Go(func() {
				for i := 0; time.Now().Before(stop); i++ {
					var code int
					var body string
					var err error
					if w%2 == 0 { // bulk triage
						id := fs[(w*7+i)%len(fs)].ID
						assignee := fmt.Sprintf("w%d-%d", w, i)
						code, body, err = e.post("admin", "POST", "/api/v1/findings/triage",
							strings.NewReader(fmt.Sprintf(`{"ids":[%d],"assignee":%q}`, id, assignee)))
					} else { // small imports of their own scope
						code, body, err = e.post("admin", "POST", fmt.Sprintf("/api/v1/releases/%d/scans?tool=generic&scope=w%d", other.ID, w),
							bytes.NewReader(genericReport(fmt.Sprintf("w%d", w), i%3, 5)))
					}
					mu.Lock()
					if err != nil || code >= 500 || code == 409 {
						failures = append(failures, fmt.Sprintf("writer %d: %d %s %v", w, code, body, err))
					} else {
						ok++
					}
					mu.Unlock()
					time.Sleep(50 * time.Millisecond)
				}
			})
		}
		wg.Wait()
		if err := <-slowDone; err != nil {
			t.Error(err)
		}
		if len(failures) > 0 {
			t.Errorf("%d of %d writes failed beside a slow upload, first: %s", len(failures), len(failures)+ok, failures[0])
		}
		if ok < 16 {
			t.Errorf("only %d writes succeeded beside the slow upload", ok)
		}
		n, _, _ := e.store.Findings(context.Background(), findings.Query{ReleaseID: rel.ID, Limit: 500})
		if len(n) != 200 {
			t.Errorf("slow upload stored %d findings, want 200", len(n))
		}
	})
}

func TestConcurrencyParallelBulkTriage(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		rel := e.newRelease(t, "Triage")
		if code, body, err := e.post("admin", "POST", fmt.Sprintf("/api/v1/releases/%d/scans?tool=generic", rel.ID), bytes.NewReader(genericReport("t", 0, 60))); err != nil || code != 200 {
			t.Fatalf("import: %d %s %v", code, body, err)
		}
		fs, _, _ := e.store.Findings(context.Background(), findings.Query{ReleaseID: rel.ID, Limit: 100})
		if len(fs) != 60 {
			t.Fatalf("findings: %d", len(fs))
		}
		const workers, rounds = 8, 6
		var mu sync.Mutex
		var failures []string
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(uint64(w), 1))
				for i := range rounds {
					// An overlapping selection in a random order: the
					// order that deadlocked PostgreSQL before ids were
					// sorted.
					perm := rng.Perm(len(fs))[:30]
					ids := make([]string, len(perm))
					for k, p := range perm {
						ids[k] = fmt.Sprint(fs[p].ID)
					}
					code, body, err := e.post("admin", "POST", "/api/v1/findings/triage",
						strings.NewReader(fmt.Sprintf(`{"ids":[%s],"assignee":"w%d","comment":"round %d"}`, strings.Join(ids, ","), w, i)))
					if err != nil || code != 200 {
						mu.Lock()
						failures = append(failures, fmt.Sprintf("worker %d round %d: %d %s %v", w, i, code, body, err))
						mu.Unlock()
					}
				}
			})
		}
		wg.Wait()
		if len(failures) > 0 {
			t.Fatalf("%d of %d bulk triage requests failed, first: %s", len(failures), workers*rounds, failures[0])
		}
		// Every change is in the history: 2 events (assign, comment) per
		// finding per selection that contained it.
		total := 0
		for _, f := range fs {
			h, err := e.store.FindingHistory(context.Background(), f.ID)
			if err != nil {
				t.Fatal(err)
			}
			total += len(h)
		}
		if want := workers * rounds * 30 * 2; total != want {
			t.Errorf("history events = %d, want %d", total, want)
		}
	})
}

func TestConcurrencyParallelImportsOfOneScope(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		rel := e.newRelease(t, "Imports")
		full := genericReport("s", 0, 20)
		imp := func(parallel int, body []byte) {
			t.Helper()
			var wg sync.WaitGroup
			errs := make(chan string, parallel)
			for range parallel {
				wg.Go(func() {
					code, resp, err := e.post("admin", "POST", fmt.Sprintf("/api/v1/releases/%d/scans?tool=generic&scope=nightly", rel.ID), bytes.NewReader(body))
					if err != nil || code != 200 {
						errs <- fmt.Sprintf("%d %s %v", code, resp, err)
					}
				})
			}
			wg.Wait()
			close(errs)
			for msg := range errs {
				t.Errorf("parallel import: %s", msg)
			}
		}
		imp(8, full) // one creates 20 findings, seven see them unchanged
		imp(1, genericReport("s", 0, 1))
		imp(8, full) // one reopens 19, seven see them unchanged
		fs, _, err := e.store.Findings(context.Background(), findings.Query{ReleaseID: rel.ID, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if len(fs) != 20 {
			t.Fatalf("findings = %d, want 20 (parallel imports duplicated them)", len(fs))
		}
		wrong := 0
		for _, f := range fs {
			h, _ := e.store.FindingHistory(context.Background(), f.ID)
			want := 2 // closed by the 1-finding re-scan, reopened by the next
			if f.Finding.Title == "s 0" {
				want = 0
			}
			if len(h) != want || !f.Status.Active() {
				if wrong++; wrong <= 3 {
					t.Errorf("%s: status %s, %d history events, want %d", f.Finding.Title, f.Status, len(h), want)
				}
			}
		}
		if wrong > 3 {
			t.Errorf("... %d findings with the wrong history in all", wrong)
		}
		scans, _ := e.store.Scans(context.Background(), rel.ID)
		if len(scans) != 17 {
			t.Errorf("scans = %d, want 17", len(scans))
		}
		// Every import left exactly one audit record.
		evs, err := e.store.AuditEvents(context.Background(), audit.Query{Action: "scan.import", Limit: -1})
		if err != nil || len(evs) != 17 {
			t.Errorf("audit scan.import events = %d, want 17 (%v)", len(evs), err)
		}
	})
}
