package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/rampart-security/rampart/internal/policy"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/sdl"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/threatmodel"
)

// seedPolicy gives the gateway an approved gate exception (the
// kernel's GPL), an SDL checklist on its newest release and a SAMM
// self-assessment, then evaluates every release's gate with the default
// policy so the release pages show their gate panel.
func seedPolicy(ctx context.Context, st *store.Store) error {
	prods, _, err := st.Products(ctx, "", 0)
	if err != nil || len(prods) == 0 {
		return err
	}
	lib, err := threatmodel.NewLibrary(threatmodel.LibraryOptions{})
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	g := portfolio.NewGate(st, portfolio.NewVulns(st, nil), lib, func() time.Time { return now })
	gw, err := st.ProductByName(ctx, "Industrial Gateway IG-400")
	if err != nil {
		return err
	}
	first := gw.ID
	e, err := g.RequestException(ctx, portfolio.ExceptionRequest{ProductID: first, Rule: "no-copyleft-in-firmware", Match: policy.Match{Component: "linux@*"},
		Reason: "Kernel under GPL-2.0 by design: the written source offer ships with the device", Expires: now.AddDate(0, 6, 0).Format(time.DateOnly)}, "edge-platform-lead")
	if err != nil {
		return fmt.Errorf("demo exception: %w", err)
	}
	if _, err := g.DecideException(ctx, first, e.ID, true, User); err != nil {
		return fmt.Errorf("demo exception: %w", err)
	}
	rels, _, err := st.Releases(ctx, first, "", 1)
	if err != nil {
		return err
	}
	if len(rels) > 0 {
		items := map[string]sdl.ChecklistItem{
			"threat_model_reviewed": {Done: true, Evidence: "https://wiki.northwind.example/ig-400/threat-model-review-2026-05"},
			"code_review":           {Done: true, Evidence: "https://git.northwind.example/ig-400/agent/-/merge_requests/412"},
		}
		if err := portfolio.SetChecklist(ctx, st, rels[0].ID, items, User, now); err != nil {
			return fmt.Errorf("demo checklist: %w", err)
		}
	}
	answers := map[string]float64{"G-SM-A": 1, "G-PC-A": 1.5, "D-TA-A": 2, "D-TA-B": 2, "D-SR-B": 1, "I-SB-A": 2, "I-SB-B": 2.5,
		"I-DM-A": 2, "V-ST-A": 1.5, "O-IM-B": 1, "O-EM-B": 2}
	if _, err := portfolio.AddSAMMAssessment(ctx, st, first, answers, "demo: first self-assessment", User, now); err != nil {
		return fmt.Errorf("demo SAMM: %w", err)
	}
	for _, p := range prods {
		if err := g.OnProductChange(ctx, p.ID, "demo"); err != nil {
			return fmt.Errorf("demo gate: %w", err)
		}
	}
	return nil
}
