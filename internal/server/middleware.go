package server

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/identity/accounts"
	"github.com/rampart-security/rampart/internal/server/ui"
	"github.com/rampart-security/rampart/internal/server/web"
)

// recoverer turns a panic into a logged 500 instead of a dropped connection.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic in handler", "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
				web.WriteProblem(w, r, http.StatusInternalServerError, "internal error")
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// csp allows only same-origin scripts and styles: no inline script anywhere.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func (s *Server) headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		if s.cfg.TLS {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		if !strings.HasPrefix(r.URL.Path, "/static/") {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// routeKey carries a pointer through which the matched route reports its
// pattern back to observe (the mux sets Request.Pattern only on its own copy).
type routeKey struct{}

// observe logs each request and records metrics labelled by route pattern
// (never by raw path, which would explode label cardinality).
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		route := "unmatched"
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), routeKey{}, &route)))
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		d := time.Since(start)
		s.reqs.WithLabelValues(route, r.Method, strconv.Itoa(sw.status)).Inc()
		s.latency.WithLabelValues(route, r.Method).Observe(d.Seconds())
		s.log.Info("request", "method", r.Method, "route", route, "status", sw.status, "duration_ms", d.Milliseconds(), "remote", web.ResolveClientIP(r, s.cfg.TrustedProxies))
	})
}

// authenticate attaches the principal from a bearer token or a session
// cookie. It never rejects: authorisation is per route (guard).
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip := web.ResolveClientIP(r, s.cfg.TrustedProxies)
		ctx := audit.WithSource(web.WithClientIP(r.Context(), ip), ip)
		r = r.WithContext(ctx)
		if h := r.Header.Get("Authorization"); h != "" {
			tok, ok := strings.CutPrefix(h, "Bearer ")
			if !ok {
				web.WriteProblem(w, r, http.StatusUnauthorized, "Authorization header must be 'Bearer TOKEN'")
				return
			}
			p, err := s.store.TokenPrincipal(ctx, strings.TrimSpace(tok))
			if err != nil {
				web.WriteProblem(w, r, http.StatusUnauthorized, "invalid, expired or revoked API token")
				return
			}
			next.ServeHTTP(w, r.WithContext(identity.WithPrincipal(ctx, p)))
			return
		}
		if c, err := r.Cookie(web.SessionCookie); err == nil && c.Value != "" {
			if p, err := s.store.SessionPrincipal(ctx, c.Value); err == nil {
				r = r.WithContext(identity.WithPrincipal(ctx, p))
			}
		}
		next.ServeHTTP(w, r)
	})
}

