// Package api is Rampart's JSON API under /api/v1. Handlers are thin: they
// decode, call the store or a domain package, and encode. The OpenAPI 3.1
// document in openapi.yaml describes every route; a test keeps the two in
// step.
package api

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/rampart-security/rampart/internal/advisory"
	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/server/web"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/threatmodel"
	"github.com/rampart-security/rampart/internal/updates"
)

// Deps are what the API handlers need.
type Deps struct {
	Store         *store.Store
	Log           *slog.Logger
	MaxUpload     int64
	SecureCookies bool
	// OnImport is told about every import (for metrics).
	OnImport func(kind string, err error)
	// SignIn is the sign-in throttling policy (shared by the API and the UI;
	// counters are in the database).
	SignIn identity.SignInPolicy
	// SSO is the OpenID Connect provider, nil when single sign-on is off.
	SSO *identity.SSO
	// Throttle limits failed sign-ins (shared by the API and the UI).
	Throttle *identity.Throttle
	// Threats is the compiled threat rule library.
	Threats *threatmodel.Library
	// Diagrams renders threat-model diagrams.
	Diagrams *Diagrams
	// Vulns matches releases against the local vulnerability database.
	Vulns *portfolio.Vulns
	// VulnSync keeps the vulnerability data current and imports offline
	// bundles.
	VulnSync *portfolio.VulnSync
	// Updates serves and publishes the products' TUF repositories.
	Updates *updates.Service
	// Fleet takes device check-ins and runs rollouts and the fleet view.
	Fleet *updates.Fleet
	// MaxTokenLifetime bounds API token lifetimes (0: one year).
	MaxTokenLifetime time.Duration
	// IntakeKey (32 bytes) encrypts vulnerability-report attachments at
	// rest; nil refuses attachments.
	IntakeKey []byte
	// IncidentLocation is the legal time zone of the incident clocks (nil: UTC).
	IncidentLocation *time.Location
	// Conformity assesses releases against ETSI EN 303 645 and the CRA.
	Conformity *portfolio.Conformity
	// Advisories is the CSAF advisory service (nil: no advisory routes).
	Advisories *advisory.Service
	// PublicURL is the base of the URLs the CSAF provider writes ("": the
	// request's scheme and Host).
	PublicURL string
	// Firmware queues uploaded firmware images for background analysis.
	Firmware *portfolio.FirmwareJobs
}

//go:embed openapi.yaml
var openapiYAML []byte

// OpenAPI returns the OpenAPI document as JSON.
func OpenAPI() ([]byte, error) {
	var doc any
	if err := yaml.Unmarshal(openapiYAML, &doc); err != nil {
		return nil, fmt.Errorf("openapi.yaml: %w", err)
	}
	return json.MarshalIndent(doc, "", "  ")
}

type handler struct{ Deps }

// Routes returns every API route with the role it needs.
func Routes(d Deps) []web.Route {
	h := handler{d}
	doc, err := OpenAPI()
	if err != nil {
		panic(err) // embedded at build time; a broken file is a build defect caught by tests
	}
	routes := []web.Route{
		{Method: "GET", Pattern: "/api/v1/openapi.json", Public: true, Handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write(doc)
		}},
	}
	// Each area adds its routes from its own file.
	routes = append(routes, h.authRoutes()...)
	routes = append(routes, h.inventoryRoutes()...)
	routes = append(routes, h.adminRoutes()...)
	routes = append(routes, h.findingRoutes()...)
	routes = append(routes, h.threatModelRoutes()...)
	routes = append(routes, h.vulnRoutes()...)
	routes = append(routes, h.tufRoutes()...)
	routes = append(routes, h.updateRoutes()...)
	routes = append(routes, h.incidentRoutes()...)
	routes = append(routes, h.intakeRoutes()...)
	routes = append(routes, h.subscriberRoutes()...)
	routes = append(routes, h.firmwareRoutes()...)
	routes = append(routes, h.conformityRoutes()...)
	routes = append(routes, h.policyRoutes()...)
	routes = append(routes, h.sdlRoutes()...)
	routes = append(routes, h.advisoryRoutes()...)
	return routes
}

