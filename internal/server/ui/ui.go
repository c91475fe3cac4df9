// Package ui is Rampart's server-rendered web interface: html/template pages
// with htmx for partial updates, all assets embedded. No inline script: the
// Content-Security-Policy allows only same-origin scripts.
package ui

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"maps"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/server/web"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

type handler struct {
	web.Deps
	pages map[string]*template.Template
}

// assetVersions maps a static file name to a short content hash, so asset
// URLs change with their content and can be cached forever.
var assetVersions = func() map[string]string {
	m := map[string]string{}
	_ = fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := staticFS.ReadFile(p)
		sum := sha256.Sum256(b)
		m[strings.TrimPrefix(p, "static/")] = hex.EncodeToString(sum[:6])
		return nil
	})
	return m
}()

var funcs = template.FuncMap{
	"asset": func(name string) string { return "/static/" + name + "?v=" + assetVersions[name] },
	"date": func(t *time.Time) string {
		if t == nil {
			return "—"
		}
		return t.Format("2006-01-02")
	},
	"when": func(t time.Time) string { return t.Format("2006-01-02 15:04") },
	"duration": func(secs int64) string {
		d := time.Duration(secs) * time.Second
		if d%time.Hour == 0 {
			return fmt.Sprintf("%d h", d/time.Hour)
		}
		return d.String()
	},
	"whenOpt": func(t *time.Time) string {
		if t == nil {
			return "never"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"join": strings.Join,
	"list": func(s ...string) []string { return s },
	"short": func(s string, n int) string {
		if len(s) <= n {
			return s
		}
		return s[:n] + "…"
	},
	"query": func(kv ...any) template.URL {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			if s := fmt.Sprint(kv[i+1]); s != "" && s != "false" {
				v.Set(fmt.Sprint(kv[i]), s)
			}
		}
		return template.URL("?" + v.Encode())
	},
	// withQuery builds a link to a fixed path with the page's query plus
	// the given pairs (an empty value removes the key); the values are percent-encoded by url.Values, so the
	// result is a safe URL (html/template would otherwise escape the '=').
	"withQuery": func(path string, q url.Values, kv ...string) template.URL {
		v := url.Values{}
		for k, vs := range q {
			v[k] = append([]string(nil), vs...)
		}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == "" {
				v.Del(kv[i])
			} else {
				v.Set(kv[i], kv[i+1])
			}
		}
		return template.URL(path + "?" + v.Encode())
	},
	"roles":           func() []string { return []string{"viewer", "editor", "admin"} },
	"releaseStatuses": func() []string { return []string{"development", "shipped", "end-of-life"} },
	"severities":      func() []string { return []string{"critical", "high", "medium", "low"} },
	"vexStates": func() []string {
		return []string{"none", "under_investigation", "affected", "not_affected", "fixed", "any"}
	},
	"score100": func(f float64) string { return strconv.FormatFloat(f*100, 'f', 1, 64) },
	// sortOrder is the order a sort link asks for: descending first, then
	// ascending when the list is already sorted by it descending.
	"sortOrder": func(q url.Values, key string) string {
		if q.Get("sort") == key && q.Get("order") == "desc" {
			return ""
		}
		return "desc"
	},
	"critLevels": func() []int { return []int{1, 2, 3, 4, 5} },
	"exposures":  func() []string { return []string{"internet-facing", "local-network", "physical"} },
	"mfaOptions": func() []string { return []string{"all", "admin", "owner", "editor", "auditor"} },
	"hasPart": func(list, part string) bool {
		for _, p := range strings.Split(list, ",") {
			if p == part {
				return true
			}
		}
		return false
	},
	"canAudit": func(p *identity.Principal) bool { return p.CanAny(identity.PermAudit) },
	"scopes":   func(s []identity.Scope) string { return identity.JoinScopes(s) },
	"score":    func(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) },
	"pct": func(p *float64) string {
		if p == nil {
			return "—"
		}
		return strconv.FormatFloat(*p*100, 'f', 2, 64) + "%"
	},
	"add": func(a, b int) int { return a + b },
	"scorep": func(f *float64) string {
		if f == nil {
			return ""
		}
		return strconv.FormatFloat(*f, 'f', 1, 64)
	},
	"mul100": func(f float64) float64 { return f * 100 },
	"label":  func(s string) string { return strings.ReplaceAll(s, "_", " ") },
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[fmt.Sprint(kv[i])] = kv[i+1]
		}
		return m
	},
	"critLabel": func(n int) string {
		return [...]string{"", "low", "moderate", "high", "very high", "safety-critical"}[max(0, min(n, 5))]
	},
}

