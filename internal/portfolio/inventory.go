package portfolio

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/identity"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/notify"
)

// ProductPatch changes some of a product's fields (nil: unchanged).
type ProductPatch struct {
	Name        *string             `json:"name"`
	Description *string             `json:"description"`
	Owner       *string             `json:"owner"`
	Criticality *int                `json:"criticality"`
	Exposure    *inventory.Exposure `json:"exposure"`
}

// ReleasePatch changes some of a release's fields (nil: unchanged; an
// empty date clears it). Dates are YYYY-MM-DD.
type ReleasePatch struct {
	Version     *string                  `json:"version"`
	ReleaseDate *string                  `json:"release_date"`
	SupportEnd  *string                  `json:"support_end"`
	Status      *inventory.ReleaseStatus `json:"status"`
}

// statusOrder is the life of a release: development → shipped →
// end-of-life. A release never goes back (a shipped release stays on the
// record; correct a mistake by deleting the release).
var statusOrder = map[inventory.ReleaseStatus]int{inventory.StatusDevelopment: 0, inventory.StatusShipped: 1, inventory.StatusEndOfLife: 2}

// ProductUpdateStore is what UpdateProduct needs of the store: the product,
// its update and the transaction the audit record joins.
type ProductUpdateStore interface {
	audit.AtomicLog
	Product(ctx context.Context, id int64) (inventory.Product, error)
	UpdateProduct(ctx context.Context, p *inventory.Product) error
}

// UpdateProduct applies a patch; the change and its audit record commit
// together. Errors: invalid field, conflict (name taken), not found.
func UpdateProduct(ctx context.Context, st ProductUpdateStore, id int64, in ProductPatch) (inventory.Product, error) {
	var p inventory.Product
	err := st.Atomic(ctx, func(ctx context.Context) error {
		var err error
		if p, err = st.Product(ctx, id); err != nil {
			return err
		}
		var changed []string
		set := func(field string, dst *string, v *string) {
			if v != nil && *v != *dst {
				*dst = *v
				changed = append(changed, field)
			}
		}
		set("name", &p.Name, in.Name)
		set("description", &p.Description, in.Description)
		set("owner", &p.Owner, in.Owner)
		if in.Criticality != nil && *in.Criticality != p.Criticality {
			if *in.Criticality < 1 || *in.Criticality > 5 {
				return fault.Invalid("criticality", "must be between 1 and 5")
			}
			p.Criticality = *in.Criticality
			changed = append(changed, "criticality")
		}
		if in.Exposure != nil && *in.Exposure != p.Exposure {
			p.Exposure = *in.Exposure
			changed = append(changed, "exposure")
		}
		if len(changed) == 0 {
			return nil
		}
		if err := st.UpdateProduct(ctx, &p); err != nil {
			return err
		}
		return audit.Record(ctx, st, audit.Event{Action: "product.update", Object: fmt.Sprintf("product %d %s", p.ID, p.Name), ProductID: p.ID,
			Detail: "changed " + strings.Join(changed, ", ")})
	})
	if err != nil {
		return inventory.Product{}, err
	}
	return st.Product(ctx, id)
}

// ReleaseUpdateStore is what UpdateRelease needs of the store: the
// release, its update, the release.status event and the transaction the
// audit record joins, and the matcher's (VulnStore) for the re-match a
// status or support-end change triggers.
type ReleaseUpdateStore interface {
	VulnStore
	audit.AtomicLog
	Release(ctx context.Context, id int64) (inventory.Release, error)
	UpdateRelease(ctx context.Context, r *inventory.Release) error
	AddEvent(ctx context.Context, e notify.Event) error
}

