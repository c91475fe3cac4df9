package ui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/server/api"
	"github.com/rampart-security/rampart/internal/server/web"
	"github.com/rampart-security/rampart/internal/store"
)

// adminRoutes are user administration and the audit log.
func (h *handler) adminRoutes() []web.Route {
	return []web.Route{
		{Method: "GET", Pattern: "/admin/users", Need: identity.RoleAdmin, Handler: h.users},
		{Method: "POST", Pattern: "/admin/users/invite", Need: identity.RoleAdmin, Handler: h.invite},
		{Method: "POST", Pattern: "/admin/users/{id}", Need: identity.RoleAdmin, Handler: h.updateUser},
		{Method: "POST", Pattern: "/admin/users/{id}/products", Need: identity.RoleAdmin, Handler: h.setMember},
		{Method: "POST", Pattern: "/admin/users/{id}/products/{product}/remove", Need: identity.RoleAdmin, Handler: h.removeMember},
		{Method: "POST", Pattern: "/admin/security", Need: identity.RoleAdmin, Handler: h.security},
		{Method: "GET", Pattern: "/audit", Perm: identity.PermAudit, Handler: h.auditLog},
		{Method: "GET", Pattern: "/audit/export", Perm: identity.PermAudit, Handler: h.auditExport},
	}
}

type usersData struct {
	Users      []identity.User
	Members    map[int64][]store.Member
	Products   []inventory.Product
	InviteURL  string
	RequireMFA string
}

func (h *handler) users(w http.ResponseWriter, r *http.Request) {
	h.renderUsers(w, r, view{Flash: r.URL.Query().Get("flash")}, "")
}

func (h *handler) renderUsers(w http.ResponseWriter, r *http.Request, v view, invite string) {
	ctx := r.Context()
	d := usersData{Members: map[int64][]store.Member{}, InviteURL: invite}
	var err error
	if d.Users, err = h.Store.Users(ctx); err != nil {
		h.fail(w, r, err)
		return
	}
	ms, err := h.Store.Members(ctx, 0, 0)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for _, m := range ms {
		d.Members[m.UserID] = append(d.Members[m.UserID], m)
	}
	if d.Products, _, err = h.Store.ProductsIn(ctx, nil, "", 500); err != nil {
		h.fail(w, r, err)
		return
	}
	if d.RequireMFA, err = h.Store.Setting(ctx, api.SettingRequireMFA); err != nil {
		h.fail(w, r, err)
		return
	}
	v.Title, v.Nav, v.Data = "Users", "users", d
	status := http.StatusOK
	if v.Error != "" {
		status = http.StatusBadRequest
	}
	h.render(w, r, status, "users", v)
}

func (h *handler) invite(w http.ResponseWriter, r *http.Request) {
	link, err := api.Invite(r, h.Store, identity.Role(r.PostFormValue("role")))
	if err != nil {
		h.renderUsers(w, r, view{Error: err.Error()}, "")
		return
	}
	scheme := "http"
	if r.TLS != nil || h.SecureCookies {
		scheme = "https"
	}
	h.renderUsers(w, r, view{Flash: "Invitation created. Send this one-time link to the new user; it works once, for 7 days."}, scheme+"://"+r.Host+link)
}

func (h *handler) updateUser(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var u store.UserUpdate
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
	if err := api.UpdateUser(r, h.Store, id, u); err != nil {
		if web.Status(err) >= 500 {
			h.fail(w, r, err)
			return
		}
		h.renderUsers(w, r, view{Error: err.Error()}, "")
		return
	}
	http.Redirect(w, r, "/admin/users?flash="+url.QueryEscape("User updated."), http.StatusSeeOther)
}

func (h *handler) setMember(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	pid, _ := strconv.ParseInt(r.PostFormValue("product"), 10, 64)
	if err := api.SetMember(r, h.Store, pid, id, identity.ProductRole(r.PostFormValue("role"))); err != nil {
		if web.Status(err) >= 500 {
			h.fail(w, r, err)
			return
		}
		h.renderUsers(w, r, view{Error: "Could not set the product role: " + err.Error()}, "")
		return
	}
	http.Redirect(w, r, "/admin/users?flash="+url.QueryEscape("Product role saved."), http.StatusSeeOther)
}

