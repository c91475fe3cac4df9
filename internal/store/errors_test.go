package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/incident"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
)

// TestDriverErrorsByCode: each engine's unique, primary-key, foreign-key,
// NOT NULL and CHECK violations are told apart by the driver's error code,
// and only unique ones map to ErrConflict. None of them is retryable.
func TestDriverErrorsByCode(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		for _, q := range []string{
			`CREATE TABLE vt_parent (id INTEGER PRIMARY KEY)`,
			`CREATE TABLE vt_child (id INTEGER PRIMARY KEY, parent INTEGER NOT NULL REFERENCES vt_parent (id), n INTEGER CHECK (n > 0), u TEXT UNIQUE)`,
			`INSERT INTO vt_parent (id) VALUES (1)`,
			`INSERT INTO vt_child (id, parent, n, u) VALUES (1, 1, 1, 'a')`,
		} {
			if err := s.ExecRaw(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		cases := []struct {
			name, query string
			want        string
		}{
			{"unique", `INSERT INTO vt_child (id, parent, n, u) VALUES (2, 1, 1, 'a')`, "unique"},
			{"primary key", `INSERT INTO vt_child (id, parent, n, u) VALUES (1, 1, 1, 'b')`, "unique"},
			{"foreign key on insert", `INSERT INTO vt_child (id, parent, n, u) VALUES (3, 99, 1, 'c')`, "foreign key"},
			{"foreign key on delete", `DELETE FROM vt_parent WHERE id = 1`, "foreign key"},
			{"not null", `INSERT INTO vt_child (id, parent, n, u) VALUES (4, NULL, 1, 'd')`, "not null"},
			{"check", `INSERT INTO vt_child (id, parent, n, u) VALUES (5, 1, 0, 'e')`, "check"},
			{"syntax", `INSERT INTO vt_nope VALUES (1)`, ""},
		}
		for _, c := range cases {
			err := s.ExecRaw(ctx, c.query)
			if err == nil {
				t.Errorf("%s: no error", c.name)
				continue
			}
			if got := store.Violation(err); got != c.want {
				t.Errorf("%s: violation %q, want %q (%v)", c.name, got, c.want, err)
			}
			if store.Retryable(err) {
				t.Errorf("%s: retryable (%v)", c.name, err)
			}
			if conflict := errors.Is(store.MapErr(err), fault.ErrConflict); conflict != (c.want == "unique") {
				t.Errorf("%s: maps to ErrConflict: %v (%v)", c.name, conflict, err)
			}
		}
	})
}

// TestConflictMessage: a duplicate name is a conflict whose message names
// the object and says it exists, without the driver's constraint text.
func TestConflictMessage(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := ensureRelease(t, s, "Gateway", "1.0")
		err := s.CreateProduct(ctx, &inventory.Product{Name: "Gateway"})
		if !errors.Is(err, fault.ErrConflict) || err.Error() != `create product "Gateway": already exists` {
			t.Errorf("duplicate product: %v", err)
		}
		err = s.CreateRelease(ctx, &inventory.Release{ProductID: p.ProductID, Version: "1.0"})
		if !errors.Is(err, fault.ErrConflict) || strings.Contains(err.Error(), "constraint") {
			t.Errorf("duplicate release: %v", err)
		}
	})
}

// TestForeignKeyNotFound: writes naming a product, user or release that
// does not exist are not found on both engines, classified by the
// foreign-key code (the messages differ: "FOREIGN KEY constraint failed"
// on SQLite, SQLSTATE 23503 on PostgreSQL).
func TestForeignKeyNotFound(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := ensureRelease(t, s, "Gateway", "1.0")
		if err := s.SetMember(ctx, p.ProductID, 9999, identity.ProductViewer); !errors.Is(err, fault.ErrNotFound) {
			t.Errorf("member: unknown user: %v", err)
		}
		at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		inc := &incident.Incident{Kind: incident.KindVulnerability, Title: "Key leak", Severity: "high", Phase: incident.PhaseDetection, AwareAt: at,
			Products: []int64{p.ProductID, 9999}}
		err := s.CreateIncident(ctx, inc, incident.Entry{At: at, Actor: "alice", Action: "opened"})
		if !errors.Is(err, fault.ErrNotFound) || err.Error() != "product 9999: no such product or release" {
			t.Errorf("incident on an unknown product: %v", err)
		}
		u := identity.User{Name: "tokenowner", Role: identity.RoleAdmin, PasswordHash: "x"}
		if err := s.CreateUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
		for _, pid := range []int64{9999, -1} {
			_, _, err = s.CreateToken(ctx, identity.TokenRequest{UserID: u.ID, Name: "ci", Scopes: []identity.Scope{identity.ScopeAll}, ProductID: pid})
			if !errors.Is(err, fault.ErrInvalid) || fault.FieldOf(err) != "product_id" || strings.Contains(err.Error(), "constraint") {
				t.Errorf("token for product %d: %v, want invalid product_id without the driver's text", pid, err)
			}
		}
	})
}
