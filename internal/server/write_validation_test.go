package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// fullToken matches a whole API token secret (listed tokens show only a prefix).
var fullToken = regexp.MustCompile(`rmp_[A-Za-z0-9_-]{40,}`)

// TestTokenFormProductRefused: the account page's token form refuses a
// product that is not an id (it used to be read as 0, a token for every
// product) and one that does not exist (it used to show the database's
// FOREIGN KEY text), names the field, creates nothing and keeps what was
// typed (label, lifetime, scopes).
func TestTokenFormProductRefused(t *testing.T) {
	e := newEnv(t, "sqlite")
	s := e.loginOK(t, "alice")
	for _, tc := range []struct{ product, want string }{
		{"abc", `product &#34;abc&#34;: not a whole number`},
		{"-1", `product -1: no such product`},
		{"999", `product 999: no such product`},
	} {
		form := url.Values{"name": {"ci-typo"}, "expires": {"720h"}, "product": {tc.product}, "scope": {"sbom:write"}}
		resp := e.postForm(t, s, "/account/tokens", form)
		body := readBody(resp)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, tc.want) {
			t.Errorf("product %q: %d, want 400 with %q:\n%s", tc.product, resp.StatusCode, tc.want, body)
		}
		if strings.Contains(body, "constraint") || fullToken.MatchString(body) {
			t.Errorf("product %q: driver text or a token in the answer", tc.product)
		}
		for _, kept := range []string{`value="ci-typo"`, `value="720h" selected`, `value="sbom:write" checked`} {
			if !strings.Contains(body, kept) {
				t.Errorf("product %q: the form lost its input (no %s)", tc.product, kept)
			}
		}
	}
	users, err := e.store.Users(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		toks, err := e.store.APITokens(t.Context(), u.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, tok := range toks {
			if tok.Name == "ci-typo" {
				t.Errorf("token %d created from a refused form", tok.ID)
			}
		}
	}
}

// TestAPITokenUnknownProduct: the API refuses a token restricted to a
// product that does not exist with a 400 naming product_id, and a duplicate
// product name with a 409 that names the product, not the database's
// constraint.
func TestAPITokenUnknownProduct(t *testing.T) {
	e := newEnv(t, "sqlite")
	code, body := e.bearer(t, e.tokens["admin"], "POST", "/api/v1/tokens", `{"name":"ci","product_id":999}`)
	if code != http.StatusBadRequest || !strings.Contains(body, `"field":"product_id"`) || strings.Contains(body, "constraint") {
		t.Errorf("token for product 999: %d %s", code, body)
	}
	e.newProduct(t, "Gateway")
	code, body = e.bearer(t, e.tokens["admin"], "POST", "/api/v1/products", `{"name":"Gateway"}`)
	if code != http.StatusConflict || !strings.Contains(body, `create product \"Gateway\": already exists`) || strings.Contains(body, "constraint") {
		t.Errorf("duplicate product: %d %s", code, body)
	}
}

// TestFormNumbersRefused: a whole-number form field that is not a number
// (criticality, a member's product, a rollout's percentage) is refused
// naming the field; it used to be read as 0 (a product created with the
// default criticality, a role on product 0, a 0 % rollout). A refused new
// product keeps what was typed.
func TestFormNumbersRefused(t *testing.T) {
	e := newEnv(t, "sqlite")
	s := e.loginOK(t, "alice")
	resp := e.postForm(t, s, "/products", url.Values{"name": {"Typo Gateway"}, "description": {"kept description"}, "owner": {"kept owner"},
		"criticality": {"high"}, "exposure": {"physical"}})
	body := readBody(resp)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "criticality &#34;high&#34;: not a whole number") {
		t.Errorf("criticality high: %d\n%s", resp.StatusCode, body)
	}
	for _, kept := range []string{`value="Typo Gateway"`, `>kept description</textarea>`, `value="kept owner"`, `value="physical" selected`} {
		if !strings.Contains(body, kept) {
			t.Errorf("refused product: the form lost its input (no %s)", kept)
		}
	}
	if ps, _, err := e.store.ProductsIn(t.Context(), nil, "", 100); err != nil {
		t.Fatal(err)
	} else {
		for _, p := range ps {
			if p.Name == "Typo Gateway" {
				t.Errorf("product %d created from a refused form", p.ID)
			}
		}
	}
	resp = e.postForm(t, s, "/admin/users/2/products", url.Values{"product": {"gateway"}, "role": {"viewer"}})
	if body := readBody(resp); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "product &#34;gateway&#34;: not a whole number") {
		t.Errorf("member product gateway: %d\n%s", resp.StatusCode, body)
	}
	p := e.newProduct(t, "Fleet")
	resp = e.postForm(t, s, fmt.Sprintf("/products/%d/rollouts", p.ID), url.Values{"target": {"gw.img"}, "percent": {"ten"}})
	if loc := resp.Header.Get("Location"); !strings.Contains(loc, "percent") || !strings.Contains(loc, "not+a+whole+number") {
		t.Errorf("rollout percent ten: %d, redirect %q", resp.StatusCode, loc)
	}
}

