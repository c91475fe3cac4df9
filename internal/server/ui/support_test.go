package ui

import (
	"testing"
	"time"
)

// TestSupportPeriod counts the days of a release's support period by the
// server's clock, not the machine's.
func TestSupportPeriod(t *testing.T) {
	now := time.Date(2030, 6, 1, 15, 4, 5, 0, time.UTC)
	support := supportPeriod(func() time.Time { return now })
	day := func(s string) *time.Time {
		d, err := time.Parse("2006-01-02", s)
		if err != nil {
			t.Fatal(err)
		}
		return &d
	}
	for _, c := range []struct {
		end  *time.Time
		want string
	}{
		{nil, ""},
		{day("2030-06-11"), "supported until 2030-06-11 (10 days left)"},
		{day("2030-06-01"), "support ends today (2030-06-01)"},
		{day("2030-05-30"), "support ended 2030-05-30 (2 days ago)"},
	} {
		if got := support(c.end); got != c.want {
			t.Errorf("support(%v) = %q, want %q", c.end, got, c.want)
		}
	}
}
