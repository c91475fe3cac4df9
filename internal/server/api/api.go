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
	"net/http"

	"gopkg.in/yaml.v3"

	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/server/web"
)

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

type handler struct{ web.Deps }

// Routes returns every API route with the role it needs.
func Routes(d web.Deps) []web.Route {
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
	routes = append(routes, h.threatEditRoutes()...)
	routes = append(routes, h.attackSessionRoutes()...)
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
		{Method: "GET", Pattern: "/api/v1/products", Need: identity.RoleViewer, Scope: identity.ScopeProductsRead, Do: h.listProducts},
		{Method: "POST", Pattern: "/api/v1/products", Need: identity.RoleEditor, Scope: identity.ScopeProductsWrite, Do: h.createProduct},
		{Method: "GET", Pattern: "/api/v1/products/{id}", Product: product, Perm: read, Scope: identity.ScopeProductsRead, Do: getByID(h.Store.Product)},
		{Method: "DELETE", Pattern: "/api/v1/products/{id}", Product: product, Perm: manage, Scope: identity.ScopeProductsWrite, Do: h.deleteProduct},
		{Method: "PATCH", Pattern: "/api/v1/products/{id}", Product: product, Perm: manage, Scope: identity.ScopeProductsWrite, Do: h.patchProduct},
		{Method: "GET", Pattern: "/api/v1/products/{id}/releases", Product: product, Perm: read, Scope: identity.ScopeProductsRead, Do: h.listReleases},
		{Method: "POST", Pattern: "/api/v1/products/{id}/releases", Product: product, Perm: write, Scope: identity.ScopeProductsWrite, Do: h.createRelease},
		{Method: "GET", Pattern: "/api/v1/products/{id}/members", Product: product, Perm: manage, Scope: identity.ScopeAdmin, Do: h.listMembers},
		{Method: "PUT", Pattern: "/api/v1/products/{id}/members/{user}", Product: product, Perm: manage, Scope: identity.ScopeAdmin, Do: h.setMember},
		{Method: "DELETE", Pattern: "/api/v1/products/{id}/members/{user}", Product: product, Perm: manage, Scope: identity.ScopeAdmin, Do: h.removeMember},
		{Method: "GET", Pattern: "/api/v1/releases/{id}", Product: release, Perm: read, Scope: identity.ScopeProductsRead, Do: h.getRelease},
		{Method: "PATCH", Pattern: "/api/v1/releases/{id}", Product: release, Perm: write, Scope: identity.ScopeProductsWrite, Do: h.patchRelease},
		{Method: "DELETE", Pattern: "/api/v1/releases/{id}", Product: release, Perm: manage, Scope: identity.ScopeProductsWrite, Do: h.deleteRelease},
		{Method: "GET", Pattern: "/api/v1/releases/{id}/components", Product: release, Perm: read, Scope: identity.ScopeProductsRead, Do: h.listComponents},
		{Method: "POST", Pattern: "/api/v1/releases/{id}/sbom", Product: release, Perm: write, Scope: identity.ScopeSBOMWrite, MaxBody: h.MaxUpload, Do: h.uploadSBOM},
		{Method: "GET", Pattern: "/api/v1/releases/{id}/sbom", Product: release, Perm: read, Scope: identity.ScopeSBOMRead, Do: h.downloadSBOM},
		{Method: "GET", Pattern: "/api/v1/components", Need: identity.RoleViewer, Scope: identity.ScopeProductsRead, Do: h.search},
	}
}

// getRelease returns a release with its vulnerability counts (SBOM
// matches, scanner findings, findings linked to a match).
func (h handler) getRelease(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	rel, err := portfolio.ReleaseWithRisk(r.Context(), h.Store, id)
	return reply(w, http.StatusOK, rel, err)
}

// rematch matches a release whose components changed. A failure is logged,
// not returned: the import itself succeeded and the next re-match repairs it.
func (h handler) rematch(ctx context.Context, releaseID int64) {
	if _, err := h.Vulns.Rematch(ctx, releaseID); err != nil {
		h.Log.Error("re-match release", "release", releaseID, "err", err)
	}
}

// getByID serves a GET of one object loaded by the {id} path parameter.
func getByID[T any](load func(context.Context, int64) (T, error)) web.Handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		v, err := web.PathObject(r, "id", load)
		return reply(w, http.StatusOK, v, err)
	}
}

// listByID serves a GET of the objects loaded by the {id} path parameter,
// as one page.
func listByID[T any](load func(context.Context, int64) ([]T, error)) web.Handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		vs, err := web.PathObject(r, "id", load)
		return reply(w, http.StatusOK, newPage(vs, ""), err)
	}
}

// reply ends a handler: it returns err for the route guard to render, or,
// when err is nil, writes v as JSON with status.
func reply(w http.ResponseWriter, status int, v any, err error) error {
	if err != nil {
		return err
	}
	web.WriteJSON(w, status, v)
	return nil
}

