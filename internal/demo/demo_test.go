package demo

import (
	"context"
	"testing"

	"github.com/rampart-security/rampart/internal/store"
)

func TestSeed(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n, err := Seed(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if n != 9 {
		t.Errorf("seeded %d releases, want 9", n)
	}
	products, _, _ := st.Products(ctx, "", 10)
	if len(products) != 4 {
		t.Fatalf("products = %d", len(products))
	}
	for _, p := range products {
		if p.Components == 0 || p.Releases < 2 {
			t.Errorf("%s: %d releases, %d components", p.Name, p.Releases, p.Components)
		}
	}
	hits, _, err := st.Search(ctx, store.SearchQuery{Q: "openssl", Version: "3.0.x"})
	if err != nil || len(hits) != 2 {
		t.Errorf("openssl 3.0.x ships in %d releases (%v), want 2", len(hits), err)
	}
	fs, _, err := st.Findings(ctx, store.FindingQuery{Status: "active"})
	if err != nil || len(fs) != 5 {
		t.Errorf("demo findings: %d %v", len(fs), err)
	}
	if _, err := st.ThreatModel(ctx, products[2].ID, 0); err != nil {
		t.Errorf("threat model of %s: %v", products[2].Name, err)
	}
	// Seeding again changes nothing.
	if n, err := Seed(ctx, st); err != nil || n != 0 {
		t.Errorf("second seed: %d %v", n, err)
	}
}
