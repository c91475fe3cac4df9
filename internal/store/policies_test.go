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
