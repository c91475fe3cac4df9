package ui

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/server/web"
	"github.com/rampart-security/rampart/internal/updates"
)

// updateRoutes are a product's updates page (repository, rollouts, fleet)
// and its rollout forms.
func (h *handler) updateRoutes() []web.Route {
	product := web.ProductPath(h.Store, "id")
	return []web.Route{
		{Method: "GET", Pattern: "/products/{id}/updates", Product: product, Perm: identity.PermRead, Do: h.updatesPage},
		{Method: "POST", Pattern: "/products/{id}/rollouts", Product: product, Perm: identity.PermWrite, Do: h.startRollout},
		{Method: "POST", Pattern: "/products/{id}/rollouts/{rollout}/state", Product: product, Perm: identity.PermWrite, Do: h.rolloutState},
	}
}

type count struct {
	Key string
	N   int
}

type updatesView struct {
	Product   inventory.Product
	HasRepo   bool
	Status    updates.Status
	Rollouts  []updates.Rollout
	Fleet     updates.FleetSummary
	Versions  []count
	Countries []count
	Exposure  []updates.Exposure
	Devices   []updates.Device
	CanEdit   bool
	Slug      string
}

func sortedCounts(m map[string]int) []count {
	out := make([]count, 0, len(m))
	for k, n := range m {
		out = append(out, count{k, n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].N != out[j].N {
			return out[i].N > out[j].N
		}
		return out[i].Key < out[j].Key
	})
	return out
}

func (h *handler) updatesPage(w http.ResponseWriter, r *http.Request) error {
	id, p, err := h.routeProduct(r)
	if err != nil {
		return err
	}
	v := updatesView{Product: p, CanEdit: identity.FromContext(r.Context()).ProductPermissions(id)&identity.PermWrite != 0}
	v.Status, err = h.Updates.StatusOfProduct(r.Context(), id)
	switch {
	case errors.Is(err, fault.ErrNotFound):
		v.Slug = strings.Trim(strings.Map(func(c rune) rune {
			switch {
			case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
				return c
			case c >= 'A' && c <= 'Z':
				return c + 32
			}
			return '-'
		}, p.Name), "-")
		h.render(w, r, http.StatusOK, "updates", view{Title: p.Name + " · Updates", Nav: "portfolio", Data: v})
		return nil
	case err != nil:
		return err
	}
	v.HasRepo = true
	if v.Rollouts, err = h.Fleet.Rollouts(r.Context(), id); err != nil {
		return err
	}
	fv, err := h.Fleet.View(r.Context(), id)
	if err != nil {
		return err
	}
	v.Fleet, v.Exposure = fv.Summary, fv.Exposure
	v.Versions, v.Countries = sortedCounts(fv.Summary.Versions), sortedCounts(fv.Summary.Countries)
	if v.Devices, _, err = h.Fleet.Devices(r.Context(), id, "", 50); err != nil {
		return err
	}
	h.render(w, r, http.StatusOK, "updates", view{Title: p.Name + " · Updates", Nav: "portfolio", Flash: r.URL.Query().Get("flash"), Data: v})
	return nil
}

// formInt parses the optional whole-number form field name: nil when it is
// empty, ok false when it is not a number.
func formInt(r *http.Request, name string) (n *int, ok bool) {
	s := r.PostFormValue(name)
	if s == "" {
		return nil, true
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return nil, false
	}
	return &v, true
}

func (h *handler) backToUpdates(w http.ResponseWriter, r *http.Request, id int64, msg string) {
	redirectFlash(w, r, fmt.Sprintf("/products/%d/updates#rollouts", id), msg)
}

func (h *handler) startRollout(w http.ResponseWriter, r *http.Request) error {
	id := web.ProductID(r)
	pct, err := formNumber(r, "percent")
	if err != nil {
		h.backToUpdates(w, r, id, "Not started: "+err.Error())
		return nil
	}
	req := updates.RolloutRequest{Target: r.PostFormValue("target"), Percent: int(pct)}
	if g := strings.TrimSpace(r.PostFormValue("groups")); g != "" {
		req.Groups = strings.Split(g, ",")
	}
	var ok bool
	if req.FailureThreshold, ok = formInt(r, "failure_threshold"); !ok {
		h.backToUpdates(w, r, id, "Not started: failure threshold must be a whole percentage.")
		return nil
	}
	ro, err := h.Fleet.StartRollout(r.Context(), id, req, identity.FromContext(r.Context()).Name)
	if err != nil {
		if web.Status(err) >= 500 {
			return err
		}
		h.backToUpdates(w, r, id, "Not started: "+err.Error())
		return nil
	}
	h.backToUpdates(w, r, id, fmt.Sprintf("Rollout %d of %s started.", ro.ID, ro.Target))
	return nil
}

func (h *handler) rolloutState(w http.ResponseWriter, r *http.Request) error {
	id := web.ProductID(r)
	rid, err := web.PathID(r, "rollout")
	if err != nil {
		return err
	}
	ch := updates.RolloutChange{State: r.PostFormValue("state")}
	var ok bool
	if ch.Percent, ok = formInt(r, "percent"); !ok {
		h.backToUpdates(w, r, id, "Not changed: percentage must be a whole number.")
		return nil
	}
	ro, err := h.Fleet.ChangeRollout(r.Context(), id, rid, ch)
	if err != nil {
		if web.Status(err) >= 500 {
			return err
		}
		h.backToUpdates(w, r, id, "Not changed: "+err.Error())
		return nil
	}
	h.backToUpdates(w, r, id, fmt.Sprintf("Rollout %d is %s at %d%%.", ro.ID, ro.State, ro.Percent))
	return nil
}
