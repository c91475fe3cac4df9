package ui

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/rampart-security/rampart/internal/conformity"
	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/server/web"
)

// conformityRoutes are the release self-assessment page, its manual
// answers and reviews, and the portfolio overview.
func (h *handler) conformityRoutes() []web.Route {
	release := web.ReleasePath(h.Store, "id")
	return []web.Route{
		{Method: "GET", Pattern: "/conformity", Need: identity.RoleViewer, Do: h.conformityOverview},
		{Method: "GET", Pattern: "/releases/{id}/conformity", Product: release, Perm: identity.PermRead, Do: h.releaseConformity},
		{Method: "POST", Pattern: "/releases/{id}/conformity/answer", Product: release, Perm: identity.PermWrite, Do: h.answerConformity},
		{Method: "POST", Pattern: "/releases/{id}/conformity/review", Product: release, Perm: identity.PermWrite, Do: h.reviewConformity},
	}
}

type conformityPage struct {
	Release  inventory.Release
	Report   *conformity.Report
	Gaps     []conformity.Result
	Releases []inventory.Release // of the product, for comparison
	Compare  int64
	Changes  []conformity.Change
	Previous string
	CanEdit  bool
	Statuses []string
	Catalogs []*conformity.Catalog
	Draft    *conformity.Answer // an answer refused with an error, as typed
	Open     string             // the group shown open (besides those with items not met)
}

func (h *handler) releaseConformity(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	return h.conformityPage(w, r, id, r.URL.Query().Get("catalog"), http.StatusOK, "", nil)
}

// conformityPage renders the assessment; after a refused answer it is
// shown again with the error and the answer as typed (status 400).
func (h *handler) conformityPage(w http.ResponseWriter, r *http.Request, id int64, catalog string, status int, errMsg string, draft *conformity.Answer) error {
	rel, err := h.Store.Release(r.Context(), id)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	rep, err := h.Conformity.Report(r.Context(), id, catalog)
	if err != nil {
		return err
	}
	d := conformityPage{Release: rel, Report: rep, Gaps: rep.Gaps(), CanEdit: canWrite(r, rel.ProductID), Draft: draft, Open: q.Get("open"),
		Statuses: []string{conformity.Met, conformity.NotMet, conformity.NotApplicable, conformity.NeedsEvidence}}
	if draft != nil {
		if cat, err := conformity.LoadCatalog(rep.Catalog); err == nil {
			if it, ok := cat.Item(draft.Item); ok {
				d.Open = it.Group
			}
		}
	}
	if d.Catalogs, err = conformity.Catalogs(); err != nil {
		return err
	}
	if d.Releases, _, err = h.Store.Releases(r.Context(), rel.ProductID, "", 50); err != nil {
		return err
	}
	if c, err := web.QueryInt(r, "compare"); err == nil && c > 0 {
		for _, other := range d.Releases {
			if other.ID == int64(c) && other.ID != rel.ID {
				old, err := h.Conformity.Report(r.Context(), other.ID, rep.Catalog)
				if err != nil {
					return err
				}
				d.Compare, d.Previous, d.Changes = other.ID, other.Version, conformity.Compare(old, rep)
			}
		}
	}
	flash := ""
	if status == http.StatusOK {
		flash = q.Get("flash")
	}
	h.render(w, r, status, "conformity", view{Title: "Conformity · " + rel.ProductName + " " + rel.Version, Nav: "conformity", Flash: flash, Error: errMsg, Data: d})
	return nil
}

func (h *handler) conformityBack(w http.ResponseWriter, r *http.Request, id int64, catalog, msg, item string) {
	v := url.Values{"catalog": {catalog}, "flash": {msg}}
	if cat, err := conformity.LoadCatalog(catalog); err == nil {
		if it, ok := cat.Item(item); ok {
			v.Set("open", it.Group)
		}
	}
	http.Redirect(w, r, fmt.Sprintf("/releases/%d/conformity?%s#item-%s", id, v.Encode(), url.PathEscape(item)), http.StatusSeeOther)
}

func (h *handler) answerConformity(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	f := r.PostFormValue
	a := conformity.Answer{Catalog: f("catalog"), Item: f("item"), Status: f("status"), Justification: f("justification"), Owner: f("owner"), EvidenceURL: f("evidence_url")}
	saved, err := h.Conformity.Answer(r.Context(), id, a, identity.FromContext(r.Context()).Name)
	if err != nil {
		if web.Status(err) == http.StatusBadRequest {
			return h.conformityPage(w, r, id, a.Catalog, http.StatusBadRequest, a.Item+": "+err.Error(), &a)
		}
		return err
	}
	h.conformityBack(w, r, id, saved.Catalog, fmt.Sprintf("%s answered (version %d)", saved.Item, saved.Version), saved.Item)
	return nil
}

func (h *handler) reviewConformity(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	catalog, item := r.PostFormValue("catalog"), r.PostFormValue("item")
	a, err := h.Conformity.Review(r.Context(), id, catalog, item, identity.FromContext(r.Context()).Name)
	if err != nil {
		if s := web.Status(err); s == http.StatusForbidden || s == http.StatusBadRequest || s == http.StatusNotFound {
			return h.conformityPage(w, r, id, catalog, s, item+": "+err.Error(), nil)
		}
		return err
	}
	h.conformityBack(w, r, id, a.Catalog, fmt.Sprintf("%s version %d reviewed", a.Item, a.Version), a.Item)
	return nil
}

type conformityOverview struct {
	Catalog  *conformity.Catalog
	Catalogs []*conformity.Catalog
	Items    []portfolio.ReleaseConformity
}

func (h *handler) conformityOverview(w http.ResponseWriter, r *http.Request) error {
	id := r.URL.Query().Get("catalog")
	if id == "" {
		id = conformity.ETSI
	}
	cat, err := conformity.LoadCatalog(id)
	if err != nil {
		return fault.Invalid("", "catalog: %v", err)
	}
	d := conformityOverview{Catalog: cat}
	if d.Catalogs, err = conformity.Catalogs(); err != nil {
		return err
	}
	if d.Items, err = h.Conformity.Overview(r.Context(), id, web.ReadableProducts(r)); err != nil {
		return err
	}
	h.render(w, r, http.StatusOK, "conformity_overview", view{Title: "Conformity", Nav: "conformity", Data: d})
	return nil
}
