package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/server/web"
	"github.com/rampart-security/rampart/internal/spreadsheet"
	"github.com/rampart-security/rampart/internal/store"
)

// findingRoutes are scanner imports, findings, triage and exports.
func (h handler) findingRoutes() []web.Route {
	return []web.Route{
		{Method: "POST", Pattern: "/api/v1/releases/{id}/scans", Product: web.ReleasePath(h.Store, "id"), Perm: identity.PermWrite, Scope: identity.ScopeFindingsWrite, MaxBody: h.MaxUpload, Handler: h.importScan},
		{Method: "GET", Pattern: "/api/v1/releases/{id}/scans", Product: web.ReleasePath(h.Store, "id"), Perm: identity.PermRead, Scope: identity.ScopeFindingsRead, Handler: h.listScans},
		{Method: "GET", Pattern: "/api/v1/findings", Need: identity.RoleViewer, Scope: identity.ScopeFindingsRead, Handler: h.listFindings},
		{Method: "GET", Pattern: "/api/v1/findings/export", Need: identity.RoleViewer, Scope: identity.ScopeFindingsRead, Handler: h.exportFindings},
		{Method: "GET", Pattern: "/api/v1/findings/{id}", Product: web.FindingPath(h.Store, "id"), Perm: identity.PermRead, Scope: identity.ScopeFindingsRead, Handler: h.getFinding},
		{Method: "POST", Pattern: "/api/v1/findings/triage", Need: identity.RoleViewer, Scope: identity.ScopeFindingsWrite, Handler: h.triage},
		{Method: "GET", Pattern: "/api/v1/products/{id}/sla", Product: web.ProductPath(h.Store, "id"), Perm: identity.PermRead, Scope: identity.ScopeProductsRead, Handler: getByID(h, h.Store.ProductSLA)},
		{Method: "PUT", Pattern: "/api/v1/products/{id}/sla", Product: web.ProductPath(h.Store, "id"), Perm: identity.PermWrite, Scope: identity.ScopeProductsWrite, Handler: h.putSLA},
		{Method: "GET", Pattern: "/api/v1/products/{id}/risk-acceptance", Product: web.ProductPath(h.Store, "id"), Perm: identity.PermRead, Scope: identity.ScopeProductsRead, Handler: h.getRiskAcceptance},
		{Method: "PUT", Pattern: "/api/v1/products/{id}/risk-acceptance", Product: web.ProductPath(h.Store, "id"), Perm: identity.PermManage, Scope: identity.ScopeProductsWrite, Handler: h.putRiskAcceptance},
		{Method: "GET", Pattern: "/api/v1/products/{id}/dedup", Product: web.ProductPath(h.Store, "id"), Perm: identity.PermRead, Scope: identity.ScopeProductsRead, Handler: h.getDedup},
		{Method: "PUT", Pattern: "/api/v1/products/{id}/dedup", Product: web.ProductPath(h.Store, "id"), Perm: identity.PermWrite, Scope: identity.ScopeProductsWrite, Handler: h.putDedup},
	}
}

func (h handler) importScan(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if _, err := h.Store.Release(r.Context(), id); err != nil {
		h.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	// Receive the whole report before the import starts its transaction.
	report, name, err := web.Upload(r, "", h.MaxUpload, "report")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	defer report.Close()
	res, err := portfolio.ImportScan(r.Context(), h.Store, portfolio.ScanRequest{ReleaseID: id, FileName: name, Tool: q.Get("tool"), Scope: q.Get("scope"),
		Actor: identity.FromContext(r.Context()).Name, Report: report})
	h.OnImport("scan", err)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.Log.Info("scan imported", "release", id, "tool", res.Tool, "scope", res.Scope, "findings", res.Findings, "user", identity.FromContext(r.Context()).Name)
	h.gateAfter(r.Context(), id, "scan")
	web.WriteJSON(w, http.StatusOK, res)
}

func (h handler) listScans(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	scans, err := h.Store.Scans(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, newPage(scans, ""))
}

// FindingQuery reads the findings filters shared by the API and the UI.
func FindingQuery(r *http.Request) (store.FindingQuery, error) {
	q := r.URL.Query()
	fq := store.FindingQuery{Status: q.Get("status"), Severity: findings.Severity(q.Get("severity")), Tool: q.Get("tool"), Assignee: q.Get("assignee"),
		Text: q.Get("q"), Sort: q.Get("sort"), After: q.Get("cursor"), KEV: q.Get("kev") == "true", Overdue: q.Get("sla") == "overdue"}
	for name, dst := range map[string]*int64{"product": &fq.ProductID, "release": &fq.ReleaseID} {
		if v := q.Get(name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return fq, &store.ValidationError{Field: name, Message: fmt.Sprintf("%q is not an id", v)}
			}
			*dst = n
		}
	}
	limit, err := web.QueryInt(r, "limit")
	fq.Limit = limit
	fq.Products = web.ReadableProducts(r) // only the caller's products (deny by default)
	return fq, err
}

