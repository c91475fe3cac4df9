package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/server/web"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/threatmodel"
)

// Diagrams renders threat-model diagrams, memoised by content (the model
// and its threats' statuses): a repeated request never reaches Graphviz.
// With Workers set (the server), each render runs in a worker process of
// its own: renders of different models run in parallel, one that takes too
// long is stopped, and one whose client left is stopped at once. Without
// Workers (library use, tests) one in-process engine renders, serialised
// (go-graphviz keeps one WebAssembly instance per process) and to
// completion.
type Diagrams struct {
	Workers *threatmodel.Workers

	mu sync.Mutex // serialises the in-process engine (no Workers)
	r  *threatmodel.Renderer

	cmu      sync.Mutex // guards the cache and in-flight renders only
	order    []string
	cache    map[string]diagramResult
	inflight map[string]*diagramCall
	// renders counts engine runs (cache misses), for tests.
	renders int
}

// diagramResult is a rendered diagram, or a render that ran out of time
// (remembered too, so a model that cannot be drawn in time does not cost
// a worker's full time limit on every request).
type diagramResult struct {
	svg []byte
	err error
}

// diagramCall is a render in progress that later requests for the same
// content wait for.
type diagramCall struct {
	done chan struct{}
	diagramResult
}

// MaxDiagramItems bounds what is drawn: a model with more elements and flows
// than this is refused (its threats table still works), so one request
// cannot hold the engine for minutes.
const MaxDiagramItems = 1500

const diagramCacheSize = 64

// SVG renders the model's data-flow diagram with threat counts, memoised by
// the content of the model and the threats' statuses.
func (d *Diagrams) SVG(ctx context.Context, m *threatmodel.Model, res *threatmodel.Result) ([]byte, error) {
	if n := len(m.Elements) + len(m.Flows); n > MaxDiagramItems {
		return nil, fault.Unprocessable(fmt.Errorf("the model has %d elements and flows, more than the %d a diagram draws: use the threats table, or split the model", n, MaxDiagramItems))
	}
	key, err := diagramKey(m, res)
	if err != nil {
		return nil, err
	}
	for {
		d.cmu.Lock()
		if r, ok := d.cache[key]; ok {
			d.cmu.Unlock()
			return r.svg, r.err
		}
		if c, ok := d.inflight[key]; ok { // the same diagram is being drawn: wait for it
			d.cmu.Unlock()
			select {
			case <-c.done:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			if errors.Is(c.err, context.Canceled) || errors.Is(c.err, context.DeadlineExceeded) {
				continue // its client left before it finished: draw it ourselves
			}
			return c.svg, c.err
		}
		if err := ctx.Err(); err != nil { // the client left
			d.cmu.Unlock()
			return nil, err
		}
		c := &diagramCall{done: make(chan struct{})}
		if d.inflight == nil {
			d.inflight = map[string]*diagramCall{}
		}
		d.inflight[key] = c
		d.cmu.Unlock()

		c.svg, c.err = d.render(ctx, m, res)
		if errors.Is(c.err, threatmodel.ErrRenderTimeout) {
			c.err = fault.Unprocessable(fmt.Errorf("%w: use the threats table, or split the model", c.err))
		}
		d.cmu.Lock()
		delete(d.inflight, key)
		if c.err == nil || errors.Is(c.err, threatmodel.ErrRenderTimeout) {
			d.remember(key, c.diagramResult)
		}
		d.cmu.Unlock()
		close(c.done)
		return c.svg, c.err
	}
}

// remember caches a result (d.cmu held), evicting the oldest.
func (d *Diagrams) remember(key string, r diagramResult) {
	if d.cache == nil {
		d.cache = map[string]diagramResult{}
	}
	if len(d.order) >= diagramCacheSize {
		delete(d.cache, d.order[0])
		d.order = d.order[1:]
	}
	d.order = append(d.order, key)
	d.cache[key] = r
}

// render draws one diagram: in a worker process, or in-process.
func (d *Diagrams) render(ctx context.Context, m *threatmodel.Model, res *threatmodel.Result) ([]byte, error) {
	d.cmu.Lock()
	d.renders++
	d.cmu.Unlock()
	opts := threatmodel.DiagramOptions{Result: res}
	if d.Workers != nil {
		return d.Workers.SVG(ctx, m, opts)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := ctx.Err(); err != nil { // the client left while waiting
		return nil, err
	}
	if d.r == nil {
		r, err := threatmodel.NewRenderer(context.WithoutCancel(ctx))
		if err != nil {
			return nil, err
		}
		d.r = r
	}
	// In-process, a render always runs to completion: cancelling the wasm
	// engine half way leaves it unusable for the next request.
	svg, err := d.r.SVG(context.WithoutCancel(ctx), m, opts)
	if err != nil { // start a fresh engine next time
		d.r.Close()
		d.r = nil
		return nil, err
	}
	return svg, nil
}

// diagramKey hashes what the diagram shows: the model and each threat's
// target and status (the counts drawn on elements).
func diagramKey(m *threatmodel.Model, res *threatmodel.Result) (string, error) {
	h := sha256.New()
	if err := json.NewEncoder(h).Encode(m); err != nil {
		return "", err
	}
	if res != nil {
		for _, t := range res.Threats {
			fmt.Fprintf(h, "%s|%s|%s|%s\n", t.ID, t.Target, t.Severity, t.Status)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
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
	saved, err := portfolio.SaveThreatModel(r.Context(), h.Store, id, data, name, r.URL.Query().Get("note"), actor)
	v, created := saved.Version, saved.Created
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
	importWarnings := saved.ImportWarnings
	if importWarnings == nil {
		importWarnings = []string{}
	}
	web.WriteJSON(w, status, map[string]any{"version": v, "created": created, "threats": len(view.Result.Threats), "warnings": view.Result.Warnings, "import_warnings": importWarnings})
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
