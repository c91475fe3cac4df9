package ui

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/identity/accounts"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/server/web"
)

// adminRoutes are user administration and the audit log.
func (h *handler) adminRoutes() []web.Route {
	return []web.Route{
		{Method: "GET", Pattern: "/admin/users", Need: identity.RoleAdmin, Do: h.users},
		{Method: "POST", Pattern: "/admin/users/invite", Need: identity.RoleAdmin, Do: h.invite},
		{Method: "POST", Pattern: "/admin/users/{id}", Need: identity.RoleAdmin, Do: h.updateUser},
		{Method: "POST", Pattern: "/admin/users/{id}/products", Need: identity.RoleAdmin, Do: h.setMember},
		{Method: "POST", Pattern: "/admin/users/{id}/products/{product}/remove", Need: identity.RoleAdmin, Do: h.removeMember},
		{Method: "POST", Pattern: "/admin/security", Need: identity.RoleAdmin, Do: h.security},
		{Method: "GET", Pattern: "/audit", Perm: identity.PermAudit, Do: h.auditLog},
		{Method: "GET", Pattern: "/audit/export", Perm: identity.PermAudit, Do: h.auditExport},
	}
}

type usersData struct {
	Users      []identity.User
	Members    map[int64][]identity.Member
	Products   []inventory.Product
	InviteURL  string
	RequireMFA string
}

func (h *handler) users(w http.ResponseWriter, r *http.Request) error {
	return h.renderUsers(w, r, view{Flash: r.URL.Query().Get("flash")}, "")
}

func (h *handler) renderUsers(w http.ResponseWriter, r *http.Request, v view, invite string) error {
	ctx := r.Context()
	d := usersData{Members: map[int64][]identity.Member{}, InviteURL: invite}
	var err error
	if d.Users, err = h.Store.Users(ctx); err != nil {
		return err
	}
	ms, err := h.Store.Members(ctx, 0, 0)
	if err != nil {
		return err
	}
	for _, m := range ms {
		d.Members[m.UserID] = append(d.Members[m.UserID], m)
	}
	if d.Products, _, err = h.Store.ProductsIn(ctx, nil, "", 500); err != nil {
		return err
	}
	if d.RequireMFA, err = h.Store.Setting(ctx, accounts.SettingRequireMFA); err != nil {
		return err
	}
	v.Title, v.Nav, v.Data = "Users", "users", d
	status := http.StatusOK
	if v.Error != "" {
		status = http.StatusBadRequest
	}
	h.render(w, r, status, "users", v)
	return nil
}

func (h *handler) invite(w http.ResponseWriter, r *http.Request) error {
	link, err := h.Accounts.Invite(r.Context(), identity.Role(r.PostFormValue("role")))
	if err != nil {
		return h.renderUsers(w, r, view{Error: err.Error()}, "")
	}
	scheme := "http"
	if r.TLS != nil || h.SecureCookies {
		scheme = "https"
	}
	return h.renderUsers(w, r, view{Flash: "Invitation created. Send this one-time link to the new user; it works once, for 7 days."}, scheme+"://"+r.Host+link)
}

func (h *handler) updateUser(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	var u identity.UserUpdate
	if v := r.PostFormValue("role"); v != "" {
		role := identity.Role(v)
		u.Role = &role
	}
	if v := r.PostFormValue("disabled"); v != "" {
		b := v == "true"
		u.Disabled = &b
	}
	if v := r.PostFormValue("all_products"); v != "" {
		b := v == "true"
		u.AllProducts = &b
	}
	if err := h.Accounts.UpdateUser(r.Context(), id, u); err != nil {
		if web.Status(err) >= 500 {
			return err
		}
		return h.renderUsers(w, r, view{Error: err.Error()}, "")
	}
	redirectFlash(w, r, "/admin/users", "User updated.")
	return nil
}

func (h *handler) setMember(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	pid, err := formNumber(r, "product")
	if err == nil {
		err = h.Accounts.SetMember(r.Context(), pid, id, identity.ProductRole(r.PostFormValue("role")))
	}
	if err != nil {
		if web.Status(err) >= 500 {
			return err
		}
		return h.renderUsers(w, r, view{Error: "Could not set the product role: " + err.Error()}, "")
	}
	redirectFlash(w, r, "/admin/users", "Product role saved.")
	return nil
}

func (h *handler) removeMember(w http.ResponseWriter, r *http.Request) error {
	id, pid, err := web.PathIDs(r, "id", "product")
	if err != nil {
		return err
	}
	return replyFlash(w, r, "/admin/users", "Product role removed.", h.Accounts.RemoveMember(r.Context(), pid, id))
}

func (h *handler) security(w http.ResponseWriter, r *http.Request) error {
	_ = r.ParseForm()
	if err := h.Accounts.SetRequireMFA(r.Context(), strings.Join(r.PostForm["require_mfa"], ",")); err != nil {
		return h.renderUsers(w, r, view{Error: err.Error()}, "")
	}
	redirectFlash(w, r, "/admin/users", "Security settings saved.")
	return nil
}

