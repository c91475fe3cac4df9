package api

import (
	"context"
	"io"
	"net/http"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/policy"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/server/web"
)

// policyRoutes are policy gates: per-product and global policies, release
// gate results and exceptions.
func (h handler) policyRoutes() []web.Route {
	product, release := web.ProductPath(h.Store, "id"), web.ReleasePath(h.Store, "id")
	return []web.Route{
		{Method: "GET", Pattern: "/api/v1/releases/{id}/gate", Product: release, Perm: identity.PermRead, Scope: identity.ScopeProductsRead, Do: h.releaseGate},
		{Method: "GET", Pattern: "/api/v1/products/{id}/policy", Product: product, Perm: identity.PermRead, Scope: identity.ScopeProductsRead, Do: productScope(h.policyView)},
		{Method: "PUT", Pattern: "/api/v1/products/{id}/policy", Product: product, Perm: identity.PermManage, Scope: identity.ScopeProductsWrite, MaxBody: 1 << 20, Do: productScope(h.savePolicy)},
		{Method: "GET", Pattern: "/api/v1/products/{id}/policy/versions", Product: product, Perm: identity.PermRead, Scope: identity.ScopeProductsRead, Do: listByID(h.Store.PolicyVersions)},
		{Method: "GET", Pattern: "/api/v1/policy", Need: identity.RoleViewer, Scope: identity.ScopeProductsRead, Do: globalScope(h.policyView)},
		{Method: "PUT", Pattern: "/api/v1/policy", Need: identity.RoleAdmin, Scope: identity.ScopeAdmin, MaxBody: 1 << 20, Do: globalScope(h.savePolicy)},
		{Method: "GET", Pattern: "/api/v1/products/{id}/approved", Product: product, Perm: identity.PermRead, Scope: identity.ScopeProductsRead, Do: productScope(h.approvedView)},
		{Method: "PUT", Pattern: "/api/v1/products/{id}/approved", Product: product, Perm: identity.PermManage, Scope: identity.ScopeProductsWrite, MaxBody: 1 << 20, Do: productScope(h.saveApproved)},
		{Method: "GET", Pattern: "/api/v1/approved", Need: identity.RoleViewer, Scope: identity.ScopeProductsRead, Do: globalScope(h.approvedView)},
		{Method: "PUT", Pattern: "/api/v1/approved", Need: identity.RoleAdmin, Scope: identity.ScopeAdmin, MaxBody: 1 << 20, Do: globalScope(h.saveApproved)},
		{Method: "GET", Pattern: "/api/v1/products/{id}/exceptions", Product: product, Perm: identity.PermRead, Scope: identity.ScopeProductsRead, Do: listByID(h.Store.Exceptions)},
		{Method: "POST", Pattern: "/api/v1/products/{id}/exceptions", Product: product, Perm: identity.PermWrite, Scope: identity.ScopeProductsWrite, Do: h.requestException},
		{Method: "POST", Pattern: "/api/v1/products/{id}/exceptions/{exception}/approve", Product: product, Perm: identity.PermManage, Scope: identity.ScopeProductsWrite, Do: h.decideException(true)},
		{Method: "POST", Pattern: "/api/v1/products/{id}/exceptions/{exception}/reject", Product: product, Perm: identity.PermManage, Scope: identity.ScopeProductsWrite, Do: h.decideException(false)},
	}
}

func (h handler) gate() *portfolio.Gate {
	return portfolio.NewGate(h.Store, h.Vulns, h.Threats, h.Now)
}

// productScope serves fn for the product of the {id} path parameter.
func productScope(fn func(w http.ResponseWriter, r *http.Request, productID int64) error) web.Handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := web.PathID(r, "id")
		if err != nil {
			return err
		}
		return fn(w, r, id)
	}
}

// globalScope serves fn for the global scope (product 0).
func globalScope(fn func(w http.ResponseWriter, r *http.Request, productID int64) error) web.Handler {
	return func(w http.ResponseWriter, r *http.Request) error { return fn(w, r, 0) }
}

