package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/policy"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
	"github.com/rampart-security/rampart/internal/threatmodel"
)

// TestVersionedPolicyDocuments: policies and approved lists are versioned
// per product (0: global) independently of each other; saving the latest
// content again is not a new version.
func TestVersionedPolicyDocuments(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := createProduct(t, s, "Lock")
		now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		type saver func(context.Context, int64, string, string, string, time.Time) (policy.PolicyVersion, bool, error)
		type getter func(context.Context, int64, int) (policy.PolicyVersion, error)
		for _, kind := range []struct {
			name string
			save saver
			get  getter
			list func(context.Context, int64) ([]policy.PolicyVersion, error)
		}{
			{"policy", s.SavePolicy, s.Policy, s.PolicyVersions},
			{"approved", s.SaveApproved, s.Approved, s.ApprovedVersions},
		} {
			if _, err := kind.get(ctx, p.ID, 0); !errors.Is(err, fault.ErrNotFound) {
				t.Errorf("%s: none stored: %v", kind.name, err)
			}
			for i, tt := range []struct {
				product     int64
				src         string
				wantV       int
				wantCreated bool
			}{
				{p.ID, kind.name + " a", 1, true}, {p.ID, kind.name + " a", 1, false}, {p.ID, kind.name + " b", 2, true},
				{0, kind.name + " global", 1, true}, {p.ID, kind.name + " a", 3, true},
			} {
				v, created, err := kind.save(ctx, tt.product, tt.src, "n", "alice", now)
				if err != nil || v.Version != tt.wantV || created != tt.wantCreated || v.Source != tt.src {
					t.Errorf("%s save %d: %+v created=%v err=%v", kind.name, i, v, created, err)
				}
			}
			if v, err := kind.get(ctx, p.ID, 2); err != nil || v.Source != kind.name+" b" || v.CreatedBy != "alice" || !v.CreatedAt.Equal(now) {
				t.Errorf("%s version 2: %+v %v", kind.name, v, err)
			}
			if v, err := kind.get(ctx, 0, 0); err != nil || v.Source != kind.name+" global" {
				t.Errorf("%s global: %+v %v", kind.name, v, err)
			}
			if vs, err := kind.list(ctx, p.ID); err != nil || len(vs) != 3 || vs[0].Version != 3 {
				t.Errorf("%s versions: %+v %v", kind.name, vs, err)
			}
			if _, _, err := kind.save(ctx, p.ID+100, "x", "", "alice", now); !errors.Is(err, fault.ErrNotFound) {
				t.Errorf("%s for a missing product: %v", kind.name, err)
			}
		}
	})
}

// TestThreatModelVersions: a product's threat model is versioned like a
// policy (the same content again is not a new version) but has no global
// document; an edit of a version that is no longer the latest fails with
// ErrStaleVersion, and a product without a model lists no versions (nil).
func TestThreatModelVersions(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := createProduct(t, s, "Lock")
		if vs, err := s.ThreatModelVersions(ctx, p.ID); err != nil || vs != nil {
			t.Errorf("versions before any: %#v %v", vs, err)
		}
		if _, err := s.ThreatModel(ctx, p.ID, 0); !errors.Is(err, fault.ErrNotFound) {
			t.Errorf("none stored: %v", err)
		}
		for i, tt := range []struct {
			base        int // -1: SaveThreatModel
			src         string
			wantV       int
			wantCreated bool
			wantErr     error
		}{
			{-1, "a", 1, true, nil}, {-1, "a", 1, false, nil}, {1, "b", 2, true, nil},
			{1, "c", 0, false, store.ErrStaleVersion}, {2, "b", 2, false, nil}, {2, "c", 3, true, nil},
		} {
			save := s.SaveThreatModel
			if tt.base >= 0 {
				save = func(ctx context.Context, productID int64, source, note, actor string) (threatmodel.ThreatModelVersion, bool, error) {
					return s.SaveThreatModelOn(ctx, productID, tt.base, source, note, actor)
				}
			}
			v, created, err := save(ctx, p.ID, tt.src, "n", "alice")
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || !errors.Is(err, fault.ErrConflict) {
					t.Errorf("save %d: %v, want %v", i, err, tt.wantErr)
				}
				continue
			}
			if err != nil || v.Version != tt.wantV || created != tt.wantCreated || v.Source != tt.src || v.CreatedBy != "alice" {
				t.Errorf("save %d: %+v created=%v err=%v", i, v, created, err)
			}
		}
		if v, err := s.ThreatModel(ctx, p.ID, 2); err != nil || v.Source != "b" || v.Note != "n" {
			t.Errorf("version 2: %+v %v", v, err)
		}
		if v, err := s.ThreatModel(ctx, p.ID, 0); err != nil || v.Version != 3 || v.Source != "c" {
			t.Errorf("latest: %+v %v", v, err)
		}
		if vs, err := s.ThreatModelVersions(ctx, p.ID); err != nil || len(vs) != 3 || vs[0].Version != 3 || vs[0].Source != "" {
			t.Errorf("versions: %+v %v", vs, err)
		}
		if _, _, err := s.SaveThreatModel(ctx, 0, "x", "", "alice"); !errors.Is(err, fault.ErrNotFound) {
			t.Errorf("for product 0: %v", err)
		}
	})
}
