package server_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/audit"
)

// TestAuditPageShowsNamesAndLinks: the audit page shows the names of the
// releases and products an event names, linked to their pages, instead of
// their raw ids; an id that no longer resolves stays as written.
func TestAuditPageShowsNamesAndLinks(t *testing.T) {
	e := newEnv(t, "sqlite")
	rel := e.newRelease(t, "Door Lock")
	for _, ev := range []audit.Event{
		{Actor: "alice", Source: "api", Action: "release.update", Object: fmt.Sprintf("release %d (status shipped)", rel.ID), ProductID: rel.ProductID, Outcome: "success"},
		{Actor: "alice", Source: "api", Action: "release.delete", Object: "release 9999 (gone)", Outcome: "success"},
	} {
		if err := audit.Record(t.Context(), e.store, ev); err != nil {
			t.Fatal(err)
		}
	}
	s := e.loginOK(t, "alice")
	resp := e.do(t, s, "GET", "/audit", nil)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /audit: %d", resp.StatusCode)
	}
	for _, want := range []string{
		fmt.Sprintf(`<a href="/releases/%d">Door Lock 1.0</a> (status shipped)`, rel.ID),
		fmt.Sprintf(`<a class="pill" href="/products/%d">Door Lock</a>`, rel.ProductID),
		"release 9999 (gone)",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("audit page lacks %q", want)
		}
	}
}
