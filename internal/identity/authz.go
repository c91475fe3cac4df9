package identity

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/fault"
)

// ProductRole is a user's role on one product.
type ProductRole string

// Product roles. An auditor reads everything about a product, including its
// audit trail, and changes nothing.
const (
	ProductOwner   ProductRole = "owner"
	ProductEditor  ProductRole = "editor"
	ProductViewer  ProductRole = "viewer"
	ProductAuditor ProductRole = "auditor"
)

// ParseProductRole validates a product role name.
func ParseProductRole(s string) (ProductRole, error) {
	switch r := ProductRole(s); r {
	case ProductOwner, ProductEditor, ProductViewer, ProductAuditor:
		return r, nil
	}
	return "", fmt.Errorf("product role %q: must be owner, editor, viewer or auditor", s)
}

// Permission is what a route does to a product.
type Permission uint8

// Permissions. PermNone marks a route that needs no product permission.
const (
	PermNone   Permission = 0
	PermRead   Permission = 1 << iota // see the product, its releases, components, SBOMs
	PermWrite                         // change them: releases, imports, findings
	PermManage                        // delete the product, manage its members
	PermAudit                         // read the product's audit trail
)

func (p Permission) String() string {
	var names []string
	for _, x := range []struct {
		p Permission
		n string
	}{{PermRead, "read"}, {PermWrite, "write"}, {PermManage, "manage"}, {PermAudit, "audit"}} {
		if p&x.p != 0 {
			names = append(names, x.n)
		}
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, "+")
}

// Permissions returns what a product role may do.
func (r ProductRole) Permissions() Permission {
	switch r {
	case ProductOwner:
		return PermRead | PermWrite | PermManage | PermAudit
	case ProductEditor:
		return PermRead | PermWrite
	case ProductViewer:
		return PermRead
	case ProductAuditor:
		return PermRead | PermAudit
	}
	return 0 // deny by default
}

// GlobalPermissions is the fallback mapping from a global role to the
// permissions it grants on every product when the user has all_products
// set: admin → everything, editor → product editor, viewer → product
// viewer. Users without all_products get product rights only from
// memberships (admins always have everything).
func GlobalPermissions(r Role) Permission {
	switch r {
	case RoleAdmin:
		return PermRead | PermWrite | PermManage | PermAudit
	case RoleEditor:
		return ProductEditor.Permissions()
	case RoleViewer:
		return ProductViewer.Permissions()
	}
	return 0
}

// Scope is an API token scope.
type Scope string

// Token scopes. A token may do what its scopes allow and its owner's roles
// allow, on its product only when it is restricted to one.
const (
	ScopeAll           Scope = "*"
	ScopeProductsRead  Scope = "products:read"
	ScopeProductsWrite Scope = "products:write"
	ScopeSBOMRead      Scope = "sbom:read"
	ScopeSBOMWrite     Scope = "sbom:write"
	ScopeFindingsRead  Scope = "findings:read"
	ScopeFindingsWrite Scope = "findings:write"
	ScopeAuditRead     Scope = "audit:read"
	ScopeAccount       Scope = "account"
	ScopeAdmin         Scope = "admin"
)

// Scopes lists every scope a token can be given.
var Scopes = []Scope{ScopeProductsRead, ScopeProductsWrite, ScopeSBOMRead, ScopeSBOMWrite,
	ScopeFindingsRead, ScopeFindingsWrite, ScopeAuditRead, ScopeAccount, ScopeAdmin}

