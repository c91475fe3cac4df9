package api

import (
	"io"
	"net/http"

	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/server/web"
)

// firmwareRoutes upload a firmware image to a release for analysis.
func (h handler) firmwareRoutes() []web.Route {
	return []web.Route{
		{Method: "POST", Pattern: "/api/v1/releases/{id}/firmware", Product: web.ReleasePath(h.Store, "id"), Perm: identity.PermWrite,
			Scope: identity.ScopeFindingsWrite, MaxBody: h.MaxUpload, Handler: web.API(h.Log, h.uploadFirmware)},
		{Method: "GET", Pattern: "/api/v1/releases/{id}/firmware", Product: web.ReleasePath(h.Store, "id"), Perm: identity.PermRead,
			Scope: identity.ScopeFindingsRead, Handler: web.API(h.Log, h.latestFirmware)},
	}
}

// uploadFirmware analyses the image in the body: components become the
// release's SBOM, issues become rampart-firmware findings.
func (h handler) uploadFirmware(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	data, err := io.ReadAll(r.Body) // bounded by the route's MaxBody
	if err != nil {
		return err
	}
	res, err := portfolio.ImportFirmware(r.Context(), h.Store, portfolio.FirmwareRequest{ReleaseID: id, FileName: r.URL.Query().Get("filename"),
		Actor: identity.FromContext(r.Context()).Name, Image: data})
	h.OnImport("firmware", err)
	if err != nil {
		return err
	}
	h.Log.Info("firmware analysed", "release", id, "sha256", res.SHA256, "issues", res.Issues, "components", res.Components, "user", identity.FromContext(r.Context()).Name)
	h.rematch(r.Context(), id)
	h.gateAfter(r.Context(), id, "firmware")
	web.WriteJSON(w, http.StatusOK, res)
	return nil
}

// latestFirmware returns the release's newest stored analysis (404 when
// no image was analysed for it).
func (h handler) latestFirmware(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	a, err := h.Store.LatestFirmwareAnalysis(r.Context(), id)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, a)
	return nil
}
