package server_test

import (
	"context"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/notify"
)

// TestDashboardsShowOnlyOwnProducts: the portfolio page, the findings page
// and the events API never show another product's events or counts.
func TestDashboardsShowOnlyOwnProducts(t *testing.T) {
	e := newEnv(t, "sqlite")
	secret, mine := e.storeProduct(t, "Secret Prototype X9"), e.storeProduct(t, "Visible Product")
	if err := e.store.AddEvent(context.Background(), notify.Event{Kind: "vulnerability.new", ProductID: secret.ID, Title: "CVE-2099-9 affects Secret Prototype X9"}); err != nil {
		t.Fatal(err)
	}
	e.userWithToken(t, "restricted", mine.ID, identity.ProductViewer)
	for _, path := range []string{"/", "/findings", "/api/v1/events"} {
		code, body := e.bearer(t, e.tokens["restricted"], "GET", path, "")
		if code != 200 || strings.Contains(body, "Secret Prototype X9") {
			t.Errorf("%s: %d, leaks another product: %v", path, code, strings.Contains(body, "Secret Prototype X9"))
		}
	}
	// The admin sees it.
	r := e.call(t, "admin", "GET", "/api/v1/events", nil, nil)
	if body := readBody(r); !strings.Contains(body, "Secret Prototype X9") {
		t.Errorf("admin does not see the event: %s", body)
	}
}
