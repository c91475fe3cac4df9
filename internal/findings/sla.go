package findings

import (
	"fmt"
	"time"
)

// SLAPolicy gives the days allowed to fix a finding of each severity. Zero
// days means no deadline (info findings by default).
type SLAPolicy struct {
	Critical int `json:"critical"`
	High     int `json:"high"`
	Medium   int `json:"medium"`
	Low      int `json:"low"`
	Info     int `json:"info"`
}

// DefaultSLA is the policy products start with: critical 7, high 30,
// medium 90, low 120 days; info has no deadline.
func DefaultSLA() SLAPolicy { return SLAPolicy{Critical: 7, High: 30, Medium: 90, Low: 120} }

// Days returns the days allowed for sev (0: no deadline).
func (p SLAPolicy) Days(sev Severity) int {
	switch sev {
	case Critical:
		return p.Critical
	case High:
		return p.High
	case Medium:
		return p.Medium
	case Low:
		return p.Low
	}
	return p.Info
}

// Validate rejects negative day counts.
func (p SLAPolicy) Validate() error {
	for _, s := range []Severity{Critical, High, Medium, Low, Info} {
		if d := p.Days(s); d < 0 {
			return fmt.Errorf("SLA for %s: %d days is negative", s, d)
		}
	}
	return nil
}

// Deadline is when a finding must be fixed, and why.
type Deadline struct {
	Due    time.Time `json:"due"`
	Source string    `json:"source"` // "sla:high" or "kev"
}

// Due returns the deadline of a finding of severity sev first seen at
// firstSeen. kevDue, when non-nil, is CISA KEV's due date for the
// vulnerability; it is honoured when earlier than the SLA deadline (and
// applies even when the severity has no SLA). ok is false when there is no
// deadline at all.
func (p SLAPolicy) Due(sev Severity, firstSeen time.Time, kevDue *time.Time) (d Deadline, ok bool) {
	if days := p.Days(sev); days > 0 {
		d, ok = Deadline{Due: firstSeen.AddDate(0, 0, days), Source: "sla:" + string(sev)}, true
	}
	if kevDue != nil && (!ok || kevDue.Before(d.Due)) {
		d, ok = Deadline{Due: *kevDue, Source: "kev"}, true
	}
	return d, ok
}

// SLAState is where a finding stands against its deadline.
type SLAState string

// SLA states.
const (
	SLANone    SLAState = "none"     // no deadline
	SLAOnTrack SLAState = "on-track" // more than a quarter of the window left
	SLADueSoon SLAState = "due-soon" // a quarter of the window or less left
	SLAOverdue SLAState = "overdue"  // deadline passed
)

// State classifies a deadline at time now for a finding first seen at
// firstSeen.
func (d Deadline) State(firstSeen, now time.Time) SLAState {
	if d.Due.IsZero() {
		return SLANone
	}
	if now.After(d.Due) {
		return SLAOverdue
	}
	window := d.Due.Sub(firstSeen)
	if window <= 0 || d.Due.Sub(now) <= window/4 {
		return SLADueSoon
	}
	return SLAOnTrack
}
