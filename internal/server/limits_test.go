package server_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/server"
)

// Issue 11 (low): /metrics is private unless serve --public-metrics opens
// it (the matrix's test server opens it, so the default is tested here).
func TestMetricsPrivateByDefault(t *testing.T) {
	e := newEnv(t, "sqlite")
	private := httptest.NewServer(server.New(server.Config{}, e.store, slog.New(slog.NewTextHandler(io.Discard, nil))).Handler())
	defer private.Close()
	get := func(tok string) int {
		req, _ := http.NewRequest("GET", private.URL+"/metrics", nil)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, _ := send(t, nil, req)
		return resp.StatusCode
	}
	if code := get(""); code != http.StatusUnauthorized {
		t.Errorf("anonymous /metrics by default: %d, want 401", code)
	}
	if code := get(e.tokens["viewer"]); code != http.StatusForbidden {
		t.Errorf("viewer's /metrics: %d, want 403", code)
	}
	if code := get(e.tokens["admin"]); code != http.StatusOK {
		t.Errorf("admin's /metrics: %d, want 200", code)
	}
	if code, _ := http.Get(e.url + "/metrics"); code.StatusCode != http.StatusOK {
		t.Errorf("with --public-metrics: %d, want 200", code.StatusCode)
	}
}

// Issue 11 (low): anonymous input is bounded before any database write (a
// megabyte user name is cut to 100 bytes in the throttle and the audit
// trail), and the server bounds headers and slow clients.
func TestAnonymousInputAndServerBounded(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		name := strings.Repeat("é", 32<<10) // 64 KiB (bodies above 1 MiB are refused before)
		if resp, _ := e.login(t, "", name, "wrong password guess", ""); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("sign-in with a 64 KiB name: %d, want 401", resp.StatusCode)
		}
		var longest int
		if err := e.store.DB().QueryRow(`SELECT COALESCE(MAX(LENGTH(key)), 0) FROM auth_failures`).Scan(&longest); err != nil {
			t.Fatal(err)
		}
		if longest == 0 || longest > 200 {
			t.Errorf("longest throttle key: %d characters", longest)
		}
		evs, err := e.store.AuditEvents(context.Background(), audit.Query{Action: "auth.sign_in_failed"})
		if err != nil || len(evs) != 1 {
			t.Fatalf("failed sign-in events: %d %v", len(evs), err)
		}
		if len(evs[0].Actor) > 100 || len(evs[0].Object) > 110 || !strings.HasPrefix(evs[0].Actor, "éé") {
			t.Errorf("audit event of a 64 KiB name: actor %d bytes, object %d bytes", len(evs[0].Actor), len(evs[0].Object))
		}
	})

	e := newEnv(t, "sqlite")
	srv := e.srv.HTTPServer(context.Background())
	if srv.ReadHeaderTimeout <= 0 || srv.ReadHeaderTimeout > 30*time.Second || srv.ReadTimeout <= 0 || srv.IdleTimeout <= 0 {
		t.Errorf("server timeouts: header %s, read %s, idle %s", srv.ReadHeaderTimeout, srv.ReadTimeout, srv.IdleTimeout)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()
	req, _ := http.NewRequest("GET", "http://"+ln.Addr().String()+"/healthz", nil)
	req.Header.Set("X-Padding", strings.Repeat("a", 256<<10))
	resp, _ := send(t, nil, req)
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("256 KiB of headers: %d, want 431", resp.StatusCode)
	}
}
