package server_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/notify"
)

// TestDashboardsShowOnlyOwnProducts: the portfolio page, the findings page
// and the events API never show another product's events or counts.
func TestDashboardsShowOnlyOwnProducts(t *testing.T) {
	e := newEnv(t, "sqlite")
	ctx := context.Background()
	st := e.store
	secret := inventory.Product{Name: "Secret Prototype X9"}
	mine := inventory.Product{Name: "Visible Product"}
	for _, p := range []*inventory.Product{&secret, &mine} {
		if err := st.CreateProduct(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.AddEvent(ctx, notify.Event{Kind: "vulnerability.new", ProductID: secret.ID, Title: "CVE-2099-9 affects Secret Prototype X9"}); err != nil {
		t.Fatal(err)
	}
	u := identity.User{Name: "restricted", Role: identity.RoleViewer, ProductsOnly: true, PasswordHash: "x"}
	if err := st.CreateUser(ctx, &u); err != nil {
		t.Fatal(err)
	}
	if err := st.SetMember(ctx, mine.ID, u.ID, identity.ProductViewer); err != nil {
		t.Fatal(err)
	}
	tok, _, err := st.CreateAPIToken(ctx, u.ID, "t", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/", "/findings", "/api/v1/events"} {
		req, _ := http.NewRequest("GET", e.url+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || strings.Contains(string(body), "Secret Prototype X9") {
			t.Errorf("%s: %d, leaks another product: %v", path, resp.StatusCode, strings.Contains(string(body), "Secret Prototype X9"))
		}
	}
	// The admin sees it.
	r := e.call(t, "admin", "GET", "/api/v1/events", nil, nil)
	body, _ := io.ReadAll(r.Body)
	if !strings.Contains(string(body), "Secret Prototype X9") {
		t.Errorf("admin does not see the event: %s", body)
	}
}
