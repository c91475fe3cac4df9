package api

import (
	"mime"
	"net/http"

	"github.com/rampart-security/rampart/internal/conformity"
	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/server/web"
)

// conformityRoutes are a release's ETSI EN 303 645 and CRA Annex I
// self-assessment, its manual answers and reviews, and the portfolio view.
func (h handler) conformityRoutes() []web.Route {
	release := web.ReleasePath(h.Store, "id")
	return []web.Route{
		{Method: "GET", Pattern: "/api/v1/conformity", Need: identity.RoleViewer, Scope: identity.ScopeProductsRead, Do: h.conformityOverview},
		{Method: "GET", Pattern: "/api/v1/conformity/catalogs", Need: identity.RoleViewer, Scope: identity.ScopeProductsRead, Do: h.conformityCatalogs},
		{Method: "GET", Pattern: "/api/v1/releases/{id}/conformity", Product: release, Perm: identity.PermRead, Scope: identity.ScopeProductsRead, Do: h.releaseConformity},
		{Method: "GET", Pattern: "/api/v1/releases/{id}/conformity/report", Product: release, Perm: identity.PermRead, Scope: identity.ScopeProductsRead, Do: h.conformityReport},
		{Method: "PUT", Pattern: "/api/v1/releases/{id}/conformity/{catalog}/{item}", Product: release, Perm: identity.PermWrite, Scope: identity.ScopeProductsWrite, Do: h.answerConformity},
		{Method: "POST", Pattern: "/api/v1/releases/{id}/conformity/{catalog}/{item}/review", Product: release, Perm: identity.PermWrite, Scope: identity.ScopeProductsWrite, Do: h.reviewConformity},
	}
}

func (h handler) conformityOverview(w http.ResponseWriter, r *http.Request) error {
	list, err := h.Conformity.Overview(r.Context(), r.URL.Query().Get("catalog"), web.ReadableProducts(r))
	return reply(w, http.StatusOK, newPage(list, ""), err)
}

func (h handler) conformityCatalogs(w http.ResponseWriter, r *http.Request) error {
	cs, err := conformity.Catalogs()
	return reply(w, http.StatusOK, newPage(cs, ""), err)
}

// releaseConformity returns the assessment; ?compare=RELEASE adds the
// items whose status changed since that release (of the same product).
func (h handler) releaseConformity(w http.ResponseWriter, r *http.Request) error {
	rep, changes, _, err := h.assess(r)
	if err != nil {
		return err
	}
	if changes == nil {
		web.WriteJSON(w, http.StatusOK, rep)
		return nil
	}
	web.WriteJSON(w, http.StatusOK, struct {
		*conformity.Report
		Changes []conformity.Change `json:"changes"`
	}{rep, changes})
	return nil
}

// assess returns the assessment of the release in the path against
// ?catalog=, with the changes since the ?compare= release and its version
// (none when ?compare= is absent).
func (h handler) assess(r *http.Request) (*conformity.Report, []conformity.Change, string, error) {
	id, err := web.PathID(r, "id")
	if err != nil {
		return nil, nil, "", err
	}
	rep, err := h.Conformity.Report(r.Context(), id, r.URL.Query().Get("catalog"))
	if err != nil {
		return nil, nil, "", err
	}
	changes, prev, err := h.compareWith(r, rep)
	if err != nil {
		return nil, nil, "", err
	}
	return rep, changes, prev, nil
}

// compareWith loads the release named by ?compare= (which the caller must
// be able to read: it must belong to the same product) and compares.
func (h handler) compareWith(r *http.Request, rep *conformity.Report) ([]conformity.Change, string, error) {
	if r.URL.Query().Get("compare") == "" {
		return nil, "", nil
	}
	other, err := web.QueryInt(r, "compare")
	if err != nil {
		return nil, "", err
	}
	rel, err := h.Store.Release(r.Context(), int64(other))
	if err != nil {
		return nil, "", err
	}
	if rel.ProductID != rep.ProductID {
		return nil, "", fault.Invalid("", "query parameter compare: release %d belongs to another product", other)
	}
	old, err := h.Conformity.Report(r.Context(), rel.ID, rep.Catalog)
	if err != nil {
		return nil, "", err
	}
	changes := conformity.Compare(old, rep)
	if changes == nil {
		changes = []conformity.Change{}
	}
	return changes, rel.Version, nil
}

// conformityReport exports the assessment: format=html is a printable,
// self-contained page (ICS for ETSI, Annex VII section for the CRA);
// format=json the same data as a download.
func (h handler) conformityReport(w http.ResponseWriter, r *http.Request) error {
	rep, changes, prev, err := h.assess(r)
	if err != nil {
		return err
	}
	name := "conformity-" + rep.Catalog + "-release-" + rep.Release
	switch format := r.URL.Query().Get("format"); format {
	case "", "html":
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src "+conformity.StyleHash()+"; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Disposition", mime.FormatMediaType("inline", map[string]string{"filename": name + ".html"}))
		return conformity.WriteHTML(w, rep, conformity.HTMLOptions{Changes: changes, Previous: prev})
	case "json":
		w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name + ".json"}))
		web.WriteJSON(w, http.StatusOK, rep)
		return nil
	default:
		return fault.Invalid("", "query parameter format: %q is not html or json", format)
	}
}

type answerRequest struct {
	Status        string `json:"status"`
	Justification string `json:"justification"`
	Owner         string `json:"owner"`
	EvidenceURL   string `json:"evidence_url"`
}

func (h handler) answerConformity(w http.ResponseWriter, r *http.Request) error {
	id, req, err := web.PathIDAndJSON[answerRequest](r, "id")
	if err != nil {
		return err
	}
	a, err := h.Conformity.Answer(r.Context(), id, conformity.Answer{Catalog: r.PathValue("catalog"), Item: r.PathValue("item"),
		Status: req.Status, Justification: req.Justification, Owner: req.Owner, EvidenceURL: req.EvidenceURL}, identity.FromContext(r.Context()).Name)
	return reply(w, http.StatusOK, a, err)
}

func (h handler) reviewConformity(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	a, err := h.Conformity.Review(r.Context(), id, r.PathValue("catalog"), r.PathValue("item"), identity.FromContext(r.Context()).Name)
	return reply(w, http.StatusOK, a, err)
}
