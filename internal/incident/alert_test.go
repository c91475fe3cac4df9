package incident

import (
	"testing"
	"time"
)

// TestFormatDue: a deadline reads in UTC and, beside it, in the legal time
// zone, with the date when the zone's date differs; summer and winter time
// carry their own abbreviations.
func TestFormatDue(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	for _, tc := range []struct {
		at   string
		loc  *time.Location
		want string
	}{
		{"2026-10-24T10:00:00Z", nil, "2026-10-24 10:00 UTC"},
		{"2026-10-24T10:00:00Z", time.UTC, "2026-10-24 10:00 UTC"},
		{"2026-10-24T10:00:00Z", berlin, "2026-10-24 10:00 UTC (12:00 CEST)"},
		{"2026-10-25T10:00:00Z", berlin, "2026-10-25 10:00 UTC (11:00 CET)"},
		{"2026-12-31T23:30:00Z", berlin, "2026-12-31 23:30 UTC (2027-01-01 00:30 CET)"},
		{"2028-02-29T23:00:00Z", berlin, "2028-02-29 23:00 UTC (2028-03-01 00:00 CET)"},
	} {
		at, _ := time.Parse(time.RFC3339, tc.at)
		if got := FormatDue(at, tc.loc); got != tc.want {
			t.Errorf("FormatDue(%s, %v) = %q, want %q", tc.at, tc.loc, got, tc.want)
		}
	}
}
