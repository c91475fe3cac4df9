package portfolio_test

import (
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/store"
)

// storage is every storage interface the portfolio use cases declare: the
// store satisfies them all (checked at compile time below).
type storage interface {
	portfolio.GateStore
	portfolio.ConformityStore
	portfolio.ConformityServiceStore
	portfolio.AdvisoryInputStore
	portfolio.ChecklistSetter
	portfolio.SAMMAdder
	portfolio.ThreatModelSaver
	portfolio.ThreatReader
	portfolio.ThreatTracker
	portfolio.ThreatEditor
	portfolio.AttackModelStore
	portfolio.AttackSessionStore
}

var _ storage = (*store.Store)(nil)
