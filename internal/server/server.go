// Package server is Rampart's HTTP server: it wires the store into the JSON
// API and the web UI, applies the middleware chain once (recovery, security
// headers, logging, metrics, authentication, authorisation, CSRF, body
// limits) and serves with graceful shutdown.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/rampart-security/rampart/internal/advisory"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/identity/accounts"
	"github.com/rampart-security/rampart/internal/incident"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/server/api"
	"github.com/rampart-security/rampart/internal/server/ui"
	"github.com/rampart-security/rampart/internal/server/web"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/threatmodel"
	"github.com/rampart-security/rampart/internal/updates"
)

// Config configures the server.
type Config struct {
	// Now is the clock of every service and handler (nil: time.Now).
	Now func() time.Time
	// TLS marks cookies Secure and sends HSTS.
	TLS bool
	// PublicMetrics serves /metrics without authentication (serve
	// --public-metrics); by default /metrics needs an admin.
	PublicMetrics bool
	// MaxUpload bounds uploaded files (SBOMs, reports) in bytes.
	MaxUpload int64
	// SSO enables OpenID Connect single sign-on (nil: off).
	SSO *identity.SSO
	// UpdateKeys encrypts the online TUF signing keys at rest (nil: the
	// repositories are served but cannot be signed by this server).
	UpdateKeys updates.Sealer
	// MaxTokenLifetime bounds API token lifetimes (0: one year).
	MaxTokenLifetime time.Duration
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client address (for throttling, audit and logs); empty: the TCP
	// peer is the client.
	TrustedProxies []netip.Prefix
	// IntakeKey encrypts vulnerability-report attachments (nil: refused).
	IntakeKey []byte
	// IncidentLocation is the manufacturer's legal time zone for the
	// incident clocks (nil: UTC).
	IncidentLocation *time.Location
	// PublicURL is the base of every URL the CSAF provider writes
	// (provider-metadata.json, ROLIE feeds, security.txt); "" uses the
	// request's scheme and Host.
	PublicURL string
	// Advisory configures the CSAF advisory service (publisher identity).
	Advisory advisory.Config
	// Firmware analyses uploaded firmware images in the background (nil:
	// the server makes its own).
	Firmware *portfolio.FirmwareJobs
	// DiagramWorker is the argv of the threat-model diagram worker
	// ("rampart threatmodel render-dot"), started once per diagram drawn
	// (parallel, killed after DiagramTimeout or when the client leaves);
	// nil draws in-process, serialised.
	DiagramWorker []string
	// DiagramTimeout bounds one diagram render in a worker (0: 20 s).
	DiagramTimeout time.Duration
	// VulnSync keeps the vulnerability data current (serve --vulndb-sync);
	// nil: no feeds configured (status, bundle upload and imports work).
	VulnSync *portfolio.VulnSync
}

// Server serves the API and UI over one store.
type Server struct {
	cfg     Config
	store   *store.Store
	log     *slog.Logger
	routes  []web.Route
	handler http.Handler
	reg     *prometheus.Registry
	reqs    *prometheus.CounterVec
	latency *prometheus.HistogramVec
	// uiError renders the error a UI route returns as the error page.
	uiError func(http.ResponseWriter, *http.Request, error)
	// accounts answers the route guard's re-authentication check.
	accounts *accounts.Service
}

