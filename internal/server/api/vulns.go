package api

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/server/web"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/vuln"
	"github.com/rampart-security/rampart/internal/vuln/vex"
)

// vulnRoutes are per-release vulnerabilities, VEX analysis and export, the
// vulnerability page data and the database status.
func (h handler) vulnRoutes() []web.Route {
	return []web.Route{
		{Method: "GET", Pattern: "/api/v1/releases/{id}/vulnerabilities", Product: web.ReleasePath(h.Store, "id"), Perm: identity.PermRead, Scope: identity.ScopeFindingsRead, Handler: h.releaseVulns},
		{Method: "PUT", Pattern: "/api/v1/releases/{id}/vulnerabilities/{vuln}/analysis", Product: web.ReleasePath(h.Store, "id"), Perm: identity.PermWrite, Scope: identity.ScopeFindingsWrite, Handler: h.putAnalysis},
		{Method: "GET", Pattern: "/api/v1/releases/{id}/vex", Product: web.ReleasePath(h.Store, "id"), Perm: identity.PermRead, Scope: identity.ScopeFindingsRead, Handler: h.releaseVEX},
		{Method: "GET", Pattern: "/api/v1/vulnerabilities", Need: identity.RoleViewer, Scope: identity.ScopeFindingsRead, Handler: web.API(h.Log, h.listVulns)},
		{Method: "GET", Pattern: "/api/v1/vulnerabilities/{vuln}", Need: identity.RoleViewer, Scope: identity.ScopeFindingsRead, Handler: h.getVuln},
		{Method: "GET", Pattern: "/api/v1/vulndb/status", Need: identity.RoleViewer, Scope: identity.ScopeFindingsRead, Handler: web.API(h.Log, h.vulndbStatus)},
		{Method: "POST", Pattern: "/api/v1/vulndb/update", Need: identity.RoleAdmin, Scope: identity.ScopeAdmin, Handler: web.API(h.Log, h.vulndbUpdate)},
		{Method: "POST", Pattern: "/api/v1/vulndb/bundle", Need: identity.RoleAdmin, Scope: identity.ScopeAdmin, MaxBody: portfolio.MaxBundleUpload, Handler: web.API(h.Log, h.vulndbBundle)},
		{Method: "GET", Pattern: "/api/v1/events", Need: identity.RoleViewer, Scope: identity.ScopeFindingsRead, Handler: h.events},
	}
}

func (h handler) releaseVulns(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if _, err := h.Store.Release(r.Context(), id); err != nil {
		h.fail(w, r, err)
		return
	}
	vs, err := h.Store.ReleaseVulns(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, newPage(vs, ""))
}

type analysisInput struct {
	Component     string `json:"component"` // component bom-ref in the release
	Status        string `json:"status"`
	Justification string `json:"justification"`
	Detail        string `json:"detail"`
}

