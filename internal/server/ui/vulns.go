package ui

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/server/api"
	"github.com/rampart-security/rampart/internal/server/web"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/vuln"
)

// vulnRoutes are the vulnerability page and VEX analysis on a release.
func (h *handler) vulnRoutes() []web.Route {
	return []web.Route{
		{Method: "GET", Pattern: "/vulnerabilities", Need: identity.RoleViewer, Handler: h.vulnerabilities},
		{Method: "GET", Pattern: "/vulnerabilities/{vuln}", Need: identity.RoleViewer, Handler: h.vulnerability},
		{Method: "POST", Pattern: "/releases/{id}/analysis", Product: web.ReleasePath(h.Store, "id"), Perm: identity.PermWrite, Handler: h.setAnalysis},
	}
}

type overviewData struct {
	portfolio.Overview
	Query    url.Values
	Products []inventory.Product
	Error    string
}

// vulnerabilities is the portfolio vulnerability list (the API's
// GET /api/v1/vulnerabilities as a page).
func (h *handler) vulnerabilities(w http.ResponseWriter, r *http.Request) {
	d := overviewData{Query: r.URL.Query()}
	status := http.StatusOK
	q, err := api.OverviewQuery(r)
	if err == nil {
		d.Overview, err = portfolio.VulnOverview(r.Context(), h.Store, q)
	}
	if err != nil {
		if status = web.Status(err); status == http.StatusInternalServerError {
			h.fail(w, r, err)
			return
		}
		d.Error = err.Error()
	}
	if d.Products, _, err = h.Store.ProductsIn(r.Context(), web.ReadableProducts(r), "", 500); err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, status, "vulnerabilities", view{Title: "Vulnerabilities", Nav: "vulnerabilities", Data: d})
}

func (h *handler) vulnerability(w http.ResponseWriter, r *http.Request) {
	d, err := api.LoadVulnDetail(r, h.Deps.Deps, r.PathValue("vuln"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "vulnerability", view{Title: d.Advisory.ID, Nav: "portfolio", Data: d})
}

// VEX justifications (CISA / OpenVEX) offered for not_affected.
var justifications = []string{"component_not_present", "vulnerable_code_not_present", "vulnerable_code_not_in_execute_path",
	"vulnerable_code_cannot_be_controlled_by_adversary", "inline_mitigations_already_exist"}

func (h *handler) setAnalysis(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	a := store.Analysis{Status: vuln.VEXStatus(r.PostFormValue("status")), Justification: r.PostFormValue("justification"),
		Detail: r.PostFormValue("detail"), UpdatedBy: identity.FromContext(r.Context()).Name}
	vid, ref := r.PostFormValue("vuln"), r.PostFormValue("component")
	msg := fmt.Sprintf("%s in %s: %s.", vid, ref, a.Status)
	if err := h.Vulns.SetAnalysis(r.Context(), id, ref, vid, a); err != nil {
		if web.Status(err) >= 500 {
			h.fail(w, r, err)
			return
		}
		msg = "Not saved: " + err.Error()
	}
	http.Redirect(w, r, fmt.Sprintf("/releases/%d?flash=%s#vulns", id, url.QueryEscape(msg)), http.StatusSeeOther)
}
