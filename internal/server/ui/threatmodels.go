package ui

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/server/web"
	"github.com/rampart-security/rampart/internal/threatmodel"
)

// threatModelRoutes are the product threat-model page, its upload, threat
// tracking, version diff and the rule library.
func (h *handler) threatModelRoutes() []web.Route {
	return []web.Route{
		{Method: "GET", Pattern: "/products/{id}/threatmodel", Product: web.ProductPath(h.Store, "id"), Perm: identity.PermRead, Do: h.threatModel},
		{Method: "POST", Pattern: "/products/{id}/threatmodel", Product: web.ProductPath(h.Store, "id"), Perm: identity.PermWrite, MaxBody: 16 << 20, Do: h.uploadThreatModel},
		{Method: "POST", Pattern: "/products/{id}/threats/track", Product: web.ProductPath(h.Store, "id"), Perm: identity.PermWrite, Do: h.trackThreat},
		{Method: "GET", Pattern: "/products/{id}/threatmodel/diff", Product: web.ProductPath(h.Store, "id"), Perm: identity.PermRead, Do: h.threatModelDiff},
		// The visual editor: the page is a shell, tmedit.js draws the model
		// and changes it through the element API (each change a version).
		{Method: "GET", Pattern: "/products/{id}/threatmodel/edit", Product: web.ProductPath(h.Store, "id"), Perm: identity.PermRead, Do: h.threatModelEdit},
		{Method: "GET", Pattern: "/threatmodel/rules", Need: identity.RoleViewer, Do: h.threatRules},
	}
}

type strideCount struct {
	Name  string
	Open  int
	Total int
}

type threatModelData struct {
	Product   inventory.Product
	View      *portfolio.ThreatView
	Versions  []threatmodel.ThreatModelVersion
	Stride    []strideCount
	Open      int
	CanEdit   bool
	Statuses  []string
	Templates []string
	Version   int
	// The threats table: filtered and paged on the server.
	Filter     threatmodel.ThreatFilter
	Page       threatmodel.ThreatPage
	Query      url.Values // the table's filter (and version) for links
	Targets    []targetOption
	Severities []string
	StrideList []string
	// Row is set when one table row is rendered (inline tracking).
	RowError string
}

type targetOption struct{ ID, Name string }

// threatsPageSize is the number of threats per page of the table.
const threatsPageSize = 50

