package demo

import (
	"context"
	"strings"
	"testing"
)

func TestSeedPolicy(t *testing.T) {
	ctx := context.Background()
	st := seededStore(t)
	gw, err := st.ProductByName(ctx, "Industrial Gateway IG-400")
	if err != nil {
		t.Fatal(err)
	}
	rels, _, _ := st.Releases(ctx, gw.ID, "", 10)
	for _, r := range rels {
		g, err := st.GateResultOf(ctx, r.ID)
		if err != nil {
			t.Fatalf("release %s has no gate result: %v", r.Version, err)
		}
		// The kernel's GPL is excepted; busybox, dnsmasq … still fail.
		if g.Passed || !strings.Contains(g.Result, `"subject": "linux@`) || !strings.Contains(g.Result, `"excepted": true`) {
			t.Errorf("release %s gate: passed %v\n%.600s", r.Version, g.Passed, g.Result)
		}
	}
	if cl, _ := st.Checklist(ctx, rels[0].ID); !cl["code_review"].Done {
		t.Errorf("checklist = %v", cl)
	}
	if as, _ := st.SAMMAssessments(ctx, gw.ID); len(as) != 1 || as[0].Scores.Overall == 0 {
		t.Errorf("SAMM = %+v", as)
	}
}
