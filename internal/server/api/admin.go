package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/server/web"
	"github.com/rampart-security/rampart/internal/store"
)

// SettingRequireMFA names the setting that requires a second factor: ""
// (nobody), "all", or a comma-separated list of global and product roles.
const SettingRequireMFA = "require_mfa"

// adminRoutes are users, invitations, security settings and the audit log.
func (h handler) adminRoutes() []web.Route {
	return []web.Route{
		{Method: "GET", Pattern: "/api/v1/users", Need: identity.RoleAdmin, Scope: identity.ScopeAdmin, Handler: h.listUsers},
		{Method: "POST", Pattern: "/api/v1/users", Need: identity.RoleAdmin, Scope: identity.ScopeAdmin, Handler: h.createUser},
		{Method: "PATCH", Pattern: "/api/v1/users/{id}", Need: identity.RoleAdmin, Scope: identity.ScopeAdmin, Handler: h.updateUser},
		{Method: "POST", Pattern: "/api/v1/invitations", Need: identity.RoleAdmin, Scope: identity.ScopeAdmin, Handler: h.invite},
		{Method: "GET", Pattern: "/api/v1/settings/security", Need: identity.RoleAdmin, Scope: identity.ScopeAdmin, Handler: h.getSecurity},
		{Method: "PUT", Pattern: "/api/v1/settings/security", Need: identity.RoleAdmin, Scope: identity.ScopeAdmin, Handler: h.putSecurity},
		{Method: "GET", Pattern: "/api/v1/audit", Perm: identity.PermAudit, Scope: identity.ScopeAuditRead, Handler: h.listAudit},
	}
}

func (h handler) updateUser(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in store.UserUpdate
	if err := web.DecodeJSON(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := UpdateUser(r, h.Store, id, in); err != nil {
		h.fail(w, r, err)
		return
	}
	u, err := h.Store.UserByID(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	u.PasswordHash, u.TOTPSecret = "", ""
	web.WriteJSON(w, http.StatusOK, u)
}

// UpdateUser applies an administrator's change to an account and audits it.
// An administrator cannot disable or demote themselves (no lock-out).
func UpdateUser(r *http.Request, st *store.Store, id int64, in store.UserUpdate) error {
	p := identity.FromContext(r.Context())
	if id == p.UserID && ((in.Disabled != nil && *in.Disabled) || (in.Role != nil && *in.Role != identity.RoleAdmin)) {
		return &store.ValidationError{Field: "id", Message: "you cannot disable or demote your own account; ask another administrator"}
	}
	u, err := st.UserByID(r.Context(), id)
	if err != nil {
		return err
	}
	return audit.Change(r.Context(), st, func(ctx context.Context) (audit.Event, error) {
		if err := st.UpdateUser(ctx, id, in); err != nil {
			return audit.Event{}, err
		}
		detail, _ := json.Marshal(in)
		return audit.Event{Action: audit.ActionUserUpdate, Object: "user " + u.Name, Detail: string(detail)}, nil
	})
}

type inviteInput struct {
	Role identity.Role `json:"role"`
}

// InviteTTL is how long an invitation link stays valid.
const InviteTTL = 7 * 24 * time.Hour

// Invite creates a one-time invitation link path for a new user.
func Invite(r *http.Request, st *store.Store, role identity.Role) (string, error) {
	p := identity.FromContext(r.Context())
	var plain string
	if err := audit.Change(r.Context(), st, func(ctx context.Context) (audit.Event, error) {
		var err error
		plain, err = st.CreateInvite(ctx, role, p.Name, InviteTTL)
		return audit.Event{Action: audit.ActionUserInvite, Object: "invitation", Detail: "role " + string(role)}, err
	}); err != nil {
		return "", err
	}
	return "/invite?token=" + plain, nil
}

func (h handler) invite(w http.ResponseWriter, r *http.Request) {
	var in inviteInput
	if err := web.DecodeJSON(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	link, err := Invite(r, h.Store, in.Role)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusCreated, map[string]any{"path": link, "expires_in_hours": int(InviteTTL.Hours())})
}

type securitySettings struct {
	// RequireMFA: "" (nobody), "all", or comma-separated roles.
	RequireMFA string `json:"require_mfa"`
}

func (h handler) getSecurity(w http.ResponseWriter, r *http.Request) {
	v, err := h.Store.Setting(r.Context(), SettingRequireMFA)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, securitySettings{RequireMFA: v})
}

// SetRequireMFA validates and stores the require_mfa setting.
func SetRequireMFA(r *http.Request, st *store.Store, v string) error {
	var parts []string
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		_, perr := identity.ParseProductRole(part)
		if part != "all" && !identity.Role(part).Valid() && perr != nil {
			return &store.ValidationError{Field: "require_mfa", Message: fmt.Sprintf("%q is not all, a global role (admin, editor, viewer) or a product role (owner, editor, viewer, auditor)", part)}
		}
		parts = append(parts, part)
	}
	v = strings.Join(parts, ",")
	return audit.Change(r.Context(), st, func(ctx context.Context) (audit.Event, error) {
		return audit.Event{Action: audit.ActionSettings, Object: "setting " + SettingRequireMFA, Detail: fmt.Sprintf("%q", v)},
			st.SetSetting(ctx, SettingRequireMFA, v)
	})
}