// inventoryRoutes are products, releases, components and SBOMs.
func (h handler) inventoryRoutes() []web.Route {
	product, release := web.ProductPath(h.Store, "id"), web.ReleasePath(h.Store, "id")
	const (
		read, write, manage = identity.PermRead, identity.PermWrite, identity.PermManage
	)
	return []web.Route{
		{Method: "GET", Pattern: "/api/v1/products", Need: identity.RoleViewer, Scope: identity.ScopeProductsRead, Handler: h.listProducts},
		{Method: "POST", Pattern: "/api/v1/products", Need: identity.RoleEditor, Scope: identity.ScopeProductsWrite, Handler: h.createProduct},
		{Method: "GET", Pattern: "/api/v1/products/{id}", Product: product, Perm: read, Scope: identity.ScopeProductsRead, Handler: getByID(h, h.Store.Product)},
		{Method: "DELETE", Pattern: "/api/v1/products/{id}", Product: product, Perm: manage, Scope: identity.ScopeProductsWrite, Handler: h.deleteProduct},
		{Method: "PATCH", Pattern: "/api/v1/products/{id}", Product: product, Perm: manage, Scope: identity.ScopeProductsWrite, Handler: web.API(h.Log, h.patchProduct)},
		{Method: "GET", Pattern: "/api/v1/products/{id}/releases", Product: product, Perm: read, Scope: identity.ScopeProductsRead, Handler: h.listReleases},
		{Method: "POST", Pattern: "/api/v1/products/{id}/releases", Product: product, Perm: write, Scope: identity.ScopeProductsWrite, Handler: h.createRelease},
		{Method: "GET", Pattern: "/api/v1/products/{id}/members", Product: product, Perm: manage, Scope: identity.ScopeAdmin, Handler: h.listMembers},
		{Method: "PUT", Pattern: "/api/v1/products/{id}/members/{user}", Product: product, Perm: manage, Scope: identity.ScopeAdmin, Handler: h.setMember},
		{Method: "DELETE", Pattern: "/api/v1/products/{id}/members/{user}", Product: product, Perm: manage, Scope: identity.ScopeAdmin, Handler: h.removeMember},
		{Method: "GET", Pattern: "/api/v1/releases/{id}", Product: release, Perm: read, Scope: identity.ScopeProductsRead, Handler: getByID(h, h.Store.Release)},
		{Method: "PATCH", Pattern: "/api/v1/releases/{id}", Product: release, Perm: write, Scope: identity.ScopeProductsWrite, Handler: web.API(h.Log, h.patchRelease)},
		{Method: "DELETE", Pattern: "/api/v1/releases/{id}", Product: release, Perm: manage, Scope: identity.ScopeProductsWrite, Handler: web.API(h.Log, h.deleteRelease)},
		{Method: "GET", Pattern: "/api/v1/releases/{id}/components", Product: release, Perm: read, Scope: identity.ScopeProductsRead, Handler: h.listComponents},
		{Method: "POST", Pattern: "/api/v1/releases/{id}/sbom", Product: release, Perm: write, Scope: identity.ScopeSBOMWrite, MaxBody: h.MaxUpload, Handler: h.uploadSBOM},
		{Method: "GET", Pattern: "/api/v1/releases/{id}/sbom", Product: release, Perm: read, Scope: identity.ScopeSBOMRead, Handler: h.downloadSBOM},
		{Method: "GET", Pattern: "/api/v1/components", Need: identity.RoleViewer, Scope: identity.ScopeProductsRead, Handler: h.search},
	}
}