// ParseScopes validates a space- or comma-separated scope list. Empty means
// all of the owner's rights ("*").
func ParseScopes(s string) ([]Scope, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' })
	if len(fields) == 0 {
		return []Scope{ScopeAll}, nil
	}
	var out []Scope
	for _, f := range fields {
		sc := Scope(f)
		if sc != ScopeAll && !slices.Contains(Scopes, sc) {
			return nil, fmt.Errorf("scope %q: unknown; known scopes are * %s", f, joinScopes(Scopes))
		}
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	slices.Sort(out)
	return out, nil
}

func joinScopes(s []Scope) string {
	parts := make([]string, len(s))
	for i, x := range s {
		parts[i] = string(x)
	}
	return strings.Join(parts, " ")
}

// JoinScopes is the storage form of a scope list.
func JoinScopes(s []Scope) string { return joinScopes(s) }

// HasScope reports whether a principal may use a route needing scope. Sessions
// have every scope; a token needs "*" or the scope itself. A route without a
// scope can be used only by "*" tokens (deny by default).
func (p *Principal) HasScope(need Scope) bool {
	if p.Via != "token" {
		return true
	}
	if slices.Contains(p.Scopes, ScopeAll) {
		return true
	}
	return need != "" && slices.Contains(p.Scopes, need)
}

// ProductPermissions returns what the principal may do on a product.
func (p *Principal) ProductPermissions(productID int64) Permission {
	if p == nil {
		return 0
	}
	if p.TokenProduct != 0 && p.TokenProduct != productID {
		return 0
	}
	perm := p.Products[productID].Permissions()
	if p.Role == RoleAdmin || p.AllProducts {
		perm |= GlobalPermissions(p.Role)
	}
	return perm
}

// Can reports whether the principal has every permission in need on a product.
func (p *Principal) Can(productID int64, need Permission) bool {
	return need != 0 && p.ProductPermissions(productID)&need == need
}

// CanAny reports whether the principal has need on at least one product.
func (p *Principal) CanAny(need Permission) bool {
	if p == nil || need == 0 {
		return false
	}
	if p.TokenProduct != 0 {
		return p.Can(p.TokenProduct, need)
	}
	if (p.Role == RoleAdmin || p.AllProducts) && GlobalPermissions(p.Role)&need == need {
		return true
	}
	for id := range p.Products {
		if p.Can(id, need) {
			return true
		}
	}
	return false
}

// VisibleProducts returns the products on which the principal has need, or
// all=true when it has need on every product.
func (p *Principal) VisibleProducts(need Permission) (ids []int64, all bool) {
	if p == nil {
		return nil, false
	}
	if p.TokenProduct != 0 {
		if p.Can(p.TokenProduct, need) {
			return []int64{p.TokenProduct}, false
		}
		return []int64{}, false
	}
	if (p.Role == RoleAdmin || p.AllProducts) && GlobalPermissions(p.Role)&need == need {
		return nil, true
	}
	ids = []int64{}
	for id := range p.Products {
		if p.Can(id, need) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids, false
}

// MFARequired applies the require_mfa setting ("" nobody, "all", or a
// comma-separated list of global roles and product roles) to a principal.
func MFARequired(setting string, p *Principal) bool {
	for _, part := range strings.Split(setting, ",") {
		part = strings.TrimSpace(part)
		switch {
		case part == "":
		case part == "all":
			return true
		case Role(part) == p.Role:
			return true
		default:
			for _, r := range p.Products {
				if string(r) == part {
					return true
				}
			}
		}
	}
	return false
}

// DefaultMaxTokenLifetime bounds API token lifetimes unless the server is
// configured otherwise; no token lives longer ("never" is refused).
const DefaultMaxTokenLifetime = 365 * 24 * time.Hour

// ChildToken is a token a principal asks to create.
type ChildToken struct {
	Scopes    []Scope
	ProductID int64
	// ExpiresAt is when it expires (zero: never).
	ExpiresAt time.Time
}

// CheckChildToken enforces that a token can only create tokens that are a
// subset of itself: every scope it has (a "*" child only from a "*"
// parent), its product restriction (a restricted token's children are
// restricted to the same product) and an expiry no later than its own.
// Sessions may create any token within their user's rights. It returns a
// fault.Invalid naming the offending field.
func (p *Principal) CheckChildToken(c ChildToken) error {
	if p == nil || p.Via != "token" {
		return nil
	}
	parentAll := slices.Contains(p.Scopes, ScopeAll)
	for _, s := range c.Scopes {
		if parentAll {
			break
		}
		if s == ScopeAll || !slices.Contains(p.Scopes, s) {
			return fault.Invalid("scopes", "scope %q: a token can only create tokens with scopes it has itself (%s)", s, joinScopes(p.Scopes))
		}
	}
	if p.TokenProduct != 0 && c.ProductID != p.TokenProduct {
		return fault.Invalid("product_id", "this token is restricted to product %d, so the tokens it creates must be too", p.TokenProduct)
	}
	if !p.TokenExpires.IsZero() && (c.ExpiresAt.IsZero() || c.ExpiresAt.After(p.TokenExpires)) {
		return fault.Invalid("expires", "a token can only create tokens that expire no later than itself (%s)", p.TokenExpires.UTC().Format(time.RFC3339))
	}
	return nil
}
