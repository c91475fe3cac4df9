package portfolio

import (
	"context"
	"time"

	"github.com/rampart-security/rampart/internal/sdl"
)

// ChecklistSetter is the storage SetChecklist needs: it stores a release's SDL checklist items.
type ChecklistSetter interface {
	SetChecklist(ctx context.Context, releaseID int64, items map[string]sdl.ChecklistItem, actor string, now time.Time) error
}

// SAMMAdder is the storage AddSAMMAssessment needs: it stores a SAMM assessment.
type SAMMAdder interface {
	AddSAMMAssessment(ctx context.Context, a *sdl.SAMMAssessment) error
}

// SetChecklist validates and stores SDL checklist items of a release.
func SetChecklist(ctx context.Context, st ChecklistSetter, releaseID int64, items map[string]sdl.ChecklistItem, actor string, now time.Time) error {
	if err := sdl.ValidateChecklist(items); err != nil {
		return err
	}
	return st.SetChecklist(ctx, releaseID, items, actor, now)
}

// AddSAMMAssessment validates and stores a product's SAMM self-assessment.
func AddSAMMAssessment(ctx context.Context, st SAMMAdder, productID int64, answers map[string]float64, note, actor string, now time.Time) (sdl.SAMMAssessment, error) {
	if err := sdl.ValidateAnswers(answers); err != nil {
		return sdl.SAMMAssessment{}, err
	}
	a := sdl.SAMMAssessment{ProductID: productID, Answers: answers, Note: note, CreatedAt: now.UTC(), CreatedBy: actor, Scores: sdl.Score(answers)}
	err := st.AddSAMMAssessment(ctx, &a)
	return a, err
}
