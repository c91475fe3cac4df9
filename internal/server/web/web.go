// Package web holds the HTTP plumbing shared by the JSON API and the HTML
// UI: the route table type, RFC 9457 problem responses, the one error
// kind to status table (Status), JSON bodies and CSRF checks.
package web

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/identity/accounts"
)

// Route is one registered endpoint. Every route states what it needs;
// Public routes need nothing. The server registers exactly these routes, so
// tests can enumerate the router from this table.
//
// Authorisation (enforced by the server's guard, deny by default):
//   - Need: the global role needed ("" = any signed-in user).
//   - Product + Perm: Product resolves the product the request acts on
//     (ProductPath for /products/{id}/…, ReleasePath for /releases/{id}/…,
//     or any func for new resource kinds); the caller needs Perm on it.
//     A caller with no permission at all on the product gets 404 (its
//     existence is not disclosed), one with some but not enough gets 403.
//   - Perm without Product: the caller needs Perm on at least one product;
//     the handler filters what it lists to the caller's products.
//   - Scope: the token scope needed; sessions have every scope, and a
//     route without a Scope is usable only by "*" tokens.
type Route struct {
	Method  string
	Pattern string // net/http ServeMux pattern path, e.g. /api/v1/products/{id}
	Need    identity.Role
	Public  bool
	Product ProductResolver
	Perm    identity.Permission
	Scope   identity.Scope
	// SessionOnly refuses API tokens: the route changes how the account
	// authenticates (password, second factors, passkeys, sessions), which
	// only the person signed in may do. UI routes without a Scope are open
	// to "*" tokens only (deny by default).
	SessionOnly bool
	// Reauth needs a session that proved who it is (signed in, or entered
	// its password or a code again) within identity.ReauthWindow: adding
	// or removing second factors with a stolen session alone must fail.
	Reauth bool
	// WithoutMFA lets a signed-in user who must enrol a second factor (see
	// the require_mfa setting) still use the route (account page, sign-out).
	WithoutMFA bool
	// MaxBody bounds the request body; 0 means the default (1 MiB).
	MaxBody int64
	// Guest also admits a caller without a session or token when it
	// returns a guest: an attack-session participant who joined with a
	// one-time link (ParticipantCookie), on that session's routes only.
	// Signed-in callers are checked as usual; a guest's unsafe requests
	// need the guest's CSRF token.
	Guest GuestResolver
	// Do handles the request and returns its error; the guard renders the
	// error once (problem+json for API routes, the error page for UI
	// routes). New routes set Do.
	Do Handler
	// Handler is the older form that writes its own errors; it is used
	// when Do is nil and is being retired.
	Handler http.HandlerFunc
}

// ProductResolver returns the product a request acts on, or an error
// wrapping fault.ErrNotFound when the object does not exist.
type ProductResolver func(*http.Request) (int64, error)

// ProductChecker tells whether a product exists (the store implements it).
type ProductChecker interface {
	// ProductExists returns id, or an error wrapping fault.ErrNotFound.
	ProductExists(ctx context.Context, id int64) (int64, error)
}

// FindingOwner finds the product of a finding (the store implements it).
type FindingOwner interface {
	// FindingProduct returns the finding's product, or an error wrapping
	// fault.ErrNotFound.
	FindingProduct(ctx context.Context, findingID int64) (int64, error)
}

// ReleaseOwner finds the product of a release (the store implements it).
type ReleaseOwner interface {
	// ReleaseProduct returns the release's product, or an error wrapping
	// fault.ErrNotFound.
	ReleaseProduct(ctx context.Context, releaseID int64) (int64, error)
}

// ProductPath resolves a product id path parameter (checking it exists).
func ProductPath(st ProductChecker, name string) ProductResolver {
	return pathProduct(name, st.ProductExists)
}

// FindingPath resolves a finding id path parameter to its product.
func FindingPath(st FindingOwner, name string) ProductResolver {
	return pathProduct(name, st.FindingProduct)
}

// ReleasePath resolves a release id path parameter to its product.
func ReleasePath(st ReleaseOwner, name string) ProductResolver {
	return pathProduct(name, st.ReleaseProduct)
}

// pathProduct resolves the id path parameter name to its product with
// owner.
func pathProduct(name string, owner func(context.Context, int64) (int64, error)) ProductResolver {
	return func(r *http.Request) (int64, error) {
		id, err := PathID(r, name)
		if err != nil {
			return 0, err
		}
		return owner(r.Context(), id)
	}
}

type productKey struct{}

// WithProductID records the product the route guard resolved and
// authorised for this request.
func WithProductID(ctx context.Context, id int64) context.Context {
	return context.WithValue(ctx, productKey{}, id)
}

// ProductID is the product the route guard resolved for this request (0
// for routes without a Product resolver): handlers use it instead of
// resolving the path again.
func ProductID(r *http.Request) int64 {
	id, _ := r.Context().Value(productKey{}).(int64)
	return id
}