// UpdateRelease applies a patch and, when the status changed, makes the
// release's alerts follow at once: it is re-matched (a release that ships
// opens incidents for its known-exploited vulnerabilities) and the change
// raises a release.status event. Errors: invalid field, conflict (version
// taken, or a status going back), not found. now is the time of the change
// (the release date of a release that ships without one).
func UpdateRelease(ctx context.Context, st ReleaseUpdateStore, id int64, in ReleasePatch, now time.Time) (inventory.Release, error) {
	var before, rel inventory.Release
	err := st.Atomic(ctx, func(ctx context.Context) error {
		var err error
		if before, err = st.Release(ctx, id); err != nil {
			return err
		}
		rel = before
		var changed []string
		if in.Version != nil && strings.TrimSpace(*in.Version) != rel.Version {
			rel.Version = strings.TrimSpace(*in.Version)
			changed = append(changed, "version "+before.Version+" → "+rel.Version)
		}
		date := func(field string, dst **time.Time, v *string) error {
			if v == nil {
				return nil
			}
			var t *time.Time
			if *v != "" {
				d, err := time.Parse("2006-01-02", *v)
				if err != nil {
					return fault.Invalid(field, "%q is not a date (YYYY-MM-DD)", *v)
				}
				t = &d
			}
			if fmtOpt(t) != fmtOpt(*dst) {
				changed = append(changed, fmt.Sprintf("%s %s → %s", field, fmtOpt(*dst), fmtOpt(t)))
				*dst = t
			}
			return nil
		}
		if err := date("release_date", &rel.ReleaseDate, in.ReleaseDate); err != nil {
			return err
		}
		if err := date("support_end", &rel.SupportEnd, in.SupportEnd); err != nil {
			return err
		}
		if in.Status != nil && *in.Status != rel.Status {
			if !in.Status.Valid() {
				return fault.Invalid("status", "must be development, shipped or end-of-life")
			}
			if statusOrder[*in.Status] < statusOrder[rel.Status] {
				return fault.Conflict("release %s is %s: a release goes development → shipped → end-of-life and never back", rel.Version, rel.Status)
			}
			changed = append(changed, fmt.Sprintf("status %s → %s", rel.Status, *in.Status))
			rel.Status = *in.Status
			if rel.Status == inventory.StatusShipped && rel.ReleaseDate == nil {
				today := now.UTC().Truncate(24 * time.Hour)
				rel.ReleaseDate = &today
				changed = append(changed, "release_date → "+today.Format("2006-01-02"))
			}
		}
		if len(changed) == 0 {
			return nil
		}
		if err := st.UpdateRelease(ctx, &rel); err != nil {
			return err
		}
		if rel.Status != before.Status {
			if err := st.AddEvent(ctx, notify.Event{Kind: "release.status", ProductID: rel.ProductID, ReleaseID: rel.ID, Subject: string(rel.Status),
				Title: fmt.Sprintf("%s %s is now %s", rel.ProductName, rel.Version, rel.Status), Detail: "was " + string(before.Status)}); err != nil {
				return err
			}
		}
		return audit.Record(ctx, st, audit.Event{Action: "release.update", Object: fmt.Sprintf("release %d %s", rel.ID, rel.Version), ProductID: rel.ProductID,
			Detail: strings.Join(changed, "; ")})
	})
	if err != nil {
		return inventory.Release{}, err
	}
	if rel.Status != before.Status || fmtOpt(rel.SupportEnd) != fmtOpt(before.SupportEnd) {
		if _, err := NewVulns(st, func() time.Time { return now }).Rematch(ctx, id); err != nil {
			return rel, fmt.Errorf("release %d updated, but re-matching it failed (the background job repairs it): %w", id, err)
		}
	}
	return st.Release(ctx, id)
}

// ReleaseDeleteStore is what DeleteRelease needs of the store: the release,
// how many incidents name it, its deletion and the transaction the audit
// record joins.
type ReleaseDeleteStore interface {
	audit.AtomicLog
	Release(ctx context.Context, id int64) (inventory.Release, error)
	ReleaseIncidents(ctx context.Context, id int64) (int, error)
	DeleteRelease(ctx context.Context, id int64) error
}

