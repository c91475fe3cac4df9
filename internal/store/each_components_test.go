package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/blob"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
)

// TestEachComponents: the batches hold every component of the release,
// in AllComponents' order, none of another release; on SQLite each page
// is read from the (release_id, id) index, not sorted (migration 00175).
func TestEachComponents(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		var rels []int64
		for _, v := range []string{"1", "2"} {
			rel := ensureRelease(t, st, "Router", v)
			var comps []inventory.Component
			for i := 0; i < 25; i++ {
				comps = append(comps, inventory.Component{Ref: fmt.Sprintf("c%02d", i), Name: fmt.Sprintf("lib%s-%d", v, i), Version: "1", Type: inventory.TypeLibrary})
			}
			if err := st.ImportComponents(ctx, rel.ID, comps, blob.Blob{}); err != nil {
				t.Fatal(err)
			}
			rels = append(rels, rel.ID)
		}
		all, err := st.AllComponents(ctx, rels[0])
		if err != nil {
			t.Fatal(err)
		}
		for _, batch := range []int{1, 7, 25, 100} {
			var got []string
			calls := 0
			err := st.EachComponents(ctx, rels[0], batch, func(b []inventory.Component) error {
				calls++
				if len(b) > batch {
					t.Errorf("batch of %d holds %d", batch, len(b))
				}
				for _, c := range b {
					got = append(got, c.Name)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, c := range all {
				want = append(want, c.Name)
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("batch %d: %v, want %v", batch, got, want)
			}
			if wantCalls := (25 + batch - 1) / batch; calls != wantCalls {
				t.Errorf("batch %d: %d calls, want %d", batch, calls, wantCalls)
			}
		}
		if st.Engine() == store.SQLite {
			plan := queryPlan(t, st, `SELECT c.id FROM components c WHERE c.release_id = ? AND c.id > ? ORDER BY c.id LIMIT ?`, rels[0], 0, 10)
			if strings.Contains(plan, "TEMP B-TREE") || !strings.Contains(plan, "components_release_id") {
				t.Errorf("query plan: %s", plan)
			}
		}
	})
}
