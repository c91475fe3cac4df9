package server_test

import (
	"fmt"
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/findings"
)

var (
	crumbsNav  = regexp.MustCompile(`(?s)<nav class="crumbs">(.*?)</nav>`)
	crumbsHref = regexp.MustCompile(`<a href="([^"]+)"`)
)

// TestBreadcrumbsLive signs in and opens the main pages; every page's
// breadcrumb links lead to a page that answers 200, and every crumb but
// the last (the page itself) is a link.
func TestBreadcrumbsLive(t *testing.T) {
	e := newEnv(t, "sqlite")
	gw, _ := overviewPortfolio(t, e)
	var rels struct {
		Items []struct{ ID int64 }
	}
	e.call(t, "viewer", "GET", fmt.Sprintf("/api/v1/products/%d/releases", gw.ID), nil, &rels)
	if len(rels.Items) == 0 {
		t.Fatal("no releases")
	}
	rel := rels.Items[0].ID
	if r := e.call(t, "editor", "POST", fmt.Sprintf("/api/v1/releases/%d/scans?filename=trivy.json", rel), []byte(trivyXNet), nil); r.StatusCode != 200 {
		t.Fatalf("scan: %d", r.StatusCode)
	}
	fs, _, err := e.store.Findings(t.Context(), findings.Query{ReleaseID: rel})
	if err != nil || len(fs) == 0 {
		t.Fatalf("findings: %v", err)
	}
	s := e.loginOK(t, "alice")
	pages := []string{"/", fmt.Sprintf("/products/%d", gw.ID), fmt.Sprintf("/releases/%d", rel), fmt.Sprintf("/releases/%d/firmware", rel),
		fmt.Sprintf("/releases/%d/conformity", rel), "/findings", fmt.Sprintf("/findings/%d", fs[0].ID), "/vulnerabilities", "/vulnerabilities/GO-2099-0001",
		fmt.Sprintf("/products/%d/threatmodel", gw.ID), fmt.Sprintf("/products/%d/updates", gw.ID), fmt.Sprintf("/products/%d/subscribers", gw.ID),
		"/incidents", "/intake", "/advisories"}
	crumbs := 0
	for _, p := range pages {
		r := e.do(t, s, "GET", p, nil)
		body := readBody(r)
		if r.StatusCode != 200 {
			t.Errorf("%s: %d", p, r.StatusCode)
			continue
		}
		m := crumbsNav.FindStringSubmatch(body)
		if m == nil {
			continue
		}
		links := crumbsHref.FindAllStringSubmatch(m[1], -1)
		if seps := strings.Count(m[1], "›"); len(links) != seps {
			t.Errorf("%s: %d crumbs before the page, %d of them links: %q", p, seps, len(links), m[1])
		}
		for _, l := range links {
			crumbs++
			href := html.UnescapeString(l[1])
			if code := e.do(t, s, "GET", href, nil).StatusCode; code != 200 {
				t.Errorf("%s: breadcrumb %s answers %d", p, href, code)
			}
		}
	}
	if crumbs < 15 {
		t.Errorf("followed %d breadcrumb links, want the main pages' (at least 15)", crumbs)
	}
}
