package server_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/server"
	"github.com/rampart-security/rampart/internal/updates"
	"github.com/rampart-security/rampart/pkg/updateclient"
)

// testSealer seals online keys with a fresh random key.
func testSealer(t *testing.T) updates.Sealer {
	t.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	seal, err := updates.NewAESSealer(key, "test")
	if err != nil {
		t.Fatal(err)
	}
	return seal
}

// TestUpdatesAPI publishes through the API, runs a rollout and lets a real
// device client check in, on both engines.
func TestUpdatesAPI(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		seal := testSealer(t)
		// This server can sign (the shared env's cannot: it has no key file).
		ts := httptest.NewServer(server.New(server.Config{UpdateKeys: seal}, e.store, slog.New(slog.NewTextHandler(io.Discard, nil))).Handler())
		t.Cleanup(ts.Close)
		e.url = ts.URL
		p := e.storeProduct(t, "Gateway")
		base := fmt.Sprintf("/api/v1/products/%d", p.ID)
		var st updates.Status
		if resp := e.call(t, "viewer", "GET", base+"/updates", nil, nil); resp.StatusCode != 404 {
			t.Fatalf("no repository yet: %d", resp.StatusCode)
		}
		res, err := updates.New(e.store, seal, nil).Init(ctx, updates.InitRequest{Slug: "gateway", ProductID: p.ID})
		if err != nil {
			t.Fatal(err)
		}
		var tg updates.Target
		if resp := e.call(t, "editor", "POST", base+"/updates/targets?name=gw-2.0.img&hardware=GW&version=2.0", []byte("image 2.0"), &tg); resp.StatusCode != 201 || tg.Version != "2.0" {
			t.Fatalf("publish: %d %+v", resp.StatusCode, tg)
		}
		if ev := lastEvent(t, e.store, updates.ActionPublish); ev.Object != "target gw-2.0.img sha256 "+tg.SHA256 || ev.ProductID != p.ID || !strings.HasPrefix(ev.Actor, "ed (token ") {
			t.Errorf("publish record: %+v", ev)
		}
		if resp := e.call(t, "editor", "POST", base+"/updates/targets?name=../x", []byte("x"), nil); resp.StatusCode != 400 {
			t.Fatalf("bad name: %d", resp.StatusCode)
		}
		if resp := e.call(t, "viewer", "GET", base+"/updates", nil, &st); resp.StatusCode != 200 || len(st.Targets) != 1 || st.Slug != "gateway" {
			t.Fatalf("status: %d %+v", resp.StatusCode, st)
		}
		var ro updates.Rollout
		if resp := e.call(t, "editor", "POST", base+"/rollouts", map[string]any{"target": "gw-2.0.img", "percent": 100}, &ro); resp.StatusCode != 201 || ro.State != "active" {
			t.Fatalf("start rollout: %d %+v", resp.StatusCode, ro)
		}
		if resp := e.call(t, "editor", "POST", base+"/rollouts", map[string]any{"target": "missing.img", "percent": 10}, nil); resp.StatusCode != 400 {
			t.Fatalf("rollout of a missing target: %d", resp.StatusCode)
		}
		if resp := e.call(t, "editor", "PATCH", fmt.Sprintf("%s/rollouts/%d", base, ro.ID), map[string]any{"state": "halted"}, nil); resp.StatusCode != 400 {
			t.Fatalf("bad state: %d", resp.StatusCode)
		}
		if resp := e.call(t, "editor", "PATCH", fmt.Sprintf("%s/rollouts/%d", base, ro.ID), map[string]any{"state": "paused"}, &ro); resp.StatusCode != 200 || ro.State != "paused" {
			t.Fatalf("pause: %d %+v", resp.StatusCode, ro)
		}
		dev, err := updateclient.New(updateclient.Config{Server: ts.URL, Product: "gateway", Root: res.Root, StateDir: t.TempDir(), Hardware: "GW", Country: "FR"})
		if err != nil {
			t.Fatal(err)
		}
		if u, _, err := dev.Poll(ctx, updateclient.Report{Installed: "1.0"}); err != nil || u != nil {
			t.Fatalf("paused: %+v %v", u, err)
		}
		e.call(t, "editor", "PATCH", fmt.Sprintf("%s/rollouts/%d", base, ro.ID), map[string]any{"state": "active"}, nil)
		u, _, err := dev.Poll(ctx, updateclient.Report{Installed: "1.0"})
		if err != nil || u == nil || u.Name != "gw-2.0.img" {
			t.Fatalf("resumed: %+v %v", u, err)
		}
		if data, err := dev.Download(u); err != nil || string(data) != "image 2.0" {
			t.Fatalf("download %q %v", data, err)
		}
		var devices struct{ Items []updates.Device }
		if resp := e.call(t, "viewer", "GET", base+"/devices", nil, &devices); resp.StatusCode != 200 || len(devices.Items) != 1 || devices.Items[0].Country != "FR" {
			t.Fatalf("devices: %d %+v", resp.StatusCode, devices)
		}
		var fleet struct {
			Devices   int
			Countries map[string]int
		}
		if resp := e.call(t, "viewer", "GET", base+"/fleet", nil, &fleet); resp.StatusCode != 200 || fleet.Devices != 1 || fleet.Countries["FR"] != 1 {
			t.Fatalf("fleet: %d %+v", resp.StatusCode, fleet)
		}
		if resp := e.call(t, "", "POST", "/api/v1/devices/checkin", []byte(`{"product":"gateway"}`), nil); resp.StatusCode != 400 {
			t.Fatalf("unsigned check-in: %d", resp.StatusCode)
		}
	})
}

