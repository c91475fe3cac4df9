package storetest

import (
	"context"
	"errors"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/store"
)

// ErrAudit is what a FailingAudit's audit log answers while it fails.
var ErrAudit = errors.New("audit log unavailable")

// FailingAudit is a store whose audit log refuses every record with
// ErrAudit while Fail is set: a test of a use case that records its change
// in the change's transaction checks with it that the change rolls back.
type FailingAudit struct {
	*store.Store
	Fail bool
}

// AppendAudit fails while Fail is set and appends to the store otherwise.
func (f *FailingAudit) AppendAudit(ctx context.Context, e *audit.Event) error {
	if f.Fail {
		return ErrAudit
	}
	return f.Store.AppendAudit(ctx, e)
}