type auditData struct {
	Events  []auditRow
	Action  string
	Actor   string
	Product string
	Next    int64
	Export  string
}

func (h *handler) auditLog(w http.ResponseWriter, r *http.Request) error {
	aq, err := web.AuditQuery(r)
	if err != nil {
		return err
	}
	aq.Limit = 100
	events, err := h.Store.AuditEvents(r.Context(), aq)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	d := auditData{Events: h.auditRows(r, events), Action: q.Get("action"), Actor: q.Get("actor"), Product: q.Get("product")}
	if len(events) == aq.Limit {
		d.Next = events[len(events)-1].Seq
	}
	exp := url.Values{}
	for _, k := range []string{"action", "actor", "product"} {
		if v := q.Get(k); v != "" {
			exp.Set(k, v)
		}
	}
	d.Export = "/audit/export?" + exp.Encode()
	h.render(w, r, http.StatusOK, "audit", view{Title: "Audit log", Nav: "audit", Data: d})
	return nil
}

func (h *handler) auditExport(w http.ResponseWriter, r *http.Request) error {
	aq, err := web.AuditQuery(r)
	if err != nil {
		return err
	}
	aq.Limit = -1
	events, err := h.Store.AuditEvents(r.Context(), aq)
	if err != nil {
		return err
	}
	web.WriteAuditJSONL(w, events)
	return nil
}

func (h *handler) inviteForm(w http.ResponseWriter, r *http.Request) error {
	h.linkForm(w, r, accounts.LinkInvite, "Join Rampart", view{Title: "Invitation not valid",
		Error: "This invitation link was already used or has expired. Ask an administrator for a new one."})
	return nil
}

func (h *handler) acceptInvite(w http.ResponseWriter, r *http.Request) error {
	return h.linkCreate(w, r, accounts.LinkInvite, "Join Rampart", h.Accounts.AcceptInvite)
}

// auditRow is an audit event as the audit page shows it: the object's
// references to releases, products, users, incidents and exceptions become
// their names, linked to their pages (the stored event, hash-chained, keeps
// the ids).
type auditRow struct {
	audit.Event
	Object      []auditSeg
	ProductName string
}

type auditSeg struct{ Text, Href string }

var auditRef = regexp.MustCompile(`\b(release|product|user|incident|exception)[ :](\d+)\b`)

func (h *handler) auditRows(r *http.Request, events []audit.Event) []auditRow {
	ctx := r.Context()
	admin := identity.FromContext(ctx).Role == identity.RoleAdmin
	names := map[string]auditSeg{}
	resolve := func(kind string, id int64, productID int64) (auditSeg, bool) {
		key := fmt.Sprintf("%s:%d", kind, id)
		if s, ok := names[key]; ok {
			return s, s.Text != ""
		}
		var s auditSeg
		switch kind {
		case "release":
			if rel, err := h.Store.Release(ctx, id); err == nil {
				name := rel.ProductName
				if name == "" {
					if p, err := h.Store.Product(ctx, rel.ProductID); err == nil {
						name = p.Name
					}
				}
				s = auditSeg{Text: strings.TrimSpace(name + " " + rel.Version), Href: fmt.Sprintf("/releases/%d", id)}
			}
		case "product":
			if p, err := h.Store.Product(ctx, id); err == nil {
				s = auditSeg{Text: p.Name, Href: fmt.Sprintf("/products/%d", id)}
			}
		case "user":
			if u, err := h.Store.UserByID(ctx, id); err == nil {
				s = auditSeg{Text: u.Name}
				if admin {
					s.Href = "/admin/users"
				}
			}
		case "incident":
			if _, err := h.Store.Incident(ctx, id); err == nil {
				s = auditSeg{Text: fmt.Sprintf("incident %d", id), Href: fmt.Sprintf("/incidents/%d", id)}
			}
		case "exception":
			if productID != 0 {
				s = auditSeg{Text: fmt.Sprintf("exception %d", id), Href: fmt.Sprintf("/products/%d#policy", productID)}
			}
		}
		names[key] = s
		return s, s.Text != ""
	}
	rows := make([]auditRow, len(events))
	for i, e := range events {
		row := auditRow{Event: e}
		if e.ProductID != 0 {
			if s, ok := resolve("product", e.ProductID, 0); ok {
				row.ProductName = s.Text
			}
		}
		rest := e.Object
		for _, m := range auditRef.FindAllStringSubmatchIndex(e.Object, -1) {
			id, err := strconv.ParseInt(e.Object[m[4]:m[5]], 10, 64)
			if err != nil {
				continue
			}
			s, ok := resolve(e.Object[m[2]:m[3]], id, e.ProductID)
			if !ok {
				continue
			}
			done := len(e.Object) - len(rest)
			row.Object = append(row.Object, auditSeg{Text: e.Object[done:m[0]]}, s)
			rest = e.Object[m[1]:]
		}
		if rest != "" {
			row.Object = append(row.Object, auditSeg{Text: rest})
		}
		rows[i] = row
	}
	return rows
}
