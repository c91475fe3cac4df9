package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/browsertest"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/server"
	"github.com/rampart-security/rampart/internal/store"
)

// TestEditProductsAndReleases edits a product and a release through the
// API on both engines: partial patches, validation naming the field, name
// and version conflicts, the status moving forward only, a release that
// ships raising its KEV incident and a status event at once, deletion
// (refused while an incident names the release), and the audit trail.
// The server's clock runs three days ahead: a release that ships without a
// date is dated by that clock, not by the machine's.
func TestEditProductsAndReleases(t *testing.T) {
	shipDay := time.Now().UTC().AddDate(0, 0, 3).Truncate(24 * time.Hour)
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.importFeedFiles(t, map[string]string{"GO-2099-0001.json": osvFixture, "kev.json": kevFixture})
		p := e.newProduct(t, "Gateway")
		e.newProduct(t, "Camera")
		var got inventory.Product
		if r := e.call(t, "editor", "PATCH", fmt.Sprintf("/api/v1/products/%d", p.ID), map[string]any{"description": "Home gateway", "criticality": 5, "exposure": "internet-facing"}, &got); r.StatusCode != 200 {
			t.Fatalf("patch product: %d", r.StatusCode)
		}
		if got.Name != "Gateway" || got.Description != "Home gateway" || got.Criticality != 5 || got.Exposure != inventory.ExposureInternet {
			t.Errorf("patched product %+v", got)
		}
		var problem struct{ Field, Detail string }
		if r := e.call(t, "admin", "PATCH", fmt.Sprintf("/api/v1/products/%d", p.ID), map[string]any{"criticality": 9}, &problem); r.StatusCode != 400 || problem.Field != "criticality" {
			t.Errorf("criticality 9: %d %+v", r.StatusCode, problem)
		}
		if r := e.call(t, "admin", "PATCH", fmt.Sprintf("/api/v1/products/%d", p.ID), map[string]any{"name": "Camera"}, nil); r.StatusCode != http.StatusConflict {
			t.Errorf("name taken: %d", r.StatusCode)
		}
		if r := e.call(t, "viewer", "PATCH", fmt.Sprintf("/api/v1/products/%d", p.ID), map[string]any{"name": "X"}, nil); r.StatusCode != http.StatusForbidden {
			t.Errorf("viewer patch: %d", r.StatusCode)
		}

		rel := e.postRelease(t, "editor", p.ID, map[string]any{"version": "2.0"})
		e.postRelease(t, "editor", p.ID, map[string]any{"version": "1.0"})
		e.postSBOM(t, "editor", rel.ID, xnetBOM("net", "v0.17.0"))
		incidents := func() int {
			var page struct{ Items []any }
			e.call(t, "admin", "GET", "/api/v1/incidents", nil, &page)
			return len(page.Items)
		}
		if n := incidents(); n != 0 {
			t.Fatalf("a release in development opened %d incidents", n)
		}
		path := fmt.Sprintf("/api/v1/releases/%d", rel.ID)
		if r := e.call(t, "editor", "PATCH", path, map[string]any{"version": "1.0"}, nil); r.StatusCode != http.StatusConflict {
			t.Errorf("version taken: %d", r.StatusCode)
		}
		if r := e.call(t, "editor", "PATCH", path, map[string]any{"support_end": "31.12.2030"}, &problem); r.StatusCode != 400 || problem.Field != "support_end" {
			t.Errorf("bad date: %d %+v", r.StatusCode, problem)
		}
		var shipped inventory.Release
		if r := e.call(t, "editor", "PATCH", path, map[string]any{"status": "shipped", "support_end": "2031-12-31", "version": "2.0.1"}, &shipped); r.StatusCode != 200 {
			t.Fatalf("ship: %d", r.StatusCode)
		}
		if shipped.Status != inventory.StatusShipped || shipped.Version != "2.0.1" || shipped.SupportEnd == nil || shipped.ReleaseDate == nil || !shipped.ReleaseDate.Equal(shipDay) {
			t.Errorf("shipped release %+v", shipped)
		}
		// Shipping a release with a KEV match opens its incident at once.
		if n := incidents(); n != 1 {
			t.Errorf("after shipping, %d incidents, want 1 (KEV)", n)
		}
		evs, _ := e.store.Events(ctx, 20, nil)
		status := false
		for _, ev := range evs {
			status = status || (ev.Kind == "release.status" && strings.Contains(ev.Title, "2.0.1 is now shipped"))
		}
		if !status {
			t.Errorf("no release.status event: %+v", evs)
		}
		if r := e.call(t, "editor", "PATCH", path, map[string]any{"status": "development"}, &problem); r.StatusCode != http.StatusConflict || !strings.Contains(problem.Detail, "never back") {
			t.Errorf("back to development: %d %+v", r.StatusCode, problem)
		}
		if r := e.call(t, "viewer", "DELETE", path, nil, nil); r.StatusCode != http.StatusForbidden {
			t.Errorf("viewer delete: %d", r.StatusCode)
		}
		if r := e.call(t, "admin", "DELETE", path, nil, &problem); r.StatusCode != http.StatusConflict || !strings.Contains(problem.Detail, "incident") {
			t.Errorf("delete a release an incident names: %d %+v", r.StatusCode, problem)
		}
		var rels struct{ Items []inventory.Release }
		e.call(t, "viewer", "GET", fmt.Sprintf("/api/v1/products/%d/releases", p.ID), nil, &rels)
		var oneOh int64
		for _, r := range rels.Items {
			if r.Version == "1.0" {
				oneOh = r.ID
			}
		}
		if r := e.call(t, "admin", "DELETE", fmt.Sprintf("/api/v1/releases/%d", oneOh), nil, nil); r.StatusCode != http.StatusNoContent {
			t.Errorf("delete 1.0: %d", r.StatusCode)
		}
		if r := e.call(t, "viewer", "GET", fmt.Sprintf("/api/v1/releases/%d", oneOh), nil, nil); r.StatusCode != http.StatusNotFound {
			t.Errorf("deleted release still there: %d", r.StatusCode)
		}
		entries, err := e.store.AuditEvents(ctx, audit.Query{Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		actions := ""
		for _, a := range entries {
			actions += a.Action + ":" + a.Actor + " "
		}
		for _, want := range []string{"product.update:ed", "release.update:ed", "release.delete:alice"} {
			if !strings.Contains(actions, want) {
				t.Errorf("audit lacks %s: %s", want, actions)
			}
		}
	}, func(c *server.Config, _ *store.Store) {
		c.Now = func() time.Time { return shipDay.Add(10 * time.Hour) }
	})
}

