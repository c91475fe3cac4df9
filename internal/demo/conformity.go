package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/rampart-security/rampart/internal/conformity"
	"github.com/rampart-security/rampart/internal/store"
)

// seedConformity gives the demo's first product a few manual answers, as a
// product manager would before the automatic checks cover the rest: what
// no data in Rampart can show (sensors, factory reset, set-up guidance).
func seedConformity(ctx context.Context, st *store.Store) error {
	prods, _, err := st.Products(ctx, "", 1)
	if err != nil || len(prods) == 0 {
		return err
	}
	rels, _, err := st.Releases(ctx, prods[0].ID, "", 1)
	if err != nil || len(rels) == 0 {
		return err
	}
	answers := []conformity.Answer{
		{Catalog: conformity.ETSI, Item: "5.1-4", Status: conformity.Met, Justification: "The device web UI and the companion app let the user change the admin password; tested in the 2.x acceptance suite.", Owner: "product"},
		{Catalog: conformity.ETSI, Item: "5.8-3", Status: conformity.NotApplicable, Justification: "The device has no external sensing capability (no camera, microphone, motion or environment sensors).", Owner: "hardware"},
		{Catalog: conformity.ETSI, Item: "5.11-1", Status: conformity.Met, Justification: "Factory reset (hold the reset button 10 s) erases the user partition; see the user manual, section 7.", Owner: "product"},
		{Catalog: conformity.ETSI, Item: "5.12-2", Status: conformity.NeedsEvidence, Justification: "The secure set-up guide is drafted; publication is planned with the next release.", Owner: "docs"},
		{Catalog: conformity.CRA, Item: "I.2m", Status: conformity.Met, Justification: "Factory reset erases all data and settings; documented in the user manual.", Owner: "product"},
	}
	for _, a := range answers {
		a.Author, a.UpdatedAt = User, time.Now().UTC()
		if _, err := st.SaveConformityAnswer(ctx, rels[0].ID, a); err != nil {
			return fmt.Errorf("demo conformity answer %s: %w", a.Item, err)
		}
	}
	return nil
}
