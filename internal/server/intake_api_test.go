package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/incident"
)

// TestIntakeAbuse: the public intake accepts a report without sign-in,
// keeps HTML as text, opens an incident for an exploited report on a known
// product, and refuses non-JSON bodies, cross-origin posts, oversize fields
// and bodies, and a sixth report from one address within the hour.
func TestIntakeAbuse(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		prod := e.newProduct(t, "Gateway")
		post := func(body any, hdr map[string]string) (*http.Response, map[string]any) {
			js, _ := json.Marshal(body)
			req, _ := http.NewRequest("POST", e.url+"/api/v1/intake", bytes.NewReader(js))
			req.Header.Set("Content-Type", "application/json")
			for k, v := range hdr {
				req.Header.Set(k, v)
			}
			resp, data := send(t, nil, req)
			var out map[string]any
			_ = json.Unmarshal(data, &out)
			return resp, out
		}
		xss := `<img src=x onerror=alert(1)> RCE in /cgi-bin/admin`
		resp, rec := post(map[string]any{"title": xss, "description": "POST /cgi-bin/admin?host=;id", "product": "gateway", "contact": "r@example.org", "exploited": true}, nil)
		if resp.StatusCode != 201 || !strings.HasPrefix(rec["tracking_id"].(string), "RPT-") || !strings.Contains(rec["status_url"].(string), "token=") {
			t.Fatalf("intake: %d %v", resp.StatusCode, rec)
		}
		var st map[string]any
		r := e.call(t, "", "GET", "/api/v1/intake/"+rec["tracking_id"].(string)+"?"+strings.SplitN(rec["status_url"].(string), "?", 2)[1], nil, &st)
		if r.StatusCode != 200 || st["status"] != "triaged" || st["title"] != xss {
			t.Errorf("status link: %d %v", r.StatusCode, st)
		}
		if r := e.call(t, "", "GET", "/api/v1/intake/"+rec["tracking_id"].(string)+"?token=guess", nil, nil); r.StatusCode != 404 {
			t.Errorf("status with a wrong token: %d", r.StatusCode)
		}
		var list struct{ Items []incident.Incident }
		e.call(t, "viewer", "GET", "/api/v1/incidents", nil, &list)
		if len(list.Items) != 1 || list.Items[0].AwareSignal != "intake" || list.Items[0].Title != "Reported: "+xss || list.Items[0].Products[0] != prod.ID {
			t.Errorf("incident from an exploited report: %+v", list.Items)
		}
		// Refusals (none of them count against the rate limit).
		js, _ := json.Marshal(map[string]any{"title": "t", "description": "d"})
		req, _ := http.NewRequest("POST", e.url+"/api/v1/intake", bytes.NewReader(js))
		req.Header.Set("Content-Type", "text/plain")
		if resp, _ := send(t, nil, req); resp.StatusCode != 400 {
			t.Errorf("text/plain: %d", resp.StatusCode)
		}
		if resp, _ := post(map[string]any{"title": "t", "description": "d"}, map[string]string{"Origin": "https://evil.example"}); resp.StatusCode != 403 {
			t.Errorf("cross-origin: %d", resp.StatusCode)
		}
		if resp, out := post(map[string]any{"title": "t", "description": strings.Repeat("a", incident.MaxIntakeDescription+1)}, nil); resp.StatusCode != 400 || out["field"] != "description" {
			t.Errorf("long description: %d %v", resp.StatusCode, out)
		}
		if resp, _ := post(map[string]any{"title": "t", "description": strings.Repeat("a", 2<<20)}, nil); resp.StatusCode != 413 {
			t.Errorf("2 MiB body: %d", resp.StatusCode)
		}
		if resp, out := post(map[string]any{"title": "t", "description": "d", "attachment": []byte("poc")}, nil); resp.StatusCode != 400 || out["field"] != "attachment" {
			t.Errorf("attachment without a key: %d %v", resp.StatusCode, out)
		}
		if resp, _ := post(map[string]any{"title": "", "description": "d"}, nil); resp.StatusCode != 400 {
			t.Errorf("empty title: %d", resp.StatusCode)
		}
		// An unknown product is neither confirmed nor denied.
		for i := 0; i < incident.IntakePerSource-1; i++ {
			if resp, _ := post(map[string]any{"title": "report", "description": "d", "product": "Secret Prototype"}, nil); resp.StatusCode != 201 {
				t.Fatalf("report %d: %d", i+2, resp.StatusCode)
			}
		}
		if resp, out := post(map[string]any{"title": "one too many", "description": "d"}, nil); resp.StatusCode != 429 {
			t.Errorf("sixth report in an hour: %d %v", resp.StatusCode, out)
		}
		reps, err := e.store.IntakeReports(context.Background(), nil, 10)
		if err != nil || len(reps) != incident.IntakePerSource {
			t.Fatalf("stored reports: %d %v", len(reps), err)
		}
		if !strings.HasPrefix(reps[0].Description, "Product named by the reporter: Secret Prototype") || reps[0].ProductID != 0 {
			t.Errorf("unknown product kept as text: %+v", reps[0])
		}
	})
}
