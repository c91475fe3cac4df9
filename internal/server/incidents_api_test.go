package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestIncidentAPIContract drives the incident API as the contract says:
// open with aware_at, read the clocks, patch, fetch report packages,
// record submissions, run a drill and read its scorecard.
func TestIncidentAPIContract(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		prod := e.newProduct(t, "Gateway")
		rel := e.postRelease(t, "editor", prod.ID, map[string]any{"version": "2.1.0", "status": "shipped"})
		if resp := e.call(t, "editor", "PUT", "/api/v1/products/"+itoa(prod.ID)+"/incident-settings",
			map[string]any{"manufacturer": "Acme Devices GmbH", "member_states": []string{"de", "FR"}}, nil); resp.StatusCode != 200 {
			t.Fatalf("settings: %d", resp.StatusCode)
		}
		if resp := e.call(t, "editor", "PUT", "/api/v1/products/"+itoa(prod.ID)+"/incident-settings", map[string]any{"member_states": []string{"US"}}, nil); resp.StatusCode != 400 {
			t.Errorf("non-EU member state: %d, want 400", resp.StatusCode)
		}
		aware := time.Now().UTC().Add(-2 * time.Hour).Truncate(time.Second)
		var inc struct {
			ID      int64     `json:"id"`
			Phase   string    `json:"phase"`
			AwareAt time.Time `json:"aware_at"`
			Reports []struct {
				Kind   string     `json:"kind"`
				Due    *time.Time `json:"due"`
				Status string     `json:"status"`
			} `json:"reports"`
		}
		resp := e.call(t, "editor", "POST", "/api/v1/incidents", map[string]any{"kind": "vulnerability", "title": "RCE in the web UI", "severity": "critical",
			"products": []int64{prod.ID}, "releases": []int64{rel.ID}, "vulnerability": "CVE-2026-1111", "aware_at": aware.Format(time.RFC3339)}, &inc)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("open: %d", resp.StatusCode)
		}
		if inc.Phase != "detection" || !inc.AwareAt.Equal(aware) || len(inc.Reports) != 3 {
			t.Fatalf("open answered %+v", inc)
		}
		if inc.Reports[0].Kind != "early_warning" || !inc.Reports[0].Due.Equal(aware.Add(24*time.Hour)) || inc.Reports[0].Status != "due" ||
			inc.Reports[1].Kind != "notification" || !inc.Reports[1].Due.Equal(aware.Add(72*time.Hour)) ||
			inc.Reports[2].Kind != "final_report" || inc.Reports[2].Due != nil {
			t.Errorf("reports %+v", inc.Reports)
		}
		id := itoa(inc.ID)
		// Tasks: added, marked done, opened again; another incident's
		// task is not found; the body must say done or not.
		var task struct {
			ID     int64      `json:"id"`
			DoneAt *time.Time `json:"done_at"`
		}
		if resp := e.call(t, "editor", "POST", "/api/v1/incidents/"+id+"/tasks", map[string]any{"title": "Block at the edge", "owner": "bob"}, &task); resp.StatusCode != http.StatusCreated || task.ID == 0 {
			t.Fatalf("add task: %d %+v", resp.StatusCode, task)
		}
		taskPath := "/api/v1/incidents/" + id + "/tasks/" + itoa(task.ID)
		if resp := e.call(t, "editor", "PATCH", taskPath, map[string]any{"done": true}, &task); resp.StatusCode != 200 || task.DoneAt == nil {
			t.Errorf("task done: %d %+v", resp.StatusCode, task)
		}
		if resp := e.call(t, "viewer", "PATCH", taskPath, map[string]any{"done": false}, nil); resp.StatusCode != 403 {
			t.Errorf("viewer reopens a task: %d, want 403", resp.StatusCode)
		}
		task.DoneAt = nil // done_at is omitted when open
		if resp := e.call(t, "editor", "PATCH", taskPath, map[string]any{"done": false}, &task); resp.StatusCode != 200 || task.DoneAt != nil {
			t.Errorf("task reopened: %d %+v", resp.StatusCode, task)
		}
		if resp := e.call(t, "editor", "PATCH", taskPath, map[string]any{}, nil); resp.StatusCode != 400 {
			t.Errorf("task without done: %d, want 400", resp.StatusCode)
		}
		resp = e.call(t, "editor", "PATCH", "/api/v1/incidents/"+id+"/tasks/999999", map[string]any{"done": true}, nil)
		if body := readBody(resp); resp.StatusCode != 404 || !strings.Contains(body, "incident "+id+" has no task 999999") {
			t.Errorf("unknown task: %d %s, want 404 saying the incident has no such task", resp.StatusCode, body)
		}
		// Bad input names the field.
		var prob struct{ Field string }
		if resp := e.call(t, "editor", "POST", "/api/v1/incidents", map[string]any{"kind": "outage", "title": "x", "products": []int64{prod.ID}}, &prob); resp.StatusCode != 400 || prob.Field != "kind" {
			t.Errorf("bad kind: %d field %q", resp.StatusCode, prob.Field)
		}
		// A viewer may read but not change.
		if resp := e.call(t, "viewer", "PATCH", "/api/v1/incidents/"+id, map[string]any{"phase": "containment"}, nil); resp.StatusCode != 403 {
			t.Errorf("viewer patch: %d", resp.StatusCode)
		}
		fixed := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
		if resp := e.call(t, "editor", "PATCH", "/api/v1/incidents/"+id, map[string]any{"phase": "containment", "owner": "psirt-lead",
			"corrective_measure_at": fixed.Format(time.RFC3339)}, &inc); resp.StatusCode != 200 {
			t.Fatalf("patch: %d", resp.StatusCode)
		}
		if inc.Phase != "containment" || inc.Reports[2].Due == nil || !inc.Reports[2].Due.Equal(fixed.AddDate(0, 0, 14)) {
			t.Errorf("after patch %+v", inc)
		}
		if resp := e.call(t, "editor", "POST", "/api/v1/incidents/"+id+"/reports/early_warning/submission", map[string]any{"reference": "SRP-42"}, &inc); resp.StatusCode != 200 {
			t.Fatalf("submission: %d", resp.StatusCode)
		}
		if inc.Reports[0].Status != "submitted_on_time" {
			t.Errorf("early warning status %s", inc.Reports[0].Status)
		}
		if resp := e.call(t, "editor", "POST", "/api/v1/incidents/"+id+"/reports/early_warning/submission", map[string]any{"reference": "again"}, nil); resp.StatusCode != 409 {
			t.Errorf("second submission: %d, want 409", resp.StatusCode)
		}
		var pkg map[string]any
		e.call(t, "viewer", "GET", "/api/v1/incidents/"+id+"/reports/notification?format=json", nil, &pkg)
		if pkg["manufacturer"] != "Acme Devices GmbH" || pkg["legal_basis"] == nil || len(pkg["member_states"].([]any)) != 2 {
			t.Errorf("notification package %v", pkg)
		}
		resp = e.call(t, "viewer", "GET", "/api/v1/incidents/"+id+"/reports/final_report?format=markdown", nil, nil)
		md, _ := io.ReadAll(resp.Body)
		if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/markdown") || !strings.Contains(string(md), "# Final report: incident") || !strings.Contains(string(md), "Art. 14(2)(c)") {
			t.Errorf("markdown %s:\n%s", resp.Header.Get("Content-Type"), md)
		}
		var list struct {
			Items []json.RawMessage `json:"items"`
		}
		e.call(t, "viewer", "GET", "/api/v1/incidents?phase=containment&product="+itoa(prod.ID)+"&drill=false", nil, &list)
		if len(list.Items) != 1 {
			t.Errorf("filtered list: %d", len(list.Items))
		}
		// A drill and its scorecard.
		var drill struct {
			ID    int64 `json:"id"`
			Drill bool  `json:"drill"`
		}
		if resp := e.call(t, "editor", "POST", "/api/v1/drills", map[string]any{"scenario": "leaked-signing-key", "products": []int64{prod.ID}}, &drill); resp.StatusCode != 201 || !drill.Drill {
			t.Fatalf("drill: %d %+v", resp.StatusCode, drill)
		}
		e.call(t, "editor", "PATCH", "/api/v1/incidents/"+itoa(drill.ID), map[string]any{"phase": "containment"}, nil)
		var card struct {
			Scores []struct {
				Step string `json:"step"`
				Met  bool   `json:"met"`
			} `json:"scores"`
			Met, Total int
		}
		e.call(t, "viewer", "GET", "/api/v1/drills/"+itoa(drill.ID)+"/scorecard", nil, &card)
		if card.Total != 7 || card.Met != 1 || card.Scores[0].Step != "phase containment" || !card.Scores[0].Met {
			t.Errorf("scorecard %+v", card)
		}
		if resp := e.call(t, "viewer", "GET", "/api/v1/drills/"+id+"/scorecard", nil, nil); resp.StatusCode != 404 {
			t.Errorf("scorecard of a real incident: %d, want 404", resp.StatusCode)
		}
		e.call(t, "viewer", "GET", "/api/v1/incidents?drill=true", nil, &list)
		if len(list.Items) != 1 {
			t.Errorf("drill list: %d", len(list.Items))
		}
	})
}