// rematch matches a release whose components changed. A failure is logged,
// not returned: the import itself succeeded and the next re-match repairs it.
func (h handler) rematch(ctx context.Context, releaseID int64) {
	if _, err := h.Vulns.Rematch(ctx, releaseID); err != nil {
		h.Log.Error("re-match release", "release", releaseID, "err", err)
	}
}

// getByID serves a GET of one object loaded by the {id} path parameter.
func getByID[T any](h handler, load func(context.Context, int64) (T, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := web.PathID(r, "id")
		if err != nil {
			h.fail(w, r, err)
			return
		}
		v, err := load(r.Context(), id)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		web.WriteJSON(w, http.StatusOK, v)
	}
}

func (h handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	web.WriteError(w, r, h.Log, err)
}

// audit records an event; a failure to record is logged as an error (the
// change itself has already been committed).
func (h handler) audit(r *http.Request, e audit.Event) {
	if err := audit.Record(r.Context(), h.Store, e); err != nil {
		h.Log.ErrorContext(r.Context(), "audit log append failed", "action", e.Action, "err", err)
	}
}

// page is the envelope of every list response.
type page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

func newPage[T any](items []T, next string) page[T] {
	if items == nil {
		items = []T{}
	}
	return page[T]{Items: items, NextCursor: next}
}

func (h handler) me(w http.ResponseWriter, r *http.Request) {
	p := identity.FromContext(r.Context())
	web.WriteJSON(w, http.StatusOK, map[string]any{"id": p.UserID, "name": p.Name, "role": p.Role, "via": p.Via})
}

func (h handler) listProducts(w http.ResponseWriter, r *http.Request) {
	limit, err := web.QueryInt(r, "limit")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	items, next, err := h.Store.ProductsIn(r.Context(), web.ReadableProducts(r), r.URL.Query().Get("cursor"), limit)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, newPage(items, next))
}

type productInput struct {
	Name        string             `json:"name"`
	Description string             `json:"description"`
	Owner       string             `json:"owner"`
	Criticality int                `json:"criticality"`
	Exposure    inventory.Exposure `json:"exposure"`
}

func (h handler) createProduct(w http.ResponseWriter, r *http.Request) {
	var in productInput
	if err := web.DecodeJSON(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	p := inventory.Product{Name: in.Name, Description: in.Description, Owner: in.Owner, Criticality: in.Criticality, Exposure: in.Exposure}
	if err := h.Store.CreateProduct(r.Context(), &p); err != nil {
		h.fail(w, r, err)
		return
	}
	// The creator owns what they create (deny by default for everyone else
	// without a global all-products role).
	if err := h.Store.SetMember(r.Context(), p.ID, identity.FromContext(r.Context()).UserID, identity.ProductOwner); err != nil {
		h.fail(w, r, err)
		return
	}
	h.audit(r, audit.Event{Action: audit.ActionProductCreate, Object: fmt.Sprintf("product %d %s", p.ID, p.Name), ProductID: p.ID})
	w.Header().Set("Location", fmt.Sprintf("/api/v1/products/%d", p.ID))
	web.WriteJSON(w, http.StatusCreated, p)
}

func (h handler) deleteProduct(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.Store.DeleteProduct(r.Context(), id); err != nil {
		h.fail(w, r, err)
		return
	}
	h.audit(r, audit.Event{Action: audit.ActionProductDelete, Object: fmt.Sprintf("product %d", id), ProductID: id})
	w.WriteHeader(http.StatusNoContent)
}

func (h handler) listReleases(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if _, err := h.Store.Product(r.Context(), id); err != nil {
		h.fail(w, r, err)
		return
	}
	limit, err := web.QueryInt(r, "limit")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	items, next, err := h.Store.Releases(r.Context(), id, r.URL.Query().Get("cursor"), limit)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, newPage(items, next))
}

type releaseInput struct {
	Version     string                  `json:"version"`
	ReleaseDate string                  `json:"release_date"`
	SupportEnd  string                  `json:"support_end"`
	Status      inventory.ReleaseStatus `json:"status"`
}

