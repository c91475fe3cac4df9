package ui

import (
	"net/http"
	"time"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/paging"
	"github.com/rampart-security/rampart/internal/server/web"
	"github.com/rampart-security/rampart/internal/vuln"
)

// reportRoutes are printable reports.
func (h *handler) reportRoutes() []web.Route {
	return []web.Route{
		{Method: "GET", Pattern: "/releases/{id}/report", Product: web.ReleasePath(h.Store, "id"), Perm: identity.PermRead, Do: h.releaseReport},
	}
}

type releaseReport struct {
	Product    inventory.Product
	Release    inventory.Release
	Generated  time.Time
	Vulns      []vuln.ReleaseVuln
	OpenVulns  int
	KEV        int
	Findings   []findings.Stored
	BySeverity map[findings.Severity]int
	Overdue    int
	Severities []findings.Severity
}

// releaseReport renders a self-contained, printable HTML security report
// of one release: vulnerabilities and active findings, worst first.
func (h *handler) releaseReport(w http.ResponseWriter, r *http.Request) error {
	rel, err := web.PathObject(r, "id", h.Store.Release)
	if err != nil {
		return err
	}
	id := rel.ID
	p, err := h.Store.Product(r.Context(), rel.ProductID)
	if err != nil {
		return err
	}
	d := releaseReport{Product: p, Release: rel, Generated: h.Now().UTC(), BySeverity: map[findings.Severity]int{},
		Severities: []findings.Severity{findings.Critical, findings.High, findings.Medium, findings.Low, findings.Info}}
	if d.Vulns, err = h.Store.ReleaseVulns(r.Context(), id); err != nil {
		return err
	}
	for _, v := range d.Vulns {
		if !v.Suppressed {
			d.OpenVulns++
			if v.KEV {
				d.KEV++
			}
		}
	}
	q := findings.Query{ReleaseID: id, Status: "active", Limit: paging.Max}
	for {
		page, next, err := h.Store.Findings(r.Context(), q)
		if err != nil {
			return err
		}
		d.Findings = append(d.Findings, page...)
		if next == "" || len(d.Findings) >= 5000 {
			break
		}
		q.After = next
	}
	for _, f := range d.Findings {
		d.BySeverity[f.Finding.Severity]++
		if f.SLAState == findings.SLAOverdue {
			d.Overdue++
		}
	}
	h.render(w, r, http.StatusOK, "report", view{Title: "Security report " + p.Name + " " + rel.Version, Nav: "portfolio", Data: d})
	return nil
}
