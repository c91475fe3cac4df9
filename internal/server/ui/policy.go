package ui

import (
	"context"
	"time"

	"github.com/rampart-security/rampart/internal/portfolio"
)

// releaseGate evaluates a release's policy gate for the release page's
// panel; an evaluation error is shown in the panel, not as a page error.
func (h *handler) releaseGate(ctx context.Context, releaseID int64) (*portfolio.GateView, string) {
	v, err := portfolio.NewGate(h.Store, h.Vulns, h.Threats, time.Now).Evaluate(ctx, releaseID, "ui")
	if err != nil {
		h.Log.Error("gate evaluation", "release", releaseID, "err", err)
		return nil, err.Error()
	}
	return v, ""
}

// gateAfter re-evaluates a release's gate after a successful import; a
// failure is logged (the import itself succeeded).
func (h *handler) gateAfter(ctx context.Context, releaseID int64, trigger string) {
	if err := portfolio.NewGate(h.Store, h.Vulns, h.Threats, time.Now).OnChange(ctx, releaseID, trigger); err != nil {
		h.Log.Error("gate evaluation", "release", releaseID, "trigger", trigger, "err", err)
	}
}

// gateAfterProduct re-evaluates every release of a product (a new threat-model version).
func (h *handler) gateAfterProduct(ctx context.Context, productID int64, trigger string) {
	if err := portfolio.NewGate(h.Store, h.Vulns, h.Threats, time.Now).OnProductChange(ctx, productID, trigger); err != nil {
		h.Log.Error("gate evaluation", "product", productID, "trigger", trigger, "err", err)
	}
}
