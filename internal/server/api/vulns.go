package api

import (
	"bytes"
	"net/http"
	"strings"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/server/web"
	"github.com/rampart-security/rampart/internal/vuln"
	"github.com/rampart-security/rampart/internal/vuln/vex"
)

// vulnRoutes are per-release vulnerabilities, VEX analysis and export, the
// vulnerability page data and the database status.
func (h handler) vulnRoutes() []web.Route {
	return []web.Route{
		{Method: "GET", Pattern: "/api/v1/releases/{id}/vulnerabilities", Product: web.ReleasePath(h.Store, "id"), Perm: identity.PermRead, Scope: identity.ScopeFindingsRead, Do: h.releaseVulns},
		{Method: "PUT", Pattern: "/api/v1/releases/{id}/vulnerabilities/{vuln}/analysis", Product: web.ReleasePath(h.Store, "id"), Perm: identity.PermWrite, Scope: identity.ScopeFindingsWrite, Do: h.putAnalysis},
		{Method: "GET", Pattern: "/api/v1/releases/{id}/vex", Product: web.ReleasePath(h.Store, "id"), Perm: identity.PermRead, Scope: identity.ScopeFindingsRead, Do: h.releaseVEX},
		{Method: "GET", Pattern: "/api/v1/vulnerabilities", Need: identity.RoleViewer, Scope: identity.ScopeFindingsRead, Do: h.listVulns},
		{Method: "GET", Pattern: "/api/v1/vulnerabilities/{vuln}", Need: identity.RoleViewer, Scope: identity.ScopeFindingsRead, Do: h.getVuln},
		{Method: "GET", Pattern: "/api/v1/vulndb/status", Need: identity.RoleViewer, Scope: identity.ScopeFindingsRead, Do: h.vulndbStatus},
		{Method: "POST", Pattern: "/api/v1/vulndb/update", Need: identity.RoleAdmin, Scope: identity.ScopeAdmin, Do: h.vulndbUpdate},
		{Method: "POST", Pattern: "/api/v1/vulndb/bundle", Need: identity.RoleAdmin, Scope: identity.ScopeAdmin, MaxBody: portfolio.MaxBundleUpload, Do: h.vulndbBundle},
		{Method: "GET", Pattern: "/api/v1/events", Need: identity.RoleViewer, Scope: identity.ScopeFindingsRead, Do: h.events},
	}
}

func (h handler) releaseVulns(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	// The route guard resolved the release (ReleasePath): it exists.
	q := r.URL.Query()
	rq := portfolio.ReleaseVulnQuery{Severity: q.Get("severity"), VEX: q.Get("vex"), Fix: q.Get("fix"), Search: q.Get("q"), Sort: q.Get("sort"), Desc: q.Get("order") == "desc"}
	switch v := q.Get("kev"); v {
	case "", "false":
	case "true", "1":
		rq.KEV = true
	default:
		return fault.Invalid("kev", "%q: want true or false", v)
	}
	// Without page or limit the whole list comes back, as it always has.
	rq.Unpaged = q.Get("page") == "" && q.Get("limit") == ""
	if rq.Page, err = web.QueryInt(r, "page"); err != nil {
		return err
	}
	if rq.PerPage, err = web.QueryInt(r, "limit"); err != nil {
		return err
	}
	page, err := portfolio.ReleaseVulns(r.Context(), h.Store, id, rq)
	return reply(w, http.StatusOK, page, err)
}

type analysisInput struct {
	Component     string `json:"component"` // component bom-ref in the release
	Status        string `json:"status"`
	Justification string `json:"justification"`
	Detail        string `json:"detail"`
}

