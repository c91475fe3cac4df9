package findings

import (
	"slices"
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/fault"
)

// Stored is a finding with its platform state: where it was found, its
// triage, risk and SLA, as the store keeps it.
type Stored struct {
	ID            int64      `json:"id"`
	ProductID     int64      `json:"product_id"`
	ProductName   string     `json:"product_name"`
	ReleaseID     int64      `json:"release_id"`
	Release       string     `json:"release_version"`
	Scope         string     `json:"scope"`
	Status        Status     `json:"status"`
	StatusReason  string     `json:"status_reason,omitempty"`
	AcceptedUntil *time.Time `json:"accepted_until,omitempty"`
	AcceptedBy    string     `json:"accepted_by,omitempty"`
	Assignee      string     `json:"assignee,omitempty"`
	DuplicateOf   *int64     `json:"duplicate_of,omitempty"`
	Risk          Risk       `json:"risk"`
	SLADue        *time.Time `json:"sla_due,omitempty"`
	// SLASource is where the deadline comes from: "sla:<severity>" (the
	// product's policy) or "kev" (CISA KEV's due date, earlier).
	SLASource string     `json:"sla_source,omitempty"`
	SLAState  SLAState   `json:"sla_state"`
	FirstSeen time.Time  `json:"first_seen"`
	LastSeen  time.Time  `json:"last_seen"`
	ClosedAt  *time.Time `json:"closed_at,omitempty"`
	// Finding is the scanner's finding with the vulnerability database's
	// enrichment applied (Enrich): what risk and SLA use.
	Finding Finding `json:"finding"`
	// Enrichment is what the vulnerability database added (nil: nothing).
	Enrichment *Enrichment `json:"enrichment,omitempty"`
	// LinkedMatch is the SBOM match of the same vulnerability and
	// component in the release, when there is one.
	LinkedMatch *MatchLink `json:"linked_match,omitempty"`
}

// MatchLink names an SBOM match of a release: its component and
// vulnerability.
type MatchLink struct {
	ComponentRef    string `json:"component_ref"`
	VulnerabilityID string `json:"vulnerability_id"`
}

// Query filters, sorts and pages stored findings.
type Query struct {
	ProductID int64
	ReleaseID int64
	// Status is a status, "active" (open, confirmed, in progress) or "" for all.
	Status   string
	Severity Severity
	Tool     string
	Assignee string
	KEV      bool
	Overdue  bool
	Text     string // substring of title, rule, component or a vulnerability id
	// Sort is one of QuerySorts; "" is the first, "risk".
	Sort  string
	After string // the cursor of the previous page ("" for the first)
	Limit int    // page size (0: the store's default; capped at its maximum)
	// Products, when non-nil, restricts results to these product ids.
	Products []int64
	// VulnIDs, when set, selects findings naming any of these
	// vulnerability ids (a vulnerability's id and aliases).
	VulnIDs []string
}

// QuerySorts are the orders a Query may ask for: "risk" (the default,
// highest first), "severity" (highest first), "first_seen" (newest first)
// and "due" (the earliest SLA deadline first, findings without one last).
var QuerySorts = []string{"risk", "severity", "first_seen", "due"}

// SortKey is the query's order: Sort, or "risk" when it is empty.
func (q Query) SortKey() string {
	if q.Sort == "" {
		return QuerySorts[0]
	}
	return q.Sort
}

// Validate checks the sort order, the status and the severity. The cursor
// (After) is the store's and is checked there.
func (q Query) Validate() error {
	if !validSort(q.SortKey()) {
		return fault.Invalid("sort", "sort: must be risk, severity, first_seen or due")
	}
	if q.Status != "" && q.Status != "active" && !Status(q.Status).Valid() {
		return fault.Invalid("status", "status: %q: must be active or one of %v", q.Status, Statuses)
	}
	if q.Severity != "" && !q.Severity.Valid() {
		return fault.Invalid("severity", "severity: must be critical, high, medium, low or info")
	}
	return nil
}

func validSort(s string) bool {
	return slices.Contains(QuerySorts, s)
}

// Event is one entry of a stored finding's history.
type Event struct {
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Kind   string    `json:"kind"`
	From   string    `json:"from,omitempty"`
	To     string    `json:"to,omitempty"`
	Detail string    `json:"detail,omitempty"`
}

// Stats counts a set of stored findings for dashboards.
type Stats struct {
	ActiveBySeverity map[Severity]int `json:"active_by_severity"`
	Active           int              `json:"active"`
	Overdue          int              `json:"overdue"`
	KEV              int              `json:"kev"`
	Closed           int              `json:"closed"`
	// MeanTimeToRemediate is the mean days from first seen to closed.
	MeanTimeToRemediate float64 `json:"mttr_days"`
	// SLACompliance is the share (0–100) of closed findings with a due
	// date that were closed by it; -1 when none was closed yet.
	SLACompliance float64 `json:"sla_compliance"`
}

// Update is a triage change by a person. Nil fields are unchanged.
type Update struct {
	Transition *Transition
	Assignee   *string
	Comment    string
}

// Longest accepted triage texts, in bytes: a comment or a transition's
// reason, and a person's name (assignee, approver).
const (
	MaxTriageText = 10000
	MaxPersonName = 200
)

// textLimit is a free-text field and its longest accepted length in bytes.
type textLimit struct {
	field, v string
	limit    int
}

// Validate refuses an update that changes nothing (no status, no assignee
// and no comment) and texts longer than MaxTriageText or MaxPersonName.
// Whether the transition is allowed depends on each finding's current
// status (Transition.Check).
func (u Update) Validate() error {
	if u.Transition == nil && u.Assignee == nil && strings.TrimSpace(u.Comment) == "" {
		return fault.Invalid("status", "status: nothing to do: give a status, an assignee or a comment")
	}
	texts := []textLimit{{"comment", u.Comment, MaxTriageText}}
	if u.Assignee != nil {
		texts = append(texts, textLimit{"assignee", *u.Assignee, MaxPersonName})
	}
	if t := u.Transition; t != nil {
		texts = append(texts, textLimit{"reason", t.Reason, MaxTriageText}, textLimit{"approver", t.Approver, MaxPersonName})
	}
	for _, x := range texts {
		if len(x.v) > x.limit {
			return fault.Invalid(x.field, "%s: is %d bytes; at most %d are accepted, shorten it", x.field, len(x.v), x.limit)
		}
	}
	return nil
}