// supportPeriod is a release's CRA support period by the clock now: its end
// and the days left (or since it ended).
func supportPeriod(now func() time.Time) func(end *time.Time) string {
	return func(end *time.Time) string {
		if end == nil {
			return ""
		}
		today := now().UTC().Truncate(24 * time.Hour)
		days := int(end.Sub(today).Hours() / 24)
		switch {
		case days > 0:
			return fmt.Sprintf("supported until %s (%d days left)", end.Format("2006-01-02"), days)
		case days == 0:
			return "support ends today (" + end.Format("2006-01-02") + ")"
		}
		return fmt.Sprintf("support ended %s (%d days ago)", end.Format("2006-01-02"), -days)
	}
}

// parsePages parses every page with the layout; now is the clock of the
// functions that read it (support).
func parsePages(now func() time.Time) map[string]*template.Template {
	fm := maps.Clone(funcs)
	fm["support"] = supportPeriod(now)
	pages := map[string]*template.Template{}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	for _, n := range names {
		base := path.Base(n)
		if base == "layout.html" {
			continue
		}
		t := template.Must(template.New(base).Funcs(fm).ParseFS(templateFS, "templates/layout.html", n))
		pages[strings.TrimSuffix(base, ".html")] = t
	}
	return pages
}

// view is the data every page gets.
type view struct {
	Title string
	User  *identity.Principal
	CSRF  string
	Nav   string
	Flash string
	Error string
	Data  any
	// Guest names an attack-session guest (joined with a link; no User).
	Guest string
}

