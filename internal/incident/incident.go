// Package incident is Rampart's incident response: incidents (an actively
// exploited vulnerability or a severe incident), their phases, tasks and
// timeline, and the EU Cyber Resilience Act Art. 14 reporting clocks that
// start when the manufacturer becomes aware of one. The Service opens,
// changes and reports incidents through a small Store interface (which
// internal/store implements, writing every timeline entry into the
// hash-chained audit log in the same transaction) and an injected clock.
package incident

import (
	"fmt"
	"time"
)

// Kind says which Art. 14 obligation an incident falls under.
type Kind string

// Kinds.
const (
	// KindVulnerability is an actively exploited vulnerability (Art. 14(1)).
	KindVulnerability Kind = "vulnerability"
	// KindIncident is a severe incident having an impact on the security of
	// the product (Art. 14(3)).
	KindIncident Kind = "incident"
)

// Phase is where the response is.
type Phase string

// Phases, in order.
const (
	PhaseDetection   Phase = "detection"
	PhaseContainment Phase = "containment"
	PhaseEradication Phase = "eradication"
	PhaseRecovery    Phase = "recovery"
	PhaseClosed      Phase = "closed"
)

// Phases lists the phases in order.
var Phases = []Phase{PhaseDetection, PhaseContainment, PhaseEradication, PhaseRecovery, PhaseClosed}

func (p Phase) index() int {
	for i, x := range Phases {
		if x == p {
			return i
		}
	}
	return -1
}

// ReportKind names one of the three Art. 14 reports.
type ReportKind string

// Report kinds.
const (
	EarlyWarning ReportKind = "early_warning"
	Notification ReportKind = "notification"
	FinalReport  ReportKind = "final_report"
)

// ReportKinds lists the reports in the order they are due.
var ReportKinds = []ReportKind{EarlyWarning, Notification, FinalReport}

// ParseReportKind validates a report kind.
func ParseReportKind(s string) (ReportKind, error) {
	for _, k := range ReportKinds {
		if string(k) == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("report kind %q: must be early_warning, notification or final_report", s)
}

// ReportStatus is where a report stands against its deadline.
type ReportStatus string

// Report statuses.
const (
	StatusDue             ReportStatus = "due"
	StatusSubmittedOnTime ReportStatus = "submitted_on_time"
	StatusLate            ReportStatus = "late"
)

// Incident is one response case.
type Incident struct {
	ID            int64   `json:"id"`
	Kind          Kind    `json:"kind"`
	Title         string  `json:"title"`
	Severity      string  `json:"severity"`
	Vulnerability string  `json:"vulnerability,omitempty"`
	Owner         string  `json:"owner,omitempty"`
	Phase         Phase   `json:"phase"`
	Products      []int64 `json:"products"`
	Releases      []int64 `json:"releases"`
	// Drill marks an exercise; Scenario names its template.
	Drill    bool   `json:"drill"`
	Scenario string `json:"scenario,omitempty"`
	// AwareAt is when the manufacturer became aware: the clocks start here.
	AwareAt time.Time `json:"aware_at"`
	// AwareSignal is what made Rampart aware ("manual", "kev", "intake", …).
	AwareSignal string `json:"aware_signal"`
	// CorrectiveMeasureAt is when a corrective or mitigating measure became
	// available to users (starts the vulnerability final report's 14 days).
	CorrectiveMeasureAt *time.Time `json:"corrective_measure_at,omitempty"`
	// PhaseAt records when each phase was entered (for drill scorecards).
	PhaseAt     map[Phase]time.Time       `json:"phase_at"`
	Details     Details                   `json:"details"`
	Submissions map[ReportKind]Submission `json:"-"`
	Reports     []Report                  `json:"reports"`
	Tasks       []Task                    `json:"tasks,omitempty"`
	Timeline    []Entry                   `json:"timeline,omitempty"`
	CreatedAt   time.Time                 `json:"created_at"`
	UpdatedAt   time.Time                 `json:"updated_at"`
	Links       map[string][]string       `json:"links,omitempty"`
}

// Details are the facts the Art. 14 reports carry beyond the clocks.
type Details struct {
	// Nature of the vulnerability or incident (Art. 14(2)(b), 14(4)(b)).
	Nature string `json:"nature,omitempty"`
	// Exploitation is what is known of the exploitation or the malicious
	// cause (suspected unlawful or malicious acts, Art. 14(4)(a)).
	Exploitation string `json:"exploitation,omitempty"`
	// CorrectiveMeasures taken and corrective or mitigating measures users
	// can take (Art. 14(2)(b), 14(4)(b)).
	CorrectiveMeasures string `json:"corrective_measures,omitempty"`
	// UsersInformed says whether impacted users were informed (Art. 14(8)).
	UsersInformed bool `json:"users_informed"`
	// Sensitivity of the notified information, as the manufacturer judges
	// it (Art. 14(2)(b) "how sensitive the manufacturer deems").
	Sensitivity string `json:"sensitivity,omitempty"`
	// RootCause and FixingUpdate are for the final report (Art. 14(2)(c),
	// 14(4)(c)).
	RootCause    string `json:"root_cause,omitempty"`
	FixingUpdate string `json:"fixing_update,omitempty"`
	// CrossBorder notes impact beyond the manufacturer's Member State.
	CrossBorder string `json:"cross_border,omitempty"`
}

// Submission records that a report was sent to the CSIRT/ENISA platform.
type Submission struct {
	SubmittedAt time.Time `json:"submitted_at"`
	Reference   string    `json:"reference,omitempty"`
	By          string    `json:"by,omitempty"`
}

// Report is one report's clock.
type Report struct {
	Kind ReportKind `json:"kind"`
	// Due is nil while the deadline is not yet known (a vulnerability final
	// report before a corrective measure is recorded).
	Due        *time.Time   `json:"due"`
	Status     ReportStatus `json:"status"`
	Submission *Submission  `json:"submission,omitempty"`
	Waiting    string       `json:"waiting_for,omitempty"`
}

// Task is one piece of response work.
type Task struct {
	ID     int64      `json:"id"`
	Title  string     `json:"title"`
	Owner  string     `json:"owner,omitempty"`
	Due    *time.Time `json:"due,omitempty"`
	DoneAt *time.Time `json:"done_at,omitempty"`
}

// Entry is one timeline entry; the store writes each into the audit log.
type Entry struct {
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Action string    `json:"action"`
	Detail string    `json:"detail,omitempty"`
	// Signals are recorded with the entry; a signal already recorded makes
	// the whole write fail with a conflict (feeds re-run never double-open).
	Signals []Signal `json:"-"`
}

// Signal is one exploitation signal about one release.
type Signal struct {
	Source    string // "kev", "intake", "csaf"
	Subject   string // the vulnerability id
	ReleaseID int64
	ProductID int64
	Detail    string
}

// Filter selects incidents. Products nil means every product.
type Filter struct {
	Product  int64
	Phase    Phase
	Drill    *bool
	Products []int64
	Limit    int
}
