package policy

import (
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/fault"
)

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

// MaxExceptionDays bounds how far ahead an exception may expire.
const MaxExceptionDays = 366

// Validate checks a requested exception as of now: it names a rule, is
// scoped by a match, says why, and expires on a date from today to at most
// MaxExceptionDays ahead.
func (e PolicyException) Validate(now time.Time) error {
	switch {
	case strings.TrimSpace(e.Rule) == "":
		return fault.Invalid("rule", "name the policy rule id the exception is for")
	case e.MatchID == "" && e.MatchComponent == "" && e.MatchPath == "":
		return fault.Invalid("match", "scope the exception with match.id, match.component or match.path")
	case strings.TrimSpace(e.Reason) == "":
		return fault.Invalid("reason", "say why the risk is accepted")
	}
	exp, err := time.Parse(time.DateOnly, e.Expires)
	if err != nil {
		return fault.Invalid("expires", "%q is not a date YYYY-MM-DD", e.Expires)
	}
	if exp.Before(now.Truncate(24 * time.Hour)) {
		return fault.Invalid("expires", "%s is in the past", e.Expires)
	}
	if exp.After(now.AddDate(0, 0, MaxExceptionDays)) {
		return fault.Invalid("expires", "at most %d days ahead", MaxExceptionDays)
	}
	return nil
}