// TestAdvisoryWorkflowUnknownAction: an advisory workflow form with an
// action other than submit, reject or publish is refused with a message
// naming the action; it used to be a 500.
func TestAdvisoryWorkflowUnknownAction(t *testing.T) {
	e := newEnv(t, "sqlite")
	s := e.loginOK(t, "alice")
	prod := e.newProduct(t, "T5")
	a := e.newAdvisory(t, prod.ID, map[string]any{"title": "Mbed TLS overflow", "vendor": "Northwind", "vulnerabilities": []any{map[string]any{"cve": "CVE-2023-43615",
		"releases": []any{map[string]any{"product": "T5", "version": "1.8.2", "status": "affected", "fixed_in": "1.9.0"}}}}})
	resp := e.postForm(t, s, fmt.Sprintf("/advisories/%d/workflow", a.ID), url.Values{"action": {"bogus"}})
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "must+be+submit%2C+reject+or+publish") {
		t.Errorf("action bogus: %d, redirect %q", resp.StatusCode, loc)
	}
}

// TestProductWithIncidentKept: a product that an incident names, itself or
// through a release, is not deleted (409, as for such a release); it used
// to be deleted with its releases, leaving the incident listed but
// impossible to open (404). A product without incidents still is deleted.
func TestProductWithIncidentKept(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		for _, via := range []string{"products", "releases"} {
			prod := e.newProduct(t, "Gateway "+via)
			rel := e.postRelease(t, "editor", prod.ID, map[string]any{"version": "2.1.0", "status": "shipped"})
			named := map[string]any{"products": []int64{prod.ID}}
			if via == "releases" {
				named = map[string]any{"releases": []int64{rel.ID}}
			}
			in := map[string]any{"kind": "vulnerability", "title": "RCE in the web UI", "severity": "critical", "vulnerability": "CVE-2026-1111"}
			for k, v := range named {
				in[k] = v
			}
			var inc struct {
				ID int64 `json:"id"`
			}
			if r := e.call(t, "editor", "POST", "/api/v1/incidents", in, &inc); r.StatusCode != http.StatusCreated {
				t.Fatalf("%s: open incident: %d %s", via, r.StatusCode, readBody(r))
			}
			r := e.call(t, "admin", "DELETE", fmt.Sprintf("/api/v1/products/%d", prod.ID), nil, nil)
			if body := readBody(r); r.StatusCode != http.StatusConflict || !strings.Contains(body, "named by 1 incident(s)") {
				t.Errorf("%s: delete a product with an incident: %d %s", via, r.StatusCode, body)
			}
			if r := e.call(t, "viewer", "GET", fmt.Sprintf("/api/v1/incidents/%d", inc.ID), nil, nil); r.StatusCode != http.StatusOK {
				t.Errorf("%s: incident after the refused delete: %d", via, r.StatusCode)
			}
		}
		free := e.newProduct(t, "Spare")
		if r := e.call(t, "admin", "DELETE", fmt.Sprintf("/api/v1/products/%d", free.ID), nil, nil); r.StatusCode != http.StatusNoContent {
			t.Errorf("delete a product without incidents: %d", r.StatusCode)
		}
	})
}
