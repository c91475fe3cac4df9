package portfolio

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rampart-security/rampart/internal/attacksession"
	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/threatmodel"
)

// AttackModelStore is the storage AttackModels needs: reading a product's
// model, saving a new version and tracking a threat.
type AttackModelStore interface {
	ThreatModelSaver
	ThreatTracker
	ThreatModel(ctx context.Context, productID int64, version int) (threatmodel.ThreatModelVersion, error)
}

// AttackSessionStore is the storage NewAttackSessions needs: the sessions'
// own and the product threat models'.
type AttackSessionStore interface {
	attacksession.Store
	AttackModelStore
}

// NewAttackSessions returns the attack-session service over the store,
// with the product threat models as its Models.
func NewAttackSessions(st AttackSessionStore, now func() time.Time) *attacksession.Service {
	return attacksession.New(st, AttackModels{Store: st, Now: now}, now)
}

// AttackModels gives attack sessions the product threat models: a version
// to aim ideas at, and merging an idea as a threat identified by hand (a
// new model version; the YAML stays the source of truth) tracked with an
// owner and status through the product's threat tracking.
type AttackModels struct {
	Store AttackModelStore
	// Now is the clock of the tracking records (nil: time.Now).
	Now func() time.Time
}

// Model returns a version (0: the latest) of the product's model.
func (m AttackModels) Model(ctx context.Context, productID int64, version int) (*threatmodel.Model, int, error) {
	v, err := m.Store.ThreatModel(ctx, productID, version)
	if errors.Is(err, fault.ErrNotFound) {
		if version == 0 {
			return nil, 0, attacksession.ErrNoModel
		}
		return nil, 0, fault.NotFound("threat model version %d of product %d is gone", version, productID)
	}
	if err != nil {
		return nil, 0, err
	}
	mod, err := threatmodel.Parse([]byte(v.Source), fmt.Sprintf("product-%d-v%d.yaml", productID, v.Version))
	if err != nil {
		return nil, 0, fmt.Errorf("stored threat model: %w", err)
	}
	return mod, v.Version, nil
}

// AddThreat adds t to the latest model version and tracks it, in ctx's
// transaction (the caller's Atomic).
func (m AttackModels) AddThreat(ctx context.Context, productID int64, t threatmodel.ThreatDecision, owner, status, actor string) (int, error) {
	mod, ver, err := m.Model(ctx, productID, 0)
	if err != nil {
		return 0, err
	}
	if mod.Element(t.Target) == nil && mod.Flow(t.Target) == nil {
		return 0, fault.Conflict("%q is no longer an element or flow of the latest threat model (version %d): reject the idea, or add the target back first", t.Target, ver)
	}
	for _, d := range mod.Threats {
		if d.ID == t.ID {
			return 0, fault.Conflict("the threat model already has a threat %s", t.ID)
		}
	}
	mod.Threats = append(mod.Threats, t)
	src, err := threatmodel.Marshal(mod)
	if err != nil {
		return 0, err
	}
	saved, err := SaveThreatModel(ctx, m.Store, productID, src, "attack-session.yaml", "threat "+t.ID+" from an attack session", actor)
	if err != nil {
		return 0, err
	}
	now := time.Now
	if m.Now != nil {
		now = m.Now
	}
	err = TrackThreat(ctx, m.Store, productID, threatmodel.ThreatTracking{ThreatID: t.ID, Status: status, Owner: owner, UpdatedBy: actor,
		Note: "merged from an attack session"}, now())
	return saved.Version.Version, err
}