// DefaultMaxBody bounds ordinary request bodies.
const DefaultMaxBody = 1 << 20

// Problem is an RFC 9457 problem details object.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	// Field names the offending input field for validation errors.
	Field string `json:"field,omitempty"`
}

// WriteProblem writes an application/problem+json response.
func WriteProblem(w http.ResponseWriter, r *http.Request, status int, detail string) {
	writeProblem(w, r, Problem{Status: status, Detail: detail})
}

func writeProblem(w http.ResponseWriter, r *http.Request, p Problem) {
	if p.Type == "" {
		p.Type = "about:blank"
	}
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	p.Instance = r.URL.Path
	w.Header().Set("Content-Type", "application/problem+json")
	if p.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="rampart"`)
	}
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// Status maps an error to an HTTP status: the one table for the whole server.
// An oversized body is 413; a not-found or conflict keeps its status ahead
// of a kind that wraps it (an SBOM import into a release that does not
// exist is 404, not 422); everything else is its fault kind's status
// (kindStatus), and an unclassified error 500.
func Status(err error) int {
	var mbe *http.MaxBytesError
	switch {
	case errors.Is(err, fault.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, fault.ErrConflict):
		return http.StatusConflict
	case errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge
	}
	if st, ok := kindStatus[fault.KindOf(err)]; ok {
		return st
	}
	return http.StatusInternalServerError
}

// kindStatus is the kind → status table of the error vocabulary
// (docs/development.md, "Errors").
var kindStatus = map[fault.Kind]int{
	fault.KindNotFound:             http.StatusNotFound,
	fault.KindConflict:             http.StatusConflict,
	fault.KindInvalid:              http.StatusBadRequest,
	fault.KindForbidden:            http.StatusForbidden,
	fault.KindUnauthenticated:      http.StatusUnauthorized,
	fault.KindTooMany:              http.StatusTooManyRequests,
	fault.KindUnprocessable:        http.StatusUnprocessableEntity,
	fault.KindStale:                http.StatusPreconditionFailed,
	fault.KindPreconditionRequired: http.StatusPreconditionRequired,
}

// Handler is an HTTP handler that returns its error instead of writing it.
// Routes register it as Route.Do; the route guard renders the error once,
// through Status (problem+json for API routes, the error page for UI routes).
type Handler func(http.ResponseWriter, *http.Request) error

// WriteError writes err as a problem. Internal errors are logged and their
// detail hidden from the client.
func WriteError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	status := Status(err)
	p := Problem{Status: status, Detail: err.Error()}
	if f := fault.FieldOf(err); f != "" {
		p.Field = f
	}
	if status == http.StatusInternalServerError {
		log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		p.Detail = "internal error; the server log has the details"
	}
	writeProblem(w, r, p)
}

// WriteJSON writes v with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	// Compact: indenting cost measurable latency on large pages (issue 12).
	_ = json.NewEncoder(w).Encode(v)
}

// DecodeJSON reads a JSON body into v, rejecting unknown fields and
// trailing data.
func DecodeJSON(r *http.Request, v any) error {
	var raw json.RawMessage
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(&raw); err != nil {
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			return err
		case errors.Is(err, io.EOF):
			return fault.Invalid("", "request body: empty; send a JSON object (Content-Type: application/json)")
		}
		return fault.Invalid("", "request body: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fault.Invalid("", "request body: unexpected data after the JSON object")
	}
	if string(raw) == "null" {
		// null would decode as "no fields": a PUT would reset every setting.
		return fault.Invalid("", "request body: null; send a JSON object")
	}
	strict := json.NewDecoder(bytes.NewReader(raw))
	strict.DisallowUnknownFields()
	if err := strict.Decode(v); err != nil {
		return fault.Invalid("", "request body: %v", err)
	}
	return nil
}

// PathID parses a numeric path parameter.
func PathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, fault.Invalid("", "path parameter %s: %q is not a valid id", name, r.PathValue(name))
	}
	return id, nil
}

// PathIDs parses two numeric path parameters, a and b (an object and one
// of its parts: an incident and its task).
func PathIDs(r *http.Request, a, b string) (int64, int64, error) {
	x, err := PathID(r, a)
	if err != nil {
		return 0, 0, err
	}
	y, err := PathID(r, b)
	if err != nil {
		return 0, 0, err
	}
	return x, y, nil
}

// PathObject loads, with load, the object whose id is the numeric path
// parameter name.
func PathObject[T any](r *http.Request, name string, load func(context.Context, int64) (T, error)) (T, error) {
	id, err := PathID(r, name)
	if err != nil {
		var zero T
		return zero, err
	}
	return load(r.Context(), id)
}

// PathIDAndJSON parses the numeric path parameter name, then decodes the
// JSON body (as DecodeJSON) into a T.
func PathIDAndJSON[T any](r *http.Request, name string) (int64, T, error) {
	var v T
	id, err := PathID(r, name)
	if err != nil {
		return 0, v, err
	}
	if err := DecodeJSON(r, &v); err != nil {
		return 0, v, err
	}
	return id, v, nil
}

// QueryInt parses an optional integer query parameter.
func QueryInt(r *http.Request, name string) (int, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fault.Invalid("", "query parameter %s: %q is not a non-negative integer", name, s)
	}
	return n, nil
}

// SessionCookie names the session cookie.
const SessionCookie = "rampart_session"

// CSRFField is the form field and CSRFHeader the header carrying the token.
const (
	CSRFField  = "csrf"
	CSRFHeader = "X-CSRF-Token"
)

// CheckCSRF reports whether the request carries the session's CSRF token.
func CheckCSRF(r *http.Request, p *identity.Principal) bool {
	return p != nil && csrfMatches(r, p.CSRF)
}

// csrfMatches reports whether the request carries the CSRF token want (in
// the CSRFHeader header, else the CSRFField form field); an empty want
// matches nothing.
func csrfMatches(r *http.Request, want string) bool {
	if want == "" {
		return false
	}
	got := r.Header.Get(CSRFHeader)
	if got == "" {
		got = r.PostFormValue(CSRFField)
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

type clientIPKey struct{}

// WithClientIP records the request's client address as resolved by the
// server (the TCP peer, or the address a trusted proxy forwarded).
func WithClientIP(ctx context.Context, ip string) context.Context {
	return context.WithValue(ctx, clientIPKey{}, ip)
}

// ClientIP is the request's source address: the one the server resolved
// (see ResolveClientIP), else the TCP peer. X-Forwarded-For is trusted only
// from configured proxies.
func ClientIP(r *http.Request) string {
	if ip, ok := r.Context().Value(clientIPKey{}).(string); ok && ip != "" {
		return ip
	}
	return peerIP(r)
}

func peerIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// ResolveClientIP returns the client address of a request: the TCP peer,
// unless the peer is one of the trusted proxies, in which case the
// right-most X-Forwarded-For entry that is not itself a trusted proxy (a
// client can prepend anything to that header, but not append).
func ResolveClientIP(r *http.Request, trusted []netip.Prefix) string {
	peer := peerIP(r)
	if len(trusted) == 0 || !inPrefixes(peer, trusted) {
		return peer
	}
	var hops []string
	for _, h := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(h, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		hop := strings.TrimSpace(hops[i])
		a, err := netip.ParseAddr(hop)
		if err != nil {
			return peer // malformed: do not guess
		}
		if !inPrefixes(hop, trusted) {
			return a.Unmap().String()
		}
	}
	return peer
}

func inPrefixes(ip string, ps []netip.Prefix) bool {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ReadableProducts is the product filter of a request's caller for store
// queries: nil means every product, an empty list none. It is the one place
// that turns identity.Principal.VisibleProducts into that convention.
func ReadableProducts(r *http.Request) []int64 {
	ids, all := identity.FromContext(r.Context()).VisibleProducts(identity.PermRead)
	if all {
		return nil
	}
	return append([]int64{}, ids...)
}

// LocalRedirect returns p when it is a path on this origin, else "/". It
// is the one check for every redirect target taken from a request (next=
// after password, passkey and SSO sign-in; back= after a form). Browsers
// drop tabs and newlines from URLs and read a backslash as a slash, so
// "/\t/evil.example" or "/\\evil.example" would leave the origin: control
// characters are removed and backslashes read as slashes before checking,
// and the target must then be an absolute path not starting with "//".
func LocalRedirect(p string) string {
	p = strings.Map(func(r rune) rune {
		switch {
		case r < 0x20 || r == 0x7f:
			return -1
		case r == '\\':
			return '/'
		}
		return r
	}, p)
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") {
		return "/"
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !strings.HasPrefix(u.EscapedPath(), "/") || strings.HasPrefix(u.EscapedPath(), "//") {
		return "/"
	}
	return (&url.URL{Path: u.Path, RawPath: u.RawPath, RawQuery: u.RawQuery, Fragment: u.Fragment}).String()
}

// AccountClient is the request's client as the account use cases see it:
// the resolved address (the throttling key) and the user agent.
func AccountClient(r *http.Request) accounts.Client {
	return accounts.Client{IP: ClientIP(r), UserAgent: r.UserAgent()}
}

// SetRetryAfter tells a throttled client (err is an
// accounts.TooManyAttempts) when to try again; other errors set nothing.
func SetRetryAfter(w http.ResponseWriter, err error) {
	var tma accounts.TooManyAttempts
	if errors.As(err, &tma) {
		w.Header().Set("Retry-After", tma.RetryAfter())
	}
}
