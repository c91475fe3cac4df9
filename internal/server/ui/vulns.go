package ui

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/server/web"
	"github.com/rampart-security/rampart/internal/vuln"
)

// vulnRoutes are the vulnerability page and VEX analysis on a release.
func (h *handler) vulnRoutes() []web.Route {
	return []web.Route{
		{Method: "GET", Pattern: "/vulnerabilities", Need: identity.RoleViewer, Do: h.vulnerabilities},
		{Method: "GET", Pattern: "/vulnerabilities/{vuln}", Need: identity.RoleViewer, Do: h.vulnerability},
		{Method: "POST", Pattern: "/releases/{id}/analysis", Product: web.ReleasePath(h.Store, "id"), Perm: identity.PermWrite, Do: h.setAnalysis},
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
func (h *handler) vulnerabilities(w http.ResponseWriter, r *http.Request) error {
	d := overviewData{Query: r.URL.Query()}
	status := http.StatusOK
	q, err := web.OverviewQuery(r)
	if err == nil {
		d.Overview, err = portfolio.VulnOverview(r.Context(), h.Store, q)
	}
	if err != nil {
		if status = web.Status(err); status == http.StatusInternalServerError {
			return err
		}
		d.Error = err.Error()
	}
	if d.Products, _, err = h.Store.ProductsIn(r.Context(), web.ReadableProducts(r), "", 500); err != nil {
		return err
	}
	h.render(w, r, status, "vulnerabilities", view{Title: "Vulnerabilities", Nav: "vulnerabilities", Data: d})
	return nil
}

func (h *handler) vulnerability(w http.ResponseWriter, r *http.Request) error {
	d, err := portfolio.LoadVulnPage(r.Context(), h.Store, h.Vulns, r.PathValue("vuln"), web.ReadableProducts(r))
	if err != nil {
		return err
	}
	h.render(w, r, http.StatusOK, "vulnerability", view{Title: d.Advisory.ID, Nav: "portfolio", Data: d})
	return nil
}

// VEX justifications (CISA / OpenVEX) offered for not_affected.
var justifications = []string{"component_not_present", "vulnerable_code_not_present", "vulnerable_code_not_in_execute_path",
	"vulnerable_code_cannot_be_controlled_by_adversary", "inline_mitigations_already_exist"}

func (h *handler) setAnalysis(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	a := vuln.Analysis{Status: vuln.VEXStatus(r.PostFormValue("status")), Justification: r.PostFormValue("justification"),
		Detail: r.PostFormValue("detail"), UpdatedBy: identity.FromContext(r.Context()).Name}
	vid, ref := r.PostFormValue("vuln"), r.PostFormValue("component")
	err = h.Vulns.SetAnalysis(r.Context(), id, ref, vid, a)
	return afterSave(w, r, fmt.Sprintf("/releases/%d#vulns", id), err, fmt.Sprintf("%s in %s: %s.", vid, ref, a.Status))
}
