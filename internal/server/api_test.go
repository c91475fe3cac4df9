package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/identity/accounts"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/sbom"
)

// TestOpenAPIMatchesRouter: every API and operations route registered in
// the router is in the OpenAPI document, and every documented operation is
// routed.
func TestOpenAPIMatchesRouter(t *testing.T) {
	e := newEnv(t, "sqlite")
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	resp := e.call(t, "", "GET", "/api/v1/openapi.json", nil, &doc)
	if resp.StatusCode != 200 || doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi.json: %d %q", resp.StatusCode, doc.OpenAPI)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			if method == "parameters" {
				continue
			}
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	routed := map[string]bool{}
	for _, rt := range e.srv.Routes() {
		if strings.HasPrefix(rt.Pattern, "/api/") || rt.Pattern == "/healthz" || rt.Pattern == "/readyz" || rt.Pattern == "/metrics" {
			routed[rt.Method+" "+rt.Pattern] = true
		}
	}
	var missing, extra []string
	for k := range routed {
		if !documented[k] {
			missing = append(missing, k)
		}
	}
	for k := range documented {
		if !routed[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		t.Errorf("routes missing from openapi.yaml: %v", missing)
	}
	if len(extra) > 0 {
		t.Errorf("openapi.yaml documents unrouted operations: %v", extra)
	}
	if len(routed) < 20 {
		t.Errorf("only %d API routes found; the route table is not being read", len(routed))
	}
}

