package api

import (
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/server/web"
	"github.com/rampart-security/rampart/internal/threatmodel"
)

// threatModelRoutes are per-product threat models, threats and the rule library.
func (h handler) threatModelRoutes() []web.Route {
	return []web.Route{
		{Method: "GET", Pattern: "/api/v1/products/{id}/threatmodel", Product: web.ProductPath(h.Store, "id"), Perm: identity.PermRead, Scope: identity.ScopeProductsRead, Do: h.getThreatModel},
		{Method: "PUT", Pattern: "/api/v1/products/{id}/threatmodel", Product: web.ProductPath(h.Store, "id"), Perm: identity.PermWrite, Scope: identity.ScopeProductsWrite, MaxBody: 16 << 20, Do: h.putThreatModel},
		{Method: "GET", Pattern: "/api/v1/products/{id}/threatmodel/versions", Product: web.ProductPath(h.Store, "id"), Perm: identity.PermRead, Scope: identity.ScopeProductsRead, Do: h.threatModelVersions},
		{Method: "GET", Pattern: "/api/v1/products/{id}/threatmodel/diagram", Product: web.ProductPath(h.Store, "id"), Perm: identity.PermRead, Scope: identity.ScopeProductsRead, Do: h.threatModelDiagram},
		{Method: "GET", Pattern: "/api/v1/products/{id}/threatmodel/diagram.svg", Product: web.ProductPath(h.Store, "id"), Perm: identity.PermRead, Scope: identity.ScopeProductsRead, Do: h.exportDiagram("svg")},
		{Method: "GET", Pattern: "/api/v1/products/{id}/threatmodel/diagram.png", Product: web.ProductPath(h.Store, "id"), Perm: identity.PermRead, Scope: identity.ScopeProductsRead, Do: h.exportDiagram("png")},
		{Method: "GET", Pattern: "/api/v1/products/{id}/threats", Product: web.ProductPath(h.Store, "id"), Perm: identity.PermRead, Scope: identity.ScopeProductsRead, Do: h.listThreats},
		{Method: "PUT", Pattern: "/api/v1/products/{id}/threats/{threat}", Product: web.ProductPath(h.Store, "id"), Perm: identity.PermWrite, Scope: identity.ScopeProductsWrite, Do: h.trackThreat},
		{Method: "GET", Pattern: "/api/v1/threatmodel/rules", Need: identity.RoleViewer, Scope: identity.ScopeProductsRead, Do: h.threatRules},
	}
}

func queryVersion(r *http.Request) (int, error) {
	v, err := web.QueryInt(r, "version")
	return v, err
}

// requestedThreats evaluates the version of the product's threat model
// that ?version= names (the latest when it is absent).
func (h handler) requestedThreats(r *http.Request) (*portfolio.ThreatView, error) {
	ver, err := queryVersion(r)
	if err != nil {
		return nil, err
	}
	return portfolio.ProductThreats(r.Context(), h.Store, h.Threats, web.ProductID(r), ver)
}

func (h handler) getThreatModel(w http.ResponseWriter, r *http.Request) error {
	id := web.ProductID(r)
	ver, err := queryVersion(r)
	if err != nil {
		return err
	}
	v, err := h.Store.ThreatModel(r.Context(), id, ver)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("format") == "yaml" {
		w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
		io.WriteString(w, v.Source)
		return nil
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"version": v, "source": v.Source})
	return nil
}