func (h *handler) removeMember(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	pid, err := web.PathID(r, "product")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := audit.Change(r.Context(), h.Store, func(ctx context.Context) (audit.Event, error) {
		err := h.Store.RemoveMember(ctx, pid, id)
		return audit.Event{Action: audit.ActionMemberRemove, Object: fmt.Sprintf("user %d", id), ProductID: pid}, err
	}); err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/users?flash="+url.QueryEscape("Product role removed."), http.StatusSeeOther)
}

func (h *handler) security(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	if err := api.SetRequireMFA(r, h.Store, strings.Join(r.PostForm["require_mfa"], ",")); err != nil {
		h.renderUsers(w, r, view{Error: err.Error()}, "")
		return
	}
	http.Redirect(w, r, "/admin/users?flash="+url.QueryEscape("Security settings saved."), http.StatusSeeOther)
}

type auditData struct {
	Events  []audit.Event
	Action  string
	Actor   string
	Product string
	Next    int64
	Export  string
}

func (h *handler) auditLog(w http.ResponseWriter, r *http.Request) {
	aq, err := api.AuditQuery(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	aq.Limit = 100
	events, err := h.Store.AuditEvents(r.Context(), aq)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	d := auditData{Events: events, Action: q.Get("action"), Actor: q.Get("actor"), Product: q.Get("product")}
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
}

func (h *handler) auditExport(w http.ResponseWriter, r *http.Request) {
	aq, err := api.AuditQuery(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	aq.Limit = -1
	events, err := h.Store.AuditEvents(r.Context(), aq)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	api.WriteAuditJSONL(w, events)
}

func (h *handler) inviteForm(w http.ResponseWriter, r *http.Request) {
	tok := r.URL.Query().Get("token")
	if !h.Store.ValidSetupToken(r.Context(), tok, "invite") {
		h.render(w, r, http.StatusNotFound, "error", view{Title: "Invitation not valid",
			Error: "This invitation link was already used or has expired. Ask an administrator for a new one."})
		return
	}
	h.render(w, r, http.StatusOK, "invite", view{Title: "Join Rampart", CSRF: h.preCSRF(w, r), Data: map[string]string{"Token": tok}})
}

func (h *handler) acceptInvite(w http.ResponseWriter, r *http.Request) {
	tok := r.PostFormValue("token")
	name, pw := strings.TrimSpace(r.PostFormValue("name")), r.PostFormValue("password")
	data := map[string]string{"Token": tok, "Name": name}
	fail := func(status int, msg string) {
		h.render(w, r, status, "invite", view{Title: "Join Rampart", CSRF: h.preCSRF(w, r), Error: msg, Data: data})
	}
	switch {
	case !checkPreCSRF(r):
		fail(http.StatusForbidden, "Your form expired. Please try again.")
		return
	case name == "":
		fail(http.StatusBadRequest, "Choose a user name.")
		return
	case pw != r.PostFormValue("confirm"):
		fail(http.StatusBadRequest, "The two passwords differ.")
		return
	}
	if err := identity.CheckPassword(pw, name); err != nil {
		fail(http.StatusBadRequest, err.Error())
		return
	}
	hash, err := identity.HashPasswordContext(r.Context(), pw)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	u := identity.User{Name: name, PasswordHash: hash}
	if err := audit.Change(r.Context(), h.Store, func(ctx context.Context) (audit.Event, error) {
		err := h.Store.AcceptInvite(ctx, tok, &u)
		return audit.Event{Action: audit.ActionUserCreate, Actor: name, Object: "user " + name, Detail: "accepted invitation, role " + string(u.Role)}, err
	}); err != nil {
		if errors.Is(err, store.ErrConflict) {
			fail(http.StatusConflict, "That user name is taken; choose another.")
			return
		}
		fail(web.Status(err), err.Error())
		return
	}
	cookie, _, err := h.Store.CreateSession(r.Context(), u.ID, web.ClientIP(r), r.UserAgent())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	api.SetSessionCookie(w, cookie, h.SecureCookies, h.Store.SessionAbsoluteLifetime())
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