// threatTable filters and pages the view's threats from the request's
// query (stride, severity, status, element, page).
func (d *threatModelData) threatTable(r *http.Request) {
	q := r.URL.Query()
	d.Filter = threatmodel.ThreatFilter{STRIDE: q.Get("stride"), Severity: q.Get("severity"), Status: q.Get("status"), Target: q.Get("element")}
	if d.Filter.Validate() != nil {
		d.Filter = threatmodel.ThreatFilter{} // a hand-made link: show everything rather than nothing
	}
	d.Query = url.Values{}
	for k, v := range map[string]string{"stride": d.Filter.STRIDE, "severity": d.Filter.Severity, "status": d.Filter.Status, "element": d.Filter.Target} {
		if v != "" {
			d.Query.Set(k, v)
		}
	}
	if d.Version > 0 {
		d.Query.Set("version", strconv.Itoa(d.Version))
	}
	page, _ := strconv.Atoi(q.Get("page"))
	d.Page = threatmodel.PageOf(d.Filter.Filter(d.View.Result.Threats), page, threatsPageSize)
	d.Severities = threatmodel.Severities
	d.StrideList = strideOrder
	seen := map[string]bool{}
	for _, t := range d.View.Result.Threats {
		if t.Target == "" || seen[t.Target] {
			continue
		}
		seen[t.Target] = true
		d.Targets = append(d.Targets, targetOption{ID: t.Target, Name: strings.Join(strings.Fields(or(t.TargetName, t.Target)), " ")})
	}
	sort.Slice(d.Targets, func(i, j int) bool { return strings.ToLower(d.Targets[i].Name) < strings.ToLower(d.Targets[j].Name) })
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

var strideOrder = []string{"spoofing", "tampering", "repudiation", "information_disclosure", "denial_of_service", "elevation_of_privilege"}

func (h *handler) threatModel(w http.ResponseWriter, r *http.Request) error {
	id, p, err := h.routeProduct(r)
	if err != nil {
		return err
	}
	ver, _ := strconv.Atoi(r.URL.Query().Get("version"))
	d := threatModelData{Product: p, CanEdit: canWrite(r, id), Statuses: portfolio.ThreatStatuses, Templates: threatmodel.Templates(), Version: ver}
	d.View, err = portfolio.ProductThreats(r.Context(), h.Store, h.Threats, id, ver)
	if err != nil && !errors.Is(err, fault.ErrNotFound) {
		return err
	}
	if d.View != nil {
		counts := map[string]*strideCount{}
		for _, s := range strideOrder {
			d.Stride = append(d.Stride, strideCount{Name: s})
		}
		for i := range d.Stride {
			counts[d.Stride[i].Name] = &d.Stride[i]
		}
		for _, t := range d.View.Result.Threats {
			c := counts[t.STRIDE]
			if c == nil {
				continue
			}
			c.Total++
			if t.Status == threatmodel.StatusOpen || t.Status == "in_progress" {
				c.Open++
				d.Open++
			}
		}
		if d.Versions, err = h.Store.ThreatModelVersions(r.Context(), id); err != nil {
			return err
		}
		d.threatTable(r)
	}
	h.render(w, r, http.StatusOK, "threatmodel", view{Title: p.Name + " threat model", Nav: "portfolio", Flash: r.URL.Query().Get("flash"), Error: r.URL.Query().Get("error"), Data: d})
	return nil
}

func (h *handler) uploadThreatModel(w http.ResponseWriter, r *http.Request) error {
	id := web.ProductID(r)
	var err error
	var data []byte
	name := "threatmodel.yaml"
	if tpl := r.PostFormValue("template"); tpl != "" {
		data, err = threatmodel.Template(tpl)
		name = tpl + ".yaml"
	} else if f, fname, ferr := web.Upload(r, "model", 16<<20, name); ferr == nil {
		defer f.Close()
		name = fname
		data, err = io.ReadAll(f)
	} else {
		err = fault.Invalid("", "choose a model file or a template")
	}
	back := fmt.Sprintf("/products/%d/threatmodel", id)
	if err == nil {
		var saved portfolio.SavedThreatModel
		saved, err = portfolio.SaveThreatModel(r.Context(), h.Store, id, data, name, r.PostFormValue("note"), identity.FromContext(r.Context()).Name)
		if err == nil {
			if saved.Created {
				h.gateAfterProduct(r.Context(), id, "threatmodel")
			}
			msg := fmt.Sprintf("Saved version %d of the threat model from %s.", saved.Version.Version, name)
			if !saved.Created {
				msg = fmt.Sprintf("%s is identical to version %d; nothing changed.", name, saved.Version.Version)
			}
			if n := len(saved.ImportWarnings); n > 0 {
				msg += fmt.Sprintf(" Import warnings (%d): %s", n, strings.Join(saved.ImportWarnings, "; "))
			}
			redirectFlash(w, r, back, msg)
			return nil
		}
	}
	if web.Status(err) >= 500 {
		return err
	}
	redirectWith(w, r, back, "error", "Not saved: "+err.Error())
	return nil
}

func (h *handler) trackThreat(w http.ResponseWriter, r *http.Request) error {
	id := web.ProductID(r)
	t := threatmodel.ThreatTracking{ThreatID: r.PostFormValue("threat"), Status: r.PostFormValue("status"), Owner: strings.TrimSpace(r.PostFormValue("owner")),
		Task: strings.TrimSpace(r.PostFormValue("task")), Note: strings.TrimSpace(r.PostFormValue("note")), UpdatedBy: identity.FromContext(r.Context()).Name}
	back := fmt.Sprintf("/products/%d/threatmodel", id)
	if r.Header.Get("HX-Request") == "true" {
		return h.trackThreatRow(w, r, id, t)
	}
	row := back + "#t-" + url.QueryEscape(t.ThreatID)
	if err := portfolio.TrackThreat(r.Context(), h.Store, id, t, h.Now()); err != nil {
		return redirectError(w, r, row, "error", err)
	}
	redirectFlash(w, r, row, "Updated "+t.ThreatID+".")
	return nil
}

// trackThreatRow tracks a threat from the table (htmx) and answers with
// its row, updated, or with the error shown in the row and the input kept.
func (h *handler) trackThreatRow(w http.ResponseWriter, r *http.Request, id int64, t threatmodel.ThreatTracking) error {
	p, err := h.Store.Product(r.Context(), id)
	if err != nil {
		return err
	}
	d := threatModelData{Product: p, CanEdit: canWrite(r, id), Statuses: portfolio.ThreatStatuses}
	terr := portfolio.TrackThreat(r.Context(), h.Store, id, t, h.Now())
	if terr != nil && web.Status(terr) >= 500 {
		return terr
	}
	d.View, err = portfolio.ProductThreats(r.Context(), h.Store, h.Threats, id, 0)
	if err != nil {
		return err
	}
	var row *threatmodel.Threat
	for i := range d.View.Result.Threats {
		if d.View.Result.Threats[i].ID == t.ThreatID {
			row = &d.View.Result.Threats[i]
		}
	}
	if row == nil {
		return fmt.Errorf("threat %q is not in the latest version of the model: %w", t.ThreatID, fault.ErrNotFound)
	}
	if terr != nil {
		d.RowError = terr.Error()
		// Keep what was typed: the form shows the rejected input.
		row.Status, row.Owner = t.Status, t.Owner
	}
	d.Page = threatmodel.ThreatPage{Threats: []threatmodel.Threat{*row}, Total: 1, Page: 1, Pages: 1}
	open := 0
	for _, t := range d.View.Result.Threats {
		if t.Status == threatmodel.StatusOpen || t.Status == "in_progress" {
			open++
		}
	}
	// app.js puts the new count in the page's "N open" badge.
	w.Header().Set("X-Open-Threats", strconv.Itoa(open))
	h.renderFragment(w, r, "threatmodel", "threat-rows", view{Data: d})
	return nil
}

type diffData struct {
	Product  inventory.Product
	From, To int
	Diff     *threatmodel.Diff
}

func (h *handler) threatModelDiff(w http.ResponseWriter, r *http.Request) error {
	id, p, err := h.routeProduct(r)
	if err != nil {
		return err
	}
	from, _ := strconv.Atoi(r.URL.Query().Get("from"))
	to, _ := strconv.Atoi(r.URL.Query().Get("to"))
	if from == 0 && to > 1 { // "changes" of a version: from the one before
		from = to - 1
	}
	a, err := portfolio.ProductThreats(r.Context(), h.Store, h.Threats, id, from)
	if err != nil {
		return err
	}
	b, err := portfolio.ProductThreats(r.Context(), h.Store, h.Threats, id, to)
	if err != nil {
		return err
	}
	d := threatmodel.Compare(a.Model, a.Result, b.Model, b.Result)
	h.render(w, r, http.StatusOK, "threatdiff", view{Title: "Threat model diff", Nav: "portfolio", Data: diffData{Product: p, From: a.Version.Version, To: b.Version.Version, Diff: d}})
	return nil
}

func (h *handler) threatRules(w http.ResponseWriter, r *http.Request) error {
	h.render(w, r, http.StatusOK, "threatrules", view{Title: "Threat rules", Nav: "rules", Data: h.Threats.Rules()})
	return nil
}

type threatEditData struct {
	Product inventory.Product
	CanEdit bool
	// HasModel: the product has a saved model, so its diagram downloads
	// exist (the editor's first change saves version 1).
	HasModel bool
	// Enumerations for the attribute forms.
	ElementTypes, Authentications, Authorizations, Networks, BoundaryTypes, UpdateMechanisms, DefaultCredentials, PhysicalExposures []string
}

// threatModelEdit is the visual editor page.
func (h *handler) threatModelEdit(w http.ResponseWriter, r *http.Request) error {
	id, p, err := h.routeProduct(r)
	if err != nil {
		return err
	}
	d := threatEditData{Product: p, CanEdit: canWrite(r, id),
		ElementTypes: threatmodel.ElementTypes, Authentications: threatmodel.Authentications, Authorizations: threatmodel.Authorizations,
		Networks: threatmodel.Networks, BoundaryTypes: threatmodel.BoundaryTypes, UpdateMechanisms: threatmodel.UpdateMechanisms,
		DefaultCredentials: threatmodel.DefaultCredentials, PhysicalExposures: threatmodel.PhysicalExposures}
	versions, err := h.Store.ThreatModelVersions(r.Context(), id)
	if err != nil {
		return err
	}
	d.HasModel = len(versions) > 0
	h.render(w, r, http.StatusOK, "threatedit", view{Title: p.Name + " threat model editor", Nav: "portfolio", Data: d})
	return nil
}

// renderFragment renders one named template of a page (an htmx swap).
func (h *handler) renderFragment(w http.ResponseWriter, r *http.Request, page, name string, v view) {
	t := h.pages[page]
	v.User = identity.FromContext(r.Context())
	if v.User != nil {
		v.CSRF = v.User.CSRF
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, v); err != nil {
		h.Log.Error("render fragment", "page", page, "template", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(buf.Bytes())
}
