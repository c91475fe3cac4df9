package api

import (
	"net/http"

	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/sdl"
	"github.com/rampart-security/rampart/internal/server/web"
)

// sdlRoutes are the secure-development record: release checklists and
// SAMM self-assessments.
func (h handler) sdlRoutes() []web.Route {
	product, release := web.ProductPath(h.Store, "id"), web.ReleasePath(h.Store, "id")
	return []web.Route{
		{Method: "GET", Pattern: "/api/v1/releases/{id}/checklist", Product: release, Perm: identity.PermRead, Scope: identity.ScopeProductsRead, Do: h.getChecklist},
		{Method: "PUT", Pattern: "/api/v1/releases/{id}/checklist", Product: release, Perm: identity.PermWrite, Scope: identity.ScopeProductsWrite, Do: h.putChecklist},
		{Method: "GET", Pattern: "/api/v1/products/{id}/samm", Product: product, Perm: identity.PermRead, Scope: identity.ScopeProductsRead, Do: h.getSAMM},
		{Method: "POST", Pattern: "/api/v1/products/{id}/samm", Product: product, Perm: identity.PermWrite, Scope: identity.ScopeProductsWrite, Do: h.postSAMM},
	}
}

type checklistView struct {
	Activity string `json:"activity"`
	Name     string `json:"name"`
	sdl.ChecklistItem
}

func (h handler) getChecklist(w http.ResponseWriter, r *http.Request) error {
	items, err := web.PathObject(r, "id", h.Store.Checklist)
	if err != nil {
		return err
	}
	out := make([]checklistView, 0, len(sdl.Activities))
	for _, a := range sdl.Activities {
		out = append(out, checklistView{Activity: a.ID, Name: a.Name, ChecklistItem: items[a.ID]})
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"items": out})
	return nil
}

// checklistInput is the body of PUT …/checklist.
type checklistInput struct {
	Items map[string]sdl.ChecklistItem `json:"items"`
}

func (h handler) putChecklist(w http.ResponseWriter, r *http.Request) error {
	id, in, err := web.PathIDAndJSON[checklistInput](r, "id")
	if err != nil {
		return err
	}
	if err := portfolio.SetChecklist(r.Context(), h.Store, id, in.Items, identity.FromContext(r.Context()).Name, h.Now()); err != nil {
		return err
	}
	h.gateAfter(r.Context(), id, "checklist")
	return h.getChecklist(w, r)
}

func (h handler) getSAMM(w http.ResponseWriter, r *http.Request) error {
	as, err := web.PathObject(r, "id", h.Store.SAMMAssessments)
	if err != nil {
		return err
	}
	var latest any
	if len(as) > 0 {
		latest = as[len(as)-1]
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"model": sdl.Practices, "latest": latest, "assessments": as})
	return nil
}

// sammInput is the body of POST …/samm.
type sammInput struct {
	Answers map[string]float64 `json:"answers"`
	Note    string             `json:"note"`
}

func (h handler) postSAMM(w http.ResponseWriter, r *http.Request) error {
	id, in, err := web.PathIDAndJSON[sammInput](r, "id")
	if err != nil {
		return err
	}
	a, err := portfolio.AddSAMMAssessment(r.Context(), h.Store, id, in.Answers, in.Note, identity.FromContext(r.Context()).Name, h.Now())
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusCreated, a)
	return nil
}
