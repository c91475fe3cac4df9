package jobs

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/notify"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
)

func TestWebhooksSignedAndRetried(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		secret := []byte("s3cret-webhook-key")
		var mu sync.Mutex
		var got []notify.Event
		fail := 1 // the first delivery fails
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			sig := r.Header.Get(SignatureHeader)
			ts, err := strconv.ParseInt(strings.TrimPrefix(strings.Split(sig, ",")[0], "t="), 10, 64)
			if err != nil || sig != Sign(secret, body, time.Unix(ts, 0)) {
				t.Errorf("bad signature %q on %s", sig, body)
			}
			var e notify.Event
			json.Unmarshal(body, &e)
			mu.Lock()
			defer mu.Unlock()
			if fail > 0 {
				fail--
				w.WriteHeader(http.StatusBadGateway)
				return
			}
			got = append(got, e)
		}))
		defer srv.Close()
		r := New(Config{Webhooks: []string{srv.URL}, Secret: secret}, st, quiet())
		now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
		r.now = func() time.Time { return now }
		for i := range 2 {
			if err := st.AddEvent(ctx, notify.Event{At: now, Kind: "vulnerability.new", Title: "event " + string(rune('A'+i))}); err != nil {
				t.Fatal(err)
			}
		}
		if err := r.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 {
			t.Fatalf("after first tick %d delivered, want 1 (one failed)", len(got))
		}
		// The failed one is retried after its back-off, not before.
		if err := r.Tick(ctx); err != nil || len(got) != 1 {
			t.Fatalf("retried too early: %d %v", len(got), err)
		}
		now = now.Add(2 * time.Minute)
		if err := r.Tick(ctx); err != nil || len(got) != 2 {
			t.Fatalf("after back-off %d delivered (%v), want 2", len(got), err)
		}
		// Nothing is sent twice.
		now = now.Add(time.Hour)
		if err := r.Tick(ctx); err != nil || len(got) != 2 {
			t.Fatalf("re-sent: %d %v", len(got), err)
		}
	})
}

// TestEvery: the first step runs at once (not an interval later), the next
// ones on the ticker, and the loop returns once ctx ends.
func TestEvery(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		Every(ctx, time.Hour, func() {
			n++
			cancel()
		})
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Every did not run its first step at once, or did not return when ctx ended")
	}
	if n != 1 {
		t.Fatalf("%d steps before ctx ended, want 1", n)
	}
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	n = 0
	Every(ctx, time.Millisecond, func() {
		if n++; n == 3 {
			cancel()
		}
	})
	if n != 3 {
		t.Fatalf("%d steps, want 3 (the loop ends after the step that ended ctx)", n)
	}
}
