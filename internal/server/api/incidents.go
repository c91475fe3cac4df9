package api

import (
	"bytes"
	"net/http"
	"strconv"
	"time"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/incident"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/server/web"
)

func (h handler) incidents() *incident.Service {
	return incident.New(h.Store, h.Now, incident.Options{Notify: h.Store, Location: h.IncidentLocation})
}

// incidentRoutes are incidents, their CRA reports, drills and per-product
// reporting settings.
func (h handler) incidentRoutes() []web.Route {
	inc := web.IncidentPath(h.incidents, "id")
	product := web.ProductPath(h.Store, "id")
	const read, write, manage = identity.PermRead, identity.PermWrite, identity.PermManage
	rs, ws := identity.ScopeFindingsRead, identity.ScopeFindingsWrite
	return []web.Route{
		{Method: "GET", Pattern: "/api/v1/incidents", Perm: read, Scope: rs, Do: h.listIncidents},
		{Method: "POST", Pattern: "/api/v1/incidents", Perm: write, Scope: ws, Do: h.createIncident},
		{Method: "GET", Pattern: "/api/v1/incidents/{id}", Product: inc, Perm: read, Scope: rs, Do: h.getIncident},
		{Method: "PATCH", Pattern: "/api/v1/incidents/{id}", Product: inc, Perm: write, Scope: ws, Do: h.patchIncident},
		{Method: "POST", Pattern: "/api/v1/incidents/{id}/tasks", Product: inc, Perm: write, Scope: ws, Do: h.addIncidentTask},
		{Method: "PATCH", Pattern: "/api/v1/incidents/{id}/tasks/{task}", Product: inc, Perm: write, Scope: ws, Do: h.patchIncidentTask},
		{Method: "GET", Pattern: "/api/v1/incidents/{id}/reports/{kind}", Product: inc, Perm: read, Scope: rs, Do: h.incidentReport},
		{Method: "POST", Pattern: "/api/v1/incidents/{id}/reports/{kind}/submission", Product: inc, Perm: write, Scope: ws, Do: h.submitReport},
		{Method: "POST", Pattern: "/api/v1/drills", Perm: write, Scope: ws, Do: h.startDrill},
		{Method: "GET", Pattern: "/api/v1/drills/{id}/scorecard", Product: inc, Perm: read, Scope: rs, Do: h.drillScorecard},
		{Method: "GET", Pattern: "/api/v1/drill-scenarios", Need: identity.RoleViewer, Scope: rs, Do: h.drillScenarios},
		{Method: "GET", Pattern: "/api/v1/products/{id}/drills", Product: product, Perm: read, Scope: rs, Do: h.drillHistory},
		{Method: "GET", Pattern: "/api/v1/products/{id}/incident-settings", Product: product, Perm: read, Scope: identity.ScopeProductsRead, Do: getByID(h.Store.ProductIncidentSettings)},
		{Method: "PUT", Pattern: "/api/v1/products/{id}/incident-settings", Product: product, Perm: manage, Scope: identity.ScopeProductsWrite, Do: h.putIncidentSettings},
	}
}

// mayWrite checks the caller's write permission on every product named in
// a request body (a product it cannot see at all is reported as missing).
func (h handler) mayWrite(r *http.Request, products, releases []int64) error {
	p := identity.FromContext(r.Context())
	ids := append([]int64{}, products...)
	if len(releases) > 0 {
		rp, err := h.Store.ReleaseProducts(r.Context(), releases)
		if err != nil {
			return fault.Invalid("releases", "%v", err)
		}
		for _, pid := range rp {
			ids = append(ids, pid)
		}
	}
	for _, id := range ids {
		switch have := p.ProductPermissions(id); {
		case have == 0:
			return fault.Invalid("products", "product %d does not exist", id)
		case have&identity.PermWrite == 0:
			return fault.Forbidden("your role on product %d does not allow opening incidents; it needs write", id)
		}
	}
	return nil
}

func (h handler) listIncidents(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := incident.Filter{Phase: incident.Phase(q.Get("phase")), Products: web.ReadableProducts(r)}
	if s := q.Get("product"); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return fault.Invalid("product", "%q is not a product id", s)
		}
		f.Product = id
	}
	if s := q.Get("drill"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fault.Invalid("drill", "%q: give true or false", s)
		}
		f.Drill = &b
	}
	limit, err := web.QueryInt(r, "limit")
	if err != nil {
		return err
	}
	f.Limit = limit
	list, err := h.incidents().List(r.Context(), f)
	return reply(w, http.StatusOK, newPage(list, ""), err)
}