// TestBrowserEditRelease edits a product and a release in Chromium and
// deletes a release after confirming.
func TestBrowserEditRelease(t *testing.T) {
	env := newEnv(t, "sqlite")
	ctx := context.Background()
	rel := env.ensureRelease(t, "Router", "1.0")
	doomed := env.ensureRelease(t, "Router", "0.9-rc1")
	bctx, text, do := env.signedInBrowser(t, "/login", "new-product")
	do("edit the product", chromedp.Navigate(fmt.Sprintf("%s/products/%d", env.url, rel.ProductID)),
		chromedp.Click(chromedp.CSS(`#edit-product summary`)), chromedp.WaitVisible(chromedp.CSS(`#edit-product-form input[name=description]`)),
		chromedp.SendKeys(chromedp.CSS(`#edit-product-form input[name=description]`), "Wi-Fi router"),
		chromedp.Click(chromedp.CSS(`#edit-product-form button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS("div.flash")))
	if got := text("div.head"); !strings.Contains(got, "Wi-Fi router") {
		t.Errorf("product head after the edit: %q", got)
	}
	do("a bad date keeps the form", chromedp.Navigate(fmt.Sprintf("%s/releases/%d", env.url, rel.ID)),
		chromedp.Click(chromedp.CSS(`#edit-release summary`)), chromedp.WaitVisible(chromedp.CSS(`#edit-release-form input[name=version]`)),
		chromedp.SetValue(chromedp.CSS(`#edit-release-form input[name=version]`), "1.0.1"),
		chromedp.SetValue(chromedp.CSS(`#edit-release-form input[name=support_end]`), "2020-01-01"),
		chromedp.SetValue(chromedp.CSS(`#edit-release-form input[name=release_date]`), "2024-06-01"),
		chromedp.Click(chromedp.CSS(`#edit-release-form button[type=submit]`)), chromedp.WaitVisible(chromedp.ID("edit-release-error")))
	if got := text("#edit-release-error"); !strings.Contains(got, "support_end") {
		t.Errorf("error = %q", got)
	}
	if v, _ := chromedp.Run(bctx, chromedp.Value(chromedp.CSS(`#edit-release-form input[name=version]`))); v != "1.0.1" {
		t.Errorf("the form lost its value: version %q", v)
	}
	do("ship it", chromedp.SetValue(chromedp.CSS(`#edit-release-form input[name=support_end]`), "2031-12-31"),
		chromedp.SetValue(chromedp.CSS(`#edit-release-form select[name=status]`), "shipped"),
		chromedp.Click(chromedp.CSS(`#edit-release-form button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS("div.flash")))
	if got := text("div.head"); !strings.Contains(got, "1.0.1") || !strings.Contains(got, "shipped") || !strings.Contains(got, "2031-12-31") || !strings.Contains(got, "days left") {
		t.Errorf("release head after shipping: %q", got)
	}
	browsertest.Screenshot(t, bctx, "edit-release-01")
	do("delete needs the confirmation", chromedp.Navigate(fmt.Sprintf("%s/releases/%d", env.url, doomed.ID)),
		chromedp.Click(chromedp.CSS(`#edit-release summary`)), chromedp.WaitVisible(chromedp.ID("delete-release")),
		chromedp.Click(chromedp.CSS(`#delete-release button[type=submit]`)))
	if _, err := env.store.Release(ctx, doomed.ID); err != nil {
		t.Fatalf("deleted without confirmation: %v", err)
	}
	do("confirm and delete", chromedp.Navigate(fmt.Sprintf("%s/releases/%d", env.url, doomed.ID)),
		chromedp.Click(chromedp.CSS(`#edit-release summary`)), chromedp.WaitVisible(chromedp.ID("delete-release")),
		chromedp.Click(chromedp.CSS(`#delete-release input[name=confirm]`)),
		chromedp.Click(chromedp.CSS(`#delete-release button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS("div.flash")))
	if got := text("div.flash"); !strings.Contains(got, "0.9-rc1 deleted") {
		t.Errorf("flash = %q", got)
	}
	if _, err := env.store.Release(ctx, doomed.ID); err == nil {
		t.Error("release still exists")
	}
}
