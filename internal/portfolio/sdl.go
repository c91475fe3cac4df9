package portfolio

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/sdl"
)

// ChecklistSetter is the storage SetChecklist needs: it stores a release's
// SDL checklist items and their audit record in one transaction.
type ChecklistSetter interface {
	audit.AtomicLog
	SetChecklist(ctx context.Context, releaseID int64, items map[string]sdl.ChecklistItem, actor string, now time.Time) error
	ReleaseProduct(ctx context.Context, releaseID int64) (int64, error)
}

// SAMMAdder is the storage AddSAMMAssessment needs: it stores a SAMM
// assessment and its audit record in one transaction.
type SAMMAdder interface {
	audit.AtomicLog
	AddSAMMAssessment(ctx context.Context, a *sdl.SAMMAssessment) error
}

// SetChecklist validates and stores SDL checklist items of a release and
// records the change (sdl.checklist.set: each item's activity and whether
// it is done) in the same transaction.
func SetChecklist(ctx context.Context, st ChecklistSetter, releaseID int64, items map[string]sdl.ChecklistItem, actor string, now time.Time) error {
	if err := sdl.ValidateChecklist(items); err != nil {
		return err
	}
	done := make([]string, 0, len(items))
	for id, it := range items {
		done = append(done, fmt.Sprintf("%s=%v", id, it.Done))
	}
	sort.Strings(done)
	return st.Atomic(ctx, func(ctx context.Context) error {
		if err := st.SetChecklist(ctx, releaseID, items, actor, now); err != nil {
			return err
		}
		productID, err := st.ReleaseProduct(ctx, releaseID)
		if err != nil {
			return err
		}
		return audit.Record(ctx, st, audit.Event{Action: "sdl.checklist.set", Object: fmt.Sprintf("release:%d", releaseID), ProductID: productID, Detail: fmt.Sprint(done)})
	})
}

// AddSAMMAssessment validates and stores a product's SAMM self-assessment
// and records it (sdl.samm.assess, with the overall score) in the same
// transaction.
func AddSAMMAssessment(ctx context.Context, st SAMMAdder, productID int64, answers map[string]float64, note, actor string, now time.Time) (sdl.SAMMAssessment, error) {
	if err := sdl.ValidateAnswers(answers); err != nil {
		return sdl.SAMMAssessment{}, err
	}
	a := sdl.SAMMAssessment{ProductID: productID, Answers: answers, Note: note, CreatedAt: now.UTC(), CreatedBy: actor, Scores: sdl.Score(answers)}
	err := st.Atomic(ctx, func(ctx context.Context) error {
		if err := st.AddSAMMAssessment(ctx, &a); err != nil {
			return err
		}
		return audit.Record(ctx, st, audit.Event{Action: "sdl.samm.assess", Object: fmt.Sprintf("samm:%d", a.ID), ProductID: productID, Detail: fmt.Sprintf("overall %.2f", a.Scores.Overall)})
	})
	return a, err
}
