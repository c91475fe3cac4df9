package api

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/server/web"
	"github.com/rampart-security/rampart/internal/threatmodel"
)

// threatEditRoutes are the element, flow and trust-boundary API of a
// product's threat model: every write is a new model version.
func (h handler) threatEditRoutes() []web.Route {
	var out []web.Route
	for _, c := range []string{threatmodel.CollectionElements, threatmodel.CollectionFlows, threatmodel.CollectionBoundaries} {
		base := "/api/v1/products/{id}/threatmodel/" + c
		item := base + "/{" + itemParam[c] + "}"
		prod := web.ProductPath(h.Store, "id")
		out = append(out,
			web.Route{Method: "GET", Pattern: base, Product: prod, Perm: identity.PermRead, Scope: identity.ScopeProductsRead, Do: h.listModelItems(c)},
			web.Route{Method: "POST", Pattern: base, Product: prod, Perm: identity.PermWrite, Scope: identity.ScopeProductsWrite, Do: h.editModel(c, threatmodel.EditAdd)},
			web.Route{Method: "PATCH", Pattern: item, Product: prod, Perm: identity.PermWrite, Scope: identity.ScopeProductsWrite, Do: h.editModel(c, threatmodel.EditUpdate)},
			web.Route{Method: "DELETE", Pattern: item, Product: prod, Perm: identity.PermWrite, Scope: identity.ScopeProductsWrite, Do: h.editModel(c, threatmodel.EditDelete)},
		)
	}
	return out
}

// itemParam names the path parameter of one item of a collection.
var itemParam = map[string]string{threatmodel.CollectionElements: "element", threatmodel.CollectionFlows: "flow", threatmodel.CollectionBoundaries: "boundary"}

// modelItem is an element or boundary with its diagram position.
type modelItem struct {
	Item     any              `json:"-"`
	Position *threatmodel.Box `json:"position,omitempty"`
}

// MarshalJSON flattens the item and its position into one object.
func (m modelItem) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(m.Item)
	if err != nil || m.Position == nil {
		return b, err
	}
	p, err := json.Marshal(m.Position)
	if err != nil {
		return nil, err
	}
	return append(append(b[:len(b)-1], `,"position":`...), append(p, '}')...), nil
}

func modelItems(m *threatmodel.Model, collection string) []modelItem {
	out := []modelItem{}
	if m == nil {
		return out
	}
	switch collection {
	case threatmodel.CollectionElements:
		for i := range m.Elements {
			out = append(out, modelItem{Item: &m.Elements[i], Position: m.Position(collection, m.Elements[i].ID)})
		}
	case threatmodel.CollectionFlows:
		for i := range m.Flows {
			out = append(out, modelItem{Item: &m.Flows[i]})
		}
	case threatmodel.CollectionBoundaries:
		for i := range m.Boundaries {
			out = append(out, modelItem{Item: &m.Boundaries[i], Position: m.Position(collection, m.Boundaries[i].ID)})
		}
	}
	return out
}

func modelItemByID(m *threatmodel.Model, collection, id string) any {
	for _, it := range modelItems(m, collection) {
		var got string
		switch x := it.Item.(type) {
		case *threatmodel.Element:
			got = x.ID
		case *threatmodel.Flow:
			got = x.ID
		case *threatmodel.Boundary:
			got = x.ID
		}
		if got == id {
			return it
		}
	}
	return nil
}

func setVersionTag(w http.ResponseWriter, version int) {
	w.Header().Set("ETag", strconv.Quote(strconv.Itoa(version)))
}

// listModelItems lists the elements, flows or boundaries of the latest
// version (or ?version=N), with the version as ETag for If-Match. A
// product without a model has version 0 and nothing in it.
func (h handler) listModelItems(collection string) web.Handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		id := web.ProductID(r)
		ver, err := queryVersion(r)
		if err != nil {
			return err
		}
		version, items := 0, []modelItem{}
		view, err := portfolio.ProductThreats(r.Context(), h.Store, h.Threats, id, ver)
		switch {
		case err == nil:
			version, items = view.Version.Version, modelItems(view.Model, collection)
		case errors.Is(err, fault.ErrNotFound) && ver == 0:
		default:
			return err
		}
		setVersionTag(w, version)
		web.WriteJSON(w, http.StatusOK, map[string]any{"model_version": version, collection: items})
		return nil
	}
}

// ifMatch reads the model version a write was made on: If-Match: "3"
// (also W/"3" or 3). Writes without one are refused with 428 so no client
// overwrites a change it has not seen.
func ifMatch(r *http.Request) (int, error) {
	v := strings.TrimSpace(r.Header.Get("If-Match"))
	if v == "" {
		return 0, errIfMatchRequired
	}
	v = strings.Trim(strings.TrimPrefix(v, "W/"), `"`)
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fault.Invalid("", "If-Match: %q is not a threat-model version (the ETag of GET …/threatmodel/elements, e.g. \"3\"; \"0\" when the product has no model yet)", r.Header.Get("If-Match"))
	}
	return n, nil
}

var errIfMatchRequired = fault.PreconditionRequired("If-Match is required: send the threat-model version the change was made on (the ETag of GET …/threatmodel/elements)")

// editModel adds (POST), changes (PATCH, a JSON merge patch) or deletes an
// element, flow or boundary, saving a new model version by the caller.
// The response has the new version (also as ETag), the item, and the diff
// with the threats that appeared or disappeared.
func (h handler) editModel(collection, action string) web.Handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		id := web.ProductID(r)
		expect, err := ifMatch(r)
		if err != nil {
			return err
		}
		e := threatmodel.Edit{Collection: collection, Action: action, ID: r.PathValue(itemParam[collection])}
		if action != threatmodel.EditDelete {
			if e.Fields, err = io.ReadAll(r.Body); err != nil {
				return err
			}
		}
		actor := identity.FromContext(r.Context()).Name
		res, err := portfolio.EditThreatModel(r.Context(), h.Store, h.Threats, id, expect, e, actor)
		var stale *portfolio.StaleVersion
		if errors.As(err, &stale) {
			setVersionTag(w, stale.Current.Version)
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusPreconditionFailed)
			return json.NewEncoder(w).Encode(map[string]any{
				"type": "about:blank", "title": "Precondition Failed", "status": http.StatusPreconditionFailed,
				"detail": stale.Error(), "expected_version": stale.Expected, "current_version": stale.Current, "diff": stale.Diff,
			})
		}
		if err != nil {
			return err
		}
		h.Log.Info("threat model edited", "product", id, "version", res.Version.Version, "action", action, "collection", collection, "item", res.ID, "user", actor)
		if res.Created {
			h.gateAfterProduct(r.Context(), id, "threatmodel")
		}
		status := http.StatusOK
		if action == threatmodel.EditAdd && res.Created {
			status = http.StatusCreated
		}
		body := map[string]any{"version": res.Version, "created": res.Created, "id": res.ID, "removed": res.Removed, "diff": res.Diff}
		if action != threatmodel.EditDelete {
			body["item"] = modelItemByID(res.Model, collection, res.ID)
		}
		setVersionTag(w, res.Version.Version)
		web.WriteJSON(w, status, body)
		return nil
	}
}
