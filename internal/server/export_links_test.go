package server_test

import (
	"fmt"
	"html"
	"io"
	"regexp"
	"strings"
	"testing"
)

// TestExportLinksKeepFilters: the findings page's export links carry the
// page's filters as a real query (not "product%3d2" escaped into it), drop
// the page cursor, and an export that matches nothing is an empty list.
func TestExportLinksKeepFilters(t *testing.T) {
	e := newEnv(t, "sqlite")
	rel := e.ensureRelease(t, "Gateway", "1.0")
	s := e.loginOK(t, "alice")
	r := e.do(t, s, "GET", fmt.Sprintf("/findings?product=%d&severity=high&cursor=abc", rel.ProductID), nil)
	body, _ := io.ReadAll(r.Body)
	m := regexp.MustCompile(`href="(/api/v1/findings/export\?[^"]*format=json[^"]*)"`).FindStringSubmatch(string(body))
	if r.StatusCode != 200 || m == nil {
		t.Fatalf("findings page %d has no JSON export link", r.StatusCode)
	}
	link := html.UnescapeString(m[1])
	if !strings.Contains(link, fmt.Sprintf("product=%d", rel.ProductID)) || !strings.Contains(link, "severity=high") || strings.Contains(link, "cursor") || strings.Contains(link, "%3d") {
		t.Errorf("export link = %q", link)
	}
	r = e.do(t, s, "GET", link, nil)
	got, _ := io.ReadAll(r.Body)
	if r.StatusCode != 200 || strings.TrimSpace(string(got)) != `{"findings":[]}` {
		t.Errorf("empty export: %d %s", r.StatusCode, got)
	}
}