// DeleteRelease removes a release with its components, findings and
// matches, audited. A release named by an incident is kept (its record
// must stay whole): it is a conflict.
func DeleteRelease(ctx context.Context, st ReleaseDeleteStore, id int64) error {
	return st.Atomic(ctx, func(ctx context.Context) error {
		rel, err := st.Release(ctx, id)
		if err != nil {
			return err
		}
		n, err := st.ReleaseIncidents(ctx, id)
		if err != nil {
			return err
		}
		if n > 0 {
			return fault.Conflict("release %s is named by %d incident(s) and is kept for their record: set it to end-of-life instead", rel.Version, n)
		}
		if err := st.DeleteRelease(ctx, id); err != nil {
			return err
		}
		return audit.Record(ctx, st, audit.Event{Action: "release.delete", Object: fmt.Sprintf("release %d %s %s", rel.ID, rel.ProductName, rel.Version),
			ProductID: rel.ProductID, Detail: fmt.Sprintf("%s, %d components", rel.Status, rel.Components)})
	})
}

func fmtOpt(t *time.Time) string {
	if t == nil {
		return "none"
	}
	return t.Format("2006-01-02")
}

// ProductCreateStore is what CreateProduct needs of the store: the product,
// its owner's membership and the transaction the audit record joins.
type ProductCreateStore interface {
	audit.AtomicLog
	CreateProduct(ctx context.Context, p *inventory.Product) error
	SetMember(ctx context.Context, productID, userID int64, role identity.ProductRole) error
}

// CreateProduct creates p (validated with Product.Validate; a taken name is
// a conflict) and makes the acting user its owner — deny by default for
// everyone without a global all-products role — with the audit record, in
// one transaction: no product is left without its owner or its record.
func CreateProduct(ctx context.Context, st ProductCreateStore, p *inventory.Product) error {
	return audit.Change(ctx, st, func(ctx context.Context) (audit.Event, error) {
		if err := st.CreateProduct(ctx, p); err != nil {
			return audit.Event{}, err
		}
		if pr := identity.FromContext(ctx); pr != nil {
			if err := st.SetMember(ctx, p.ID, pr.UserID, identity.ProductOwner); err != nil {
				return audit.Event{}, err
			}
		}
		return audit.Event{Action: audit.ActionProductCreate, Object: fmt.Sprintf("product %d %s", p.ID, p.Name), ProductID: p.ID}, nil
	})
}

// ReleaseCreateStore is what CreateRelease needs of the store.
type ReleaseCreateStore interface {
	audit.AtomicLog
	CreateRelease(ctx context.Context, r *inventory.Release) error
}

// CreateRelease creates rel (validated with Release.ValidateNew; a taken
// version is a conflict) with its audit record, in one transaction.
func CreateRelease(ctx context.Context, st ReleaseCreateStore, rel *inventory.Release) error {
	return audit.Change(ctx, st, func(ctx context.Context) (audit.Event, error) {
		err := st.CreateRelease(ctx, rel)
		return audit.Event{Action: audit.ActionReleaseCreate, Object: fmt.Sprintf("release %d %s", rel.ID, rel.Version), ProductID: rel.ProductID}, err
	})
}

// ProductDeleteStore is what DeleteProduct needs of the store.
type ProductDeleteStore interface {
	audit.AtomicLog
	ProductIncidents(ctx context.Context, id int64) (int, error)
	DeleteProduct(ctx context.Context, id int64) error
}

// DeleteProduct deletes a product and everything under it, with its audit
// record, in one transaction. A product named by an incident, itself or
// through a release, is kept (as DeleteRelease keeps such a release): its
// deletion would leave the incidents listed but impossible to open.
func DeleteProduct(ctx context.Context, st ProductDeleteStore, id int64) error {
	return audit.Change(ctx, st, func(ctx context.Context) (audit.Event, error) {
		n, err := st.ProductIncidents(ctx, id)
		if err != nil {
			return audit.Event{}, err
		}
		if n > 0 {
			return audit.Event{}, fault.Conflict("product %d is named by %d incident(s) and is kept for their record: set its releases to end-of-life instead", id, n)
		}
		return audit.Event{Action: audit.ActionProductDelete, Object: fmt.Sprintf("product %d", id), ProductID: id}, st.DeleteProduct(ctx, id)
	})
}
