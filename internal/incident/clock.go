package incident

import "time"

// The CRA Art. 14 reporting periods (Regulation (EU) 2024/2847).
const (
	// EarlyWarningPeriod: Art. 14(2)(a) and 14(4)(a), "without undue delay
	// and in any event within 24 hours of the manufacturer becoming aware".
	EarlyWarningPeriod = 24 * time.Hour
	// NotificationPeriod: Art. 14(2)(b) and 14(4)(b), "within 72 hours of the
	// manufacturer becoming aware".
	NotificationPeriod = 72 * time.Hour
	// FinalReportDays: Art. 14(2)(c), "no later than 14 days after a
	// corrective or mitigating measure is available" (vulnerabilities).
	FinalReportDays = 14
	// FinalReportMonths: Art. 14(4)(c), "within one month after the
	// submission of the incident notification" (severe incidents).
	FinalReportMonths = 1
)

// Deadlines computes the three due times of an incident. Periods in hours
// are exact durations from aware (24 h is 24 h even across a DST change).
// Periods in days and months are calendar periods counted in loc (the
// manufacturer's legal time zone; nil means UTC) at the same wall-clock time,
// and a month that has no such day ends on its last day (31 January + one
// month = 28 or 29 February), as Regulation 1182/71 Art. 3(2)(c) says. This
// is never later than 1182/71's "end of the last day", so a report sent by
// Rampart's due time is on time under either reading.
//
// The vulnerability final report has no due time until a corrective measure
// is recorded (correctiveAt nil). The incident final report counts from the
// notification's submission, or from its due time while it is not submitted
// (the latest the month can start if the notification is on time).
func Deadlines(kind Kind, aware time.Time, correctiveAt, notificationSubmitted *time.Time, loc *time.Location) map[ReportKind]*time.Time {
	if loc == nil {
		loc = time.UTC
	}
	ew := aware.Add(EarlyWarningPeriod).UTC()
	nt := aware.Add(NotificationPeriod).UTC()
	out := map[ReportKind]*time.Time{EarlyWarning: &ew, Notification: &nt, FinalReport: nil}
	switch kind {
	case KindVulnerability:
		if correctiveAt != nil {
			d := AddDays(*correctiveAt, FinalReportDays, loc)
			out[FinalReport] = &d
		}
	case KindIncident:
		from := nt
		if notificationSubmitted != nil {
			from = *notificationSubmitted
		}
		d := AddMonths(from, FinalReportMonths, loc)
		out[FinalReport] = &d
	}
	return out
}

// AddDays adds calendar days in loc, keeping the wall-clock time.
func AddDays(t time.Time, days int, loc *time.Location) time.Time {
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day()+days, l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), loc).UTC()
}

// AddMonths adds calendar months in loc, keeping the wall-clock time and
// clamping to the last day of the target month.
func AddMonths(t time.Time, months int, loc *time.Location) time.Time {
	l := t.In(loc)
	y, m := l.Year(), l.Month()+time.Month(months)
	last := time.Date(y, m+1, 0, 0, 0, 0, 0, loc).Day() // day 0 of the next month
	d := l.Day()
	if d > last {
		d = last
	}
	return time.Date(y, m, d, l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), loc).UTC()
}

// StatusOf is a report's status at now: submitted on time or late, or due
// (not submitted, deadline not passed or not yet known), or late.
func StatusOf(due, submitted *time.Time, now time.Time) ReportStatus {
	switch {
	case submitted != nil && (due == nil || !submitted.After(*due)):
		return StatusSubmittedOnTime
	case submitted != nil:
		return StatusLate
	case due != nil && now.After(*due):
		return StatusLate
	}
	return StatusDue
}

// Clocks returns the three reports of inc with due times and statuses at now.
func Clocks(inc *Incident, loc *time.Location, now time.Time) []Report {
	var ntSub *time.Time
	if s, ok := inc.Submissions[Notification]; ok {
		ntSub = &s.SubmittedAt
	}
	dl := Deadlines(inc.Kind, inc.AwareAt, inc.CorrectiveMeasureAt, ntSub, loc)
	out := make([]Report, 0, 3)
	for _, k := range ReportKinds {
		r := Report{Kind: k, Due: dl[k]}
		var sub *time.Time
		if s, ok := inc.Submissions[k]; ok {
			s := s
			r.Submission = &s
			sub = &s.SubmittedAt
		}
		r.Status = StatusOf(r.Due, sub, now)
		if r.Due == nil {
			switch inc.Kind {
			case KindVulnerability:
				r.Waiting = "corrective_measure_at: the final report is due 14 days after a corrective or mitigating measure is available"
			}
		}
		out = append(out, r)
	}
	return out
}
