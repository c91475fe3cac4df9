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
