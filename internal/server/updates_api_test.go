package server_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/rampart-security/rampart/internal/server"
	"github.com/rampart-security/rampart/internal/updates"
	"github.com/rampart-security/rampart/pkg/updateclient"
)

// TestUpdatesAPI publishes through the API, runs a rollout and lets a real
// device client check in, on both engines.
func TestUpdatesAPI(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		key := make([]byte, 32)
		rand.Read(key)
		seal, _ := updates.NewAESSealer(key, "test")
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
