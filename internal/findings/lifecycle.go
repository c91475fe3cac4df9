package findings

import (
	"fmt"
	"slices"
	"time"
)

// Status is where a finding is in its life.
type Status string

// Statuses. Open, Confirmed and InProgress are "active"; FalsePositive,
// RiskAccepted and Duplicate are human triage decisions that a re-import
// never overwrites.
const (
	StatusOpen          Status = "open"
	StatusConfirmed     Status = "confirmed"
	StatusInProgress    Status = "in_progress"
	StatusFixed         Status = "fixed"    // a person says it is fixed
	StatusVerified      Status = "verified" // a re-scan no longer reports it
	StatusFalsePositive Status = "false_positive"
	StatusRiskAccepted  Status = "risk_accepted"
	StatusDuplicate     Status = "duplicate"
)

// Statuses lists every status in display order.
var Statuses = []Status{StatusOpen, StatusConfirmed, StatusInProgress, StatusFixed, StatusVerified, StatusFalsePositive, StatusRiskAccepted, StatusDuplicate}

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	return slices.Contains(Statuses, s)
}

// Active reports whether the finding still needs work.
func (s Status) Active() bool {
	return s == StatusOpen || s == StatusConfirmed || s == StatusInProgress
}

// Closed reports whether the finding was fixed (by a person or verified by a re-scan).
func (s Status) Closed() bool { return s == StatusFixed || s == StatusVerified }

// Triaged reports whether a person decided the finding needs no fix.
func (s Status) Triaged() bool {
	return s == StatusFalsePositive || s == StatusRiskAccepted || s == StatusDuplicate
}

// Transition is a requested status change by a person.
type Transition struct {
	To     Status
	Reason string
	// AcceptedUntil is required for risk acceptance: on that date the
	// acceptance expires and the finding reopens.
	AcceptedUntil *time.Time
	Approver      string
}

// Check validates a transition from a current status.
func (t Transition) Check(from Status, now time.Time) error {
	if !t.To.Valid() {
		return fmt.Errorf("status %q: must be one of %v", t.To, Statuses)
	}
	if t.To == StatusVerified {
		return fmt.Errorf("status verified is set only by a re-scan that no longer reports the finding; set fixed instead")
	}
	switch t.To {
	case StatusRiskAccepted:
		if t.Reason == "" {
			return fmt.Errorf("risk acceptance needs a reason")
		}
		if t.AcceptedUntil == nil || !t.AcceptedUntil.After(now) {
			return fmt.Errorf("risk acceptance needs an expiry date in the future")
		}
		if t.Approver == "" {
			return fmt.Errorf("risk acceptance needs an approver")
		}
	case StatusFalsePositive:
		if t.Reason == "" {
			return fmt.Errorf("marking a false positive needs a reason")
		}
	}
	return nil
}

// Existing is what re-import needs to know about a stored finding.
type Existing struct {
	ID          int64
	Fingerprint string
	Status      Status
}

// Outcome says what re-import does with one finding.
type Outcome string

// Outcomes of a re-import.
const (
	OutcomeNew       Outcome = "new"       // first time seen in this scope: open
	OutcomeUnchanged Outcome = "unchanged" // seen again: last seen and evidence updated, status kept
	OutcomeReopened  Outcome = "reopened"  // was fixed/verified, reported again: open
	OutcomeClosed    Outcome = "closed"    // active but no longer reported: verified (fixed, verified by re-scan)
)

// Plan is the result of reconciling a new scan with a scope's findings.
type Plan struct {
	// Incoming maps each incoming fingerprint to its outcome (new, unchanged, reopened).
	Incoming map[string]Outcome
	// Close lists stored findings to close as verified.
	Close []int64
	// Counts per outcome.
	New, Unchanged, Reopened, Closed int
}

// Reconciler decides, finding by finding, what a re-import of one scan
// scope does, so that huge reports can be streamed: new findings open, seen
// ones are updated, fixed ones that re-appear reopen, and (in Finish) active
// ones that were not reported are closed as verified by the re-scan. Human
// triage decisions (false positive, risk accepted, duplicate) and
// assignments are never overwritten: such findings count as unchanged when
// seen and are left alone when missing.
type Reconciler struct {
	byFP map[string]Existing
	plan Plan
}

// NewReconciler starts reconciling against a scope's stored findings.
func NewReconciler(existing []Existing) *Reconciler {
	r := &Reconciler{byFP: make(map[string]Existing, len(existing)), plan: Plan{Incoming: map[string]Outcome{}}}
	for _, e := range existing {
		r.byFP[e.Fingerprint] = e
	}
	return r
}

// Add records an incoming finding and returns its outcome, and the stored
// finding it matches (ok false for new ones). A fingerprint reported twice
// in one scan is one finding: the second Add reports dup true.
func (r *Reconciler) Add(fp string) (o Outcome, e Existing, dup bool) {
	return r.AddTriaged(fp, nil)
}

// AddTriaged is Add for a finding the report itself records with triage
// t: one it records as fixed (a DefectDojo export's mitigated finding)
// does not reopen a closed finding.
func (r *Reconciler) AddTriaged(fp string, t *Triage) (o Outcome, e Existing, dup bool) {
	if o, seen := r.plan.Incoming[fp]; seen {
		return o, r.byFP[fp], true
	}
	e, ok := r.byFP[fp]
	switch {
	case !ok:
		o = OutcomeNew
		r.plan.New++
	case e.Status.Closed() && t != nil && t.Status.Closed():
		o = OutcomeUnchanged
		r.plan.Unchanged++
	case e.Status.Closed():
		o = OutcomeReopened
		r.plan.Reopened++
	default:
		o = OutcomeUnchanged
		r.plan.Unchanged++
	}
	r.plan.Incoming[fp] = o
	return o, e, false
}

// Finish returns the plan, with the active findings that were not reported.
func (r *Reconciler) Finish() Plan {
	for fp, e := range r.byFP {
		if _, seen := r.plan.Incoming[fp]; !seen && e.Status.Active() {
			r.plan.Close = append(r.plan.Close, e.ID)
			r.plan.Closed++
		}
	}
	slices.Sort(r.plan.Close)
	return r.plan
}

// Reconcile is the Reconciler over a whole list of incoming fingerprints.
func Reconcile(existing []Existing, incoming []string) Plan {
	r := NewReconciler(existing)
	for _, fp := range incoming {
		r.Add(fp)
	}
	return r.Finish()
}
