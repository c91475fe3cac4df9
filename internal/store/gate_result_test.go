package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/policy"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
)

// A large gate result (written on a connection with a small page cache on
// SQLite) and a small one replace each other and read back whole.
func TestSaveGateResultLargeAndSmall(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		rel := ensureRelease(t, s, "Gateway", "1.0")
		at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		for _, text := range []string{`{"passed": false, "violations": [` + strings.Repeat(`{"rule": "r"},`, 400000) + `{}]}`, `{"passed": true}`, strings.Repeat("x", 5<<20)} {
			if err := s.SaveGateResult(ctx, policy.GateResult{ReleaseID: rel.ID, Failing: 3, PolicyScope: "default", Trigger: "sbom", Result: text, EvaluatedAt: at}); err != nil {
				t.Fatal(err)
			}
			got, err := s.GateResultOf(ctx, rel.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Result != text || got.Failing != 3 || got.Trigger != "sbom" || !got.EvaluatedAt.Equal(at) {
				t.Fatalf("read back %d bytes, failing %d, trigger %q, at %v; want %d bytes", len(got.Result), got.Failing, got.Trigger, got.EvaluatedAt, len(text))
			}
		}
	})
}