// TestEveryRouteNeedsAuth: apart from the public allow-list, every route
// refuses a request without credentials.
func TestEveryRouteNeedsAuth(t *testing.T) {
	e := newEnv(t, "sqlite")
	public := map[string]bool{"GET /healthz": true, "GET /readyz": true, "GET /metrics": true, "GET /api/v1/openapi.json": true,
		"POST /api/v1/auth/login": true, "GET /login": true, "POST /login": true, "GET /setup": true, "POST /setup": true, "GET /invite": true, "POST /invite": true, "POST /login/passkey/begin": true, "POST /login/passkey/finish": true, "POST /login/passkey/second": true, "GET /login/sso": true, "GET /login/sso/callback": true, "GET /static/{file...}": true, "GET /favicon.ico": true,
		"GET /.well-known/security.txt": true, "GET /.well-known/csaf/{$}": true, "GET /.well-known/csaf/provider-metadata.json": true, "GET /.well-known/csaf/service.json": true, "GET /.well-known/csaf/openpgp/{file}": true, "GET /.well-known/csaf/white/{path...}": true,
		// vulnerability-report intake (rate-limited) and the reporter's private status link
		// attack-session join links (the link's secret is the credential)
		"POST /api/v1/attack-sessions/join": true, "GET /attack-sessions/join/{token}": true, "POST /attack-sessions/join/{token}": true,
		"POST /api/v1/intake": true, "GET /api/v1/intake/{tracking}": true, "GET /report": true, "POST /report": true, "GET /report/status/{tracking}": true,
		// TUF metadata and images for devices (signed; go-tuf needs plain 404s) and signed device check-ins
		"GET /tuf/{slug}/metadata/{file}": true, "GET /tuf/{slug}/targets/{file}": true, "GET /tuf/": true, "POST /api/v1/devices/checkin": true}
	for _, rt := range e.srv.Routes() {
		key := rt.Method + " " + rt.Pattern
		if rt.Public != public[key] {
			t.Errorf("%s: public=%v, allow-list says %v", key, rt.Public, public[key])
			continue
		}
		if rt.Public {
			continue
		}
		path := strings.NewReplacer("{id}", "1", "{$}", "").Replace(rt.Pattern)
		req, _ := http.NewRequest(rt.Method, e.url+path, nil)
		resp, _ := send(t, noRedirect, req)
		if strings.HasPrefix(rt.Pattern, "/api/") || strings.HasPrefix(rt.Pattern, "/.well-known/") {
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s without credentials: %d, want 401", key, resp.StatusCode)
			}
		} else if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
			t.Errorf("%s without session: %d %q, want redirect to /login", key, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
}

func gatewaySBOM(t *testing.T) []byte {
	t.Helper()
	comps := []inventory.Component{
		{Ref: "busybox", Type: inventory.TypeApplication, Name: "busybox", Version: "1.36.1", CPEs: []string{"cpe:2.3:a:busybox:busybox:1.36.1:*:*:*:*:*:*:*"}, DependsOn: []string{"musl"}},
		{Ref: "musl", Type: inventory.TypeLibrary, Name: "musl", Version: "1.2.4", Licenses: []string{"MIT"}},
		{Ref: "openssl", Type: inventory.TypeLibrary, Name: "openssl", Version: "3.0.13", PURL: "pkg:generic/openssl@3.0.13", DependsOn: []string{"musl"},
			Hashes: []inventory.Hash{{Algorithm: "SHA-256", Value: "88525753f79d3bec27d2fa7c66aa0b92b3aa9498dafd93d7cfa4b3780cdae313"}}},
	}
	return cycloneDX(t, "gw", "1", comps)
}

type compKey struct{ Name, Version, PURL, Hash, Deps string }

func keys(comps []inventory.Component) []compKey {
	var out []compKey
	for _, c := range comps {
		k := compKey{Name: c.Name, Version: c.Version, PURL: c.PURL}
		for _, h := range c.Hashes {
			k.Hash += h.Algorithm + ":" + h.Value
		}
		deps := append([]string(nil), c.DependsOn...)
		sort.Strings(deps)
		k.Deps = strings.Join(deps, ",")
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func TestAPIInventoryAndSBOM(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		// Missing and bad tokens are refused with problem details.
		resp := e.call(t, "", "GET", "/api/v1/products", nil, nil)
		if resp.StatusCode != 401 || resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("no token: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		req, _ := http.NewRequest("GET", e.url+"/api/v1/products", nil)
		req.Header.Set("Authorization", "Bearer rmp_forged")
		if r, _ := send(t, nil, req); r.StatusCode != 401 {
			t.Errorf("bad token: %d", r.StatusCode)
		}
		// Viewers cannot write; editors can.
		if r := e.call(t, "viewer", "POST", "/api/v1/products", map[string]any{"name": "X"}, nil); r.StatusCode != 403 {
			t.Errorf("viewer create: %d", r.StatusCode)
		}
		var prob struct {
			Status int    `json:"status"`
			Field  string `json:"field"`
		}
		if r := e.call(t, "editor", "POST", "/api/v1/products", map[string]any{"name": "Gateway", "criticality": 7}, &prob); r.StatusCode != 400 || prob.Field != "criticality" {
			t.Errorf("bad criticality: %d %+v", r.StatusCode, prob)
		}
		if r := e.call(t, "editor", "POST", "/api/v1/products", map[string]any{"name": "Gateway", "bogus": 1}, nil); r.StatusCode != 400 {
			t.Errorf("unknown field: %d", r.StatusCode)
		}
		var p inventory.Product
		if r := e.call(t, "editor", "POST", "/api/v1/products", map[string]any{"name": "Gateway", "criticality": 5, "exposure": "internet-facing"}, &p); r.StatusCode != 201 || p.ID == 0 {
			t.Fatalf("create product: %d %+v", r.StatusCode, p)
		}
		if r := e.call(t, "editor", "POST", "/api/v1/products", map[string]any{"name": "Gateway"}, nil); r.StatusCode != 409 {
			t.Errorf("duplicate product: %d", r.StatusCode)
		}
		var rel inventory.Release
		if r := e.call(t, "editor", "POST", fmt.Sprintf("/api/v1/products/%d/releases", p.ID), map[string]any{"version": "2.4.1", "release_date": "2026-03-01", "status": "shipped"}, &rel); r.StatusCode != 201 {
			t.Fatalf("create release: %d", r.StatusCode)
		}
		if r := e.call(t, "editor", "POST", fmt.Sprintf("/api/v1/products/%d/releases", p.ID), map[string]any{"version": "9", "release_date": "March"}, &prob); r.StatusCode != 400 || prob.Field != "release_date" {
			t.Errorf("bad date: %d %+v", r.StatusCode, prob)
		}
		// Upload: the body is the SBOM.
		var res struct {
			Components int    `json:"components"`
			Format     string `json:"format"`
		}
		up := fmt.Sprintf("/api/v1/releases/%d/sbom", rel.ID)
		if r := e.call(t, "editor", "POST", up, gatewaySBOM(t), &res); r.StatusCode != 200 || res.Components != 3 || res.Format != "cyclonedx" {
			t.Fatalf("upload: %d %+v", r.StatusCode, res)
		}
		var detail struct {
			Detail string `json:"detail"`
		}
		if r := e.call(t, "editor", "POST", up, []byte(`{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"name":"x"}]}`), &detail); r.StatusCode != 422 || !strings.Contains(detail.Detail, "type") {
			t.Errorf("invalid SBOM: %d %q", r.StatusCode, detail.Detail)
		}
		if r := e.call(t, "viewer", "POST", up, gatewaySBOM(t), nil); r.StatusCode != 403 {
			t.Errorf("viewer upload: %d", r.StatusCode)
		}
		var comps struct {
			Items      []inventory.Component `json:"items"`
			NextCursor string                `json:"next_cursor"`
		}
		e.call(t, "viewer", "GET", fmt.Sprintf("/api/v1/releases/%d/components?sort=name&limit=2", rel.ID), nil, &comps)
		if len(comps.Items) != 2 || comps.Items[0].Name != "busybox" || comps.NextCursor == "" {
			t.Fatalf("components page: %+v", comps)
		}
		first, cur := comps.Items, comps.NextCursor
		comps.Items, comps.NextCursor = nil, ""
		e.call(t, "viewer", "GET", fmt.Sprintf("/api/v1/releases/%d/components?sort=name&limit=2&cursor=%s", rel.ID, cur), nil, &comps)
		if len(comps.Items) != 1 || comps.Items[0].Name != "openssl" || comps.NextCursor != "" {
			t.Fatalf("components page 2: %+v", comps)
		}
		orig := keys(append(first, comps.Items...))
		// Export in both formats and import again: same components, purls, hashes, edges.
		for _, format := range []string{"cyclonedx-json", "spdx-json"} {
			r := e.call(t, "viewer", "GET", fmt.Sprintf("/api/v1/releases/%d/sbom?format=%s", rel.ID, format), nil, nil)
			if r.StatusCode != 200 {
				t.Fatalf("export %s: %d", format, r.StatusCode)
			}
			var buf bytes.Buffer
			buf.ReadFrom(r.Body)
			doc, err := sbom.DecodeBytes(buf.Bytes(), format)
			if err != nil {
				t.Fatalf("exported %s does not validate: %v", format, err)
			}
			if format == "cyclonedx-json" && doc.SpecVersion != "1.6" || format == "spdx-json" && doc.SpecVersion != "2.3" {
				t.Errorf("%s spec version %s", format, doc.SpecVersion)
			}
			rel2 := e.postRelease(t, "editor", p.ID, map[string]any{"version": "rt-" + format})
			if r := e.call(t, "editor", "POST", fmt.Sprintf("/api/v1/releases/%d/sbom", rel2.ID), buf.Bytes(), nil); r.StatusCode != 200 {
				t.Fatalf("re-import %s: %d", format, r.StatusCode)
			}
			comps.Items = nil
			e.call(t, "viewer", "GET", fmt.Sprintf("/api/v1/releases/%d/components?limit=100", rel2.ID), nil, &comps)
			got := keys(comps.Items)
			if format == "spdx-json" { // SPDX ids replace bom-refs; compare edges by name instead
				for i := range got {
					got[i].Deps, orig[i].Deps = "", ""
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(orig) {
				t.Errorf("%s round trip changed components:\n got %v\nwant %v", format, got, orig)
			}
		}
		if r := e.call(t, "viewer", "GET", fmt.Sprintf("/api/v1/releases/%d/sbom?format=pdf", rel.ID), nil, nil); r.StatusCode != 400 {
			t.Errorf("bad export format: %d", r.StatusCode)
		}
		var hits struct {
			Items []struct {
				ProductName    string `json:"product_name"`
				ReleaseVersion string `json:"release_version"`
			} `json:"items"`
		}
		e.call(t, "viewer", "GET", "/api/v1/components?q="+url.QueryEscape("openssl")+"&version=3.0.x", nil, &hits)
		if len(hits.Items) != 3 || hits.Items[0].ProductName != "Gateway" {
			t.Errorf("search: %+v", hits)
		}
		if r := e.call(t, "viewer", "GET", "/api/v1/components", nil, &prob); r.StatusCode != 400 || prob.Field != "q" {
			t.Errorf("search without q: %d %+v", r.StatusCode, prob)
		}
		if r := e.call(t, "viewer", "GET", "/api/v1/products/99999", nil, nil); r.StatusCode != 404 {
			t.Errorf("missing product: %d", r.StatusCode)
		}
		// Deleting needs the manage permission: the global viewer has
		// only read (403); admins and the product's owner may.
		if r := e.call(t, "viewer", "DELETE", fmt.Sprintf("/api/v1/products/%d", p.ID), nil, nil); r.StatusCode != 403 {
			t.Errorf("viewer delete: %d", r.StatusCode)
		}
		if r := e.call(t, "admin", "DELETE", fmt.Sprintf("/api/v1/products/%d", p.ID), nil, nil); r.StatusCode != 204 {
			t.Errorf("admin delete: %d", r.StatusCode)
		}
	})
}

func TestSessionCSRFAndThrottle(t *testing.T) {
	e := newEnv(t, "sqlite")
	resp, s := e.login(t, "", "alice", e.password, "")
	if resp.StatusCode != 200 || s == nil || !s.cookie.HttpOnly || s.cookie.SameSite != http.SameSiteLaxMode || s.csrf == "" {
		t.Fatalf("login: %d session=%+v", resp.StatusCode, s)
	}
	post := func(csrf, origin string) int {
		req := e.request(t, "POST", "/api/v1/products", []byte(`{"name":"P-`+csrf+origin+`"}`))
		req.AddCookie(s.cookie)
		if csrf != "" {
			req.Header.Set("X-CSRF-Token", csrf)
		}
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		r, _ := send(t, nil, req)
		return r.StatusCode
	}
	if got := post("", ""); got != 403 {
		t.Errorf("cookie POST without CSRF token: %d, want 403", got)
	}
	if got := post("wrong", ""); got != 403 {
		t.Errorf("cookie POST with wrong CSRF token: %d, want 403", got)
	}
	if got := post(s.csrf, "https://evil.example"); got != 403 {
		t.Errorf("cross-origin POST: %d, want 403", got)
	}
	if got := post(s.csrf, e.url); got != 201 {
		t.Errorf("same-origin POST with CSRF token: %d, want 201", got)
	}
	// Security headers on every response.
	r := e.call(t, "", "GET", "/login", nil, nil)
	for h, want := range map[string]string{"Content-Security-Policy": "script-src 'self'", "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY"} {
		if !strings.Contains(r.Header.Get(h), want) {
			t.Errorf("%s = %q, want %q", h, r.Header.Get(h), want)
		}
	}
	// Wrong passwords: 401, then 429 with Retry-After. Unknown users get the same 401.
	var codes []int
	for range 7 {
		r, _ := e.login(t, "", "alice", "wrong password for alice", "")
		codes = append(codes, r.StatusCode)
		if r.StatusCode == 429 && r.Header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
	}
	if codes[0] != 401 || codes[len(codes)-1] != 429 {
		t.Errorf("throttle codes %v: want 401s then 429", codes)
	}
	if r2, _ := e.login(t, "", "nobody", "x", ""); r2.StatusCode != 401 && r2.StatusCode != 429 {
		t.Errorf("unknown user: %d", r2.StatusCode)
	}
	_ = accounts.ErrBadCredentials
}

func TestOperationsEndpoints(t *testing.T) {
	e := newEnv(t, "sqlite")
	if r := e.call(t, "", "GET", "/healthz", nil, nil); r.StatusCode != 200 {
		t.Errorf("healthz %d", r.StatusCode)
	}
	if r := e.call(t, "", "GET", "/readyz", nil, nil); r.StatusCode != 200 {
		t.Errorf("readyz %d", r.StatusCode)
	}
	e.call(t, "viewer", "GET", "/api/v1/products", nil, nil)
	r := e.call(t, "", "GET", "/metrics", nil, nil)
	var buf bytes.Buffer
	buf.ReadFrom(r.Body)
	if r.StatusCode != 200 || !strings.Contains(buf.String(), `rampart_http_requests_total{code="200",method="GET",route="GET /api/v1/products"}`) {
		t.Errorf("metrics: %d\n%s", r.StatusCode, buf.String()[:min(buf.Len(), 500)])
	}
	if r := e.call(t, "", "GET", "/api/v1/nothing-here", nil, nil); r.StatusCode != 404 || r.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("unknown API path: %d", r.StatusCode)
	}
}

// TestProductDedupFields: a product can define duplicates by chosen fields;
// with "vulnerability + component" two tools reporting one CVE in different
// component versions are linked, which the default fingerprint does not do.
func TestProductDedupFields(t *testing.T) {
	e := newEnv(t, "sqlite")
	p := e.newProduct(t, "Router")
	rel := e.postRelease(t, "editor", p.ID, map[string]any{"version": "1"})
	report := func(tool, version string) []byte {
		return []byte(fmt.Sprintf(`{"findings":[{"title":"openssl CVE-2023-0286","severity":"High","cve":"CVE-2023-0286","component_name":"openssl","component_version":%q,"description":"from %s"}]}`, version, tool))
	}
	imp := func(scope, version string) map[string]any {
		var res map[string]any
		if r := e.call(t, "editor", "POST", fmt.Sprintf("/api/v1/releases/%d/scans?tool=generic&scope=%s", rel.ID, scope), report(scope, version), &res); r.StatusCode != 200 {
			t.Fatalf("import %s: %d %v", scope, r.StatusCode, res)
		}
		return res
	}
	if res := imp("trivy", "3.0.7"); res["new"] != 1.0 {
		t.Fatalf("first import: %v", res)
	}
	if res := imp("grype", "3.0.8"); res["duplicates"] != nil && res["duplicates"] != 0.0 {
		t.Errorf("default fingerprint linked different versions: %v", res)
	}
	var prob struct{ Field string }
	if r := e.call(t, "editor", "PUT", fmt.Sprintf("/api/v1/products/%d/dedup", p.ID), map[string]any{"fields": []string{"colour"}}, &prob); r.StatusCode != 400 || prob.Field != "fields" {
		t.Errorf("unknown field: %d %+v", r.StatusCode, prob)
	}
	if r := e.call(t, "viewer", "PUT", fmt.Sprintf("/api/v1/products/%d/dedup", p.ID), map[string]any{"fields": []string{"vulnerability"}}, nil); r.StatusCode != 403 {
		t.Errorf("viewer sets dedup: %d", r.StatusCode)
	}
	if r := e.call(t, "editor", "PUT", fmt.Sprintf("/api/v1/products/%d/dedup", p.ID), map[string]any{"fields": []string{"vulnerability", "component"}}, nil); r.StatusCode != 200 {
		t.Fatalf("set dedup: %d", r.StatusCode)
	}
	var got struct{ Fields []string }
	e.call(t, "viewer", "GET", fmt.Sprintf("/api/v1/products/%d/dedup", p.ID), nil, &got)
	if strings.Join(got.Fields, ",") != "vulnerability,component" {
		t.Errorf("dedup setting: %+v", got)
	}
	if res := imp("dependency-check", "3.0.9"); res["duplicates"] != 1.0 {
		t.Errorf("vulnerability+component did not link the third tool's finding: %v", res)
	}
}
