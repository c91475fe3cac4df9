package portfolio

import (
	"context"

	"github.com/rampart-security/rampart/internal/findings"
)

// FindingDetail is a finding with its history.
type FindingDetail struct {
	findings.Stored
	History []findings.Event `json:"history"`
}

// FindingDetailStore is what LoadFindingDetail reads: the finding and its
// history (fault.ErrNotFound for an unknown finding).
type FindingDetailStore interface {
	Finding(ctx context.Context, id int64) (findings.Stored, error)
	FindingHistory(ctx context.Context, id int64) ([]findings.Event, error)
}

// LoadFindingDetail loads the finding id with its history, as the API and
// the UI show a finding.
func LoadFindingDetail(ctx context.Context, st FindingDetailStore, id int64) (FindingDetail, error) {
	f, err := st.Finding(ctx, id)
	if err != nil {
		return FindingDetail{}, err
	}
	hist, err := st.FindingHistory(ctx, id)
	if err != nil {
		return FindingDetail{}, err
	}
	return FindingDetail{Stored: f, History: hist}, nil
}