func (h handler) putSecurity(w http.ResponseWriter, r *http.Request) {
	var in securitySettings
	if err := web.DecodeJSON(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := SetRequireMFA(r, h.Store, in.RequireMFA); err != nil {
		h.fail(w, r, err)
		return
	}
	h.getSecurity(w, r)
}

func (h handler) listMembers(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ms, err := h.Store.Members(r.Context(), id, 0)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, newPage(ms, ""))
}

type memberInput struct {
	Role identity.ProductRole `json:"role"`
}

// SetMember gives a user (by id) a role on a product and audits it.
func SetMember(r *http.Request, st *store.Store, productID, userID int64, role identity.ProductRole) error {
	u, err := st.UserByID(r.Context(), userID)
	if err != nil {
		return err
	}
	return audit.Change(r.Context(), st, func(ctx context.Context) (audit.Event, error) {
		return audit.Event{Action: audit.ActionMemberSet, Object: "user " + u.Name, ProductID: productID, Detail: "role " + string(role)},
			st.SetMember(ctx, productID, userID, role)
	})
}

func (h handler) setMember(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	uid, err := web.PathID(r, "user")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in memberInput
	if err := web.DecodeJSON(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := SetMember(r, h.Store, id, uid, in.Role); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h handler) removeMember(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	uid, err := web.PathID(r, "user")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := audit.Change(r.Context(), h.Store, func(ctx context.Context) (audit.Event, error) {
		return audit.Event{Action: audit.ActionMemberRemove, Object: fmt.Sprintf("user %d", uid), ProductID: id}, h.Store.RemoveMember(ctx, id, uid)
	}); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// AuditQuery builds the audit filter from query parameters, restricted to
// the products whose audit trail the caller may read (all for admins).
func AuditQuery(r *http.Request) (store.AuditQuery, error) {
	q := r.URL.Query()
	aq := store.AuditQuery{Action: q.Get("action"), Actor: q.Get("actor")}
	var err error
	if s := q.Get("product"); s != "" {
		var id int64
		if _, err := fmt.Sscan(s, &id); err != nil || id <= 0 {
			return aq, web.BadRequestf("query parameter product: %q is not a product id", s)
		}
		aq.Product = id
	}
	if s := q.Get("since"); s != "" {
		if aq.Since, err = time.Parse("2006-01-02", s); err != nil {
			return aq, web.BadRequestf("query parameter since: %q is not a date in YYYY-MM-DD form", s)
		}
	}
	if aq.Limit, err = web.QueryInt(r, "limit"); err != nil {
		return aq, err
	}
	if n, err := web.QueryInt(r, "before"); err == nil {
		aq.Before = int64(n)
	}
	ids, all := identity.FromContext(r.Context()).VisibleProducts(identity.PermAudit)
	if !all {
		aq.Products = ids
	}
	return aq, nil
}

func (h handler) listAudit(w http.ResponseWriter, r *http.Request) {
	aq, err := AuditQuery(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if r.URL.Query().Get("format") == "jsonl" {
		aq.Limit = -1
	}
	events, err := h.Store.AuditEvents(r.Context(), aq)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if r.URL.Query().Get("format") == "jsonl" {
		WriteAuditJSONL(w, events)
		return
	}
	web.WriteJSON(w, http.StatusOK, newPage(events, ""))
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
