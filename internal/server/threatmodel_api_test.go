package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/threatmodel"
)

func TestThreatModelAPI(t *testing.T) {
	e := newEnv(t, "sqlite")
	p := e.newProduct(t, "Wearable")
	tpl := templateModel(t, "medical-wearable")
	base := fmt.Sprintf("/api/v1/products/%d", p.ID)
	if r := e.call(t, "viewer", "PUT", base+"/threatmodel", tpl, nil); r.StatusCode != 403 {
		t.Errorf("viewer PUT: %d", r.StatusCode)
	}
	var saved struct {
		Version struct{ Version int } `json:"version"`
		Created bool                  `json:"created"`
		Threats int                   `json:"threats"`
	}
	if r := e.call(t, "editor", "PUT", base+"/threatmodel?note=first", tpl, &saved); r.StatusCode != 201 || !saved.Created || saved.Version.Version != 1 || saved.Threats == 0 {
		t.Fatalf("PUT template: %d %+v", r.StatusCode, saved)
	}
	if r := e.call(t, "editor", "PUT", base+"/threatmodel", tpl, &saved); r.StatusCode != 200 || saved.Created || saved.Version.Version != 1 {
		t.Errorf("identical PUT made a version: %d %+v", r.StatusCode, saved)
	}
	var prob struct{ Detail string }
	bad := []byte("rampart: 1\nname: x\nelements:\n  - id: a\n    type: spaceship\n")
	if r := e.call(t, "editor", "PUT", base+"/threatmodel?filename=bad.yaml", bad, &prob); r.StatusCode != 422 || !strings.Contains(prob.Detail, "bad.yaml:") {
		t.Errorf("invalid model: %d %q", r.StatusCode, prob.Detail)
	}
	var threats struct {
		ModelVersion int                  `json:"model_version"`
		Threats      []threatmodel.Threat `json:"threats"`
	}
	e.call(t, "viewer", "GET", base+"/threats", nil, &threats)
	if threats.ModelVersion != 1 || len(threats.Threats) != saved.Threats {
		t.Fatalf("threats: %d, %d threats (saved %d)", threats.ModelVersion, len(threats.Threats), saved.Threats)
	}
	var open threatmodel.Threat
	for _, th := range threats.Threats {
		if th.Status == "open" {
			open = th
			break
		}
	}
	if r := e.call(t, "editor", "PUT", base+"/threats/"+open.ID, map[string]string{"status": "accepted"}, &prob); r.StatusCode != 400 {
		t.Errorf("accept without reason: %d", r.StatusCode)
	}
	if r := e.call(t, "editor", "PUT", base+"/threats/"+open.ID, map[string]string{"status": "in_progress", "owner": "ed", "task": "JIRA-42"}, nil); r.StatusCode != 200 {
		t.Fatalf("track: %d", r.StatusCode)
	}
	if r := e.call(t, "editor", "PUT", base+"/threats/NOPE@x", map[string]string{"status": "mitigated"}, nil); r.StatusCode != 404 {
		t.Errorf("unknown threat: %d", r.StatusCode)
	}
	e.call(t, "viewer", "GET", base+"/threats", nil, &threats)
	for _, th := range threats.Threats {
		if th.ID == open.ID && (th.Status != "in_progress" || th.Owner != "ed") {
			t.Errorf("tracked threat: %+v", th)
		}
	}
	r := e.call(t, "viewer", "GET", base+"/threatmodel/diagram", nil, nil)
	var buf strings.Builder
	fmt.Fprint(&buf, r.Body)
	if r.StatusCode != 200 || r.Header.Get("Content-Type") != "image/svg+xml" {
		t.Errorf("diagram: %d %s", r.StatusCode, r.Header.Get("Content-Type"))
	}
	var rules struct{ Rules []threatmodel.Rule }
	e.call(t, "viewer", "GET", "/api/v1/threatmodel/rules", nil, &rules)
	if len(rules.Rules) < 60 {
		t.Errorf("rules: %d", len(rules.Rules))
	}
}

// A Threat Dragon flow attached to one element is not a flow, but its
// recorded threat is kept, and the upload says so (issue 14).
func TestThreatModelUploadImportWarnings(t *testing.T) {
	e := newEnv(t, "sqlite")
	p := e.newProduct(t, "Door lock")
	td := readFile(t, "../threatmodel/threatdragon/testdata/v2-door.json")
	base := fmt.Sprintf("/api/v1/products/%d", p.ID)
	var saved struct {
		Created        bool     `json:"created"`
		ImportWarnings []string `json:"import_warnings"`
	}
	if r := e.call(t, "editor", "PUT", base+"/threatmodel?filename=door.json", td, &saved); r.StatusCode != 201 || !saved.Created || len(saved.ImportWarnings) != 2 ||
		!strings.Contains(saved.ImportWarnings[0], `flow f3 ("Dangling") is attached to one element only (access-log)`) {
		t.Fatalf("PUT Threat Dragon: %d %+v", r.StatusCode, saved)
	}
	var threats struct {
		Threats []threatmodel.Threat `json:"threats"`
	}
	e.call(t, "viewer", "GET", base+"/threats", nil, &threats)
	found := false
	for _, th := range threats.Threats {
		found = found || th.ID == "TD-t-9@f3"
	}
	if !found {
		t.Errorf("the one-ended flow's threat is not among the product's threats")
	}
	tpl := templateModel(t, "medical-wearable")
	if r := e.call(t, "editor", "PUT", base+"/threatmodel", tpl, &saved); r.StatusCode != 201 || saved.ImportWarnings == nil || len(saved.ImportWarnings) != 0 {
		t.Errorf("Rampart model: import_warnings %v (want [])", saved.ImportWarnings)
	}
}

// The product page's upload says what the import could not carry over.
func TestThreatModelUploadPageShowsImportWarnings(t *testing.T) {
	e := newEnv(t, "sqlite")
	p := e.newProduct(t, "Door lock")
	td := readFile(t, "../threatmodel/threatdragon/testdata/v2-door.json")
	resp := e.postFile(t, e.loginOK(t, "ed"), fmt.Sprintf("/products/%d/threatmodel", p.ID), "model", "door.json", td)
	loc, _ := url.QueryUnescape(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "Saved version 1 of the threat model from door.json. Import warnings (2): flow f3") {
		t.Errorf("upload: %d, redirect %q", resp.StatusCode, loc)
	}
}