func (h *handler) render(w http.ResponseWriter, r *http.Request, status int, page string, v view) {
	t, ok := h.pages[page]
	if !ok {
		panic("ui: no template " + page)
	}
	v.User = identity.FromContext(r.Context())
	if v.User != nil {
		v.CSRF = v.User.CSRF
	}
	name := "layout"
	if r.Header.Get("HX-Request") == "true" && r.Header.Get("HX-Target") != "" && t.Lookup("partial") != nil {
		name = "partial"
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, v); err != nil {
		h.Log.Error("render page", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// fail renders an error page with the store error's status.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := web.Status(err)
	msg := err.Error()
	if status == http.StatusInternalServerError {
		h.Log.Error("ui request failed", "path", r.URL.Path, "err", err)
		msg = "Something went wrong on our side. The server log has the details."
	}
	h.render(w, r, status, "error", view{Title: http.StatusText(status), Error: msg})
}

var errorPage = template.Must(template.New("e").Parse(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{.}} · Rampart</title><link rel="icon" type="image/svg+xml" href="/static/favicon.svg"><link rel="stylesheet" href="/static/app.css"></head><body class="center"><main class="card narrow"><h1>{{.}}</h1><p><a href="/">Back to the portfolio</a></p></main></body></html>`))

// NotFound renders a 404 page for unknown UI paths.
func NotFound(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusNotFound)
	_ = errorPage.Execute(w, "Page not found")
}

// Forbidden renders a 403 page.
func Forbidden(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusForbidden)
	_ = errorPage.Execute(w, "Your role does not allow this")
}

// RedirectToLogin sends an unauthenticated browser to the sign-in page,
// remembering where it wanted to go. htmx requests get HX-Redirect.
func RedirectToLogin(w http.ResponseWriter, r *http.Request) {
	target := "/login"
	if r.Method == http.MethodGet && r.URL.Path != "/" {
		target += "?next=" + url.QueryEscape(r.URL.RequestURI())
	}
	if r.Header.Get("HX-Request") == "true" {
		w.Header().Set("HX-Redirect", target)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// localPath accepts only same-site absolute paths (no open redirects).
func localPath(p string) string { return web.LocalRedirect(p) }

// redirectFlash sends the browser to target (a path, with an optional
// #fragment) with msg as the page's flash message.
func redirectFlash(w http.ResponseWriter, r *http.Request, target, msg string) {
	redirectWith(w, r, target, "flash", msg)
}

// redirectWith sends the browser to target (a path, with an optional
// #fragment) with msg in the query parameter key ("flash", "error",
// "gate_error": the page shows it).
func redirectWith(w http.ResponseWriter, r *http.Request, target, key, msg string) {
	path, fragment, found := strings.Cut(target, "#")
	u := path + "?" + key + "=" + url.QueryEscape(msg)
	if found {
		u += "#" + fragment
	}
	http.Redirect(w, r, u, http.StatusSeeOther)
}

// replyFlash ends a form post: it returns err for the error page, or,
// when err is nil, sends the browser to target (redirectFlash) with msg.
func replyFlash(w http.ResponseWriter, r *http.Request, target, msg string, err error) error {
	if err != nil {
		return err
	}
	redirectFlash(w, r, target, msg)
	return nil
}

// redirectError ends a form post that failed with err: an internal error
// is returned for the error page; otherwise the browser goes back to
// target (redirectWith) with the error's message under key.
func redirectError(w http.ResponseWriter, r *http.Request, target, key string, err error) error {
	if web.Status(err) >= 500 {
		return err
	}
	redirectWith(w, r, target, key, err.Error())
	return nil
}

// afterSave ends a form post: an internal error is returned for the error
// page; otherwise the browser goes back to target (redirectFlash) with ok,
// or with "Not saved: " and the error.
func afterSave(w http.ResponseWriter, r *http.Request, target string, err error, ok string) error {
	if err != nil && web.Status(err) >= 500 {
		return err
	}
	msg := ok
	if err != nil {
		msg = "Not saved: " + err.Error()
	}
	redirectFlash(w, r, target, msg)
	return nil
}

// preCSRFCookie protects the sign-in and setup forms, which are posted
// before a session (and its CSRF token) exists: double-submit cookie.
const preCSRFCookie = "rampart_precsrf"

func (h *handler) preCSRF(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(preCSRFCookie); err == nil && len(c.Value) >= 32 {
		return c.Value
	}
	v, _ := identity.NewSecret("")
	http.SetCookie(w, &http.Cookie{Name: preCSRFCookie, Value: v, Path: "/", HttpOnly: true, Secure: h.SecureCookies, SameSite: http.SameSiteStrictMode})
	return v
}

func checkPreCSRF(r *http.Request) bool {
	c, err := r.Cookie(preCSRFCookie)
	got := r.Header.Get(web.CSRFHeader)
	if got == "" {
		got = r.PostFormValue(web.CSRFField)
	}
	return err == nil && c.Value != "" && subtle.ConstantTimeCompare([]byte(c.Value), []byte(got)) == 1
}

// UI is the HTML skin over the services: its routes and its error page.
type UI struct{ h *handler }

// New parses the templates and builds the UI.
func New(d web.Deps) *UI { return &UI{h: &handler{Deps: d, pages: parsePages(d.Now)}} }

// Fail renders err as the error page, with the status of its kind (the
// route guard calls it for the error a UI route's Do returns).
func (u *UI) Fail(w http.ResponseWriter, r *http.Request, err error) { u.h.fail(w, r, err) }

// Routes returns every UI route with the role it needs.
func (u *UI) Routes() []web.Route {
	h := u.h
	static, _ := fs.Sub(staticFS, "static")
	files := http.FileServerFS(static)
	routes := []web.Route{
		{Method: "GET", Pattern: "/static/{file...}", Public: true, Handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
			http.StripPrefix("/static/", files).ServeHTTP(w, r)
		}},
		// Browsers and feed readers ask for /favicon.ico whatever the page
		// links; the embedded SVG icon answers it.
		{Method: "GET", Pattern: "/favicon.ico", Public: true, Handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "public, max-age=86400")
			http.Redirect(w, r, "/static/favicon.svg?v="+assetVersions["favicon.svg"], http.StatusMovedPermanently)
		}},
	}
	routes = append(routes, h.authRoutes()...)
	routes = append(routes, h.inventoryRoutes()...)
	routes = append(routes, h.adminRoutes()...)
	routes = append(routes, h.vulndbRoutes()...)
	routes = append(routes, h.passkeyRoutes()...)
	routes = append(routes, h.ssoRoutes()...)
	routes = append(routes, h.advisoryRoutes()...)
	routes = append(routes, h.findingRoutes()...)
	routes = append(routes, h.threatModelRoutes()...)
	routes = append(routes, h.attackSessionRoutes()...)
	routes = append(routes, h.vulnRoutes()...)
	routes = append(routes, h.reportRoutes()...)
	routes = append(routes, h.updateRoutes()...)
	routes = append(routes, h.incidentRoutes()...)
	routes = append(routes, h.conformityRoutes()...)
	routes = append(routes, h.firmwareRoutes()...)
	routes = append(routes, h.policyRoutes()...)
	return routes
}

// authRoutes are sign-in, first-start setup and the account page.
func (h *handler) authRoutes() []web.Route {
	return []web.Route{
		{Method: "GET", Pattern: "/login", Public: true, Do: h.loginForm},
		{Method: "POST", Pattern: "/login", Public: true, Do: h.login},
		{Method: "GET", Pattern: "/setup", Public: true, Do: h.setupForm},
		{Method: "POST", Pattern: "/setup", Public: true, Do: h.setup},
		{Method: "GET", Pattern: "/invite", Public: true, Do: h.inviteForm},
		{Method: "POST", Pattern: "/invite", Public: true, Do: h.acceptInvite},
		{Method: "POST", Pattern: "/logout", Need: identity.RoleViewer, SessionOnly: true, WithoutMFA: true, Do: h.logout},
		{Method: "GET", Pattern: "/account", Need: identity.RoleViewer, SessionOnly: true, WithoutMFA: true, Do: h.account},
		{Method: "POST", Pattern: "/account/password", Need: identity.RoleViewer, SessionOnly: true, WithoutMFA: true, Do: h.changePassword},
		{Method: "POST", Pattern: "/account/sessions/others", Need: identity.RoleViewer, SessionOnly: true, WithoutMFA: true, Do: h.signOutOthers},
		{Method: "POST", Pattern: "/account/sessions/all", Need: identity.RoleViewer, SessionOnly: true, WithoutMFA: true, Do: h.signOutEverywhere},
		{Method: "POST", Pattern: "/account/totp", Need: identity.RoleViewer, SessionOnly: true, Reauth: true, WithoutMFA: true, Do: h.totpStart},
		{Method: "GET", Pattern: "/account/totp/qr.png", Need: identity.RoleViewer, SessionOnly: true, WithoutMFA: true, Do: h.totpQR},
		{Method: "POST", Pattern: "/account/totp/confirm", Need: identity.RoleViewer, SessionOnly: true, Reauth: true, WithoutMFA: true, Do: h.totpConfirm},
		{Method: "POST", Pattern: "/account/totp/disable", Need: identity.RoleViewer, SessionOnly: true, WithoutMFA: true, Do: h.totpDisable},
		{Method: "POST", Pattern: "/account/reauth", Need: identity.RoleViewer, SessionOnly: true, WithoutMFA: true, Do: h.reauth},
		{Method: "POST", Pattern: "/account/recovery-codes", Need: identity.RoleViewer, SessionOnly: true, Reauth: true, WithoutMFA: true, Do: h.recoveryCodes},
		{Method: "POST", Pattern: "/account/tokens", Need: identity.RoleViewer, SessionOnly: true, Do: h.createToken},
		{Method: "POST", Pattern: "/account/tokens/{id}/revoke", Need: identity.RoleViewer, SessionOnly: true, Do: h.revokeToken},
	}
}

// inventoryRoutes are the portfolio, products, releases and search.
func (h *handler) inventoryRoutes() []web.Route {
	product, release := web.ProductPath(h.Store, "id"), web.ReleasePath(h.Store, "id")
	read, write := identity.PermRead, identity.PermWrite
	return []web.Route{
		{Method: "GET", Pattern: "/{$}", Need: identity.RoleViewer, Do: h.portfolio},
		{Method: "POST", Pattern: "/products", Need: identity.RoleEditor, Do: h.createProduct},
		{Method: "GET", Pattern: "/products/{id}", Product: product, Perm: read, Do: h.product},
		{Method: "POST", Pattern: "/products/{id}/edit", Product: product, Perm: identity.PermManage, Do: h.editProduct},
		{Method: "POST", Pattern: "/products/{id}/releases", Product: product, Perm: write, Do: h.createRelease},
		{Method: "POST", Pattern: "/products/{id}/dedup", Product: product, Perm: write, Do: h.setDedup},
		{Method: "POST", Pattern: "/products/{id}/risk-acceptance", Product: product, Perm: identity.PermManage, Do: h.setMaxAcceptance},
		{Method: "GET", Pattern: "/releases/{id}", Product: release, Perm: read, Do: h.release},
		{Method: "POST", Pattern: "/releases/{id}/edit", Product: release, Perm: write, Do: h.editRelease},
		{Method: "POST", Pattern: "/releases/{id}/delete", Product: release, Perm: identity.PermManage, Do: h.deleteRelease},
		{Method: "POST", Pattern: "/releases/{id}/sbom", Product: release, Perm: write, MaxBody: h.MaxUpload + 1<<20, Do: h.uploadSBOM},
		{Method: "GET", Pattern: "/releases/{id}/sbom", Product: release, Perm: read, Do: h.downloadSBOM},
		{Method: "GET", Pattern: "/search", Need: identity.RoleViewer, Do: h.search},
	}
}