// New builds a server.
func New(cfg Config, st *store.Store, log *slog.Logger) *Server {
	if cfg.MaxUpload <= 0 {
		cfg.MaxUpload = 512 << 20
	}
	if cfg.Firmware == nil {
		cfg.Firmware = portfolio.NewFirmwareJobs(st, log)
	}
	s := &Server{cfg: cfg, store: st, log: log, reg: prometheus.NewRegistry()}
	s.reqs = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rampart_http_requests_total", Help: "HTTP requests by route and status."}, []string{"route", "method", "code"})
	s.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "rampart_http_request_duration_seconds", Help: "HTTP request latency by route.", Buckets: prometheus.DefBuckets}, []string{"route", "method"})
	imports := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rampart_imports_total", Help: "Imports by kind and result."}, []string{"kind", "result"})
	s.reg.MustRegister(s.reqs, s.latency, imports, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	lib, err := threatmodel.DefaultLibrary()
	if err != nil {
		panic(err) // the embedded rule library is checked by tests; a broken one is a build defect
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	deps := web.Deps{Store: st, Log: log, Clock: now, MaxUpload: cfg.MaxUpload, SecureCookies: cfg.TLS,
		SignIn: identity.DefaultSignInPolicy, SSO: cfg.SSO, Threats: lib, Diagrams: diagrams(cfg), Vulns: portfolio.NewVulns(st, now), IntakeKey: cfg.IntakeKey, IncidentLocation: cfg.IncidentLocation,
		Updates: updates.New(st, cfg.UpdateKeys, now), Fleet: updates.NewFleet(st, now),
		Conformity: portfolio.NewConformityService(st, lib), AttackSessions: portfolio.NewAttackSessions(st, now),
		Advisories: advisory.NewService(st, advisoryConfig(cfg, st, now), now), PublicURL: cfg.PublicURL,
		MaxTokenLifetime: cfg.MaxTokenLifetime, Firmware: cfg.Firmware, VulnSync: cfg.VulnSync,
		Accounts: accounts.New(st, identity.DefaultSignInPolicy, cfg.MaxTokenLifetime, now).WithLogger(log),
		OnImport: func(kind string, err error) {
			res := "ok"
			if err != nil {
				res = "error"
			}
			imports.WithLabelValues(kind, res).Inc()
		}}
	s.accounts = deps.Accounts
	if deps.VulnSync == nil {
		deps.VulnSync = portfolio.NewVulnSync(st, portfolio.SyncConfig{})
	}
	ops := []web.Route{
		{Method: "GET", Pattern: "/healthz", Public: true, Handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			fmt.Fprintln(w, "ok")
		}},
		{Method: "GET", Pattern: "/readyz", Public: true, Handler: s.ready},
		{Method: "GET", Pattern: "/metrics", Public: cfg.PublicMetrics, Need: identity.RoleAdmin,
			Handler: promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{}).ServeHTTP},
	}
	s.routes = append(ops, api.Routes(deps)...)
	pages := ui.New(deps)
	s.uiError = pages.Fail
	s.routes = append(s.routes, pages.Routes()...)

	mux := http.NewServeMux()
	for _, rt := range s.routes {
		mux.Handle(rt.Method+" "+rt.Pattern, s.guard(rt))
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if wantsHTML(r) {
			ui.NotFound(w, r)
			return
		}
		web.WriteProblem(w, r, http.StatusNotFound, "no route for "+r.Method+" "+r.URL.Path)
	})
	s.handler = s.recoverer(s.headers(s.observe(s.authenticate(mux))))
	return s
}

// Firmware returns the server's firmware analysis queue.
func (s *Server) Firmware() *portfolio.FirmwareJobs { return s.cfg.Firmware }

// Routes returns every registered route (for tests and the OpenAPI check).
func (s *Server) Routes() []web.Route { return s.routes }

// Handler returns the root handler.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ready(ctx); err != nil {
		s.log.Warn("not ready", "err", err)
		web.WriteProblem(w, r, http.StatusServiceUnavailable, "database not ready")
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ready")
}

// Serve serves on ln until ctx is cancelled, then shuts down gracefully.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := s.httpServer(ctx)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down: draining requests")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("graceful shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// httpServer bounds what a client may hold: headers must arrive within
// 10 s and stay under 64 KiB, a whole request (body included) within 15
// minutes, an idle connection 2 minutes.
func (s *Server) httpServer(ctx context.Context) *http.Server {
	return &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		// Bounds slow bodies too (a 512 MiB upload needs >0.6 MB/s).
		ReadTimeout:    15 * time.Minute,
		MaxHeaderBytes: 64 << 10,
		IdleTimeout:    2 * time.Minute,
		ErrorLog:       slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:    func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
}

func wantsHTML(r *http.Request) bool {
	return !strings.HasPrefix(r.URL.Path, "/api/") && strings.Contains(r.Header.Get("Accept"), "text/html")
}

// advisoryConfig is the configured advisory service with the customer
// notification wired in: each publication of a TLP:WHITE advisory queues a
// notice to the subscribers of its product (delivered by the notification
// job of serve).
func advisoryConfig(cfg Config, st *store.Store, now func() time.Time) advisory.Config {
	ac := cfg.Advisory
	if ac.Published != nil {
		return ac
	}
	ac.Published = func(ctx context.Context, a advisory.Advisory) error {
		url := ""
		if cfg.PublicURL != "" {
			url = strings.TrimSuffix(cfg.PublicURL, "/") + a.PublishedURL
		}
		_, err := incident.NotifyAdvisory(ctx, st, a, url, now())
		return err
	}
	return ac
}

// diagrams draws threat-model diagrams in worker processes when the
// configuration names the worker.
func diagrams(cfg Config) *portfolio.Diagrams {
	if len(cfg.DiagramWorker) == 0 {
		return &portfolio.Diagrams{}
	}
	return &portfolio.Diagrams{Workers: &threatmodel.Workers{Command: cfg.DiagramWorker, Timeout: cfg.DiagramTimeout}}
}