// ParseDate parses an optional YYYY-MM-DD date naming the field on error.
func ParseDate(field, s string) (*time.Time, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	t, err := time.Parse("2006-01-02", strings.TrimSpace(s))
	if err != nil {
		return nil, &store.ValidationError{Field: field, Message: fmt.Sprintf("%q is not a date in YYYY-MM-DD form", s)}
	}
	return &t, nil
}

// patchProduct changes a product's name, description, owner, criticality
// or exposure (fields left out stay).
func (h handler) patchProduct(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	var in portfolio.ProductPatch
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	p, err := portfolio.UpdateProduct(r.Context(), h.Store, id, in)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, p)
	return nil
}

// patchRelease changes a release's version, dates or status.
func (h handler) patchRelease(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	var in portfolio.ReleasePatch
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	rel, err := portfolio.UpdateRelease(r.Context(), h.Store, id, in)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, rel)
	return nil
}

func (h handler) deleteRelease(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	if err := portfolio.DeleteRelease(r.Context(), h.Store, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h handler) createRelease(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in releaseInput
	if err := web.DecodeJSON(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	rel := inventory.Release{ProductID: id, Version: in.Version, Status: in.Status}
	if rel.ReleaseDate, err = ParseDate("release_date", in.ReleaseDate); err != nil {
		h.fail(w, r, err)
		return
	}
	if rel.SupportEnd, err = ParseDate("support_end", in.SupportEnd); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.Store.CreateRelease(r.Context(), &rel); err != nil {
		h.fail(w, r, err)
		return
	}
	rel, _ = h.Store.Release(r.Context(), rel.ID)
	h.audit(r, audit.Event{Action: audit.ActionReleaseCreate, Object: fmt.Sprintf("release %d %s", rel.ID, rel.Version), ProductID: id})
	w.Header().Set("Location", fmt.Sprintf("/api/v1/releases/%d", rel.ID))
	web.WriteJSON(w, http.StatusCreated, rel)
}

func (h handler) listComponents(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if _, err := h.Store.Release(r.Context(), id); err != nil {
		h.fail(w, r, err)
		return
	}
	limit, err := web.QueryInt(r, "limit")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	items, next, err := h.Store.Components(r.Context(), store.ComponentQuery{ReleaseID: id, Filter: q.Get("filter"),
		Sort: q.Get("sort"), Desc: q.Get("order") == "desc", After: q.Get("cursor"), Limit: limit})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, newPage(items, next))
}

func (h handler) uploadSBOM(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if _, err := h.Store.Release(r.Context(), id); err != nil {
		h.fail(w, r, err)
		return
	}
	doc, name, err := web.Upload(r, "", h.MaxUpload, "upload")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	defer doc.Close()
	res, err := portfolio.ImportSBOMFrom(r.Context(), h.Store, id, name, doc, doc.Size())
	h.OnImport("sbom", err)
	if err != nil {
		h.fail(w, r, err)
		return
	}

	h.Log.Info("sbom imported", "release", id, "components", res.Components, "sha256", res.SHA256, "user", identity.FromContext(r.Context()).Name)
	h.rematch(r.Context(), id)
	h.gateAfter(r.Context(), id, "sbom")
	web.WriteJSON(w, http.StatusOK, res)
}

func (h handler) downloadSBOM(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var buf bytes.Buffer
	ctype, err := portfolio.ExportSBOM(r.Context(), h.Store, id, r.URL.Query().Get("format"), &buf)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Write(buf.Bytes())
}

func (h handler) search(w http.ResponseWriter, r *http.Request) {
	limit, err := web.QueryInt(r, "limit")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	hits, next, err := h.Store.Search(r.Context(), store.SearchQuery{Q: q.Get("q"), Version: q.Get("version"), After: q.Get("cursor"), Limit: limit, Products: web.ReadableProducts(r)})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, newPage(hits, next))
}
