package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/paging"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/server/web"
	"github.com/rampart-security/rampart/internal/spreadsheet"
)

// findingRoutes are scanner imports, findings, triage and exports.
func (h handler) findingRoutes() []web.Route {
	return []web.Route{
		{Method: "POST", Pattern: "/api/v1/releases/{id}/scans", Product: web.ReleasePath(h.Store, "id"), Perm: identity.PermWrite, Scope: identity.ScopeFindingsWrite, MaxBody: h.MaxUpload, Do: h.importScan},
		{Method: "GET", Pattern: "/api/v1/releases/{id}/scans", Product: web.ReleasePath(h.Store, "id"), Perm: identity.PermRead, Scope: identity.ScopeFindingsRead, Do: h.listScans},
		{Method: "GET", Pattern: "/api/v1/findings", Need: identity.RoleViewer, Scope: identity.ScopeFindingsRead, Do: h.listFindings},
		{Method: "GET", Pattern: "/api/v1/findings/export", Need: identity.RoleViewer, Scope: identity.ScopeFindingsRead, Do: h.exportFindings},
		{Method: "GET", Pattern: "/api/v1/findings/{id}", Product: web.FindingPath(h.Store, "id"), Perm: identity.PermRead, Scope: identity.ScopeFindingsRead, Do: h.getFinding},
		{Method: "POST", Pattern: "/api/v1/findings/triage", Need: identity.RoleViewer, Scope: identity.ScopeFindingsWrite, Do: h.triage},
		{Method: "GET", Pattern: "/api/v1/products/{id}/sla", Product: web.ProductPath(h.Store, "id"), Perm: identity.PermRead, Scope: identity.ScopeProductsRead, Do: getByID(h.Store.ProductSLA)},
		{Method: "PUT", Pattern: "/api/v1/products/{id}/sla", Product: web.ProductPath(h.Store, "id"), Perm: identity.PermWrite, Scope: identity.ScopeProductsWrite, Do: h.putSLA},
		{Method: "GET", Pattern: "/api/v1/products/{id}/risk-acceptance", Product: web.ProductPath(h.Store, "id"), Perm: identity.PermRead, Scope: identity.ScopeProductsRead, Do: h.getRiskAcceptance},
		{Method: "PUT", Pattern: "/api/v1/products/{id}/risk-acceptance", Product: web.ProductPath(h.Store, "id"), Perm: identity.PermManage, Scope: identity.ScopeProductsWrite, Do: h.putRiskAcceptance},
		{Method: "GET", Pattern: "/api/v1/products/{id}/dedup", Product: web.ProductPath(h.Store, "id"), Perm: identity.PermRead, Scope: identity.ScopeProductsRead, Do: h.getDedup},
		{Method: "PUT", Pattern: "/api/v1/products/{id}/dedup", Product: web.ProductPath(h.Store, "id"), Perm: identity.PermWrite, Scope: identity.ScopeProductsWrite, Do: h.putDedup},
	}
}

func (h handler) importScan(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	partial := false
	if s := q.Get("partial"); s != "" {
		if partial, err = strconv.ParseBool(s); err != nil {
			return fault.Invalid("partial", "%q: give true or false", s)
		}
	}
	// Receive the whole report before the import starts its transaction.
	report, name, err := web.Upload(r, "", h.MaxUpload, "report")
	if err != nil {
		return err
	}
	defer report.Close()
	res, err := portfolio.ImportScan(r.Context(), h.Store, portfolio.ScanRequest{ReleaseID: id, FileName: name, Tool: q.Get("tool"), Scope: q.Get("scope"),
		Actor: identity.FromContext(r.Context()).Name, Report: report, Partial: partial})
	h.OnImport("scan", err)
	if err != nil {
		return err
	}
	h.Log.Info("scan imported", "release", id, "tool", res.Tool, "scope", res.Scope, "findings", res.Findings, "user", identity.FromContext(r.Context()).Name)
	h.gateAfter(r.Context(), id, "scan")
	web.WriteJSON(w, http.StatusOK, res)
	return nil
}

func (h handler) listScans(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	scans, err := h.Store.Scans(r.Context(), id)
	return reply(w, http.StatusOK, newPage(scans, ""), err)
}

// riskAcceptanceSetting is a product's maximum risk-acceptance duration.
type riskAcceptanceSetting struct {
	// MaxDays is the product's own maximum (0: the default).
	MaxDays int `json:"max_days"`
	// EffectiveDays is what applies: MaxDays, or the default of a year.
	EffectiveDays int `json:"effective_days"`
}

func (h handler) getRiskAcceptance(w http.ResponseWriter, r *http.Request) error {
	id := web.ProductID(r)
	days, err := h.Store.ProductMaxAcceptance(r.Context(), id)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, riskAcceptanceSetting{MaxDays: days, EffectiveDays: findings.EffectiveMaxAcceptance(days)})
	return nil
}

// putRiskAcceptance sets a product's maximum risk-acceptance duration
// (product owners and administrators: it bounds what editors may request).
func (h handler) putRiskAcceptance(w http.ResponseWriter, r *http.Request) error {
	id := web.ProductID(r)
	var in riskAcceptanceSetting
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	if _, err := portfolio.SetMaxAcceptance(r.Context(), h.Store, id, in.MaxDays); err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, riskAcceptanceSetting{MaxDays: in.MaxDays, EffectiveDays: findings.EffectiveMaxAcceptance(in.MaxDays)})
	return nil
}