// CheckFindingsWritable refuses a bulk change unless the caller may write
// every finding's product (404 for findings it cannot see).
func CheckFindingsWritable(r *http.Request, st *store.Store, ids []int64) error {
	p := identity.FromContext(r.Context())
	for _, id := range ids {
		pid, err := st.FindingProduct(r.Context(), id)
		if err != nil {
			return err
		}
		switch perm := p.ProductPermissions(pid); {
		case perm == 0:
			return fmt.Errorf("finding %d: %w", id, store.ErrNotFound)
		case perm&identity.PermWrite == 0:
			return forbidden(fmt.Sprintf("finding %d: your role on its product does not allow changes", id))
		}
	}
	return nil
}

// ApplyTriage applies a bulk change and records its audit events in one
// transaction (shared by the API and the UI).
func ApplyTriage(r *http.Request, st *store.Store, in TriageInput, u store.FindingUpdate) error {
	if in.Status == string(findings.StatusRiskAccepted) {
		if err := checkApprover(r.Context(), st, in, u); err != nil {
			return err
		}
	}
	return st.Atomic(r.Context(), func(ctx context.Context) error {
		if err := st.UpdateFindings(ctx, in.IDs, u, identity.FromContext(ctx).Name, time.Now().UTC()); err != nil {
			return err
		}
		return AuditTriage(r.WithContext(ctx), st, in)
	})
}

// checkApprover: a risk acceptance names a real, enabled user other than
// the requester who may approve risks (manage) on every product of the
// findings, and it expires within MaxAcceptance.
func checkApprover(ctx context.Context, st *store.Store, in TriageInput, u store.FindingUpdate) error {
	name := strings.TrimSpace(in.Approver)
	if name == "" {
		return fault.Invalid("approver", "a risk acceptance needs an approver: name the product owner or administrator who approved it")
	}
	approver, err := st.UserByName(ctx, name)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, fault.ErrNotFound) || (err == nil && approver.Disabled) {
		return fault.Invalid("approver", "%q is not an active Rampart user: name the product owner or administrator who approved the risk", name)
	}
	if err != nil {
		return err
	}
	if approver.ID == identity.FromContext(ctx).UserID {
		return fault.Invalid("approver", "you cannot approve your own risk acceptance: name another product owner or administrator")
	}
	members, err := st.Memberships(ctx, approver.ID)
	if err != nil {
		return err
	}
	p := &identity.Principal{UserID: approver.ID, Name: approver.Name, Role: approver.Role, AllProducts: !approver.ProductsOnly, Products: members}
	for _, id := range in.IDs {
		pid, err := st.FindingProduct(ctx, id)
		if err != nil {
			return err
		}
		if !p.Can(pid, identity.PermManage) {
			return fault.Invalid("approver", "%s may not approve risks on product %d: the approver must own the product or be an administrator", name, pid)
		}
		// Each product's maximum duration (the global year unless its
		// owner set a shorter one).
		days, err := st.ProductMaxAcceptance(ctx, pid)
		if err != nil {
			return err
		}
		limit := findings.AcceptanceDeadline(time.Now(), days)
		if t := u.Transition; t != nil && t.AcceptedUntil != nil && t.AcceptedUntil.After(limit) {
			return fault.Invalid("accepted_until", "risks on product %d may be accepted for at most %d days: choose %s or earlier",
				pid, findings.EffectiveMaxAcceptance(days), limit.Format("2006-01-02"))
		}
	}
	return nil
}

