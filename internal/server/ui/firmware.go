package ui

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/firmware"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/server/web"
	"github.com/rampart-security/rampart/internal/spool"
)

// firmwareRoutes are a release's firmware page and its image upload.
func (h *handler) firmwareRoutes() []web.Route {
	release := web.ReleasePath(h.Store, "id")
	return []web.Route{
		{Method: "GET", Pattern: "/releases/{id}/firmware", Product: release, Perm: identity.PermRead, Do: h.releaseFirmware},
		{Method: "POST", Pattern: "/releases/{id}/firmware", Product: release, Perm: identity.PermWrite, MaxBody: h.MaxUpload + 1<<20, Do: h.uploadFirmware},
		{Method: "GET", Pattern: "/releases/{id}/firmware/job", Product: release, Perm: identity.PermRead, Do: h.firmwareJob},
	}
}

type firmwareIssue struct {
	firmware.Issue
	FindingID int64
}

type firmwarePage struct {
	Release  inventory.Release
	Analysis *firmware.Analysis
	Issues   []firmwareIssue
	Binaries []firmware.Binary // worst hardened first
	Previous *firmware.Analysis
	Diff     *firmware.DiffResult
	// Job is the release's latest upload while it is queued or running,
	// or when it failed after the analysis shown.
	Job     *firmware.Job
	CanEdit bool
}

// hardeningGaps counts what a binary lacks (checksec's properties); RELRO
// partial counts half.
func hardeningGaps(b firmware.Binary) int {
	n := 0
	for _, ok := range []bool{b.NX, b.PIE, b.Canary, b.Fortify, !b.Stripped} {
		if !ok {
			n += 2
		}
	}
	switch b.RELRO {
	case "full":
	case "partial":
		n++
	default:
		n += 2
	}
	return n
}

func (h *handler) releaseFirmware(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	return h.firmwarePage(w, r, id, http.StatusOK, "")
}

func (h *handler) firmwarePage(w http.ResponseWriter, r *http.Request, id int64, status int, errMsg string) error {
	rel, err := h.Store.Release(r.Context(), id)
	if err != nil {
		return err
	}
	d := firmwarePage{Release: rel, CanEdit: canWrite(r, rel.ProductID)}
	job, err := h.Store.LatestFirmwareJob(r.Context(), id)
	switch {
	case errors.Is(err, fault.ErrNotFound):
	case err != nil:
		return err
	case job.Status != firmware.JobDone:
		d.Job = &job
	}
	a, err := h.Store.LatestFirmwareAnalysis(r.Context(), id)
	switch {
	case errors.Is(err, fault.ErrNotFound):
	case err != nil:
		return err
	default:
		d.Analysis = &a
		// Each issue links to its finding (same fingerprint as the import).
		byPrint := map[string]int64{}
		fl, _, err := h.Store.Findings(r.Context(), findings.Query{ReleaseID: id, Tool: "rampart-firmware", Limit: 1000})
		if err != nil {
			return err
		}
		for _, f := range fl {
			byPrint[f.Finding.Fingerprint] = f.ID
		}
		fs := a.Result.Findings()
		for i, is := range a.Result.Issues {
			d.Issues = append(d.Issues, firmwareIssue{Issue: is, FindingID: byPrint[fs[i].Fingerprint]})
		}
		sort.SliceStable(d.Issues, func(i, j int) bool { return d.Issues[i].Severity.Rank() > d.Issues[j].Severity.Rank() })
		d.Binaries = append([]firmware.Binary(nil), a.Result.Binaries...)
		sort.SliceStable(d.Binaries, func(i, j int) bool {
			gi, gj := hardeningGaps(d.Binaries[i]), hardeningGaps(d.Binaries[j])
			if gi != gj {
				return gi > gj
			}
			return d.Binaries[i].Path < d.Binaries[j].Path
		})
		prev, err := h.Store.PreviousFirmwareAnalysis(r.Context(), id)
		switch {
		case errors.Is(err, fault.ErrNotFound):
		case err != nil:
			return err
		default:
			diff := firmware.Diff(prev.Result, a.Result)
			d.Previous, d.Diff = &prev, &diff
		}
	}
	h.render(w, r, status, "firmware", view{Title: "Firmware · " + rel.ProductName + " " + rel.Version, Nav: "portfolio", Flash: r.URL.Query().Get("flash"), Error: errMsg, Data: d})
	return nil
}

func (h *handler) uploadFirmware(w http.ResponseWriter, r *http.Request) error {
	rel, err := web.PathObject(r, "id", h.Store.Release)
	if err != nil {
		return err
	}
	id := rel.ID
	file, fname, err := web.Upload(r, "image", h.MaxUpload, "firmware.bin")
	if errors.Is(err, spool.ErrTooLarge) {
		return h.firmwarePage(w, r, id, http.StatusRequestEntityTooLarge, err.Error())
	}
	if err != nil {
		return h.firmwarePage(w, r, id, http.StatusBadRequest, "choose a firmware image to upload (TRX, uImage, FIT, Android boot, zip, 7z, Android sparse, UBI, squashfs, ext, EROFS, cramfs, JFFS2, cpio or tar)")
	}
	defer file.Close()
	data, err := io.ReadAll(file) // bounded by MaxUpload
	if err != nil {
		return err
	}
	job, err := h.Firmware.Enqueue(r.Context(), portfolio.FirmwareRequest{ReleaseID: id, FileName: fname, Actor: identity.FromContext(r.Context()).Name, Image: data})
	h.OnImport("firmware", err)
	if err != nil {
		return h.firmwarePage(w, r, id, web.Status(err), err.Error())
	}
	h.Log.Info("firmware queued", "release", id, "job", job.ID, "sha256", job.SHA256, "user", identity.FromContext(r.Context()).Name)
	http.Redirect(w, r, fmt.Sprintf("/releases/%d/firmware", id), http.StatusSeeOther)
	return nil
}

// firmwareJob renders the progress of the release's latest upload (the
// page polls it); once the analysis is done it sends the browser to the
// page again, which then shows the result.
func (h *handler) firmwareJob(w http.ResponseWriter, r *http.Request) error {
	rel, err := web.PathObject(r, "id", h.Store.Release)
	if err != nil {
		return err
	}
	id := rel.ID
	job, err := h.Store.LatestFirmwareJob(r.Context(), id)
	if err != nil {
		return err
	}
	if job.Status == firmware.JobDone {
		var sum portfolio.FirmwareResult
		_ = json.Unmarshal(job.Summary, &sum)
		flash := fmt.Sprintf("%s analysed: %d issues (%d new findings), %d components", job.FileName, sum.Issues, sum.Scan.New, sum.Components)
		w.Header().Set("HX-Redirect", fmt.Sprintf("/releases/%d/firmware?flash=%s", id, url.QueryEscape(flash)))
	}
	h.render(w, r, http.StatusOK, "firmware", view{Title: "Firmware · " + rel.ProductName + " " + rel.Version, Nav: "portfolio",
		Data: firmwarePage{Release: rel, Job: &job}})
	return nil
}
