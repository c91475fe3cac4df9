package portfolio_test

import (
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/store"
)

// The store satisfies every storage interface the portfolio use cases declare.
var (
	_ portfolio.ChecklistSetter        = (*store.Store)(nil)
	_ portfolio.GateStore              = (*store.Store)(nil)
	_ portfolio.ConformityStore        = (*store.Store)(nil)
	_ portfolio.ConformityServiceStore = (*store.Store)(nil)
	_ portfolio.AdvisoryInputStore     = (*store.Store)(nil)
	_ portfolio.SAMMAdder              = (*store.Store)(nil)
	_ portfolio.ThreatModelSaver       = (*store.Store)(nil)
	_ portfolio.ThreatReader           = (*store.Store)(nil)
	_ portfolio.ThreatTracker          = (*store.Store)(nil)
	_ portfolio.ThreatEditor           = (*store.Store)(nil)
	_ portfolio.AttackModelStore       = (*store.Store)(nil)
	_ portfolio.AttackSessionStore     = (*store.Store)(nil)
)
