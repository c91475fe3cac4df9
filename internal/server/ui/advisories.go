package ui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/rampart-security/rampart/internal/advisory"
	"github.com/rampart-security/rampart/internal/advisory/csaf"
	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/server/web"
)

// advisoryRoutes are the advisory list and the editor, which validates the
// document as you type (htmx posts it to /advisories/validate).
func (h *handler) advisoryRoutes() []web.Route {
	if h.Advisories == nil {
		return nil
	}
	adv := web.ProductResolver(func(r *http.Request) (int64, error) {
		id, err := web.PathID(r, "id")
		if err != nil {
			return 0, err
		}
		a, err := h.Advisories.Get(r.Context(), id)
		return a.ProductID, err
	})
	write := identity.PermWrite
	formProduct := web.ProductResolver(func(r *http.Request) (int64, error) {
		id, err := strconv.ParseInt(r.PostFormValue("product"), 10, 64)
		if err != nil || id <= 0 {
			return 0, fault.NotFound("no product %q", r.PostFormValue("product"))
		}
		return h.Store.ProductExists(r.Context(), id)
	})
	return []web.Route{
		{Method: "GET", Pattern: "/advisories", Need: identity.RoleViewer, Do: h.advisories},
		{Method: "POST", Pattern: "/advisories/new", Product: formProduct, Perm: write, Do: h.newAdvisory},
		{Method: "GET", Pattern: "/advisories/{id}", Product: adv, Perm: identity.PermRead, Do: h.advisoryEditor},
		{Method: "POST", Pattern: "/advisories/{id}", Product: adv, Perm: write, MaxBody: csaf.MaxDocumentSize, Do: h.saveAdvisory},
		{Method: "POST", Pattern: "/advisories/{id}/workflow", Product: adv, Perm: write, Do: h.advisoryWorkflow},
		{Method: "POST", Pattern: "/advisories/validate", Need: identity.RoleViewer, MaxBody: csaf.MaxDocumentSize, Do: h.validateAdvisory},
	}
}

type advisoryList struct {
	Items    []advisory.Advisory
	Products []advisoryProduct
}

type advisoryProduct struct {
	ID   int64
	Name string
}

func (h *handler) advisories(w http.ResponseWriter, r *http.Request) error {
	list, err := h.Advisories.List(r.Context(), advisory.Filter{Products: web.ReadableProducts(r)})
	if err != nil {
		return err
	}
	d := advisoryList{Items: list}
	prods, _, err := h.Store.ProductsIn(r.Context(), web.ReadableProducts(r), "", 200)
	if err == nil {
		p := identity.FromContext(r.Context())
		for _, x := range prods {
			if p.ProductPermissions(x.ID)&identity.PermWrite != 0 {
				d.Products = append(d.Products, advisoryProduct{x.ID, x.Name})
			}
		}
	}
	h.render(w, r, http.StatusOK, "advisories", view{Title: "Advisories", Nav: "advisories", Flash: r.URL.Query().Get("flash"), Data: d})
	return nil
}

func (h *handler) newAdvisory(w http.ResponseWriter, r *http.Request) error {
	pid, err := strconv.ParseInt(r.PostFormValue("product"), 10, 64)
	if err != nil {
		return fault.Invalid("product", "choose a product")
	}
	title := r.PostFormValue("title")
	if title == "" {
		title = "New security advisory"
	}
	doc := csaf.Document{Document: csaf.DocumentMeta{Title: title, Category: "csaf_security_advisory"}}
	a, err := h.Advisories.Create(r.Context(), identity.FromContext(r.Context()).Name, advisory.Draft{ProductID: pid, TLP: r.PostFormValue("tlp"), RequireReview: true, Document: doc})
	if err != nil {
		if web.Status(err) >= 500 {
			return err
		}
		redirectFlash(w, r, "/advisories", "Not created: "+err.Error())
		return nil
	}
	http.Redirect(w, r, fmt.Sprintf("/advisories/%d", a.ID), http.StatusSeeOther)
	return nil
}

type advisoryPage struct {
	Advisory   advisory.Advisory
	JSON       string
	Validation csaf.Result
	CanWrite   bool
	Mandatory  int
}

func (h *handler) advisoryEditor(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	a, err := h.Advisories.Get(r.Context(), id)
	if err != nil {
		return err
	}
	res, err := h.Advisories.Check(r.Context(), id)
	if err != nil {
		return err
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, a.Document, "", "  ") != nil {
		pretty.Reset()
		pretty.Write(a.Document)
	}
	p := identity.FromContext(r.Context())
	d := advisoryPage{Advisory: a, JSON: pretty.String(), Validation: res, CanWrite: p.ProductPermissions(a.ProductID)&identity.PermWrite != 0}
	for _, f := range res.Failures {
		if f.Kind == csaf.Mandatory {
			d.Mandatory++
		}
	}
	h.render(w, r, http.StatusOK, "advisory", view{Title: a.TrackingID, Nav: "advisories", Flash: r.URL.Query().Get("flash"), Data: d})
	return nil
}

func (h *handler) saveAdvisory(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	page := fmt.Sprintf("/advisories/%d", id)
	var doc csaf.Document
	if err := json.Unmarshal([]byte(r.PostFormValue("document")), &doc); err != nil {
		redirectFlash(w, r, page, "Not saved: the document is not valid JSON: "+err.Error())
		return nil
	}
	_, err = h.Advisories.Update(r.Context(), identity.FromContext(r.Context()).Name, id, doc, r.PostFormValue("tlp"))
	return afterSave(w, r, page, err, "Saved.")
}

func (h *handler) advisoryWorkflow(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	who := identity.FromContext(r.Context()).Name
	var a advisory.Advisory
	switch r.PostFormValue("action") {
	case "submit":
		a, err = h.Advisories.Submit(r.Context(), who, id)
	case "reject":
		a, err = h.Advisories.Reject(r.Context(), who, id)
	case "publish":
		a, err = h.Advisories.Publish(r.Context(), who, id, r.PostFormValue("summary"))
	default:
		err = fault.Invalid("action", "action %q: must be submit, reject or publish", r.PostFormValue("action"))
	}
	msg := ""
	switch {
	case err != nil && web.Status(err) >= 500:
		return err
	case err != nil:
		msg = "Not done: " + err.Error()
	default:
		msg = fmt.Sprintf("%s is now %s.", a.TrackingID, a.Status)
	}
	redirectFlash(w, r, fmt.Sprintf("/advisories/%d", id), msg)
	return nil
}

// validateAdvisory renders the validation results of the posted document
// (the editor's live check).
func (h *handler) validateAdvisory(w http.ResponseWriter, r *http.Request) error {
	var res csaf.Result
	var doc csaf.Document
	errMsg := ""
	if err := json.Unmarshal([]byte(r.PostFormValue("document")), &doc); err != nil {
		errMsg = "Not valid JSON: " + err.Error()
	} else if res, err = h.Advisories.CheckDocument(doc, r.PostFormValue("tlp")); err != nil {
		errMsg = err.Error()
	}
	d := advisoryPage{Validation: res}
	for _, f := range res.Failures {
		if f.Kind == csaf.Mandatory {
			d.Mandatory++
		}
	}
	h.render(w, r, http.StatusOK, "advisory", view{Title: "Validation", Nav: "advisories", Error: errMsg, Data: d})
	return nil
}
