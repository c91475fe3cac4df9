package ui

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/server/web"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/threatmodel"
)

// threatModelRoutes are the product threat-model page, its upload, threat
// tracking, version diff and the rule library.
func (h *handler) threatModelRoutes() []web.Route {
	return []web.Route{
		{Method: "GET", Pattern: "/products/{id}/threatmodel", Product: web.ProductPath(h.Store, "id"), Perm: identity.PermRead, Handler: h.threatModel},
		{Method: "POST", Pattern: "/products/{id}/threatmodel", Product: web.ProductPath(h.Store, "id"), Perm: identity.PermWrite, MaxBody: 16 << 20, Handler: h.uploadThreatModel},
		{Method: "POST", Pattern: "/products/{id}/threats/track", Product: web.ProductPath(h.Store, "id"), Perm: identity.PermWrite, Handler: h.trackThreat},
		{Method: "GET", Pattern: "/products/{id}/threatmodel/diff", Product: web.ProductPath(h.Store, "id"), Perm: identity.PermRead, Handler: h.threatModelDiff},
		{Method: "GET", Pattern: "/threatmodel/rules", Need: identity.RoleViewer, Handler: h.threatRules},
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
	Versions  []store.ThreatModelVersion
	Stride    []strideCount
	Open      int
	CanEdit   bool
	Statuses  []string
	Templates []string
	Version   int
}

var strideOrder = []string{"spoofing", "tampering", "repudiation", "information_disclosure", "denial_of_service", "elevation_of_privilege"}

func (h *handler) threatModel(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p, err := h.Store.Product(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ver, _ := strconv.Atoi(r.URL.Query().Get("version"))
	d := threatModelData{Product: p, CanEdit: canWrite(r, id), Statuses: portfolio.ThreatStatuses, Templates: threatmodel.Templates(), Version: ver}
	d.View, err = portfolio.ProductThreats(r.Context(), h.Store, h.Threats, id, ver)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		h.fail(w, r, err)
		return
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
			h.fail(w, r, err)
			return
		}
	}
	h.render(w, r, http.StatusOK, "threatmodel", view{Title: p.Name + " threat model", Nav: "portfolio", Flash: r.URL.Query().Get("flash"), Error: r.URL.Query().Get("error"), Data: d})
}

func (h *handler) uploadThreatModel(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
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
		err = web.BadRequestf("choose a model file or a template")
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
			http.Redirect(w, r, back+"?flash="+url.QueryEscape(msg), http.StatusSeeOther)
			return
		}
	}
	if web.Status(err) >= 500 {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, back+"?error="+url.QueryEscape("Not saved: "+err.Error()), http.StatusSeeOther)
}

func (h *handler) trackThreat(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	t := store.ThreatTracking{ThreatID: r.PostFormValue("threat"), Status: r.PostFormValue("status"), Owner: strings.TrimSpace(r.PostFormValue("owner")),
		Task: strings.TrimSpace(r.PostFormValue("task")), Note: strings.TrimSpace(r.PostFormValue("note")), UpdatedBy: identity.FromContext(r.Context()).Name}
	back := fmt.Sprintf("/products/%d/threatmodel", id)
	if err := portfolio.TrackThreat(r.Context(), h.Store, id, t); err != nil {
		if web.Status(err) >= 500 {
			h.fail(w, r, err)
			return
		}
		http.Redirect(w, r, back+"?error="+url.QueryEscape(err.Error())+"#t-"+url.QueryEscape(t.ThreatID), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, back+"?flash="+url.QueryEscape("Updated "+t.ThreatID+".")+"#t-"+url.QueryEscape(t.ThreatID), http.StatusSeeOther)
}

type diffData struct {
	Product  inventory.Product
	From, To int
	Diff     *threatmodel.Diff
}

func (h *handler) threatModelDiff(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p, err := h.Store.Product(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	from, _ := strconv.Atoi(r.URL.Query().Get("from"))
	to, _ := strconv.Atoi(r.URL.Query().Get("to"))
	if from == 0 && to > 1 { // "changes" of a version: from the one before
		from = to - 1
	}
	a, err := portfolio.ProductThreats(r.Context(), h.Store, h.Threats, id, from)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	b, err := portfolio.ProductThreats(r.Context(), h.Store, h.Threats, id, to)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := threatmodel.Compare(a.Model, a.Result, b.Model, b.Result)
	h.render(w, r, http.StatusOK, "threatdiff", view{Title: "Threat model diff", Nav: "portfolio", Data: diffData{Product: p, From: a.Version.Version, To: b.Version.Version, Diff: d}})
}

func (h *handler) threatRules(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "threatrules", view{Title: "Threat rules", Nav: "rules", Data: h.Threats.Rules()})
}
