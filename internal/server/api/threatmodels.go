package api

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"sync"

	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/server/web"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/threatmodel"
)

// Diagrams renders threat-model diagrams with one shared Graphviz engine,
// started on first use (a Renderer is not safe for concurrent use).
type Diagrams struct {
	mu sync.Mutex
	r  *threatmodel.Renderer
}

// SVG renders the model's data-flow diagram with threat counts.
func (d *Diagrams) SVG(ctx context.Context, m *threatmodel.Model, res *threatmodel.Result) ([]byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.r == nil {
		r, err := threatmodel.NewRenderer(context.WithoutCancel(ctx))
		if err != nil {
			return nil, err
		}
		d.r = r
	}
	// A render always runs to completion: cancelling the wasm engine half way
	// (a browser that navigated away) leaves it unusable for the next request.
	svg, err := d.r.SVG(context.WithoutCancel(ctx), m, threatmodel.DiagramOptions{Result: res})
	if err != nil { // start a fresh engine next time
		d.r.Close()
		d.r = nil
	}
	return svg, err
}

// threatModelRoutes are per-product threat models, threats and the rule library.
func (h handler) threatModelRoutes() []web.Route {
	return []web.Route{
		{Method: "GET", Pattern: "/api/v1/products/{id}/threatmodel", Product: web.ProductPath(h.Store, "id"), Perm: identity.PermRead, Scope: identity.ScopeProductsRead, Handler: h.getThreatModel},
		{Method: "PUT", Pattern: "/api/v1/products/{id}/threatmodel", Product: web.ProductPath(h.Store, "id"), Perm: identity.PermWrite, Scope: identity.ScopeProductsWrite, MaxBody: 16 << 20, Handler: h.putThreatModel},
		{Method: "GET", Pattern: "/api/v1/products/{id}/threatmodel/versions", Product: web.ProductPath(h.Store, "id"), Perm: identity.PermRead, Scope: identity.ScopeProductsRead, Handler: h.threatModelVersions},
		{Method: "GET", Pattern: "/api/v1/products/{id}/threatmodel/diagram", Product: web.ProductPath(h.Store, "id"), Perm: identity.PermRead, Scope: identity.ScopeProductsRead, Handler: h.threatModelDiagram},
		{Method: "GET", Pattern: "/api/v1/products/{id}/threats", Product: web.ProductPath(h.Store, "id"), Perm: identity.PermRead, Scope: identity.ScopeProductsRead, Handler: h.listThreats},
		{Method: "PUT", Pattern: "/api/v1/products/{id}/threats/{threat}", Product: web.ProductPath(h.Store, "id"), Perm: identity.PermWrite, Scope: identity.ScopeProductsWrite, Handler: h.trackThreat},
		{Method: "GET", Pattern: "/api/v1/threatmodel/rules", Need: identity.RoleViewer, Scope: identity.ScopeProductsRead, Handler: h.threatRules},
	}
}

func queryVersion(r *http.Request) (int, error) {
	v, err := web.QueryInt(r, "version")
	return v, err
}

func (h handler) getThreatModel(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ver, err := queryVersion(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v, err := h.Store.ThreatModel(r.Context(), id, ver)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if r.URL.Query().Get("format") == "yaml" {
		w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
		io.WriteString(w, v.Source)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"version": v, "source": v.Source})
}

func (h handler) putThreatModel(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	model, name, err := web.Upload(r, "", 16<<20, "threatmodel.yaml")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	defer model.Close()
	data, err := io.ReadAll(model)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	actor := identity.FromContext(r.Context()).Name
	v, created, err := portfolio.SaveThreatModel(r.Context(), h.Store, id, data, name, r.URL.Query().Get("note"), actor)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	view, err := portfolio.ProductThreats(r.Context(), h.Store, h.Threats, id, v.Version)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.Log.Info("threat model saved", "product", id, "version", v.Version, "created", created, "user", actor)
	if created {
		h.gateAfterProduct(r.Context(), id, "threatmodel")
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	web.WriteJSON(w, status, map[string]any{"version": v, "created": created, "threats": len(view.Result.Threats), "warnings": view.Result.Warnings})
}

func (h handler) threatModelVersions(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	vs, err := h.Store.ThreatModelVersions(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, newPage(vs, ""))
}

func (h handler) threatModelDiagram(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ver, err := queryVersion(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	view, err := portfolio.ProductThreats(r.Context(), h.Store, h.Threats, id, ver)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	svg, err := h.Diagrams.SVG(r.Context(), view.Model, view.Result)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	// The SVG is served as an image document: no scripts run in it.
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.Write(svg)
}

func (h handler) listThreats(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ver, err := queryVersion(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	view, err := portfolio.ProductThreats(r.Context(), h.Store, h.Threats, id, ver)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"model_version": view.Version.Version, "model": view.Result.Model,
		"elements": view.Result.Elements, "flows": view.Result.Flows, "threats": view.Result.Threats, "tracking": view.Tracking})
}

type trackInput struct {
	Status string `json:"status"`
	Owner  string `json:"owner"`
	Task   string `json:"task"`
	Note   string `json:"note"`
}

func (h handler) trackThreat(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in trackInput
	if err := web.DecodeJSON(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	view, err := portfolio.ProductThreats(r.Context(), h.Store, h.Threats, id, 0)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	tid := r.PathValue("threat")
	known := false
	for _, t := range view.Result.Threats {
		known = known || t.ID == tid
	}
	if !known {
		h.fail(w, r, &notFound{"threat " + strconv.Quote(tid) + " is not in the current threat model"})
		return
	}
	t := store.ThreatTracking{ThreatID: tid, Status: in.Status, Owner: in.Owner, Task: in.Task, Note: in.Note, UpdatedBy: identity.FromContext(r.Context()).Name}
	if err := portfolio.TrackThreat(r.Context(), h.Store, id, t); err != nil {
		h.fail(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, t)
}

type notFound struct{ msg string }

func (e *notFound) Error() string { return e.msg }
func (*notFound) HTTPStatus() int { return http.StatusNotFound }

func (h handler) threatRules(w http.ResponseWriter, r *http.Request) {
	web.WriteJSON(w, http.StatusOK, map[string]any{"rules": h.Threats.Rules()})
}
