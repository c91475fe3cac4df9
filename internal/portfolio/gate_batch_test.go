package portfolio_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/blob"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
)

const componentPolicy = `rampart: policy/v1
rules:
  - id: no-new-copyleft
    severity: high
    on: component
    when: component.new && !component.approved && license_requires_any(component.license, copyleft)
    message: "new {{ component.name }} {{ component.version }} is {{ component.license }}"
  - id: no-gpl3
    severity: low
    on: component
    when: component.license == "GPL-3.0-only"
    message: "{{ component.name }}"
`

// TestGateBatches: the gate reads a release's components (and those of
// the previous release, for `new`) in batches; any batch size gives the
// violations that one batch holding the whole release gives: `new`
// against components of the previous release found in other batches,
// the approved list, the order of the report.
func TestGateBatches(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		comp := func(i int, lic string) inventory.Component {
			return inventory.Component{Ref: fmt.Sprintf("c%d", i), Name: fmt.Sprintf("lib%d", i), Version: "1.0",
				PURL: fmt.Sprintf("pkg:generic/lib%d@1.0", i), Licenses: []string{lic}}
		}
		var old, cur []inventory.Component
		for i := 0; i < 12; i++ {
			lic := []string{"GPL-2.0-only", "MIT", "GPL-3.0-only", "Apache-2.0"}[i%4]
			cur = append(cur, comp(i, lic))
			if i%3 == 0 { // in the previous release: not new
				old = append(old, comp(i, lic))
			}
		}
		g, _, r2 := gateTwoReleases(t, st, old, cur, "approved:\n  - purl: pkg:generic/lib2\n    reason: reviewed\n")
		eval := func(batch int) []string {
			t.Helper()
			defer portfolio.SetGateBatch(batch)()
			v, err := g.Evaluate(ctx, r2.ID, "api")
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, x := range v.Violations {
				out = append(out, x.Rule+" "+x.Subject+": "+x.Message)
			}
			return out
		}
		want := eval(1000)
		// Copyleft: lib0, 2, 4, 6, 8, 10; lib0 and lib6 are in 1.0 (not
		// new), lib2 is approved: lib4, lib8, lib10 are new copyleft.
		if len(want) == 0 {
			t.Fatal("no violations")
		}
		newCopyleft := 0
		for _, w := range want {
			if len(w) > 15 && w[:15] == "no-new-copyleft" {
				newCopyleft++
			}
		}
		if newCopyleft != 3 || len(want) != 6 {
			t.Errorf("%d new copyleft violations of %d, want 3 (lib4, lib8, lib10) of 6 (and lib2, lib6, lib10 GPL-3.0): %q", newCopyleft, len(want), want)
		}
		for _, batch := range []int{1, 2, 5} {
			if got := eval(batch); !reflect.DeepEqual(got, want) {
				t.Errorf("batch %d:\n got %q\nwant %q", batch, got, want)
			}
		}
	})
}

// gateTwoReleases makes product "Cam" with releases 1.0 (components old)
// and 1.1 (components cur), gives the product componentPolicy and the
// approved list approved; it returns a gate whose clock stands at
// 2026-06-01 12:00 UTC, the product and release 1.1.
func gateTwoReleases(t *testing.T, st *store.Store, old, cur []inventory.Component, approved string) (*portfolio.Gate, inventory.Product, inventory.Release) {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	g := portfolio.NewGate(st, portfolio.NewVulns(st, nil), nil, func() time.Time { return now })
	p := inventory.Product{Name: "Cam"}
	if err := st.CreateProduct(ctx, &p); err != nil {
		t.Fatal(err)
	}
	r1 := inventory.Release{ProductID: p.ID, Version: "1.0"}
	r2 := inventory.Release{ProductID: p.ID, Version: "1.1"}
	for _, r := range []*inventory.Release{&r1, &r2} {
		if err := st.CreateRelease(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.ImportComponents(ctx, r1.ID, old, blob.Blob{}); err != nil {
		t.Fatal(err)
	}
	if err := st.ImportComponents(ctx, r2.ID, cur, blob.Blob{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := g.SavePolicy(ctx, p.ID, componentPolicy, "", "alice"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := g.SaveApproved(ctx, p.ID, approved, "", "alice"); err != nil {
		t.Fatal(err)
	}
	return g, p, r2
}
