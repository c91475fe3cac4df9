package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
)

// TestProductMaxAcceptance: a product's maximum risk-acceptance duration
// starts at the default (0), is stored per product, and is refused beyond
// the global ceiling.
func TestProductMaxAcceptance(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a, b := inventory.Product{Name: "Router"}, inventory.Product{Name: "Camera"}
		for _, p := range []*inventory.Product{&a, &b} {
			if err := s.CreateProduct(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
		if d, err := s.ProductMaxAcceptance(ctx, a.ID); err != nil || d != 0 {
			t.Fatalf("new product: %d %v, want 0", d, err)
		}
		if err := s.SetProductMaxAcceptance(ctx, a.ID, 90); err != nil {
			t.Fatal(err)
		}
		if d, _ := s.ProductMaxAcceptance(ctx, a.ID); d != 90 {
			t.Errorf("after set: %d, want 90", d)
		}
		if d, _ := s.ProductMaxAcceptance(ctx, b.ID); d != 0 {
			t.Errorf("other product: %d, want 0", d)
		}
		if err := s.SetProductMaxAcceptance(ctx, a.ID, findings.MaxAcceptanceDays+1); fault.FieldOf(err) != "max_days" {
			t.Errorf("beyond the ceiling: %v", err)
		}
		if err := s.SetProductMaxAcceptance(ctx, 999999, 30); !errors.Is(err, fault.ErrNotFound) {
			t.Errorf("unknown product: %v", err)
		}
		if _, err := s.ProductMaxAcceptance(ctx, 999999); !errors.Is(err, fault.ErrNotFound) {
			t.Errorf("unknown product read: %v", err)
		}
	})
}
