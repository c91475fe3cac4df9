package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestErrorResponses pins the status, content type and whole problem+json
// body of the errors the error vocabulary classifies (fault kinds rendered
// through web.Status), so a change to how an error is classified cannot
// change what a client sees.
func TestErrorResponses(t *testing.T) {
	e := newEnv(t, "sqlite")
	rel := e.newRelease(t, "Gateway")
	p := e.newProduct(t, "Wearable")
	e.putTemplateModel(t, p.ID, "medical-wearable")
	scans := fmt.Sprintf("/api/v1/releases/%d/scans", rel.ID)
	tm := fmt.Sprintf("/api/v1/products/%d/threatmodel", p.ID)
	cases := []struct {
		name, method, path, ifMatch, body string
		status                            int
		want                              string
	}{
		{"bad report", "POST", scans + "?filename=cut.sarif", "", `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"CodeQL"`, 422,
			`{"type":"about:blank","title":"Unprocessable Entity","status":422,"detail":"sarif report: cut.sarif: at byte 35: runs[].tool: truncated JSON: the file ends inside a value: the report is incomplete: unexpected EOF","instance":"/api/v1/releases/1/scans"}`},
		{"unknown tool", "POST", scans + "?tool=nope&filename=a.json", "", `{}`, 422,
			`{"type":"about:blank","title":"Unprocessable Entity","status":422,"detail":"a.json: unknown tool \"nope\" (known: sarif, zap, zap-json, nessus, nessus-csv, nexpose, openvas, openvas-csv, dependency-check, dependency-check-json, burp, qualys, qualys-csv, qualys-was, trivy, grype, bandit, semgrep, gosec, osv-scanner, npm-audit, defectdojo-export, generic, generic-csv, gitlab-sast, gitlab-dast, snyk, cyclonedx, cyclonedx-xml)","instance":"/api/v1/releases/1/scans"}`},
		{"bad SBOM", "POST", fmt.Sprintf("/api/v1/releases/%d/sbom", rel.ID), "", `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"name":"x"}]}`, 422,
			`{"type":"about:blank","title":"Unprocessable Entity","status":422,"detail":"upload: /components/0: missing property 'type'","instance":"/api/v1/releases/1/sbom"}`},
		{"bad model", "PUT", tm + "?filename=bad.yaml", "", "rampart: 1\nname: x\nelements:\n  - id: a\n    type: spaceship\n", 422,
			`{"type":"about:blank","title":"Unprocessable Entity","status":422,"detail":"4 problems:\n  bad.yaml:1:1: title: the model needs a title\n  bad.yaml:1:10: rampart: unsupported model version \"1\" (this Rampart reads \"threatmodel/v1\")\n  bad.yaml:2:1: unknown field \"name\"\n  bad.yaml:5:11: elements[0].type: \"spaceship\" is not one of external_entity, process, data_store, device","instance":"/api/v1/products/2/threatmodel"}`},
		{"no If-Match", "POST", tm + "/elements", "", `{"name":"Hub","type":"process"}`, 428,
			`{"type":"about:blank","title":"Precondition Required","status":428,"detail":"If-Match is required: send the threat-model version the change was made on (the ETag of GET …/threatmodel/elements)","instance":"/api/v1/products/2/threatmodel/elements"}`},
		{"bad If-Match", "POST", tm + "/elements", `"x"`, `{"name":"Hub","type":"process"}`, 400,
			`{"type":"about:blank","title":"Bad Request","status":400,"detail":"If-Match: \"\\\"x\\\"\" is not a threat-model version (the ETag of GET …/threatmodel/elements, e.g. \"3\"; \"0\" when the product has no model yet)","instance":"/api/v1/products/2/threatmodel/elements"}`},
		{"unknown threat", "PUT", fmt.Sprintf("/api/v1/products/%d/threats/T-nope", p.ID), "", `{"status":"mitigated"}`, 404,
			`{"type":"about:blank","title":"Not Found","status":404,"detail":"threat \"T-nope\" is not in the current threat model","instance":"/api/v1/products/2/threats/T-nope"}`},
		{"bad path id", "GET", "/api/v1/products/abc", "", "", 400,
			`{"type":"about:blank","title":"Bad Request","status":400,"detail":"path parameter id: \"abc\" is not a valid id","instance":"/api/v1/products/abc"}`},
		{"bad JSON", "POST", "/api/v1/products", "", `{"name":`, 400,
			`{"type":"about:blank","title":"Bad Request","status":400,"detail":"request body: unexpected EOF","instance":"/api/v1/products"}`},
		{"unknown product", "GET", "/api/v1/products/999999", "", "", 404,
			`{"type":"about:blank","title":"Not Found","status":404,"detail":"not found","instance":"/api/v1/products/999999"}`},
	}
	for _, c := range cases {
		h := http.Header{}
		if c.ifMatch != "" {
			h.Set("If-Match", c.ifMatch)
		}
		resp := e.callWith(t, "admin", c.method, c.path, h, []byte(c.body), nil)
		got := strings.TrimSpace(readBody(resp))
		if resp.StatusCode != c.status || got != c.want || resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: %d %s %s\nwant %d %s", c.name, resp.StatusCode, resp.Header.Get("Content-Type"), got, c.status, c.want)
		}
	}

	// A stale If-Match: 412 with the versions and the diff (the handler's
	// own body), the current version as ETag.
	var stale map[string]any
	r := e.editCall(t, "admin", "POST", tm+"/elements", `"0"`, map[string]any{"name": "Hub", "type": "process"}, &stale)
	keys := []string{}
	for k := range stale {
		keys = append(keys, k)
	}
	js, _ := json.Marshal(map[string]any{"status": stale["status"], "title": stale["title"], "type": stale["type"], "detail": stale["detail"], "expected_version": stale["expected_version"]})
	if r.StatusCode != 412 || r.Header.Get("ETag") != `"1"` || len(stale) != 7 || string(js) != `{"detail":"the threat model changed: you edited version 0, the current version is 1; reload and apply your change again","expected_version":0,"status":412,"title":"Precondition Failed","type":"about:blank"}` {
		t.Errorf("stale If-Match: %d etag %s keys %v %s", r.StatusCode, r.Header.Get("ETag"), keys, js)
	}
}
