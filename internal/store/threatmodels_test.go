package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
	"github.com/rampart-security/rampart/internal/threatmodel"
)

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
