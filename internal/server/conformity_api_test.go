package server_test

import (
	"fmt"
	"io"
	"strings"
	"testing"
)

// TestConformityAPI: the contract of GET /api/v1/releases/{id}/conformity,
// manual answers and reviews through the API, the printable export with its
// own strict CSP, release comparison and the portfolio overview.
func TestConformityAPI(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		old := e.ensureRelease(t, "Gateway", "1.5.0")
		rel := e.ensureRelease(t, "Gateway", "1.6.0")
		e.importSBOMFile(t, rel.ID, "gw.cdx.json", "../sbom/testdata/gateway-fw-1.6.cdx.json")
		type item struct {
			ID, Title, Status, Justification string
			Evidence                         []struct{ Kind, ID, URL string }
		}
		var rep struct {
			Catalog, Version string
			Items            []item
			Summary          map[string]int
			Changes          []struct{ ID, Before, After string }
		}
		base := fmt.Sprintf("/api/v1/releases/%d/conformity", rel.ID)
		if r := e.call(t, "viewer", "GET", base+"?catalog=cra-annex-i&compare="+fmt.Sprint(old.ID), nil, &rep); r.StatusCode != 200 {
			t.Fatalf("GET: %d", r.StatusCode)
		}
		if rep.Catalog != "cra-annex-i" || rep.Version == "" || len(rep.Items) != 22 {
			t.Fatalf("report: %s %s %d items", rep.Catalog, rep.Version, len(rep.Items))
		}
		for _, k := range []string{"met", "not_met", "not_applicable", "needs_evidence"} {
			if _, ok := rep.Summary[k]; !ok {
				t.Errorf("summary lacks %s: %v", k, rep.Summary)
			}
		}
		var sbomItem item
		for _, it := range rep.Items {
			if it.ID == "II.1" {
				sbomItem = it
			}
		}
		if sbomItem.Status != "met" || len(sbomItem.Evidence) == 0 || sbomItem.Evidence[0].URL != fmt.Sprintf("/releases/%d/sbom", rel.ID) {
			t.Errorf("II.1 = %+v", sbomItem)
		}
		changed := false
		for _, c := range rep.Changes {
			if c.ID == "II.1" && c.Before == "not_met" && c.After == "met" {
				changed = true
			}
		}
		if !changed {
			t.Errorf("compare with 1.5.0: %+v", rep.Changes)
		}

		// Manual answers: viewers may not, editors may; the author cannot review.
		ans := map[string]string{"status": "not_applicable", "justification": "the gateway has no sensors"}
		path := base + "/etsi-en-303-645/5.8-3"
		if r := e.call(t, "viewer", "PUT", path, ans, nil); r.StatusCode != 403 {
			t.Errorf("viewer answered: %d", r.StatusCode)
		}
		if r := e.call(t, "editor", "PUT", base+"/etsi-en-303-645/9.9-9", ans, nil); r.StatusCode != 400 {
			t.Errorf("unknown item: %d", r.StatusCode)
		}
		var a struct {
			Version  int
			Author   string
			Reviewer string
		}
		if r := e.call(t, "editor", "PUT", path, ans, &a); r.StatusCode != 200 || a.Version != 1 || a.Author != "ed" {
			t.Fatalf("answer: %d %+v", r.StatusCode, a)
		}
		if r := e.call(t, "editor", "POST", path+"/review", nil, nil); r.StatusCode != 403 {
			t.Errorf("author reviewed own answer: %d", r.StatusCode)
		}
		if r := e.call(t, "admin", "POST", path+"/review", nil, &a); r.StatusCode != 200 || a.Reviewer != "alice" {
			t.Errorf("review: %d %+v", r.StatusCode, a)
		}
		e.call(t, "viewer", "GET", base, nil, &rep)
		for _, it := range rep.Items {
			if it.ID == "5.8-3" && (it.Status != "not_applicable" || it.Justification != "the gateway has no sensors") {
				t.Errorf("5.8-3 after the answer: %+v", it)
			}
		}

		// Printable export: self-contained, with a CSP that allows only its own style.
		r := e.call(t, "viewer", "GET", base+"/report?catalog=etsi-en-303-645&format=html", nil, nil)
		body, _ := io.ReadAll(r.Body)
		if r.StatusCode != 200 || !strings.Contains(string(body), "Implementation conformance statement") || !strings.Contains(string(body), "5.8-3") {
			t.Errorf("html export: %d %.200s", r.StatusCode, body)
		}
		if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "style-src 'sha256-") {
			t.Errorf("export CSP = %q", csp)
		}
		if r := e.call(t, "viewer", "GET", base+"/report?format=pdf", nil, nil); r.StatusCode != 400 {
			t.Errorf("unknown format: %d", r.StatusCode)
		}
		if r := e.call(t, "viewer", "GET", base+"?catalog=iso-27001", nil, nil); r.StatusCode != 400 {
			t.Errorf("unknown catalogue: %d", r.StatusCode)
		}

		var ov struct {
			Items []struct {
				Product   string
				ReleaseID int64 `json:"release_id"`
				Score     int
			}
		}
		if r := e.call(t, "viewer", "GET", "/api/v1/conformity?catalog=cra-annex-i", nil, &ov); r.StatusCode != 200 || len(ov.Items) != 1 || ov.Items[0].ReleaseID != rel.ID {
			t.Errorf("overview: %d %+v", r.StatusCode, ov)
		}
	})
}