// riskAcceptanceSetting is a product's maximum risk-acceptance duration.
type riskAcceptanceSetting struct {
	// MaxDays is the product's own maximum (0: the default).
	MaxDays int `json:"max_days"`
	// EffectiveDays is what applies: MaxDays, or the default of a year.
	EffectiveDays int `json:"effective_days"`
}

func (h handler) getRiskAcceptance(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	days, err := h.Store.ProductMaxAcceptance(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, riskAcceptanceSetting{MaxDays: days, EffectiveDays: findings.EffectiveMaxAcceptance(days)})
}

// putRiskAcceptance sets a product's maximum risk-acceptance duration
// (product owners and administrators: it bounds what editors may request).
func (h handler) putRiskAcceptance(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in riskAcceptanceSetting
	if err := web.DecodeJSON(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	if _, err := SetMaxAcceptance(r, h.Store, id, in.MaxDays); err != nil {
		h.fail(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, riskAcceptanceSetting{MaxDays: in.MaxDays, EffectiveDays: findings.EffectiveMaxAcceptance(in.MaxDays)})
}

// SetMaxAcceptance stores a product's maximum risk-acceptance duration and
// audits the change (product.risk_acceptance_max) with the old and new
// value; shared by the API and the UI. It returns the old value.
func SetMaxAcceptance(r *http.Request, st *store.Store, productID int64, days int) (int, error) {
	old, err := st.ProductMaxAcceptance(r.Context(), productID)
	if err != nil {
		return 0, err
	}
	if err := st.SetProductMaxAcceptance(r.Context(), productID, days); err != nil {
		return 0, err
	}
	return old, audit.Record(r.Context(), st, audit.Event{Action: audit.ActionMaxAcceptance, Object: fmt.Sprintf("product %d", productID), ProductID: productID,
		Detail: fmt.Sprintf("max_days %d -> %d", old, days)})
}

// AuditTriage records a bulk change, one event per product; accepting a
// risk is its own action ("finding.risk_accepted").
func AuditTriage(r *http.Request, st *store.Store, in TriageInput) error {
	byProduct := map[int64][]string{}
	var order []int64
	for _, id := range in.IDs {
		pid, err := st.FindingProduct(r.Context(), id)
		if err != nil {
			return err
		}
		if _, ok := byProduct[pid]; !ok {
			order = append(order, pid)
		}
		byProduct[pid] = append(byProduct[pid], strconv.FormatInt(id, 10))
	}
	action := "finding.triage"
	if in.Status == string(findings.StatusRiskAccepted) {
		action = "finding.risk_accepted"
	}
	detail := strings.TrimSpace(fmt.Sprintf("status %s; reason %q; accepted until %s; approver %s; comment %q", in.Status, in.Reason, in.AcceptedUntil, in.Approver, in.Comment))
	if in.Assignee != nil {
		detail += fmt.Sprintf("; assignee %q", *in.Assignee)
		if in.Status == "" {
			action = "finding.assign"
		}
	}
	for _, pid := range order {
		if err := audit.Record(r.Context(), st, audit.Event{Action: action, Object: "findings " + strings.Join(byProduct[pid], ","), ProductID: pid, Detail: detail}); err != nil {
			return err
		}
	}
	return nil
}

type forbidden string

func (e forbidden) Error() string { return string(e) }
func (forbidden) HTTPStatus() int { return http.StatusForbidden }

func (h handler) listFindings(w http.ResponseWriter, r *http.Request) {
	fq, err := FindingQuery(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	items, next, err := h.Store.Findings(r.Context(), fq)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, newPage(items, next))
}

// FindingDetail is a finding with its history.
type FindingDetail struct {
	store.StoredFinding
	History []store.FindingEvent `json:"history"`
}

func (h handler) getFinding(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	f, err := h.Store.Finding(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	hist, err := h.Store.FindingHistory(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, FindingDetail{f, hist})
}

// TriageInput is a bulk triage action.
type TriageInput struct {
	IDs           []int64 `json:"ids"`
	Status        string  `json:"status,omitempty"`
	Reason        string  `json:"reason,omitempty"`
	AcceptedUntil string  `json:"accepted_until,omitempty"` // YYYY-MM-DD, for risk_accepted
	Approver      string  `json:"approver,omitempty"`
	Assignee      *string `json:"assignee,omitempty"`
	Comment       string  `json:"comment,omitempty"`
}

// Update turns the input into a store update.
func (in TriageInput) Update() (store.FindingUpdate, error) {
	u := store.FindingUpdate{Assignee: in.Assignee, Comment: in.Comment}
	if in.Status != "" {
		t := findings.Transition{To: findings.Status(in.Status), Reason: strings.TrimSpace(in.Reason), Approver: strings.TrimSpace(in.Approver)}
		until, err := ParseDate("accepted_until", in.AcceptedUntil)
		if err != nil {
			return u, err
		}
		t.AcceptedUntil = until
		u.Transition = &t
	}
	if u.Transition == nil && u.Assignee == nil && strings.TrimSpace(u.Comment) == "" {
		return u, &store.ValidationError{Field: "status", Message: "nothing to do: give a status, an assignee or a comment"}
	}
	return u, nil
}

func (h handler) triage(w http.ResponseWriter, r *http.Request) {
	var in TriageInput
	if err := web.DecodeJSON(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	u, err := in.Update()
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := CheckFindingsWritable(r, h.Store, in.IDs); err != nil {
		h.fail(w, r, err)
		return
	}
	actor := identity.FromContext(r.Context()).Name
	if err := ApplyTriage(r, h.Store, in, u); err != nil {
		h.fail(w, r, err)
		return
	}
	h.Log.Info("findings triaged", "user", actor, "count", len(in.IDs), "status", in.Status)
	web.WriteJSON(w, http.StatusOK, map[string]int{"updated": len(in.IDs)})
}

func (h handler) putSLA(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var p findings.SLAPolicy
	if err := web.DecodeJSON(r, &p); err != nil {
		h.fail(w, r, err)
		return
	}
	old, err := h.Store.ProductSLA(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.Store.SetProductSLA(r.Context(), id, p); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := audit.Record(r.Context(), h.Store, audit.Event{Action: audit.ActionSLAChange, Object: fmt.Sprintf("product %d", id), ProductID: id,
		Detail: "from " + slaText(old) + " to " + slaText(p)}); err != nil {
		h.fail(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, p)
}

// slaText is an SLA policy for the audit trail ("critical 7d, high 30d, …").
func slaText(p findings.SLAPolicy) string {
	return fmt.Sprintf("critical %dd, high %dd, medium %dd, low %dd, info %dd", p.Critical, p.High, p.Medium, p.Low, p.Info)
}

// exportFindings writes every finding matching the filters as CSV, JSON or SARIF.
func (h handler) exportFindings(w http.ResponseWriter, r *http.Request) {
	fq, err := FindingQuery(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	all := []store.StoredFinding{} // an empty export is [], never null
	for {
		fq.Limit = store.MaxLimit
		page, next, err := h.Store.Findings(r.Context(), fq)
		if err != nil {
			h.fail(w, r, err)
			return
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
		h.fail(w, r, &store.ValidationError{Field: "format", Message: "must be json, csv or sarif"})
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Write(buf.Bytes())
}

func storedToFindings(all []store.StoredFinding) []findings.Finding {
	out := make([]findings.Finding, len(all))
	for i, f := range all {
		out[i] = f.Finding
	}
	return out
}

func writeFindingsCSV(buf *bytes.Buffer, all []store.StoredFinding) {
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

func (h handler) getDedup(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	fields, err := h.Store.ProductDedup(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, DedupSetting{Fields: fields, Choices: findings.DedupFields})
}

func (h handler) putDedup(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in DedupSetting
	if err := web.DecodeJSON(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.Store.SetProductDedup(r.Context(), id, in.Fields); err != nil {
		h.fail(w, r, err)
		return
	}
	h.audit(r, audit.Event{Action: "product.dedup", Object: fmt.Sprintf("product %d", id), ProductID: id, Detail: strings.Join(in.Fields, ",")})
	web.WriteJSON(w, http.StatusOK, DedupSetting{Fields: in.Fields})
}
