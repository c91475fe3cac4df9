package portfolio

import (
	"context"
	"fmt"
	"strings"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/incident"
)

// A product's settings, each stored with its audit record in one
// transaction (shared by the API and the UI). The record's object is
// "product N"; its actor and source are the caller's (audit.Record).

// DedupStore is the storage SetDedup needs: a product's duplicate
// definition and the audit log, in one transaction.
type DedupStore interface {
	audit.AtomicLog
	SetProductDedup(ctx context.Context, productID int64, fields []string) error
}

// SLAStore is the storage SetSLA needs: a product's SLA policy, read and
// written, and the audit log, in one transaction.
type SLAStore interface {
	audit.AtomicLog
	ProductSLA(ctx context.Context, productID int64) (findings.SLAPolicy, error)
	SetProductSLA(ctx context.Context, productID int64, p findings.SLAPolicy) error
}

// IncidentSettingsStore is the storage SetIncidentSettings needs: a
// product's incident-reporting settings and the audit log, in one
// transaction.
type IncidentSettingsStore interface {
	audit.AtomicLog
	SetProductIncidentSettings(ctx context.Context, productID int64, ps incident.ProductSettings) error
}

// SetDedup stores which fields define a duplicate for a product (empty:
// the fingerprint rules) and records it (product.dedup, the fields).
func SetDedup(ctx context.Context, st DedupStore, productID int64, fields []string) error {
	return audit.Change(ctx, st, func(ctx context.Context) (audit.Event, error) {
		err := st.SetProductDedup(ctx, productID, fields)
		return productEvent("product.dedup", productID, strings.Join(fields, ",")), err
	})
}

// SetSLA stores a product's SLA policy and records the change
// (product.sla_change, from the old policy to the new).
func SetSLA(ctx context.Context, st SLAStore, productID int64, p findings.SLAPolicy) error {
	return audit.Change(ctx, st, func(ctx context.Context) (audit.Event, error) {
		old, err := st.ProductSLA(ctx, productID)
		if err != nil {
			return audit.Event{}, err
		}
		err = st.SetProductSLA(ctx, productID, p)
		return productEvent(audit.ActionSLAChange, productID, "from "+slaText(old)+" to "+slaText(p)), err
	})
}

// slaText is an SLA policy for the audit trail ("critical 7d, high 30d, …").
func slaText(p findings.SLAPolicy) string {
	return fmt.Sprintf("critical %dd, high %dd, medium %dd, low %dd, info %dd", p.Critical, p.High, p.Medium, p.Low, p.Info)
}

// SetIncidentSettings validates (normalises) and stores a product's
// incident-reporting settings and records them
// (product.incident_settings); it returns the settings as stored.
func SetIncidentSettings(ctx context.Context, st IncidentSettingsStore, productID int64, ps incident.ProductSettings) (incident.ProductSettings, error) {
	if err := incident.ValidateSettings(&ps); err != nil {
		return incident.ProductSettings{}, err
	}
	detail := fmt.Sprintf("manufacturer %q; contact %q; member states %s; alert emails %s",
		ps.Manufacturer, ps.Contact, strings.Join(ps.MemberStates, ","), strings.Join(ps.AlertEmails, ","))
	err := audit.Change(ctx, st, func(ctx context.Context) (audit.Event, error) {
		err := st.SetProductIncidentSettings(ctx, productID, ps)
		return productEvent("product.incident_settings", productID, detail), err
	})
	if err != nil {
		return incident.ProductSettings{}, err
	}
	return ps, nil
}

// productEvent is the audit record of a change to a product's settings.
func productEvent(action string, productID int64, detail string) audit.Event {
	return audit.Event{Action: action, Object: fmt.Sprintf("product %d", productID), ProductID: productID, Detail: detail}
}
