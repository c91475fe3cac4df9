package ui

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/policy"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/sdl"
	"github.com/rampart-security/rampart/internal/server/web"
)

// policyRoutes are the gate's forms: the product's approved list,
// exception requests and decisions (release page), the SAMM
// self-assessment (product page) and the release checklist (release page).
func (h *handler) policyRoutes() []web.Route {
	product, release := web.ProductPath(h.Store, "id"), web.ReleasePath(h.Store, "id")
	return []web.Route{
		{Method: "POST", Pattern: "/products/{id}/approved", Product: product, Perm: identity.PermManage, MaxBody: 1 << 20, Do: h.saveApproved},
		{Method: "POST", Pattern: "/products/{id}/exceptions", Product: product, Perm: identity.PermWrite, Do: h.requestException},
		{Method: "POST", Pattern: "/products/{id}/exceptions/{exception}/decide", Product: product, Perm: identity.PermManage, Do: h.decideException},
		{Method: "POST", Pattern: "/products/{id}/samm", Product: product, Perm: identity.PermWrite, Do: h.addSAMM},
		{Method: "POST", Pattern: "/releases/{id}/checklist", Product: release, Perm: identity.PermWrite, Do: h.setChecklist},
	}
}

func (h *handler) gate() *portfolio.Gate {
	return portfolio.NewGate(h.Store, h.Vulns, h.Threats, h.Now)
}

// releaseGate evaluates a release's policy gate for the release page's
// panel; an evaluation error is shown in the panel, not as a page error.
func (h *handler) releaseGate(ctx context.Context, releaseID int64) (*portfolio.GateView, string) {
	v, err := h.gate().Evaluate(ctx, releaseID, "ui")
	if err != nil {
		h.Log.Error("gate evaluation", "release", releaseID, "err", err)
		return nil, err.Error()
	}
	return v, ""
}

// gateAfter re-evaluates a release's gate after a successful import; a
// failure is logged (the import itself succeeded).
func (h *handler) gateAfter(ctx context.Context, releaseID int64, trigger string) {
	if err := h.gate().OnChange(ctx, releaseID, trigger); err != nil {
		h.Log.Error("gate evaluation", "release", releaseID, "trigger", trigger, "err", err)
	}
}

// gateAfterProduct re-evaluates every release of a product (a new threat-model version).
func (h *handler) gateAfterProduct(ctx context.Context, productID int64, trigger string) {
	if err := h.gate().OnProductChange(ctx, productID, trigger); err != nil {
		h.Log.Error("gate evaluation", "product", productID, "trigger", trigger, "err", err)
	}
}

// productPolicy is the product page's gate card.
type productPolicy struct {
	Scope     string
	Version   int
	Approved  portfolio.ApprovedView
	CanManage bool
}

func (h *handler) productPolicy(ctx context.Context, r *http.Request, productID int64) (*productPolicy, error) {
	v, scope, err := h.gate().PolicyOf(ctx, productID)
	if err != nil {
		return nil, err
	}
	a, _, err := h.gate().ApprovedOf(ctx, productID)
	if err != nil {
		return nil, err
	}
	return &productPolicy{Scope: scope, Version: v.Version, Approved: a,
		CanManage: identity.FromContext(r.Context()).Can(productID, identity.PermManage)}, nil
}

// back redirects to the release named by the form's "release" field when
// it belongs to the product, else to the product page, with a flash or an
// error message (key gate_error on the release page).
func (h *handler) back(w http.ResponseWriter, r *http.Request, productID int64, anchor, flash string, err error) {
	target := fmt.Sprintf("/products/%d", productID)
	errKey := "error"
	if rid, perr := strconv.ParseInt(r.PostFormValue("release"), 10, 64); perr == nil {
		if pid, serr := h.Store.ReleaseProduct(r.Context(), rid); serr == nil && pid == productID {
			target, errKey = fmt.Sprintf("/releases/%d", rid), "gate_error"
		}
	}
	q := "?flash=" + url.QueryEscape(flash)
	if err != nil {
		q = "?" + errKey + "=" + url.QueryEscape(err.Error())
	}
	http.Redirect(w, r, target+q+anchor, http.StatusSeeOther)
}

// backError ends a form post that failed with err: an internal error is
// returned for the error page; otherwise back shows the error.
func (h *handler) backError(w http.ResponseWriter, r *http.Request, productID int64, anchor string, err error) error {
	if web.Status(err) >= 500 {
		return err
	}
	h.back(w, r, productID, anchor, "", err)
	return nil
}

func (h *handler) saveApproved(w http.ResponseWriter, r *http.Request) error {
	id := web.ProductID(r)
	src := strings.ReplaceAll(r.PostFormValue("source"), "\r\n", "\n")
	v, created, err := h.gate().SaveApproved(r.Context(), id, src, r.PostFormValue("note"), identity.FromContext(r.Context()).Name)
	if err != nil {
		return h.backError(w, r, id, "#policy", err)
	}
	msg := fmt.Sprintf("The approved list is unchanged (version %d).", v.Version)
	if created {
		h.gateAfterProduct(r.Context(), id, "approved")
		msg = fmt.Sprintf("Approved list version %d saved; the product's releases were re-evaluated.", v.Version)
	}
	h.back(w, r, id, "#policy", msg, nil)
	return nil
}