func (h handler) listFindings(w http.ResponseWriter, r *http.Request) error {
	fq, err := web.FindingQuery(r)
	if err != nil {
		return err
	}
	items, next, err := h.Store.Findings(r.Context(), fq)
	return reply(w, http.StatusOK, newPage(items, next), err)
}

func (h handler) getFinding(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	d, err := portfolio.LoadFindingDetail(r.Context(), h.Store, id)
	return reply(w, http.StatusOK, d, err)
}

func (h handler) triage(w http.ResponseWriter, r *http.Request) error {
	var in portfolio.TriageInput
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	u, err := in.Update()
	if err != nil {
		return err
	}
	if err := portfolio.CheckFindingsWritable(r.Context(), h.Store, in.IDs); err != nil {
		return err
	}
	actor := identity.FromContext(r.Context()).Name
	if err := portfolio.ApplyTriage(r.Context(), h.Store, in, u, h.Now()); err != nil {
		return err
	}
	h.Log.Info("findings triaged", "user", actor, "count", len(in.IDs), "status", in.Status)
	web.WriteJSON(w, http.StatusOK, map[string]int{"updated": len(in.IDs)})
	return nil
}

func (h handler) putSLA(w http.ResponseWriter, r *http.Request) error {
	id := web.ProductID(r)
	var p findings.SLAPolicy
	if err := web.DecodeJSON(r, &p); err != nil {
		return err
	}
	if err := portfolio.SetSLA(r.Context(), h.Store, id, p); err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, p)
	return nil
}

// exportFindings writes every finding matching the filters as CSV, JSON or SARIF.
func (h handler) exportFindings(w http.ResponseWriter, r *http.Request) error {
	fq, err := web.FindingQuery(r)
	if err != nil {
		return err
	}
	all := []findings.Stored{} // an empty export is [], never null
	for {
		fq.Limit = paging.Max
		page, next, err := h.Store.Findings(r.Context(), fq)
		if err != nil {
			return err
		}
		all = append(all, page...)
		if next == "" || len(all) >= 200000 {
			break
		}
		fq.After = next
	}
	var buf bytes.Buffer
	format := r.URL.Query().Get("format")
	switch format {
	case "", "json":
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(&buf).Encode(map[string]any{"findings": all})
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="findings.csv"`)
		writeFindingsCSV(&buf, all)
	case "sarif":
		w.Header().Set("Content-Type", "application/sarif+json")
		err = findings.WriteSARIF(&buf, storedToFindings(all))
	default:
		return fault.Invalid("format", "format: must be json, csv or sarif")
	}
	if err != nil {
		return err
	}
	w.Write(buf.Bytes())
	return nil
}

func storedToFindings(all []findings.Stored) []findings.Finding {
	out := make([]findings.Finding, len(all))
	for i, f := range all {
		out[i] = f.Finding
	}
	return out
}

func writeFindingsCSV(buf *bytes.Buffer, all []findings.Stored) {
	cw := spreadsheet.NewWriter(buf) // every cell defused (formula injection)
	cw.Write([]string{"id", "product", "release", "scope", "status", "severity", "risk", "priority", "title", "rule_id", "vulnerability_ids", "cwes",
		"component", "component_version", "locations", "sla_due", "assignee", "first_seen", "last_seen", "fingerprint"})
	for _, f := range all {
		var locs, cwes []string
		for _, l := range f.Finding.Locations {
			switch {
			case l.File != "":
				locs = append(locs, fmt.Sprintf("%s:%d", l.File, l.Line))
			case l.URL != "":
				locs = append(locs, l.URL)
			default:
				locs = append(locs, fmt.Sprintf("%s:%d", l.Host, l.Port))
			}
		}
		for _, c := range f.Finding.CWEs {
			cwes = append(cwes, "CWE-"+strconv.Itoa(c))
		}
		due := ""
		if f.SLADue != nil {
			due = f.SLADue.Format("2006-01-02")
		}
		cw.Write([]string{strconv.FormatInt(f.ID, 10), f.ProductName, f.Release, f.Scope, string(f.Status), string(f.Finding.Severity),
			strconv.FormatFloat(f.Risk.Score, 'f', 1, 64), f.Risk.Priority, f.Finding.Title, f.Finding.RuleID,
			strings.Join(f.Finding.VulnerabilityIDs, " "), strings.Join(cwes, " "), f.Finding.Component.Name, f.Finding.Component.Version,
			strings.Join(locs, " "), due, f.Assignee, f.FirstSeen.Format(time.RFC3339), f.LastSeen.Format(time.RFC3339), f.Finding.Fingerprint})
	}
	cw.Flush()
}

// DedupSetting is which fields define a duplicate for a product.
type DedupSetting struct {
	// Fields from findings.DedupFields; empty means the fingerprint rules.
	Fields  []string `json:"fields"`
	Choices []string `json:"choices,omitempty"`
}

func (h handler) getDedup(w http.ResponseWriter, r *http.Request) error {
	id := web.ProductID(r)
	fields, err := h.Store.ProductDedup(r.Context(), id)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, DedupSetting{Fields: fields, Choices: findings.DedupFields})
	return nil
}

func (h handler) putDedup(w http.ResponseWriter, r *http.Request) error {
	id := web.ProductID(r)
	var in DedupSetting
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	if err := portfolio.SetDedup(r.Context(), h.Store, id, in.Fields); err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, DedupSetting{Fields: in.Fields})
	return nil
}
