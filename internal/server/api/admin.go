package api

import (
	"net/http"

	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/identity/accounts"
	"github.com/rampart-security/rampart/internal/server/web"
)

// adminRoutes are users, invitations, security settings and the audit log.
func (h handler) adminRoutes() []web.Route {
	return []web.Route{
		{Method: "GET", Pattern: "/api/v1/users", Need: identity.RoleAdmin, Scope: identity.ScopeAdmin, Do: h.listUsers},
		{Method: "POST", Pattern: "/api/v1/users", Need: identity.RoleAdmin, Scope: identity.ScopeAdmin, Do: h.createUser},
		{Method: "PATCH", Pattern: "/api/v1/users/{id}", Need: identity.RoleAdmin, Scope: identity.ScopeAdmin, Do: h.updateUser},
		{Method: "POST", Pattern: "/api/v1/invitations", Need: identity.RoleAdmin, Scope: identity.ScopeAdmin, Do: h.invite},
		{Method: "GET", Pattern: "/api/v1/settings/security", Need: identity.RoleAdmin, Scope: identity.ScopeAdmin, Do: h.getSecurity},
		{Method: "PUT", Pattern: "/api/v1/settings/security", Need: identity.RoleAdmin, Scope: identity.ScopeAdmin, Do: h.putSecurity},
		{Method: "GET", Pattern: "/api/v1/audit", Perm: identity.PermAudit, Scope: identity.ScopeAuditRead, Do: h.listAudit},
	}
}

func (h handler) updateUser(w http.ResponseWriter, r *http.Request) error {
	id, in, err := web.PathIDAndJSON[identity.UserUpdate](r, "id")
	if err != nil {
		return err
	}
	if err := h.Accounts.UpdateUser(r.Context(), id, in); err != nil {
		return err
	}
	u, err := h.Store.UserByID(r.Context(), id)
	if err != nil {
		return err
	}
	u.PasswordHash, u.TOTPSecret = "", ""
	web.WriteJSON(w, http.StatusOK, u)
	return nil
}

type inviteInput struct {
	Role identity.Role `json:"role"`
}

func (h handler) invite(w http.ResponseWriter, r *http.Request) error {
	var in inviteInput
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	link, err := h.Accounts.Invite(r.Context(), in.Role)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusCreated, map[string]any{"path": link, "expires_in_hours": int(accounts.InviteTTL.Hours())})
	return nil
}

type securitySettings struct {
	// RequireMFA: "" (nobody), "all", or comma-separated roles.
	RequireMFA string `json:"require_mfa"`
}

func (h handler) getSecurity(w http.ResponseWriter, r *http.Request) error {
	v, err := h.Store.Setting(r.Context(), accounts.SettingRequireMFA)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, securitySettings{RequireMFA: v})
	return nil
}

func (h handler) putSecurity(w http.ResponseWriter, r *http.Request) error {
	var in securitySettings
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	if err := h.Accounts.SetRequireMFA(r.Context(), in.RequireMFA); err != nil {
		return err
	}
	return h.getSecurity(w, r)
}

func (h handler) listMembers(w http.ResponseWriter, r *http.Request) error {
	id := web.ProductID(r)
	ms, err := h.Store.Members(r.Context(), id, 0)
	return reply(w, http.StatusOK, newPage(ms, ""), err)
}

type memberInput struct {
	Role identity.ProductRole `json:"role"`
}

func (h handler) setMember(w http.ResponseWriter, r *http.Request) error {
	id := web.ProductID(r)
	uid, in, err := web.PathIDAndJSON[memberInput](r, "user")
	if err != nil {
		return err
	}
	return noContent(w, h.Accounts.SetMember(r.Context(), id, uid, in.Role))
}

func (h handler) removeMember(w http.ResponseWriter, r *http.Request) error {
	id := web.ProductID(r)
	uid, err := web.PathID(r, "user")
	if err != nil {
		return err
	}
	return noContent(w, h.Accounts.RemoveMember(r.Context(), id, uid))
}

func (h handler) listAudit(w http.ResponseWriter, r *http.Request) error {
	aq, err := web.AuditQuery(r)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("format") == "jsonl" {
		aq.Limit = -1
	}
	events, err := h.Store.AuditEvents(r.Context(), aq)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("format") == "jsonl" {
		web.WriteAuditJSONL(w, events)
		return nil
	}
	web.WriteJSON(w, http.StatusOK, newPage(events, ""))
	return nil
}
