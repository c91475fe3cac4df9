package server_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/incident"
)

// TestAdvisoryPublicationQueuesCustomerNotices: through the API, publishing
// a TLP:WHITE advisory queues a notice to each subscriber of its product,
// listed with its status at /api/v1/advisories/{id}/notifications (who
// may read it is in the route matrix).
func TestAdvisoryPublicationQueuesCustomerNotices(t *testing.T) {
	e := newEnv(t, "sqlite")
	prod := e.newProduct(t, "IG-400")
	for _, s := range []map[string]any{{"email": "ops@customer.example"}, {"webhook": "https://hooks.customer.example/rampart"}} {
		if r := e.call(t, "editor", "POST", fmt.Sprintf("/api/v1/products/%d/subscribers", prod.ID), s, nil); r.StatusCode != 201 {
			t.Fatalf("subscribe %v: %d", s, r.StatusCode)
		}
	}
	input := map[string]any{"title": "BusyBox overflow in IG-400", "summary": "Update to 3.2.0.", "vendor": "Northwind",
		"vulnerabilities": []any{map[string]any{"cve": "CVE-2022-48174", "description": "ash stack overflow",
			"cvss_v3":  []string{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"},
			"releases": []any{map[string]any{"product": "IG-400", "version": "3.1.0", "status": "affected", "fixed_in": "3.2.0"}}}}}
	created := e.newAdvisory(t, prod.ID, input)
	id := created.ID
	if r := e.call(t, "editor", "POST", fmt.Sprintf("/api/v1/advisories/%d/submit", id), nil, nil); r.StatusCode != 200 {
		t.Fatalf("submit: %d", r.StatusCode)
	}
	if r := e.call(t, "admin", "POST", fmt.Sprintf("/api/v1/advisories/%d/publish", id), nil, nil); r.StatusCode != 200 {
		t.Fatalf("publish: %d", r.StatusCode)
	}
	var page struct {
		Items []incident.Notice `json:"items"`
	}
	if r := e.call(t, "editor", "GET", fmt.Sprintf("/api/v1/advisories/%d/notifications", id), nil, &page); r.StatusCode != 200 {
		t.Fatalf("notifications: %d", r.StatusCode)
	}
	if len(page.Items) != 2 {
		t.Fatalf("%d notices, want one per subscriber: %+v", len(page.Items), page.Items)
	}
	for _, n := range page.Items {
		if n.Status != incident.NotifyQueued || n.Audience != incident.AudienceCustomer || !strings.Contains(n.Subject, created.TrackingID) {
			t.Errorf("notice %+v", n)
		}
	}
}
