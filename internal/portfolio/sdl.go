package portfolio

import (
	"context"
	"time"

	"github.com/rampart-security/rampart/internal/sdl"
	"github.com/rampart-security/rampart/internal/store"
)

// SetChecklist validates and stores SDL checklist items of a release.
func SetChecklist(ctx context.Context, st *store.Store, releaseID int64, items map[string]sdl.ChecklistItem, actor string, now time.Time) error {
	if err := sdl.ValidateChecklist(items); err != nil {
		return err
	}
	return st.SetChecklist(ctx, releaseID, items, actor, now)
}

// AddSAMMAssessment validates and stores a product's SAMM self-assessment.
func AddSAMMAssessment(ctx context.Context, st *store.Store, productID int64, answers map[string]float64, note, actor string, now time.Time) (store.SAMMAssessment, error) {
	if err := sdl.ValidateAnswers(answers); err != nil {
		return store.SAMMAssessment{}, err
	}
	a := store.SAMMAssessment{ProductID: productID, Answers: answers, Note: note, CreatedAt: now.UTC(), CreatedBy: actor, Scores: sdl.Score(answers)}
	err := st.AddSAMMAssessment(ctx, &a)
	return a, err
}