func (h handler) putAnalysis(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in analysisInput
	if err := web.DecodeJSON(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	if in.Component == "" {
		h.fail(w, r, &store.ValidationError{Field: "component", Message: "give the component's bom_ref"})
		return
	}
	a := store.Analysis{Status: vuln.VEXStatus(in.Status), Justification: in.Justification, Detail: in.Detail, UpdatedBy: identity.FromContext(r.Context()).Name}
	if err := h.Vulns.SetAnalysis(r.Context(), id, in.Component, r.PathValue("vuln"), a); err != nil {
		h.fail(w, r, err)
		return
	}
	h.Log.Info("vex analysis set", "release", id, "component", in.Component, "vuln", r.PathValue("vuln"), "status", in.Status, "user", a.UpdatedBy)
	web.WriteJSON(w, http.StatusOK, a)
}

// releaseVEX exports a release's VEX decisions and open matches as OpenVEX
// (default) or CycloneDX VEX.
func (h handler) releaseVEX(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	rel, err := h.Store.Release(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	matches, _, err := h.Vulns.MatchRelease(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var buf bytes.Buffer
	switch r.URL.Query().Get("format") {
	case "", "openvex":
		w.Header().Set("Content-Type", "application/json")
		err = vex.WriteOpenVEX(&buf, matches, "Rampart ("+rel.ProductName+" "+rel.Version+")", time.Now().UTC())
	case "cyclonedx":
		w.Header().Set("Content-Type", "application/vnd.cyclonedx+json")
		err = vex.WriteCycloneDX(&buf, matches, time.Now().UTC())
	case "csaf":
		w.Header().Set("Content-Type", "application/json")
		err = h.writeCSAFVEX(&buf, rel.ProductName, rel.Version, matches)
	default:
		err = &store.ValidationError{Field: "format", Message: "must be openvex, cyclonedx or csaf"}
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Write(buf.Bytes())
}

// VulnDetail is one vulnerability, merged across sources, with every
// release of the portfolio it affects.
type VulnDetail struct {
	Advisory *vuln.Advisory      `json:"advisory"`
	Severity string              `json:"severity"`
	Score    float64             `json:"cvss_score"`
	Releases []store.ReleaseVuln `json:"releases"`
	// EPSSTrend is the recorded EPSS history, oldest first.
	EPSSTrend []store.EPSSPoint `json:"epss_trend"`
}

// LoadVulnDetail gathers a vulnerability page's data.
func LoadVulnDetail(r *http.Request, d Deps, id string) (VulnDetail, error) {
	a, err := d.Vulns.Advisory(r.Context(), id)
	if err != nil {
		return VulnDetail{}, err
	}
	lvl, score := a.Rating()
	// Only the caller's products' releases (the advisory itself is public).
	rels, err := d.Store.VulnReleases(r.Context(), a.IDs(), web.ReadableProducts(r))
	if err != nil {
		return VulnDetail{}, err
	}
	trend, err := d.Store.EPSSHistory(r.Context(), a.CVEs())
	if err != nil {
		return VulnDetail{}, err
	}
	return VulnDetail{Advisory: a, Severity: lvl.String(), Score: score, Releases: rels, EPSSTrend: trend}, nil
}

// Sparkline returns SVG polyline points (in a 300×60 box) for the EPSS
// trend, scores 0–1 on the vertical axis.
func (d VulnDetail) Sparkline() string {
	n := len(d.EPSSTrend)
	if n < 2 {
		return ""
	}
	var b strings.Builder
	for i, p := range d.EPSSTrend {
		x := 5 + i*290/(n-1)
		y := 55 - int(p.Score*50)
		fmt.Fprintf(&b, "%d,%d ", x, y)
	}
	return strings.TrimSpace(b.String())
}

func (h handler) getVuln(w http.ResponseWriter, r *http.Request) {
	d, err := LoadVulnDetail(r, h.Deps, r.PathValue("vuln"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, d)
}

func (h handler) vulndbStatus(w http.ResponseWriter, r *http.Request) error {
	st, err := h.VulnSync.Status(r.Context())
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, st)
	return nil
}

// vulndbUpdate asks for an update now; a server's background updater
// runs it (202, then poll the status).
func (h handler) vulndbUpdate(w http.ResponseWriter, r *http.Request) error {
	if err := h.VulnSync.Request(r.Context()); err != nil {
		return err
	}
	st, err := h.VulnSync.Status(r.Context())
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusAccepted, st)
	return nil
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

func (h handler) events(w http.ResponseWriter, r *http.Request) {
	limit, err := web.QueryInt(r, "limit")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// Only events of the caller's products (and product-less ones).
	evs, err := h.Store.Events(r.Context(), limit, web.ReadableProducts(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, newPage(evs, ""))
}

// OverviewQuery reads the portfolio vulnerability list's query
// parameters (shared by the API and the page): severity, kev, epss_above,
// product, release_status, vex, fix_available, q, sort, order, cursor,
// limit. The list is limited to the caller's products.
func OverviewQuery(r *http.Request) (portfolio.OverviewQuery, error) {
	v := r.URL.Query()
	q := portfolio.OverviewQuery{Products: web.ReadableProducts(r), ReleaseStatus: v.Get("release_status"), Severity: v.Get("severity"),
		VEX: v.Get("vex"), Search: v.Get("q"), Sort: v.Get("sort"), Desc: v.Get("order") == "desc", Cursor: v.Get("cursor")}
	var err error
	if q.KEV, err = queryBool(v.Get("kev"), "kev"); err != nil {
		return q, err
	}
	if s := v.Get("fix_available"); s != "" {
		b, err := queryBool(s, "fix_available")
		if err != nil {
			return q, err
		}
		q.FixAvailable = &b
	}
	if s := v.Get("epss_above"); s != "" {
		if q.EPSSAbove, err = strconv.ParseFloat(s, 64); err != nil {
			return q, fault.Invalid("epss_above", "%q is not a number between 0 and 1", s)
		}
	}
	if s := v.Get("product"); s != "" {
		if q.ProductID, err = strconv.ParseInt(s, 10, 64); err != nil || q.ProductID <= 0 {
			return q, fault.Invalid("product", "%q is not a product id", s)
		}
	}
	if q.Limit, err = web.QueryInt(r, "limit"); err != nil {
		return q, err
	}
	return q, nil
}

func queryBool(s, field string) (bool, error) {
	switch s {
	case "", "false", "0":
		return false, nil
	case "true", "1":
		return true, nil
	}
	return false, fault.Invalid(field, "%q: want true or false", s)
}

// listVulns is the portfolio vulnerability list, one row per
// vulnerability with the releases it affects.
func (h handler) listVulns(w http.ResponseWriter, r *http.Request) error {
	q, err := OverviewQuery(r)
	if err != nil {
		return err
	}
	ov, err := portfolio.VulnOverview(r.Context(), h.Store, q)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, ov)
	return nil
}
