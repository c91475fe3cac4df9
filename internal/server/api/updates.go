package api

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/server/web"
	"github.com/rampart-security/rampart/internal/updates"
	"github.com/rampart-security/rampart/pkg/updateclient"
)

// tufRoutes serve each product's TUF repository to devices. They are
// public: every file is signed and a device verifies it against the root it
// was provisioned with, so no token is needed (and devices have none).
// Anything missing answers a plain 404, which go-tuf needs to end its root
// walk, never a UI page.
func (h handler) tufRoutes() []web.Route {
	return []web.Route{
		{Method: "GET", Pattern: "/tuf/{slug}/metadata/{file}", Public: true, Handler: h.tufMetadata},
		{Method: "GET", Pattern: "/tuf/{slug}/targets/{file}", Public: true, Handler: h.tufTarget},
		{Method: "GET", Pattern: "/tuf/", Public: true, Handler: tufNotFound},
	}
}

func tufNotFound(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNotFound)
	_, _ = w.Write([]byte("404 not found\n"))
}

func (h handler) tufServe(w http.ResponseWriter, r *http.Request, data []byte, err error, contentType, cache string) {
	if errors.Is(err, fault.ErrNotFound) || (err == nil && data == nil) {
		tufNotFound(w, r)
		return
	}
	if err != nil {
		h.Log.ErrorContext(r.Context(), "serve TUF repository", "path", r.URL.Path, "err", err)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("repository unavailable, retry later\n"))
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Header().Set("Cache-Control", cache)
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(data)
	}
}

func (h handler) tufMetadata(w http.ResponseWriter, r *http.Request) {
	if h.Updates == nil {
		tufNotFound(w, r)
		return
	}
	file := r.PathValue("file")
	data, err := h.Updates.File(r.Context(), r.PathValue("slug"), file)
	// Versioned files never change; timestamp.json and root.json do.
	cache := "public, max-age=31536000, immutable"
	if file == "timestamp.json" || file == "root.json" {
		cache = "no-cache"
	}
	h.tufServe(w, r, data, err, "application/json", cache)
}

func (h handler) tufTarget(w http.ResponseWriter, r *http.Request) {
	if h.Updates == nil {
		tufNotFound(w, r)
		return
	}
	data, err := h.Updates.TargetFile(r.Context(), r.PathValue("slug"), r.PathValue("file"))
	h.tufServe(w, r, data, err, "application/octet-stream", "public, max-age=31536000, immutable")
}

// updateRoutes manage the repositories, rollouts and fleet, and take the
// devices' signed check-ins.
func (h handler) updateRoutes() []web.Route {
	product := web.ProductPath(h.Store, "id")
	const read, write = identity.PermRead, identity.PermWrite
	return []web.Route{
		// Devices have no token: a check-in is signed with the device's own
		// ed25519 key (registered at its first check-in; the id derives from it).
		{Method: "POST", Pattern: "/api/v1/devices/checkin", Public: true, MaxBody: 16 << 10, Do: h.checkIn},
		{Method: "GET", Pattern: "/api/v1/products/{id}/updates", Product: product, Perm: read, Scope: identity.ScopeProductsRead, Do: h.updateStatus},
		{Method: "POST", Pattern: "/api/v1/products/{id}/updates/targets", Product: product, Perm: write, Scope: identity.ScopeProductsWrite, MaxBody: h.MaxUpload, Do: h.publishTarget},
		{Method: "GET", Pattern: "/api/v1/products/{id}/rollouts", Product: product, Perm: read, Scope: identity.ScopeProductsRead, Do: h.listRollouts},
		{Method: "POST", Pattern: "/api/v1/products/{id}/rollouts", Product: product, Perm: write, Scope: identity.ScopeProductsWrite, Do: h.startRollout},
		{Method: "PATCH", Pattern: "/api/v1/products/{id}/rollouts/{rollout}", Product: product, Perm: write, Scope: identity.ScopeProductsWrite, Do: h.changeRollout},
		{Method: "GET", Pattern: "/api/v1/products/{id}/devices", Product: product, Perm: read, Scope: identity.ScopeProductsRead, Do: h.listDevices},
		{Method: "GET", Pattern: "/api/v1/products/{id}/fleet", Product: product, Perm: read, Scope: identity.ScopeProductsRead, Do: h.fleet},
	}
}

func (h handler) checkIn(w http.ResponseWriter, r *http.Request) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	offer, err := h.Fleet.CheckIn(r.Context(), body, r.Header.Get(updateclient.SignatureHeader))
	return reply(w, http.StatusOK, offer, err)
}

func (h handler) updateStatus(w http.ResponseWriter, r *http.Request) error {
	return getByID(h.Updates.StatusOfProduct)(w, r)
}

func (h handler) publishTarget(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	content, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	req := updates.PublishRequest{ProductID: id, Name: q.Get("name"), Content: content, Hardware: q.Get("hardware"), Version: q.Get("version")}
	t, err := h.Updates.Publish(r.Context(), req)
	return reply(w, http.StatusCreated, t, err)
}

func (h handler) listRollouts(w http.ResponseWriter, r *http.Request) error {
	return listByID(h.Fleet.Rollouts)(w, r)
}

func (h handler) startRollout(w http.ResponseWriter, r *http.Request) error {
	id, req, err := web.PathIDAndJSON[updates.RolloutRequest](r, "id")
	if err != nil {
		return err
	}
	ro, err := h.Fleet.StartRollout(r.Context(), id, req, actorName(r))
	return reply(w, http.StatusCreated, ro, err)
}

func (h handler) changeRollout(w http.ResponseWriter, r *http.Request) error {
	id, rid, err := web.PathIDs(r, "id", "rollout")
	if err != nil {
		return err
	}
	var ch updates.RolloutChange
	if err := web.DecodeJSON(r, &ch); err != nil {
		return err
	}
	ro, err := h.Fleet.ChangeRollout(r.Context(), id, rid, ch)
	return reply(w, http.StatusOK, ro, err)
}

func (h handler) listDevices(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	return listPage(w, r, func(ctx context.Context, cursor string, limit int) ([]updates.Device, string, error) {
		return h.Fleet.Devices(ctx, id, cursor, limit)
	})
}

// fleetView is the fleet summary with its vulnerability exposure.
type fleetView struct {
	updates.FleetSummary
	Exposure []updates.Exposure `json:"exposure"`
}

func (h handler) fleet(w http.ResponseWriter, r *http.Request) error {
	v, err := web.PathObject(r, "id", h.Fleet.View)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, fleetView{FleetSummary: v.Summary, Exposure: nonNil(v.Exposure)})
	return nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func actorName(r *http.Request) string {
	if p := identity.FromContext(r.Context()); p != nil {
		return p.Name
	}
	return ""
}