func (h *handler) requestException(w http.ResponseWriter, r *http.Request) error {
	id := web.ProductID(r)
	req := portfolio.ExceptionRequest{ProductID: id, Rule: strings.TrimSpace(r.PostFormValue("rule")), Reason: strings.TrimSpace(r.PostFormValue("reason")),
		Expires: r.PostFormValue("expires"), Match: policy.Match{ID: strings.TrimSpace(r.PostFormValue("match_id")),
			Component: strings.TrimSpace(r.PostFormValue("match_component")), Path: strings.TrimSpace(r.PostFormValue("match_path"))}}
	e, err := h.gate().RequestException(r.Context(), req, identity.FromContext(r.Context()).Name)
	if err != nil {
		return h.backError(w, r, id, "#gate", fmt.Errorf("exception not requested: %w", err))
	}
	h.back(w, r, id, "#gate", fmt.Sprintf("Exception %d for %s requested: a product owner other than you must approve it.", e.ID, e.Rule), nil)
	return nil
}

func (h *handler) decideException(w http.ResponseWriter, r *http.Request) error {
	id := web.ProductID(r)
	eid, err := web.PathID(r, "exception")
	if err != nil {
		return err
	}
	decision := r.PostFormValue("decision")
	if decision != "approve" && decision != "reject" {
		return fault.Invalid("", "decision: want approve or reject")
	}
	e, err := h.gate().DecideException(r.Context(), id, eid, decision == "approve", identity.FromContext(r.Context()).Name)
	if err != nil {
		return h.backError(w, r, id, "#gate", err)
	}
	h.gateAfterProduct(r.Context(), id, "exception")
	h.back(w, r, id, "#gate", fmt.Sprintf("Exception %d %s.", e.ID, e.Status), nil)
	return nil
}

// sammData is the product page's SAMM card: the model, the assessments
// (oldest first: the score over time) and the latest answers for the form.
type sammData struct {
	Practices   []sdl.Practice
	Assessments []sammRow
	Latest      map[string]float64
	Levels      []float64
}

type sammRow struct {
	ID        int64
	At        time.Time
	By, Note  string
	Overall   float64
	Functions map[string]float64
}

// sammLevels are the answers the form offers per stream (SAMM 2.0 answer
// scale summed over the stream's three maturity levels).
var sammLevels = []float64{0, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2, 2.25, 2.5, 2.75, 3}

// sammFunctions are SAMM's business functions in model order.
var sammFunctions = []string{"Governance", "Design", "Implementation", "Verification", "Operations"}

func (h *handler) productSAMM(ctx context.Context, productID int64) (*sammData, error) {
	as, err := h.Store.SAMMAssessments(ctx, productID)
	if err != nil {
		return nil, err
	}
	d := &sammData{Practices: sdl.Practices, Latest: map[string]float64{}, Levels: sammLevels}
	for _, a := range as {
		d.Assessments = append(d.Assessments, sammRow{ID: a.ID, At: a.CreatedAt, By: a.CreatedBy, Note: a.Note, Overall: a.Scores.Overall, Functions: a.Scores.Functions})
	}
	if len(as) > 0 {
		d.Latest = as[len(as)-1].Answers
	}
	return d, nil
}

func (h *handler) addSAMM(w http.ResponseWriter, r *http.Request) error {
	id := web.ProductID(r)
	if err := r.ParseForm(); err != nil {
		return fault.Invalid("", "form: %v", err)
	}
	answers := map[string]float64{}
	for _, p := range sdl.Practices {
		for _, s := range p.Streams {
			raw := r.PostForm.Get("s_" + s.ID)
			if raw == "" {
				continue
			}
			v, err := strconv.ParseFloat(raw, 64)
			if err != nil {
				h.back(w, r, id, "#samm", "", fmt.Errorf("SAMM %s: %q is not a number", s.ID, raw))
				return nil
			}
			answers[s.ID] = v
		}
	}
	a, err := portfolio.AddSAMMAssessment(r.Context(), h.Store, id, answers, r.PostForm.Get("note"), identity.FromContext(r.Context()).Name, h.Now())
	if err != nil {
		return h.backError(w, r, id, "#samm", err)
	}
	h.back(w, r, id, "#samm", fmt.Sprintf("SAMM assessment saved: overall maturity %.2f.", a.Scores.Overall), nil)
	return nil
}

// checklistRow is one SDL activity of a release for the release page.
type checklistRow struct {
	sdl.Activity
	sdl.ChecklistItem
}

func (h *handler) releaseChecklist(ctx context.Context, releaseID int64) ([]checklistRow, error) {
	items, err := h.Store.Checklist(ctx, releaseID)
	if err != nil {
		return nil, err
	}
	out := make([]checklistRow, 0, len(sdl.Activities))
	for _, a := range sdl.Activities {
		out = append(out, checklistRow{Activity: a, ChecklistItem: items[a.ID]})
	}
	return out, nil
}

func (h *handler) setChecklist(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return fault.Invalid("", "form: %v", err)
	}
	items := map[string]sdl.ChecklistItem{}
	for _, a := range sdl.Activities {
		items[a.ID] = sdl.ChecklistItem{Done: r.PostForm.Get("done_"+a.ID) != "", Evidence: strings.TrimSpace(r.PostForm.Get("evidence_" + a.ID))}
	}
	back := fmt.Sprintf("/releases/%d", id)
	if err := portfolio.SetChecklist(r.Context(), h.Store, id, items, identity.FromContext(r.Context()).Name, h.Now()); err != nil {
		return redirectError(w, r, back+"#checklist", "gate_error", err)
	}
	h.gateAfter(r.Context(), id, "checklist")
	redirectFlash(w, r, back+"#checklist", "SDL checklist saved; the gate was re-evaluated.")
	return nil
}
