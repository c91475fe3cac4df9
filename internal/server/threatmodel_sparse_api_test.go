package server_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/threatmodel"
)

// Issue 13: a sparse model (Threat Dragon, no security attributes) gets
// threats that say what they assumed, the check exposes the completeness,
// and the threats list filters on the server.
func TestThreatsAPISparseModelAndFilters(t *testing.T) {
	td := readFile(t, "../threatmodel/threatdragon/testdata/v2-door.json")
	forEachEngine(t, func(t *testing.T, e *env) {
		p := e.newProduct(t, "Door lock")
		base := fmt.Sprintf("/api/v1/products/%d", p.ID)
		var saved struct {
			Completeness *threatmodel.Completeness `json:"completeness"`
		}
		if r := e.call(t, "editor", "PUT", base+"/threatmodel?filename=door.json", td, &saved); r.StatusCode != 201 || saved.Completeness == nil || saved.Completeness.Total == 0 {
			t.Fatalf("PUT: %d %+v", r.StatusCode, saved.Completeness)
		}
		type list struct {
			Threats      []threatmodel.Threat      `json:"threats"`
			Total        int                       `json:"total"`
			Completeness *threatmodel.Completeness `json:"completeness"`
		}
		var all list
		e.call(t, "viewer", "GET", base+"/threats", nil, &all)
		if all.Total != len(all.Threats) || all.Completeness == nil || len(all.Completeness.Attributes) == 0 {
			t.Fatalf("threats: total %d of %d, completeness %+v", all.Total, len(all.Threats), all.Completeness)
		}
		assumed := 0
		for _, th := range all.Threats {
			if len(th.Assumed) > 0 && strings.Contains(th.Why, "Not stated in the model: assumed") {
				assumed++
			}
		}
		if assumed == 0 {
			t.Error("no threat says what it assumed")
		}
		// Readable ids: the Threat Dragon cell p1 is "lock-firmware".
		var f list
		e.call(t, "viewer", "GET", base+"/threats?element=lock-firmware&stride=repudiation", nil, &f)
		if len(f.Threats) == 0 || f.Total != all.Total {
			t.Fatalf("filtered: %d threats, total %d", len(f.Threats), f.Total)
		}
		for _, th := range f.Threats {
			if th.Target != "lock-firmware" || th.STRIDE != "repudiation" {
				t.Errorf("filter let through %s (%s on %s)", th.ID, th.STRIDE, th.Target)
			}
		}
		// Tracking shows in the status filter.
		id := f.Threats[0].ID
		if r := e.call(t, "editor", "PUT", base+"/threats/"+id, map[string]any{"status": "in_progress", "owner": "ana"}, nil); r.StatusCode != 200 {
			t.Fatalf("track: %d", r.StatusCode)
		}
		var ip list
		e.call(t, "viewer", "GET", base+"/threats?status=in_progress", nil, &ip)
		if len(ip.Threats) != 1 || ip.Threats[0].ID != id || ip.Threats[0].Owner != "ana" {
			t.Errorf("status filter: %+v", ip.Threats)
		}
		if r := e.call(t, "viewer", "GET", base+"/threats?stride=spoof", nil, nil); r.StatusCode != 400 {
			t.Errorf("bad stride: %d, want 400", r.StatusCode)
		}
	})
}
