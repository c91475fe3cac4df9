package threatmodel

import (
	"time"

	"github.com/rampart-security/rampart/internal/fault"
)

// TrackingStatuses are the statuses a tracked threat can have.
var TrackingStatuses = []string{StatusOpen, "in_progress", StatusMitigated, StatusAccepted, StatusNotApplicable}

// ThreatModelVersion is one stored version of a product's threat model
// (the Rampart YAML source; parsing and checking are the caller's).
type ThreatModelVersion struct {
	ProductID int64     `json:"product_id"`
	Version   int       `json:"version"`
	Source    string    `json:"-"`
	SHA256    string    `json:"sha256"`
	Note      string    `json:"note,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
}

// ThreatTracking is how the team tracks one threat in the platform: who owns
// it, the task that mitigates it, and a status that overrides the model's.
type ThreatTracking struct {
	ThreatID  string    `json:"threat_id"`
	Status    string    `json:"status,omitempty"`
	Owner     string    `json:"owner,omitempty"`
	Task      string    `json:"task,omitempty"`
	Note      string    `json:"note,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
	UpdatedBy string    `json:"updated_by"`
}

// Validate checks a tracking's status, and that accepting a threat or
// calling it not applicable says why.
func (t ThreatTracking) Validate() error {
	ok := t.Status == ""
	for _, s := range TrackingStatuses {
		ok = ok || s == t.Status
	}
	if !ok {
		return fault.Invalid("status", "status: %q: must be one of %v", t.Status, TrackingStatuses)
	}
	if NeedsReason(t.Status) && t.Note == "" {
		return fault.Invalid("note", "note: accepting a threat or calling it not applicable needs a reason")
	}
	return nil
}