func (h handler) createIncident(w http.ResponseWriter, r *http.Request) error {
	var in incident.OpenInput
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	if len(in.Products) == 0 && len(in.Releases) == 0 {
		return fault.Invalid("products", "name at least one affected product or release")
	}
	if err := h.mayWrite(r, in.Products, in.Releases); err != nil {
		return err
	}
	inc, err := h.incidents().Open(r.Context(), in)
	return replyCreatedIncident(w, inc, err)
}

// replyCreatedIncident ends a handler that opened the incident inc: it
// returns err, or answers 201 with inc and its Location.
func replyCreatedIncident(w http.ResponseWriter, inc *incident.Incident, err error) error {
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/incidents/"+strconv.FormatInt(inc.ID, 10))
	web.WriteJSON(w, http.StatusCreated, inc)
	return nil
}

func (h handler) getIncident(w http.ResponseWriter, r *http.Request) error {
	return getByID(h.incidents().Get)(w, r)
}

func (h handler) patchIncident(w http.ResponseWriter, r *http.Request) error {
	id, p, err := web.PathIDAndJSON[incident.Patch](r, "id")
	if err != nil {
		return err
	}
	inc, err := h.incidents().Update(r.Context(), id, p)
	return reply(w, http.StatusOK, inc, err)
}

func (h handler) addIncidentTask(w http.ResponseWriter, r *http.Request) error {
	id, t, err := web.PathIDAndJSON[incident.Task](r, "id")
	if err != nil {
		return err
	}
	t.ID, t.DoneAt = 0, nil
	task, err := h.incidents().AddTask(r.Context(), id, t)
	return reply(w, http.StatusCreated, task, err)
}

// patchIncidentTask marks a task done or open: {"done": true|false}.
func (h handler) patchIncidentTask(w http.ResponseWriter, r *http.Request) error {
	id, taskID, err := web.PathIDs(r, "id", "task")
	if err != nil {
		return err
	}
	var body struct {
		Done *bool `json:"done"`
	}
	if err := web.DecodeJSON(r, &body); err != nil {
		return err
	}
	if body.Done == nil {
		return fault.Invalid("done", "give \"done\": true or false")
	}
	task, err := h.incidents().SetTaskDone(r.Context(), id, taskID, *body.Done)
	return reply(w, http.StatusOK, task, err)
}

func (h handler) incidentReport(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	pkg, err := h.incidents().Report(r.Context(), h.Store, id, r.PathValue("kind"))
	if err != nil {
		return err
	}
	switch f := r.URL.Query().Get("format"); f {
	case "", "json":
		web.WriteJSON(w, http.StatusOK, pkg)
	case "markdown", "md":
		var b bytes.Buffer
		if err := incident.WriteMarkdown(&b, pkg); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="incident-`+strconv.FormatInt(id, 10)+"-"+string(pkg.Report)+`.md"`)
		_, err = w.Write(b.Bytes())
		return err
	default:
		return fault.Invalid("format", "%q: give json or markdown", f)
	}
	return nil
}

type submissionInput struct {
	SubmittedAt *time.Time `json:"submitted_at"`
	Reference   string     `json:"reference"`
}

func (h handler) submitReport(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	kind, err := incident.ParseReportKind(r.PathValue("kind"))
	if err != nil {
		return fault.Invalid("kind", "%v", err)
	}
	var in submissionInput
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	inc, err := h.incidents().Submit(r.Context(), id, kind, in.SubmittedAt, in.Reference)
	return reply(w, http.StatusOK, inc, err)
}

type drillInput struct {
	Scenario string  `json:"scenario"`
	Products []int64 `json:"products"`
}

func (h handler) startDrill(w http.ResponseWriter, r *http.Request) error {
	var in drillInput
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	if len(in.Products) == 0 {
		return fault.Invalid("products", "name the products the drill exercises")
	}
	if err := h.mayWrite(r, in.Products, nil); err != nil {
		return err
	}
	inc, err := h.incidents().StartDrill(r.Context(), in.Scenario, in.Products)
	return replyCreatedIncident(w, inc, err)
}

func (h handler) drillScorecard(w http.ResponseWriter, r *http.Request) error {
	return getByID(h.incidents().Scorecard)(w, r)
}

func (h handler) drillScenarios(w http.ResponseWriter, r *http.Request) error {
	web.WriteJSON(w, http.StatusOK, newPage(incident.Scenarios, ""))
	return nil
}

func (h handler) drillHistory(w http.ResponseWriter, r *http.Request) error {
	return listByID(h.incidents().DrillHistory)(w, r)
}

func (h handler) putIncidentSettings(w http.ResponseWriter, r *http.Request) error {
	id, ps, err := web.PathIDAndJSON[incident.ProductSettings](r, "id")
	if err != nil {
		return err
	}
	ps, err = portfolio.SetIncidentSettings(r.Context(), h.Store, id, ps)
	return reply(w, http.StatusOK, ps, err)
}
