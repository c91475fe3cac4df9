package portfolio

import (
	"context"
	"errors"
	"fmt"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/threatmodel"
)

// EditedThreatModel is the outcome of one element, flow or boundary edit.
type EditedThreatModel struct {
	Version threatmodel.ThreatModelVersion `json:"version"`
	// Created is false when the edit changed nothing (same YAML).
	Created bool `json:"created"`
	// ID is the item added, changed or deleted.
	ID string `json:"id"`
	// Removed lists what a delete took with it (flows of an element) or
	// moved (members of a boundary).
	Removed []string `json:"removed"`
	// Diff is the change from the previous version, with the threats that
	// appeared and disappeared and why.
	Diff  *threatmodel.Diff  `json:"diff"`
	Model *threatmodel.Model `json:"-"`
}

// StaleVersion refuses an edit made against a version that is no longer
// the latest: someone saved in between. It is of kind fault.KindStale
// (errors.Is(err, fault.ErrStale); 412 Precondition Failed over HTTP) and
// carries what the caller needs to reload and apply its change again.
type StaleVersion struct {
	Expected int                            `json:"expected_version"`
	Current  threatmodel.ThreatModelVersion `json:"current"`
	// Diff is what changed from the version the caller had to the current
	// one (nil when the caller's version does not exist).
	Diff *threatmodel.Diff `json:"diff"`
}

func (e *StaleVersion) Error() string {
	return fmt.Sprintf("the threat model changed: you edited version %d, the current version is %d; reload and apply your change again", e.Expected, e.Current.Version)
}

// Unwrap classifies the error as fault.KindStale.
func (*StaleVersion) Unwrap() error { return fault.ErrStale }

// ThreatEditor is the storage EditThreatModel needs: the product, its
// latest model, and saving the edited version with its audit record in one
// transaction.
type ThreatEditor interface {
	audit.AtomicLog
	ThreatReader
	Product(ctx context.Context, id int64) (inventory.Product, error)
	SaveThreatModelOn(ctx context.Context, productID int64, base int, source, note, actor string) (threatmodel.ThreatModelVersion, bool, error)
}

// EditThreatModel applies one edit to the latest version of a product's
// threat model and saves the result as a new version by actor. expect is
// the version the edit was made on (the If-Match of the API; 0 when the
// product has no model yet, which starts an empty one): when another
// version was saved since, the edit is refused with *StaleVersion.
func EditThreatModel(ctx context.Context, st ThreatEditor, lib *threatmodel.Library, productID int64, expect int, e threatmodel.Edit, actor string) (EditedThreatModel, error) {
	var out EditedThreatModel
	var prev threatmodel.ThreatModelVersion
	err := st.Atomic(ctx, func(ctx context.Context) error {
		cur, err := st.ThreatModel(ctx, productID, 0)
		switch {
		case errors.Is(err, fault.ErrNotFound):
			p, perr := st.Product(ctx, productID)
			if perr != nil {
				return perr
			}
			cur = threatmodel.ThreatModelVersion{ProductID: productID, Source: emptyModel(productID, p.Name)}
		case err != nil:
			return err
		}
		if cur.Version != expect {
			return staleVersion(ctx, st, lib, productID, expect, cur)
		}
		prev = cur
		r, err := threatmodel.ApplyEdit([]byte(cur.Source), fmt.Sprintf("product-%d-v%d.yaml", productID, cur.Version), e)
		if err != nil {
			return editError(err)
		}
		out.ID, out.Removed, out.Model = r.ID, r.Removed, r.Model
		if out.Removed == nil {
			out.Removed = []string{}
		}
		note := fmt.Sprintf("%s %s %s", e.Action, singularOf(e.Collection), r.ID)
		out.Version, out.Created, err = st.SaveThreatModelOn(ctx, productID, cur.Version, string(r.Source), note, actor)
		if err != nil || !out.Created {
			return err
		}
		return audit.Record(ctx, st, audit.Event{Action: "threatmodel.edit", Object: fmt.Sprintf("threat model v%d", out.Version.Version), ProductID: productID, Detail: note})
	})
	if errors.Is(err, fault.ErrConflict) { // a concurrent save took the version number
		cur, cerr := st.ThreatModel(ctx, productID, 0)
		if cerr == nil {
			err = staleVersion(ctx, st, lib, productID, expect, cur)
		}
	}
	if err != nil {
		return EditedThreatModel{}, err
	}
	pm, pr, err := lib.CheckSource([]byte(prev.Source), "previous.yaml")
	if err != nil {
		return out, err
	}
	nm, nr, err := lib.CheckSource([]byte(out.Version.Source), "current.yaml")
	if err != nil {
		return out, err
	}
	out.Diff = threatmodel.Compare(pm, pr, nm, nr)
	return out, nil
}

func singularOf(collection string) string {
	switch collection {
	case threatmodel.CollectionElements:
		return "element"
	case threatmodel.CollectionFlows:
		return "flow"
	}
	return "boundary"
}

// emptyModel is where the editor starts for a product without a model.
func emptyModel(productID int64, name string) string {
	return fmt.Sprintf("rampart: %s\nid: product-%d\ntitle: %q\nelements: []\n", threatmodel.Version, productID, name+" threat model")
}

func staleVersion(ctx context.Context, st ThreatReader, lib *threatmodel.Library, productID int64, expect int, cur threatmodel.ThreatModelVersion) error {
	e := &StaleVersion{Expected: expect, Current: cur}
	if old, err := st.ThreatModel(ctx, productID, expect); err == nil && expect > 0 {
		om, or, err1 := lib.CheckSource([]byte(old.Source), "yours.yaml")
		cm, cr, err2 := lib.CheckSource([]byte(cur.Source), "current.yaml")
		if err1 == nil && err2 == nil {
			e.Diff = threatmodel.Compare(om, or, cm, cr)
		}
	}
	return e
}

// editError classifies the errors of threatmodel.ApplyEdit.
func editError(err error) error {
	var ee *threatmodel.EditError
	var ve *threatmodel.ValidationError
	switch {
	case errors.As(err, &ee):
		return fault.Invalid(ee.Field, "%s", ee.Msg)
	case errors.Is(err, threatmodel.ErrEditNotFound):
		return fault.NotFound("%v", err)
	case errors.As(err, &ve):
		return fault.Unprocessable(err)
	}
	return err
}
