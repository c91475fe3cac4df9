package portfolio

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/identity"
)

// Triage: bulk status, assignee and comment changes of findings, risk
// acceptance with its approver and maximum duration (shared by the API and
// the UI).

// FindingProductStore gives the product a finding belongs to
// (fault.ErrNotFound for an unknown finding).
type FindingProductStore interface {
	FindingProduct(ctx context.Context, findingID int64) (int64, error)
}

// TriageAuditStore is what AuditTriage needs: each finding's product and
// the audit log.
type TriageAuditStore interface {
	audit.Log
	FindingProductStore
}

// TriageStore is what ApplyTriage needs: the findings' update and its
// audit records in one transaction, and for a risk acceptance the
// approver, their memberships and each product's maximum duration.
type TriageStore interface {
	audit.AtomicLog
	FindingProductStore
	UpdateFindings(ctx context.Context, ids []int64, u findings.Update, actor string, now time.Time) error
	UserByName(ctx context.Context, name string) (identity.User, error)
	Memberships(ctx context.Context, userID int64) (map[int64]identity.ProductRole, error)
	ProductMaxAcceptance(ctx context.Context, productID int64) (int, error)
}

// MaxAcceptanceStore is what SetMaxAcceptance needs: a product's maximum
// risk-acceptance duration, read and written, and the audit log, in one
// transaction.
type MaxAcceptanceStore interface {
	audit.AtomicLog
	ProductMaxAcceptance(ctx context.Context, productID int64) (int, error)
	SetProductMaxAcceptance(ctx context.Context, productID int64, days int) error
}

// CheckFindingsWritable refuses a bulk change unless the caller may write
// every finding's product (404 for findings it cannot see).
func CheckFindingsWritable(ctx context.Context, st FindingProductStore, ids []int64) error {
	p := identity.FromContext(ctx)
	for _, id := range ids {
		pid, err := st.FindingProduct(ctx, id)
		if err != nil {
			return err
		}
		switch perm := p.ProductPermissions(pid); {
		case perm == 0:
			return fmt.Errorf("finding %d: %w", id, fault.ErrNotFound)
		case perm&identity.PermWrite == 0:
			return fault.Forbidden("finding %d: your role on its product does not allow changes", id)
		}
	}
	return nil
}

// ApplyTriage applies a bulk change and records its audit events in one
// transaction (shared by the API and the UI). now is the time of the change
// and the reference for the risk-acceptance maximum.
func ApplyTriage(ctx context.Context, st TriageStore, in TriageInput, u findings.Update, now time.Time) error {
	if in.Status == string(findings.StatusRiskAccepted) {
		if err := checkApprover(ctx, st, in, u, now); err != nil {
			return err
		}
	}
	return st.Atomic(ctx, func(ctx context.Context) error {
		if err := st.UpdateFindings(ctx, in.IDs, u, identity.FromContext(ctx).Name, now.UTC()); err != nil {
			return err
		}
		return AuditTriage(ctx, st, in)
	})
}

// checkApprover: a risk acceptance names a real, enabled user other than
// the requester who may approve risks (manage) on every product of the
// findings, and it expires within MaxAcceptance.
func checkApprover(ctx context.Context, st TriageStore, in TriageInput, u findings.Update, now time.Time) error {
	name := strings.TrimSpace(in.Approver)
	if name == "" {
		return fault.Invalid("approver", "a risk acceptance needs an approver: name the product owner or administrator who approved it")
	}
	approver, err := st.UserByName(ctx, name)
	if errors.Is(err, fault.ErrNotFound) || (err == nil && approver.Disabled) {
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
		limit := findings.AcceptanceDeadline(now, days)
		if t := u.Transition; t != nil && t.AcceptedUntil != nil && t.AcceptedUntil.After(limit) {
			return fault.Invalid("accepted_until", "risks on product %d may be accepted for at most %d days: choose %s or earlier",
				pid, findings.EffectiveMaxAcceptance(days), limit.Format("2006-01-02"))
		}
	}
	return nil
}

// SetMaxAcceptance stores a product's maximum risk-acceptance duration and
// audits the change (product.risk_acceptance_max) with the old and new
// value in the same transaction; shared by the API and the UI. It returns
// the old value.
func SetMaxAcceptance(ctx context.Context, st MaxAcceptanceStore, productID int64, days int) (int, error) {
	var old int
	err := audit.Change(ctx, st, func(ctx context.Context) (audit.Event, error) {
		var err error
		if old, err = st.ProductMaxAcceptance(ctx, productID); err != nil {
			return audit.Event{}, err
		}
		err = st.SetProductMaxAcceptance(ctx, productID, days)
		return productEvent(audit.ActionMaxAcceptance, productID, fmt.Sprintf("max_days %d -> %d", old, days)), err
	})
	if err != nil {
		return 0, err
	}
	return old, nil
}

// AuditTriage records a bulk change, one event per product; accepting a
// risk is its own action ("finding.risk_accepted").
func AuditTriage(ctx context.Context, st TriageAuditStore, in TriageInput) error {
	byProduct := map[int64][]string{}
	var order []int64
	for _, id := range in.IDs {
		pid, err := st.FindingProduct(ctx, id)
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
		if err := audit.Record(ctx, st, audit.Event{Action: action, Object: "findings " + strings.Join(byProduct[pid], ","), ProductID: pid, Detail: detail}); err != nil {
			return err
		}
	}
	return nil
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

// Update turns the input into a triage update (findings.Update.Validate:
// it must change something).
func (in TriageInput) Update() (findings.Update, error) {
	u := findings.Update{Assignee: in.Assignee, Comment: in.Comment}
	if in.Status != "" {
		t := findings.Transition{To: findings.Status(in.Status), Reason: strings.TrimSpace(in.Reason), Approver: strings.TrimSpace(in.Approver)}
		until, err := ParseDate("accepted_until", in.AcceptedUntil)
		if err != nil {
			return u, err
		}
		t.AcceptedUntil = until
		u.Transition = &t
	}
	return u, u.Validate()
}

// ParseDate parses an optional YYYY-MM-DD date naming the field on error.
func ParseDate(field, s string) (*time.Time, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	t, err := time.Parse("2006-01-02", strings.TrimSpace(s))
	if err != nil {
		return nil, fault.Invalid(field, "%s: %q is not a date in YYYY-MM-DD form", field, s)
	}
	return &t, nil
}
