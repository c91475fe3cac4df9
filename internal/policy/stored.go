package policy

import "time"

// PolicyVersion is one stored version of a product's gate policy (product
// 0: the global default). Compile compiles its Source.
type PolicyVersion struct {
	ProductID int64     `json:"product_id"`
	Version   int       `json:"version"`
	Source    string    `json:"source"`
	SHA256    string    `json:"sha256"`
	Note      string    `json:"note,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
}

// PolicyException is an exception requested for a product's gate.
type PolicyException struct {
	ID             int64      `json:"id"`
	ProductID      int64      `json:"product_id"`
	Rule           string     `json:"rule"`
	MatchID        string     `json:"match_id,omitempty"`
	MatchComponent string     `json:"match_component,omitempty"`
	MatchPath      string     `json:"match_path,omitempty"`
	Reason         string     `json:"reason"`
	Expires        string     `json:"expires"` // YYYY-MM-DD
	Status         string     `json:"status"`  // requested, approved, rejected, expired
	RequestedBy    string     `json:"requested_by"`
	RequestedAt    time.Time  `json:"requested_at"`
	DecidedBy      string     `json:"decided_by,omitempty"`
	DecidedAt      *time.Time `json:"decided_at,omitempty"`
}

// GateResult is the last gate evaluation of a release.
type GateResult struct {
	ReleaseID     int64     `json:"release_id"`
	Passed        bool      `json:"passed"`
	Failing       int       `json:"failing"`
	PolicyScope   string    `json:"policy_scope"` // product, global or default
	PolicyVersion int       `json:"policy_version"`
	Trigger       string    `json:"trigger"`
	Result        string    `json:"-"` // the gate's JSON report (at most portfolio.MaxGateViolations violations, with the counts of all)
	EvaluatedAt   time.Time `json:"evaluated_at"`
}
