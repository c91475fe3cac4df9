package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/incident"
	"github.com/rampart-security/rampart/internal/portfolio"
)

// Request decoding and response helpers shared by the API and the UI:
// list filters read from query parameters (always limited to the caller's
// products), the session cookie, the audit export and the incident
// resolver.

// SetSessionCookie sets the session cookie: HttpOnly, SameSite=Lax, Secure under TLS.
func SetSessionCookie(w http.ResponseWriter, value string, secure bool, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: value, Path: "/", HttpOnly: true, Secure: secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int(maxAge.Seconds())})
}

// AuditQuery builds the audit filter from query parameters, restricted to
// the products whose audit trail the caller may read (all for admins).
func AuditQuery(r *http.Request) (audit.Query, error) {
	q := r.URL.Query()
	aq := audit.Query{Action: q.Get("action"), Actor: q.Get("actor")}
	var err error
	if s := q.Get("product"); s != "" {
		var id int64
		if _, err := fmt.Sscan(s, &id); err != nil || id <= 0 {
			return aq, fault.Invalid("", "query parameter product: %q is not a product id", s)
		}
		aq.Product = id
	}
	if s := q.Get("since"); s != "" {
		if aq.Since, err = time.Parse("2006-01-02", s); err != nil {
			return aq, fault.Invalid("", "query parameter since: %q is not a date in YYYY-MM-DD form", s)
		}
	}
	if aq.Limit, err = QueryInt(r, "limit"); err != nil {
		return aq, err
	}
	if n, err := QueryInt(r, "before"); err == nil {
		aq.Before = int64(n)
	}
	ids, all := identity.FromContext(r.Context()).VisibleProducts(identity.PermAudit)
	if !all {
		aq.Products = ids
	}
	return aq, nil
}

// WriteAuditJSONL writes events as JSON lines (oldest first), with the hash
// chain fields so an export can be verified offline.
func WriteAuditJSONL(w http.ResponseWriter, events []audit.Event) {
	w.Header().Set("Content-Type", "application/jsonl")
	w.Header().Set("Content-Disposition", `attachment; filename="rampart-audit.jsonl"`)
	enc := json.NewEncoder(w)
	for i := len(events) - 1; i >= 0; i-- {
		_ = enc.Encode(events[i])
	}
}

// OverviewQuery reads the portfolio vulnerability list's query
// parameters (shared by the API and the page): severity, kev, epss_above,
// product, release_status, vex, fix_available, q, sort, order, cursor,
// limit. The list is limited to the caller's products.
func OverviewQuery(r *http.Request) (portfolio.OverviewQuery, error) {
	v := r.URL.Query()
	q := portfolio.OverviewQuery{Products: ReadableProducts(r), ReleaseStatus: v.Get("release_status"), Severity: v.Get("severity"),
		VEX: v.Get("vex"), Search: v.Get("q"), Sort: v.Get("sort"), Desc: v.Get("order") == "desc", Cursor: v.Get("cursor")}
	var err error
	if q.KEV, err = queryBool(v.Get("kev"), "kev"); err != nil {
		return q, err
	}
	if s := v.Get("fix_available"); s != "" {
		b, err := queryBool(s, "fix_available")
		if err != nil {
			return q, err
		}
		q.FixAvailable = &b
	}
	if s := v.Get("epss_above"); s != "" {
		if q.EPSSAbove, err = strconv.ParseFloat(s, 64); err != nil {
			return q, fault.Invalid("epss_above", "%q is not a number between 0 and 1", s)
		}
	}
	if s := v.Get("product"); s != "" {
		if q.ProductID, err = strconv.ParseInt(s, 10, 64); err != nil || q.ProductID <= 0 {
			return q, fault.Invalid("product", "%q is not a product id", s)
		}
	}
	if q.Limit, err = QueryInt(r, "limit"); err != nil {
		return q, err
	}
	return q, nil
}

func queryBool(s, field string) (bool, error) {
	switch s {
	case "", "false", "0":
		return false, nil
	case "true", "1":
		return true, nil
	}
	return false, fault.Invalid(field, "%q: want true or false", s)
}

// FindingQuery reads the findings filters shared by the API and the UI.
func FindingQuery(r *http.Request) (findings.Query, error) {
	q := r.URL.Query()
	fq := findings.Query{Status: q.Get("status"), Severity: findings.Severity(q.Get("severity")), Tool: q.Get("tool"), Assignee: q.Get("assignee"),
		Text: q.Get("q"), Sort: q.Get("sort"), After: q.Get("cursor"), KEV: q.Get("kev") == "true", Overdue: q.Get("sla") == "overdue"}
	for name, dst := range map[string]*int64{"product": &fq.ProductID, "release": &fq.ReleaseID} {
		if v := q.Get(name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return fq, fault.Invalid(name, "%s: %q is not an id", name, v)
			}
			*dst = n
		}
	}
	limit, err := QueryInt(r, "limit")
	fq.Limit = limit
	fq.Products = ReadableProducts(r) // only the caller's products (deny by default)
	return fq, err
}

// IncidentPath resolves an incident id path parameter to its first product.
func IncidentPath(svc func() *incident.Service, name string) ProductResolver {
	return func(r *http.Request) (int64, error) {
		id, err := PathID(r, name)
		if err != nil {
			return 0, err
		}
		inc, err := svc().Get(r.Context(), id)
		if err != nil {
			return 0, err
		}
		if len(inc.Products) == 0 {
			return 0, fault.NotFound("incident %d has no product", id)
		}
		return inc.Products[0], nil
	}
}

// IntakeMaxBody bounds an intake request: the text limits plus a base64
// attachment of incident.MaxIntakeAttachment.
const IntakeMaxBody = incident.MaxIntakeAttachment*4/3 + 64<<10
