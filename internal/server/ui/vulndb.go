package ui

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/server/web"
	"github.com/rampart-security/rampart/internal/spool"
)

// vulndbRoutes are the administrator's "Vulnerability data" page: the
// per-source status, "Update now" and the offline-bundle upload.
func (h *handler) vulndbRoutes() []web.Route {
	return []web.Route{
		{Method: "GET", Pattern: "/admin/vulndb", Need: identity.RoleAdmin, Do: h.vulndb},
		{Method: "POST", Pattern: "/admin/vulndb/update", Need: identity.RoleAdmin, Do: h.vulndbUpdate},
		{Method: "POST", Pattern: "/admin/vulndb/bundle", Need: identity.RoleAdmin, MaxBody: portfolio.MaxBundleUpload + 1<<20, Do: h.vulndbBundle},
	}
}

type vulndbData struct {
	Status  portfolio.Status
	CanSync bool // feeds configured and not offline
}

func (h *handler) vulndb(w http.ResponseWriter, r *http.Request) error {
	return h.renderVulnDB(w, r, http.StatusOK, view{Flash: r.URL.Query().Get("flash")})
}

func (h *handler) renderVulnDB(w http.ResponseWriter, r *http.Request, status int, v view) error {
	st, err := h.VulnSync.Status(r.Context())
	if err != nil {
		return err
	}
	cfg := h.VulnSync.Config()
	v.Title, v.Nav = "Vulnerability data", "vulndb"
	v.Data = vulndbData{Status: st, CanSync: !cfg.Offline && len(cfg.Sources.Split()) > 0}
	h.render(w, r, status, "vulndb", v)
	return nil
}

func (h *handler) vulndbUpdate(w http.ResponseWriter, r *http.Request) error {
	if err := h.VulnSync.Request(r.Context()); err != nil {
		return h.renderVulnDB(w, r, web.Status(err), view{Error: err.Error()})
	}
	redirectFlash(w, r, "/admin/vulndb", "Update requested: a server starts it within a few seconds; this page shows its progress.")
	return nil
}

func (h *handler) vulndbBundle(w http.ResponseWriter, r *http.Request) error {
	f, name, err := web.Upload(r, "bundle", portfolio.MaxBundleUpload, "bundle.zip")
	if err != nil {
		status := http.StatusBadRequest
		if errors.Is(err, spool.ErrTooLarge) {
			status = http.StatusRequestEntityTooLarge
		}
		return h.renderVulnDB(w, r, status, view{Error: err.Error()})
	}
	defer f.Close()
	rec, err := h.VulnSync.ImportBundle(r.Context(), f, f.Size(), name)
	h.OnImport("vulndb-bundle", err)
	if err != nil {
		return h.renderVulnDB(w, r, web.Status(err), view{Error: "Nothing imported: " + err.Error()})
	}
	msg := fmt.Sprintf("%s imported: %d advisories, %d EPSS scores, %d KEV entries", name, rec.Advisories, rec.EPSS, rec.KEV)
	if sk := rec.Skipped; len(sk) > 0 {
		msg += fmt.Sprintf(" (%d files skipped: %s", len(sk), strings.Join(sk[:min(len(sk), 3)], "; "))
		if len(sk) > 3 {
			msg += "; …"
		}
		msg += ")"
	}
	redirectFlash(w, r, "/admin/vulndb", msg)
	return nil
}
