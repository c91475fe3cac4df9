package server_test

import (
	"context"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/demo"
	"github.com/rampart-security/rampart/internal/server"
	"github.com/rampart-security/rampart/internal/store"
)

// TestDemoLinksResolve signs in to the demo portfolio as an admin, then
// as a viewer, and follows every same-origin href and src of every page reachable from the
// home page (GET only; at most a few query variants of one path): none
// answers 4xx or 5xx, and no page shows a template's "<no value>" or a
// formatting error. A link to a page that does not exist (a GET route that
// was never built, a download of a model not saved yet, a vulnerability
// the database lacks, a page the viewer may not open) fails here with the
// page that holds it.
func TestDemoLinksResolve(t *testing.T) {
	e := newEnv(t, "sqlite", func(_ *server.Config, st *store.Store) {
		if _, err := demo.Seed(context.Background(), st); err != nil {
			t.Fatal(err)
		}
	})
	for _, name := range []string{"alice", "vic"} {
		t.Run(name, func(t *testing.T) { crawlLinks(t, e, e.loginOK(t, name)) })
	}
	// The demo incident names a CVE the demo's vulnerability data lacks:
	// its page says so and what to do, and the API still answers 404.
	s := e.loginOK(t, "vic")
	if r := e.do(t, s, "GET", "/vulnerabilities/CVE-2026-31337", nil); !strings.Contains(readBody(r), `id="vuln-unknown"`) {
		t.Errorf("the page of a vulnerability not in the database does not say so")
	}
	if r := e.call(t, "viewer", "GET", "/api/v1/vulnerabilities/CVE-2026-31337", nil, nil); r.StatusCode != 404 {
		t.Errorf("API: %d, want 404", r.StatusCode)
	}
}

// crawlLinks follows the links of every page reachable from "/" as s.
func crawlLinks(t *testing.T, e *env, s *session) {
	links := regexp.MustCompile(`(?:href|src)="([^"#]*)`)
	from := map[string]string{"/": "(start)"}
	variants := map[string]int{}
	queue := []string{"/"}
	pages := 0
	for len(queue) > 0 && pages < 1500 {
		p := queue[0]
		queue = queue[1:]
		pages++
		r := e.do(t, s, "GET", p, nil)
		body := readBody(r)
		if r.StatusCode >= 400 {
			t.Errorf("GET %s (linked from %s): %d", p, from[p], r.StatusCode)
			continue
		}
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
			continue
		}
		for _, bad := range []string{"<no value>", "%!"} {
			if strings.Contains(body, bad) {
				t.Errorf("GET %s shows %q", p, bad)
			}
		}
		for _, m := range links.FindAllStringSubmatch(body, -1) {
			ref, err := url.Parse(html.UnescapeString(m[1]))
			if err != nil || m[1] == "" || ref.Scheme != "" || ref.Host != "" {
				continue
			}
			u := r.Request.URL.ResolveReference(ref)
			next := u.RequestURI()
			if _, seen := from[next]; seen || u.Path == "/logout" {
				continue
			}
			if variants[u.Path]++; variants[u.Path] > 3 {
				continue
			}
			from[next] = p
			queue = append(queue, next)
		}
	}
	if pages < 100 {
		t.Errorf("only %d pages reached from the home page", pages)
	}
}