// noContent ends a handler that answers no body: it returns err for the
// route guard to render, or, when err is nil, answers 204.
func noContent(w http.ResponseWriter, err error) error {
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// listPage serves one page of a list: it reads the limit and cursor query
// parameters and writes the items and next cursor load returns.
func listPage[T any](w http.ResponseWriter, r *http.Request, load func(ctx context.Context, cursor string, limit int) ([]T, string, error)) error {
	limit, err := web.QueryInt(r, "limit")
	if err != nil {
		return err
	}
	items, next, err := load(r.Context(), r.URL.Query().Get("cursor"), limit)
	return reply(w, http.StatusOK, newPage(items, next), err)
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

func (h handler) me(w http.ResponseWriter, r *http.Request) error {
	p := identity.FromContext(r.Context())
	web.WriteJSON(w, http.StatusOK, map[string]any{"id": p.UserID, "name": p.Name, "role": p.Role, "via": p.Via})
	return nil
}

func (h handler) listProducts(w http.ResponseWriter, r *http.Request) error {
	return listPage(w, r, func(ctx context.Context, cursor string, limit int) ([]inventory.Product, string, error) {
		return h.Store.ProductsIn(ctx, web.ReadableProducts(r), cursor, limit)
	})
}

type productInput struct {
	Name        string             `json:"name"`
	Description string             `json:"description"`
	Owner       string             `json:"owner"`
	Criticality int                `json:"criticality"`
	Exposure    inventory.Exposure `json:"exposure"`
}

func (h handler) createProduct(w http.ResponseWriter, r *http.Request) error {
	var in productInput
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	p := inventory.Product{Name: in.Name, Description: in.Description, Owner: in.Owner, Criticality: in.Criticality, Exposure: in.Exposure}
	if err := portfolio.CreateProduct(r.Context(), h.Store, &p); err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/products/%d", p.ID))
	web.WriteJSON(w, http.StatusCreated, p)
	return nil
}

func (h handler) deleteProduct(w http.ResponseWriter, r *http.Request) error {
	return noContent(w, portfolio.DeleteProduct(r.Context(), h.Store, web.ProductID(r)))
}

func (h handler) listReleases(w http.ResponseWriter, r *http.Request) error {
	id := web.ProductID(r)
	return listPage(w, r, func(ctx context.Context, cursor string, limit int) ([]inventory.Release, string, error) {
		return h.Store.Releases(ctx, id, cursor, limit)
	})
}

type releaseInput struct {
	Version     string                  `json:"version"`
	ReleaseDate string                  `json:"release_date"`
	SupportEnd  string                  `json:"support_end"`
	Status      inventory.ReleaseStatus `json:"status"`
}

// patchProduct changes a product's name, description, owner, criticality
// or exposure (fields left out stay).
func (h handler) patchProduct(w http.ResponseWriter, r *http.Request) error {
	id, in, err := web.PathIDAndJSON[portfolio.ProductPatch](r, "id")
	if err != nil {
		return err
	}
	p, err := portfolio.UpdateProduct(r.Context(), h.Store, id, in)
	return reply(w, http.StatusOK, p, err)
}

// patchRelease changes a release's version, dates or status.
func (h handler) patchRelease(w http.ResponseWriter, r *http.Request) error {
	id, in, err := web.PathIDAndJSON[portfolio.ReleasePatch](r, "id")
	if err != nil {
		return err
	}
	rel, err := portfolio.UpdateRelease(r.Context(), h.Store, id, in, h.Now())
	return reply(w, http.StatusOK, rel, err)
}

func (h handler) deleteRelease(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	return noContent(w, portfolio.DeleteRelease(r.Context(), h.Store, id))
}

func (h handler) createRelease(w http.ResponseWriter, r *http.Request) error {
	id := web.ProductID(r)
	var in releaseInput
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	rel := inventory.Release{ProductID: id, Version: in.Version, Status: in.Status}
	var err error
	if rel.ReleaseDate, err = portfolio.ParseDate("release_date", in.ReleaseDate); err != nil {
		return err
	}
	if rel.SupportEnd, err = portfolio.ParseDate("support_end", in.SupportEnd); err != nil {
		return err
	}
	if err := portfolio.CreateRelease(r.Context(), h.Store, &rel); err != nil {
		return err
	}
	// Read it back for the fields the store fills in (created, counts).
	if rel, err = h.Store.Release(r.Context(), rel.ID); err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/releases/%d", rel.ID))
	web.WriteJSON(w, http.StatusCreated, rel)
	return nil
}

func (h handler) listComponents(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	return listPage(w, r, func(ctx context.Context, cursor string, limit int) ([]inventory.Component, string, error) {
		return h.Store.Components(ctx, inventory.ComponentQuery{ReleaseID: id, Filter: q.Get("filter"),
			Sort: q.Get("sort"), Desc: q.Get("order") == "desc", After: cursor, Limit: limit})
	})
}

func (h handler) uploadSBOM(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	doc, name, err := web.Upload(r, "", h.MaxUpload, "upload")
	if err != nil {
		return err
	}
	defer doc.Close()
	res, err := portfolio.ImportSBOMFrom(r.Context(), h.Store, id, name, doc, doc.Size())
	h.OnImport("sbom", err)
	if err != nil {
		return err
	}

	h.Log.Info("sbom imported", "release", id, "components", res.Components, "sha256", res.SHA256, "user", identity.FromContext(r.Context()).Name)
	h.rematch(r.Context(), id)
	h.gateAfter(r.Context(), id, "sbom")
	web.WriteJSON(w, http.StatusOK, res)
	return nil
}

func (h handler) downloadSBOM(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	ctype, err := portfolio.ExportSBOM(r.Context(), h.Store, id, r.URL.Query().Get("format"), &buf)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", ctype)
	w.Write(buf.Bytes())
	return nil
}

func (h handler) search(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	return listPage(w, r, func(ctx context.Context, cursor string, limit int) ([]inventory.SearchHit, string, error) {
		return h.Store.Search(ctx, inventory.SearchQuery{Q: q.Get("q"), Version: q.Get("version"), After: cursor, Limit: limit, Products: web.ReadableProducts(r)})
	})
}
