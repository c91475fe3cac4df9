package api

import (
	"fmt"
	"io"
	"net/http"

	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/server/web"
)

// firmwareRoutes upload a firmware image to a release for analysis, follow
// the analysis and read its result.
func (h handler) firmwareRoutes() []web.Route {
	return []web.Route{
		{Method: "POST", Pattern: "/api/v1/releases/{id}/firmware", Product: web.ReleasePath(h.Store, "id"), Perm: identity.PermWrite,
			Scope: identity.ScopeFindingsWrite, MaxBody: h.MaxUpload, Do: h.uploadFirmware},
		{Method: "GET", Pattern: "/api/v1/releases/{id}/firmware", Product: web.ReleasePath(h.Store, "id"), Perm: identity.PermRead,
			Scope: identity.ScopeFindingsRead, Do: h.latestFirmware},
		{Method: "GET", Pattern: "/api/v1/firmware-jobs/{id}", Product: h.firmwareJobProduct, Perm: identity.PermRead,
			Scope: identity.ScopeFindingsRead, Do: h.firmwareJob},
	}
}

func (h handler) firmwareJobProduct(r *http.Request) (int64, error) {
	id, err := web.PathID(r, "id")
	if err != nil {
		return 0, err
	}
	return h.Store.FirmwareJobProduct(r.Context(), id)
}

// uploadFirmware queues the image in the body for analysis and answers 202
// with the job at once; GET /api/v1/firmware-jobs/{id} follows it. When
// the job is done, the image's components are the release's SBOM and its
// issues rampart-firmware findings.
func (h handler) uploadFirmware(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	data, err := io.ReadAll(r.Body) // bounded by the route's MaxBody
	if err != nil {
		return err
	}
	job, err := h.Firmware.Enqueue(r.Context(), portfolio.FirmwareRequest{ReleaseID: id, FileName: r.URL.Query().Get("filename"),
		Actor: identity.FromContext(r.Context()).Name, Image: data})
	h.OnImport("firmware", err)
	if err != nil {
		return err
	}
	h.Log.Info("firmware queued", "release", id, "job", job.ID, "sha256", job.SHA256, "size", job.Size, "user", identity.FromContext(r.Context()).Name)
	w.Header().Set("Location", fmt.Sprintf("/api/v1/firmware-jobs/%d", job.ID))
	web.WriteJSON(w, http.StatusAccepted, job)
	return nil
}

// firmwareJob reports a queued analysis: status, stage, progress, and
// once done the summary and analysis id (or the error).
func (h handler) firmwareJob(w http.ResponseWriter, r *http.Request) error {
	return getByID(h.Store.FirmwareJob)(w, r)
}

// latestFirmware returns the release's newest stored analysis (404 when
// no image was analysed for it).
func (h handler) latestFirmware(w http.ResponseWriter, r *http.Request) error {
	return getByID(h.Store.LatestFirmwareAnalysis)(w, r)
}