// gateAfter re-evaluates a release's gate after a successful import; a
// failure is logged, not returned (the import itself succeeded).
func (h handler) gateAfter(ctx context.Context, releaseID int64, trigger string) {
	if err := h.gate().OnChange(ctx, releaseID, trigger); err != nil {
		h.Log.Error("gate evaluation", "release", releaseID, "trigger", trigger, "err", err)
	}
}

// gateAfterProduct re-evaluates every release of a product (new threat model).
func (h handler) gateAfterProduct(ctx context.Context, productID int64, trigger string) {
	if err := h.gate().OnProductChange(ctx, productID, trigger); err != nil {
		h.Log.Error("gate evaluation", "product", productID, "trigger", trigger, "err", err)
	}
}

// gateAfterScope re-evaluates the releases a new policy or approved list
// affects (productID 0: the global one); a failure is logged (the save
// itself succeeded).
func (h handler) gateAfterScope(ctx context.Context, productID int64, what string) {
	if err := h.gate().OnScopeChange(ctx, productID, what); err != nil {
		h.Log.Error("gate evaluation", "product", productID, "trigger", what, "err", err)
	}
}

func (h handler) releaseGate(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	v, err := h.gate().Evaluate(r.Context(), id, "api")
	return reply(w, http.StatusOK, v, err)
}

// policyView answers GET …/policy: the policy in effect for the product
// (0: the global one) and the scope it comes from.
func (h handler) policyView(w http.ResponseWriter, r *http.Request, productID int64) error {
	v, scope, err := h.gate().PolicyOf(r.Context(), productID)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"scope": scope, "version": v.Version, "source": v.Source, "created_at": v.CreatedAt, "created_by": v.CreatedBy})
	return nil
}

func (h handler) savePolicy(w http.ResponseWriter, r *http.Request, productID int64) error {
	return h.saveVersion(w, r, productID, h.gate().SavePolicy, "policy")
}

// saveVersion stores the request body as a new version of the scope's
// policy or approved list (what) with save (which audits a new version):
// a new version re-evaluates the scope's gates; the answer is 201 for a
// new version, 200 when the body is the current version.
func (h handler) saveVersion(w http.ResponseWriter, r *http.Request, productID int64,
	save func(ctx context.Context, productID int64, source, note, actor string) (policy.PolicyVersion, bool, error), what string) error {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	v, created, err := save(r.Context(), productID, string(data), r.URL.Query().Get("note"), identity.FromContext(r.Context()).Name)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		h.gateAfterScope(r.Context(), productID, what)
	}
	web.WriteJSON(w, status, map[string]any{"version": v.Version, "created": created, "sha256": v.SHA256})
	return nil
}

func (h handler) requestException(w http.ResponseWriter, r *http.Request) error {
	id, req, err := web.PathIDAndJSON[portfolio.ExceptionRequest](r, "id")
	if err != nil {
		return err
	}
	req.ProductID = id
	e, err := h.gate().RequestException(r.Context(), req, identity.FromContext(r.Context()).Name)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusCreated, e)
	return nil
}

func (h handler) decideException(approve bool) web.Handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := web.PathID(r, "id")
		if err != nil {
			return err
		}
		eid, err := web.PathID(r, "exception")
		if err != nil {
			return err
		}
		e, err := h.gate().DecideException(r.Context(), id, eid, approve, identity.FromContext(r.Context()).Name)
		if err != nil {
			return err
		}
		h.gateAfterProduct(r.Context(), id, "exception")
		web.WriteJSON(w, http.StatusOK, e)
		return nil
	}
}

// approvedView answers GET …/approved; ?format=yaml returns only the
// effective list, ready for `rampart gate --approved`.
func (h handler) approvedView(w http.ResponseWriter, r *http.Request, productID int64) error {
	v, _, err := h.gate().ApprovedOf(r.Context(), productID)
	if err != nil {
		return err
	}
	switch r.URL.Query().Get("format") {
	case "", "json":
		web.WriteJSON(w, http.StatusOK, v)
	case "yaml":
		w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
		_, _ = io.WriteString(w, v.Effective)
	default:
		return fault.Invalid("format", "want json or yaml")
	}
	return nil
}

func (h handler) saveApproved(w http.ResponseWriter, r *http.Request, productID int64) error {
	return h.saveVersion(w, r, productID, h.gate().SaveApproved, "approved")
}
