package incident

import (
	"testing"
	"time"
)

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Skipf("time zone %s: %v", name, err)
	}
	return loc
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func tp(s string) *time.Time { t := ts(s); return &t }

func TestDeadlines(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	tests := []struct {
		name          string
		kind          Kind
		aware         string
		corrective    *time.Time
		ntSubmitted   *time.Time
		loc           *time.Location
		ew, nt, final string // final "" = not yet known
	}{
		{"vulnerability, no corrective measure yet", KindVulnerability, "2026-09-11T08:30:00Z", nil, nil, nil,
			"2026-09-12T08:30:00Z", "2026-09-14T08:30:00Z", ""},
		{"vulnerability, corrective measure 14 days", KindVulnerability, "2026-09-11T08:30:00Z", tp("2026-09-20T16:00:00Z"), nil, nil,
			"2026-09-12T08:30:00Z", "2026-09-14T08:30:00Z", "2026-10-04T16:00:00Z"},
		// 24 h and 72 h are exact durations: across the end of summer time
		// in Berlin (25 October 2026, 03:00 CEST → 02:00 CET) the wall clock
		// moves, the instant does not.
		{"incident across DST end, Berlin", KindIncident, "2026-10-24T10:00:00+02:00", nil, nil, berlin,
			"2026-10-25T09:00:00+01:00", "2026-10-27T09:00:00+01:00", "2026-11-27T09:00:00+01:00"},
		// 14 days is a calendar period in the legal time zone: a corrective
		// measure at 12:00 CEST on 20 October ends at 12:00 CET on 3 November
		// (14 days and one hour of elapsed time).
		{"vulnerability 14 days across DST end, Berlin", KindVulnerability, "2026-10-19T09:00:00+02:00", tp("2026-10-20T12:00:00+02:00"), nil, berlin,
			"2026-10-20T09:00:00+02:00", "2026-10-22T09:00:00+02:00", "2026-11-03T12:00:00+01:00"},
		// Across the start of summer time (28 March 2027): 14 days is one
		// hour shorter in elapsed time.
		{"vulnerability 14 days across DST start, Berlin", KindVulnerability, "2027-03-20T09:00:00+01:00", tp("2027-03-21T12:00:00+01:00"), nil, berlin,
			"2027-03-21T09:00:00+01:00", "2027-03-23T09:00:00+01:00", "2027-04-04T12:00:00+02:00"},
		// A leap day: 14 days from 20 February 2028 includes 29 February.
		{"vulnerability 14 days over a leap day", KindVulnerability, "2028-02-19T00:00:00Z", tp("2028-02-20T10:00:00Z"), nil, nil,
			"2028-02-20T00:00:00Z", "2028-02-22T00:00:00Z", "2028-03-05T10:00:00Z"},
		{"72 hours over a leap day", KindVulnerability, "2028-02-27T18:00:00Z", nil, nil, nil,
			"2028-02-28T18:00:00Z", "2028-03-01T18:00:00Z", ""},
		// One month from a notification due on 31 January ends on the last
		// day of February: 29 in a leap year, 28 otherwise.
		{"incident month clamps to 29 February (leap)", KindIncident, "2028-01-28T12:00:00Z", nil, nil, nil,
			"2028-01-29T12:00:00Z", "2028-01-31T12:00:00Z", "2028-02-29T12:00:00Z"},
		{"incident month clamps to 28 February", KindIncident, "2027-01-28T12:00:00Z", nil, nil, nil,
			"2027-01-29T12:00:00Z", "2027-01-31T12:00:00Z", "2027-02-28T12:00:00Z"},
		// The incident final report counts from the notification's actual
		// submission when it was submitted (early).
		{"incident month from submitted notification", KindIncident, "2026-09-11T08:00:00Z", nil, tp("2026-09-12T07:00:00Z"), nil,
			"2026-09-12T08:00:00Z", "2026-09-14T08:00:00Z", "2026-10-12T07:00:00Z"},
		// A month in the legal time zone: 23:30 on 31 August in Berlin is
		// 21:30 UTC; one month later is 30 September 23:30 Berlin, not
		// 1 October as UTC counting of "31 August + 1 month" would give.
		{"incident month counted in Berlin, end of month", KindIncident, "2026-08-28T21:30:00Z", nil, nil, berlin,
			"2026-08-29T21:30:00Z", "2026-08-31T21:30:00Z", "2026-09-30T21:30:00Z"},
		// Time zones of the input do not matter: the same instant written
		// in Tokyo time gives the same deadlines.
		{"aware given in another zone", KindVulnerability, "2026-09-11T17:30:00+09:00", nil, nil, nil,
			"2026-09-12T08:30:00Z", "2026-09-14T08:30:00Z", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := Deadlines(tc.kind, ts(tc.aware), tc.corrective, tc.ntSubmitted, tc.loc)
			check := func(k ReportKind, want string) {
				got := d[k]
				if want == "" {
					if got != nil {
						t.Errorf("%s due %s, want not yet known", k, got)
					}
					return
				}
				if got == nil {
					t.Fatalf("%s has no due time, want %s", k, want)
				}
				if !got.Equal(ts(want)) {
					t.Errorf("%s due %s, want %s", k, got.Format(time.RFC3339), ts(want).UTC().Format(time.RFC3339))
				}
				if got.Location() != time.UTC {
					t.Errorf("%s due time is in %s, want UTC", k, got.Location())
				}
			}
			check(EarlyWarning, tc.ew)
			check(Notification, tc.nt)
			check(FinalReport, tc.final)
		})
	}
}