// guard enforces a route's policy: body limit, authentication, role, and
// for cookie-authenticated unsafe requests a same-origin check and CSRF token.
func (s *Server) guard(rt web.Route) http.Handler {
	limit := rt.MaxBody
	if limit == 0 {
		limit = web.DefaultMaxBody
	}
	// The CSAF provider under /.well-known answers 401 like the API (CSAF
	// clients do not follow sign-in redirects).
	isUI := !strings.HasPrefix(rt.Pattern, "/api/") && !strings.HasPrefix(rt.Pattern, "/.well-known/") && rt.Pattern != "/metrics"
	label := rt.Method + " " + rt.Pattern
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := r.Context().Value(routeKey{}).(*string); ok {
			*p = label // the route label for logs and metrics
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		unsafe := r.Method != http.MethodGet && r.Method != http.MethodHead
		if unsafe && !sameOrigin(r) {
			if identity.FromContext(r.Context()) != nil {
				s.auditDenied(r, label, 0, http.StatusForbidden, "cross-origin request")
			}
			web.WriteProblem(w, r, http.StatusForbidden, "cross-origin request refused")
			return
		}
		p := identity.FromContext(r.Context())
		var guest *web.Guest
		if p == nil && rt.Guest != nil {
			guest, _ = rt.Guest(r)
		}
		if guest != nil {
			if unsafe && !web.CheckGuestCSRF(r, guest) {
				web.WriteProblem(w, r, http.StatusForbidden, "missing or invalid CSRF token; reload the page and try again")
				return
			}
			r = r.WithContext(web.WithProductID(web.WithGuest(r.Context(), guest), guest.ProductID))
		}
		if !rt.Public && guest == nil {
			if p == nil {
				if isUI {
					ui.RedirectToLogin(w, r)
					return
				}
				web.WriteProblem(w, r, http.StatusUnauthorized, "authentication required: send 'Authorization: Bearer TOKEN' or sign in")
				return
			}
			var pid int64 // the product the route acts on, once known
			deny := func(status int, msg string) {
				// Failed authorisations of signed-in callers are audited
				// (probing for other products or admin routes shows up).
				s.auditDenied(r, label, pid, status, msg)
				if isUI {
					if status == http.StatusNotFound {
						ui.NotFound(w, r)
					} else {
						ui.Forbidden(w, r)
					}
					return
				}
				web.WriteProblem(w, r, status, msg)
			}
			if p.Via == "token" && rt.SessionOnly {
				deny(http.StatusForbidden, "API tokens cannot use this route: account, password, session and second-factor routes need a signed-in session")
				return
			}
			if !p.HasScope(rt.Scope) {
				deny(http.StatusForbidden, "this API token lacks the scope this route needs ("+scopeName(rt.Scope)+")")
				return
			}
			if !p.Role.Allows(rt.Need) {
				deny(http.StatusForbidden, "your role "+string(p.Role)+" may not do this; it needs "+string(rt.Need))
				return
			}
			// A product-restricted token acts on its product only: it cannot
			// use routes that need more than a viewer outside any product
			// (administration, creating products).
			if p.TokenProduct != 0 && rt.Product == nil && rt.Need != "" && !identity.RoleViewer.Allows(rt.Need) {
				deny(http.StatusForbidden, "a token restricted to one product cannot do this: it acts outside that product")
				return
			}
			if rt.Product != nil {
				var err error
				pid, err = rt.Product(r)
				if err != nil {
					if web.Status(err) == http.StatusNotFound {
						deny(http.StatusNotFound, "not found")
					} else {
						web.WriteError(w, r, s.log, err)
					}
					return
				}
				have := p.ProductPermissions(pid)
				switch {
				case have == 0:
					pid = 0 // a product the caller cannot see is not named in its trail
					deny(http.StatusNotFound, "not found")
					return
				case rt.Perm == 0 || have&rt.Perm != rt.Perm:
					deny(http.StatusForbidden, "your role on this product does not allow this; it needs "+rt.Perm.String())
					return
				}
				r = r.WithContext(web.WithProductID(r.Context(), pid))
			} else if rt.Perm != 0 && !p.CanAny(rt.Perm) {
				deny(http.StatusForbidden, "you need "+rt.Perm.String()+" permission on at least one product")
				return
			}
			// toAccount denies a caller who must first do something on the
			// account page: the UI sends the browser there (?query), the
			// API explains.
			toAccount := func(reason, query, detail string) {
				s.auditDenied(r, label, pid, http.StatusForbidden, reason)
				if isUI {
					http.Redirect(w, r, "/account?"+query, http.StatusSeeOther)
					return
				}
				web.WriteProblem(w, r, http.StatusForbidden, detail)
			}
			if rt.Reauth && !s.accounts.RecentlyAuthenticated(p) {
				toAccount("re-authentication required", "reauth=required",
					"confirm it is you first: enter your password or a code on your account page (changing second factors needs a sign-in within the last 5 minutes)")
				return
			}
			if !rt.WithoutMFA && p.Via == "session" && !p.MFA && s.mfaRequired(r.Context(), p) {
				toAccount("a second factor is required", "mfa=required",
					"an administrator requires a second factor for your account: enrol one on your account page first")
				return
			}
		}
		// Cookies are sent by browsers automatically, so every unsafe request
		// authenticated by one must prove it came from our own page.
		if unsafe && p != nil && p.Via == "session" && !web.CheckCSRF(r, p) {
			s.auditDenied(r, label, 0, http.StatusForbidden, "missing or invalid CSRF token")
			web.WriteProblem(w, r, http.StatusForbidden, "missing or invalid CSRF token; reload the page and try again")
			return
		}
		serve := rt.Handler
		if rt.Do != nil {
			serve = func(w http.ResponseWriter, r *http.Request) {
				if err := rt.Do(w, r); err != nil {
					if isUI && s.uiError != nil {
						s.uiError(w, r, err)
					} else {
						web.WriteError(w, r, s.log, err)
					}
				}
			}
		}
		if p == nil {
			serve(w, r)
			return
		}
		// A handler's own refusal (fault.Forbidden: a token minting more
		// than itself, triage of a finding on a read-only product, …) is a
		// failed authorisation too.
		sw := &statusWriter{ResponseWriter: w}
		serve(sw, r)
		if sw.status == http.StatusForbidden {
			s.auditDenied(r, label, web.ProductID(r), http.StatusForbidden, "refused by the handler")
		}
	})
}

// auditDenied records a failed authorisation of a signed-in caller
// (authz.denied): the route, the product when known, the status and why.
// The actor names the token when a token acted.
func (s *Server) auditDenied(r *http.Request, route string, productID int64, status int, why string) {
	if err := audit.Record(r.Context(), s.store, audit.Event{Action: audit.ActionDenied, Object: route, ProductID: productID,
		Outcome: audit.Failed, Detail: fmt.Sprintf("%d %s", status, why)}); err != nil {
		s.log.Error("audit a failed authorisation", "route", route, "err", err)
	}
}

func scopeName(s identity.Scope) string {
	if s == "" {
		return "a '*' token"
	}
	return string(s)
}

// mfaRequired reports whether the require_mfa setting applies to p.
func (s *Server) mfaRequired(ctx context.Context, p *identity.Principal) bool {
	v, err := s.store.Setting(ctx, accounts.SettingRequireMFA)
	if err != nil {
		s.log.Warn("read require_mfa setting", "err", err)
		return false
	}
	return identity.MFARequired(v, p)
}

// sameOrigin rejects browser requests whose Origin (or Referer) names
// another host. Non-browser clients send neither and pass.
func sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		origin = r.Header.Get("Referer")
	}
	if origin == "" || origin == "null" && r.Header.Get("Sec-Fetch-Site") == "" {
		return origin == ""
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host == r.Host
}