func (h handler) putThreatModel(w http.ResponseWriter, r *http.Request) error {
	id := web.ProductID(r)
	model, name, err := web.Upload(r, "", 16<<20, "threatmodel.yaml")
	if err != nil {
		return err
	}
	defer model.Close()
	data, err := io.ReadAll(model)
	if err != nil {
		return err
	}
	actor := identity.FromContext(r.Context()).Name
	saved, err := portfolio.SaveThreatModel(r.Context(), h.Store, id, data, name, r.URL.Query().Get("note"), actor)
	v, created := saved.Version, saved.Created
	if err != nil {
		return err
	}
	view, err := portfolio.ProductThreats(r.Context(), h.Store, h.Threats, id, v.Version)
	if err != nil {
		return err
	}
	h.Log.Info("threat model saved", "product", id, "version", v.Version, "created", created, "user", actor)
	if created {
		h.gateAfterProduct(r.Context(), id, "threatmodel")
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	importWarnings := saved.ImportWarnings
	if importWarnings == nil {
		importWarnings = []string{}
	}
	web.WriteJSON(w, status, map[string]any{"version": v, "created": created, "threats": len(view.Result.Threats), "warnings": view.Result.Warnings, "import_warnings": importWarnings,
		"completeness": view.Result.Completeness})
	return nil
}

func (h handler) threatModelVersions(w http.ResponseWriter, r *http.Request) error {
	id := web.ProductID(r)
	vs, err := h.Store.ThreatModelVersions(r.Context(), id)
	return reply(w, http.StatusOK, newPage(vs, ""), err)
}

func (h handler) threatModelDiagram(w http.ResponseWriter, r *http.Request) error {
	view, err := h.requestedThreats(r)
	if err != nil {
		return err
	}
	svg, err := h.Diagrams.SVG(r.Context(), view.Model, view.Result)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	// The SVG is served as an image document: no scripts run in it.
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.Write(svg)
	return nil
}

func (h handler) listThreats(w http.ResponseWriter, r *http.Request) error {
	view, err := h.requestedThreats(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	filter := threatmodel.ThreatFilter{STRIDE: q.Get("stride"), Severity: q.Get("severity"), Status: q.Get("status"), Target: q.Get("element")}
	if err := filter.Validate(); err != nil {
		return fault.Invalid("", "%v", err)
	}
	threats := filter.Filter(view.Result.Threats)
	web.WriteJSON(w, http.StatusOK, map[string]any{"model_version": view.Version.Version, "model": view.Result.Model,
		"elements": view.Result.Elements, "flows": view.Result.Flows, "threats": threats, "total": len(view.Result.Threats), "tracking": view.Tracking,
		"completeness": view.Result.Completeness})
	return nil
}

type trackInput struct {
	Status string `json:"status"`
	Owner  string `json:"owner"`
	Task   string `json:"task"`
	Note   string `json:"note"`
}

func (h handler) trackThreat(w http.ResponseWriter, r *http.Request) error {
	id := web.ProductID(r)
	var in trackInput
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	view, err := portfolio.ProductThreats(r.Context(), h.Store, h.Threats, id, 0)
	if err != nil {
		return err
	}
	tid := r.PathValue("threat")
	known := false
	for _, t := range view.Result.Threats {
		known = known || t.ID == tid
	}
	if !known {
		return fault.NotFound("threat %s is not in the current threat model", strconv.Quote(tid))
	}
	t := threatmodel.ThreatTracking{ThreatID: tid, Status: in.Status, Owner: in.Owner, Task: in.Task, Note: in.Note, UpdatedBy: identity.FromContext(r.Context()).Name}
	if err := portfolio.TrackThreat(r.Context(), h.Store, id, t, h.Now()); err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, t)
	return nil
}

func (h handler) threatRules(w http.ResponseWriter, r *http.Request) error {
	web.WriteJSON(w, http.StatusOK, map[string]any{"rules": h.Threats.Rules()})
	return nil
}

// exportDiagram downloads the diagram as the editor draws it (its layout
// positions, boundaries, open-threat counts) as SVG or PNG, for sharing.
func (h handler) exportDiagram(format string) web.Handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		view, err := h.requestedThreats(r)
		if err != nil {
			return err
		}
		if n := len(view.Model.Elements) + len(view.Model.Flows); n > portfolio.MaxDiagramItems {
			return fault.Unprocessable(fmt.Errorf("the model has %d elements and flows, more than the %d a diagram draws: use the threats table, or split the model", n, portfolio.MaxDiagramItems))
		}
		scene := threatmodel.LayoutScene(view.Model, view.Result)
		name := fmt.Sprintf("threatmodel-product-%d-v%d.%s", web.ProductID(r), view.Version.Version, format)
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
		if format == "png" {
			png, err := threatmodel.ScenePNG(scene)
			if err != nil {
				return err
			}
			w.Header().Set("Content-Type", "image/png")
			_, err = w.Write(png)
			return err
		}
		w.Header().Set("Content-Type", "image/svg+xml")
		w.Header().Set("Content-Security-Policy", "default-src 'none'")
		return threatmodel.WriteSceneSVG(w, scene)
	}
}