func TestStatusOf(t *testing.T) {
	due := tp("2026-09-12T08:30:00Z")
	tests := []struct {
		name     string
		due, sub *time.Time
		now      string
		want     ReportStatus
	}{
		{"not submitted, before deadline", due, nil, "2026-09-12T08:29:59Z", StatusDue},
		{"not submitted, at the deadline", due, nil, "2026-09-12T08:30:00Z", StatusDue},
		{"not submitted, a second late", due, nil, "2026-09-12T08:30:01Z", StatusLate},
		{"submitted exactly at the deadline", due, tp("2026-09-12T08:30:00Z"), "2026-09-20T00:00:00Z", StatusSubmittedOnTime},
		{"submitted after the deadline", due, tp("2026-09-12T09:00:00Z"), "2026-09-20T00:00:00Z", StatusLate},
		{"no deadline yet, not submitted", nil, nil, "2030-01-01T00:00:00Z", StatusDue},
		{"no deadline yet, submitted", nil, tp("2026-09-12T09:00:00Z"), "2030-01-01T00:00:00Z", StatusSubmittedOnTime},
	}
	for _, tc := range tests {
		if got := StatusOf(tc.due, tc.sub, ts(tc.now)); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

// A corrective measure recorded late (its availability dated in the past)
// can make the final report late the moment it is recorded.
func TestCorrectiveMeasureRecordedLate(t *testing.T) {
	inc := &Incident{Kind: KindVulnerability, AwareAt: ts("2026-09-01T10:00:00Z"), Submissions: map[ReportKind]Submission{}}
	now := ts("2026-09-25T10:00:00Z")
	r := Clocks(inc, nil, now)
	if r[2].Due != nil || r[2].Status != StatusDue || r[2].Waiting == "" {
		t.Fatalf("final report before a corrective measure: %+v", r[2])
	}
	// Recorded on 25 September that the fixed firmware shipped on 2 September.
	inc.CorrectiveMeasureAt = tp("2026-09-02T09:00:00Z")
	r = Clocks(inc, nil, now)
	if want := ts("2026-09-16T09:00:00Z"); r[2].Due == nil || !r[2].Due.Equal(want) {
		t.Fatalf("final report due %v, want %s", r[2].Due, want)
	}
	if r[2].Status != StatusLate {
		t.Errorf("final report status %s, want late", r[2].Status)
	}
	// The early warning and notification were never sent: late too.
	if r[0].Status != StatusLate || r[1].Status != StatusLate {
		t.Errorf("early warning %s, notification %s; want late, late", r[0].Status, r[1].Status)
	}
	// Submitting the notification on time changes only its own status.
	inc.Submissions[Notification] = Submission{SubmittedAt: ts("2026-09-03T12:00:00Z")}
	r = Clocks(inc, nil, now)
	if r[1].Status != StatusSubmittedOnTime || r[0].Status != StatusLate {
		t.Errorf("after submitting the notification: %s, %s", r[0].Status, r[1].Status)
	}
}

func TestAddMonthsEveryDayOfAYear(t *testing.T) {
	// Property: one month later is in the next calendar month, never earlier
	// in the day than the start, and the day is the same or the last day.
	for _, loc := range []*time.Location{time.UTC, mustLoc(t, "Europe/Berlin"), mustLoc(t, "America/New_York")} {
		start := time.Date(2027, 12, 1, 23, 30, 0, 0, loc)
		for d := 0; d < 800; d++ {
			from := time.Date(start.Year(), start.Month(), start.Day()+d, 23, 30, 0, 0, loc)
			got := AddMonths(from, 1, loc).In(loc)
			wantMonth := (int(from.Month()) % 12) + 1
			if int(got.Month()) != wantMonth {
				t.Fatalf("%s: %s + 1 month = %s (month %d, want %d)", loc, from, got, got.Month(), wantMonth)
			}
			if got.Day() != from.Day() && got.AddDate(0, 0, 1).Month() == got.Month() {
				t.Fatalf("%s: %s + 1 month = %s: neither the same day nor the month's last", loc, from, got)
			}
			if got.Hour() != 23 || got.Minute() != 30 {
				t.Fatalf("%s: %s + 1 month = %s: wall clock changed", loc, from, got)
			}
		}
	}
}