// TestRolloutRecordsSameFromAPIAndUI: starting and changing a rollout
// through the API and through the updates page write one record each, the
// same but for the rollout's id and the actor (the API names the token).
func TestRolloutRecordsSameFromAPIAndUI(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		seal := testSealer(t)
		p := e.storeProduct(t, "Gateway")
		svc := updates.New(e.store, seal, nil)
		if _, err := svc.Init(ctx, updates.InitRequest{Slug: "gateway", ProductID: p.ID}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Publish(ctx, updates.PublishRequest{Slug: "gateway", Name: "gw-2.0.img", Content: []byte("image 2.0")}); err != nil {
			t.Fatal(err)
		}
		s := e.loginOK(t, "ed")
		form := func(path string, v url.Values) {
			t.Helper()
			resp := e.postForm(t, s, path, v)
			if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || strings.Contains(loc, "Not") {
				t.Fatalf("POST %s: %d %s", path, resp.StatusCode, loc)
			}
		}
		// records returns the events of action, oldest first.
		records := func(action string) []audit.Event {
			t.Helper()
			evs, err := e.store.AuditEvents(ctx, audit.Query{Action: action})
			if err != nil {
				t.Fatal(err)
			}
			slices.Reverse(evs)
			return evs
		}
		same := func(api, ui audit.Event, apiID, uiID int64) {
			t.Helper()
			if !strings.HasPrefix(api.Actor, "ed (token ") || ui.Actor != "ed" {
				t.Errorf("%s actors: API %q, UI %q", api.Action, api.Actor, ui.Actor)
			}
			if strings.Replace(api.Object, fmt.Sprint(apiID), "ID", 1) != strings.Replace(ui.Object, fmt.Sprint(uiID), "ID", 1) ||
				api.Source != ui.Source || api.Source == "" || api.ProductID != p.ID || ui.ProductID != p.ID ||
				api.Outcome != audit.OK || ui.Outcome != audit.OK || api.Detail != ui.Detail {
				t.Errorf("%s records differ:\nAPI %+v\nUI  %+v", api.Action, api, ui)
			}
		}
		base := fmt.Sprintf("/api/v1/products/%d/rollouts", p.ID)
		var apiRO updates.Rollout
		if resp := e.call(t, "editor", "POST", base, map[string]any{"target": "gw-2.0.img", "percent": 10, "groups": []string{"beta"}}, &apiRO); resp.StatusCode != 201 {
			t.Fatalf("API start: %d", resp.StatusCode)
		}
		form(fmt.Sprintf("/products/%d/rollouts", p.ID), url.Values{"target": {"gw-2.0.img"}, "percent": {"10"}, "groups": {"beta"}})
		starts := records(updates.ActionRolloutStart)
		if len(starts) != 2 {
			t.Fatalf("rollout.start records: %+v, want one per start", starts)
		}
		uiID := apiRO.ID + 1
		if want := fmt.Sprintf("rollout %d of gw-2.0.img to 10%% [beta]", apiRO.ID); starts[0].Object != want {
			t.Errorf("API start record %q, want %q", starts[0].Object, want)
		}
		same(starts[0], starts[1], apiRO.ID, uiID)

		if resp := e.call(t, "editor", "PATCH", fmt.Sprintf("%s/%d", base, apiRO.ID), map[string]any{"state": "paused", "percent": 20}, nil); resp.StatusCode != 200 {
			t.Fatalf("API change: %d", resp.StatusCode)
		}
		form(fmt.Sprintf("/products/%d/rollouts/%d/state", p.ID, uiID), url.Values{"state": {"paused"}, "percent": {"20"}})
		changes := records(updates.ActionRolloutChange)
		if len(changes) != 2 {
			t.Fatalf("rollout.change records: %+v, want one per change", changes)
		}
		if want := fmt.Sprintf("rollout %d: paused 20%%", apiRO.ID); changes[0].Object != want {
			t.Errorf("API change record %q, want %q", changes[0].Object, want)
		}
		same(changes[0], changes[1], apiRO.ID, uiID)
		if ro, err := e.store.Rollout(ctx, p.ID, uiID); err != nil || ro.State != updates.RolloutPaused || ro.Percent != 20 {
			t.Errorf("rollout changed through the UI: %+v %v", ro, err)
		}
	})
}
