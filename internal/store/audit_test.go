package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
)

func seedAudit(t *testing.T, s *store.Store, n int) {
	t.Helper()
	ctx := audit.WithSource(context.Background(), "192.0.2.7")
	for i := 1; i <= n; i++ {
		if err := audit.Record(ctx, s, audit.Event{Action: audit.ActionSignIn, Actor: fmt.Sprintf("user%d", i), Object: "user", ProductID: int64(i % 2)}); err != nil {
			t.Fatal(err)
		}
	}
}

// q rebinds '?' for PostgreSQL in these direct tampering statements.
func q(s *store.Store, query string) string {
	if s.Engine() != store.Postgres {
		return query
	}
	out, n := []byte{}, 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			out = append(out, fmt.Sprintf("$%d", n)...)
			continue
		}
		out = append(out, query[i])
	}
	return string(out)
}

func TestAuditChainDetectsTampering(t *testing.T) {
	cases := []struct {
		name   string
		tamper func(t *testing.T, s *store.Store)
		broken int64
	}{
		{"intact", func(*testing.T, *store.Store) {}, 0},
		{"altered", func(t *testing.T, s *store.Store) {
			exec(t, s, `UPDATE audit_log SET actor = 'mallory' WHERE seq = 3`)
		}, 3},
		{"altered time", func(t *testing.T, s *store.Store) {
			exec(t, s, `UPDATE audit_log SET at = '2020-01-01T00:00:00.000000Z' WHERE seq = 2`)
		}, 2},
		{"deleted", func(t *testing.T, s *store.Store) {
			exec(t, s, `DELETE FROM audit_log WHERE seq = 4`)
		}, 4},
		{"inserted with a forged hash", func(t *testing.T, s *store.Store) {
			// A strong forger: shift later rows, insert an entry whose own
			// hash is right. The following entry's link then breaks.
			exec(t, s, `UPDATE audit_log SET seq = seq + 100 WHERE seq >= 3`)
			exec(t, s, `UPDATE audit_log SET seq = seq - 99 WHERE seq >= 103`)
			var prev string
			if err := s.DB().QueryRow(`SELECT hash FROM audit_log WHERE seq = 2`).Scan(&prev); err != nil {
				t.Fatal(err)
			}
			e := audit.Event{Seq: 3, At: time.Now().UTC().Truncate(time.Microsecond), Actor: "mallory", Source: "x", Action: "user.create",
				Object: "user backdoor", Outcome: "ok", PrevHash: prev}
			e.Hash = audit.ComputeHash(e)
			exec(t, s, `INSERT INTO audit_log (seq, at, actor, source, action, object, product_id, outcome, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, '', ?, ?)`,
				e.Seq, e.At.Format(audit.TimeLayout), e.Actor, e.Source, e.Action, e.Object, e.Outcome, e.PrevHash, e.Hash)
		}, 4},
		{"appended without the chain", func(t *testing.T, s *store.Store) {
			exec(t, s, `INSERT INTO audit_log (seq, at, actor, source, action, object, product_id, outcome, detail, prev_hash, hash)
				VALUES (6, '2026-01-01T00:00:00.000000Z', 'mallory', '', 'user.create', 'x', NULL, 'ok', '', 'abc', 'def')`)
		}, 6},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			storetest.ForEach(t, func(t *testing.T, s *store.Store) {
				seedAudit(t, s, 5)
				tc.tamper(t, s)
				n, head, err := s.VerifyAudit(context.Background())
				var be *audit.BrokenError
				switch {
				case tc.broken == 0 && err != nil:
					t.Fatalf("intact log reported broken: %v", err)
				case tc.broken == 0:
					if n != 5 || len(head) != 64 {
						t.Errorf("verified %d entries, head %q", n, head)
					}
				case !errors.As(err, &be):
					t.Fatalf("tampering not detected: n=%d err=%v", n, err)
				case be.Seq != tc.broken:
					t.Errorf("broken at %d (%s), want %d", be.Seq, be.Reason, tc.broken)
				}
			})
		})
	}
}

func exec(t *testing.T, s *store.Store, query string, args ...any) {
	t.Helper()
	if _, err := s.DB().Exec(q(s, query), args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func TestAuditConcurrentAppendsKeepTheChain(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		errc := make(chan error, 40)
		for i := range 40 {
			go func() {
				errc <- audit.Record(context.Background(), s, audit.Event{Action: "test.concurrent", Object: fmt.Sprint(i)})
			}()
		}
		for range 40 {
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
		}
		if n, _, err := s.VerifyAudit(context.Background()); err != nil || n != 40 {
			t.Fatalf("after concurrent appends: %d entries, %v", n, err)
		}
	})
}

func TestAuditQueryFilters(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		seedAudit(t, s, 6)
		ctx := context.Background()
		all, err := s.AuditEvents(ctx, audit.Query{})
		if err != nil || len(all) != 6 || all[0].Seq != 6 || all[0].Source != "192.0.2.7" {
			t.Fatalf("all: %d %v %+v", len(all), err, all)
		}
		byActor, _ := s.AuditEvents(ctx, audit.Query{Actor: "user3"})
		if len(byActor) != 1 || byActor[0].Seq != 3 {
			t.Errorf("by actor: %+v", byActor)
		}
		byProduct, _ := s.AuditEvents(ctx, audit.Query{Products: []int64{1}})
		if len(byProduct) != 3 {
			t.Errorf("restricted to product 1: %d events", len(byProduct))
		}
		none, _ := s.AuditEvents(ctx, audit.Query{Products: []int64{}})
		if len(none) != 0 {
			t.Errorf("restricted to no product: %d events", len(none))
		}
		prefix, _ := s.AuditEvents(ctx, audit.Query{Action: "auth."})
		if len(prefix) != 6 {
			t.Errorf("action prefix: %d", len(prefix))
		}
		older, _ := s.AuditEvents(ctx, audit.Query{Before: 3})
		if len(older) != 2 {
			t.Errorf("before 3: %d", len(older))
		}
	})
}