func (h handler) putAnalysis(w http.ResponseWriter, r *http.Request) error {
	id, in, err := web.PathIDAndJSON[analysisInput](r, "id")
	if err != nil {
		return err
	}
	if in.Component == "" {
		return fault.Invalid("component", "component: give the component's bom_ref")
	}
	a := vuln.Analysis{Status: vuln.VEXStatus(in.Status), Justification: in.Justification, Detail: in.Detail, UpdatedBy: identity.FromContext(r.Context()).Name}
	if err := h.Vulns.SetAnalysis(r.Context(), id, in.Component, r.PathValue("vuln"), a); err != nil {
		return err
	}
	h.Log.Info("vex analysis set", "release", id, "component", in.Component, "vuln", r.PathValue("vuln"), "status", in.Status, "user", a.UpdatedBy)
	web.WriteJSON(w, http.StatusOK, a)
	return nil
}

// releaseVEX exports a release's VEX decisions and open matches as OpenVEX
// (default) or CycloneDX VEX.
func (h handler) releaseVEX(w http.ResponseWriter, r *http.Request) error {
	rel, err := web.PathObject(r, "id", h.Store.Release)
	if err != nil {
		return err
	}
	id := rel.ID
	matches, _, err := h.Vulns.MatchRelease(r.Context(), id)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	switch r.URL.Query().Get("format") {
	case "", "openvex":
		w.Header().Set("Content-Type", "application/json")
		err = vex.WriteOpenVEX(&buf, matches, "Rampart ("+rel.ProductName+" "+rel.Version+")", h.Now().UTC())
	case "cyclonedx":
		w.Header().Set("Content-Type", "application/vnd.cyclonedx+json")
		err = vex.WriteCycloneDX(&buf, matches, h.Now().UTC())
	case "csaf":
		w.Header().Set("Content-Type", "application/json")
		err = h.writeCSAFVEX(&buf, rel.ProductName, rel.Version, matches)
	default:
		err = fault.Invalid("format", "format: must be openvex, cyclonedx or csaf")
	}
	if err != nil {
		return err
	}
	w.Write(buf.Bytes())
	return nil
}

func (h handler) getVuln(w http.ResponseWriter, r *http.Request) error {
	d, err := portfolio.LoadVulnDetail(r.Context(), h.Store, h.Vulns, r.PathValue("vuln"), web.ReadableProducts(r))
	return reply(w, http.StatusOK, d, err)
}

func (h handler) vulndbStatus(w http.ResponseWriter, r *http.Request) error {
	st, err := h.VulnSync.Status(r.Context())
	return reply(w, http.StatusOK, st, err)
}

// vulndbUpdate asks for an update now; a server's background updater
// runs it (202, then poll the status).
func (h handler) vulndbUpdate(w http.ResponseWriter, r *http.Request) error {
	if err := h.VulnSync.Request(r.Context()); err != nil {
		return err
	}
	st, err := h.VulnSync.Status(r.Context())
	return reply(w, http.StatusAccepted, st, err)
}

// vulndbBundle imports an offline bundle: the zip as the raw body
// (?filename= names it) or the multipart field "bundle".
func (h handler) vulndbBundle(w http.ResponseWriter, r *http.Request) error {
	field := ""
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		field = "bundle"
	}
	f, name, err := web.Upload(r, field, portfolio.MaxBundleUpload, "bundle.zip")
	if err != nil {
		return err
	}
	defer f.Close()
	rec, err := h.VulnSync.ImportBundle(r.Context(), f, f.Size(), name)
	h.OnImport("vulndb-bundle", err)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusCreated, rec)
	return nil
}

func (h handler) events(w http.ResponseWriter, r *http.Request) error {
	limit, err := web.QueryInt(r, "limit")
	if err != nil {
		return err
	}
	// Only events of the caller's products (and product-less ones).
	evs, err := h.Store.Events(r.Context(), limit, web.ReadableProducts(r))
	return reply(w, http.StatusOK, newPage(evs, ""), err)
}

// listVulns is the portfolio vulnerability list, one row per
// vulnerability with the releases it affects.
func (h handler) listVulns(w http.ResponseWriter, r *http.Request) error {
	q, err := web.OverviewQuery(r)
	if err != nil {
		return err
	}
	ov, err := portfolio.VulnOverview(r.Context(), h.Store, q)
	return reply(w, http.StatusOK, ov, err)
}
