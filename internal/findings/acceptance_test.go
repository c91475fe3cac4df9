package findings

import (
	"testing"
	"time"
)

func TestMaxAcceptance(t *testing.T) {
	for _, d := range []int{-1, MaxAcceptanceDays + 1} {
		if ValidateMaxAcceptance(d) == nil {
			t.Errorf("%d days accepted", d)
		}
	}
	for _, d := range []int{0, 1, 30, MaxAcceptanceDays} {
		if err := ValidateMaxAcceptance(d); err != nil {
			t.Errorf("%d days: %v", d, err)
		}
	}
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	if got, want := AcceptanceDeadline(now, 30), time.Date(2027, 1, 1, 23, 59, 59, 0, time.UTC); !got.Equal(want) {
		t.Errorf("30 days: %v, want %v", got, want)
	}
	if got, want := AcceptanceDeadline(now, 0), time.Date(2027, 12, 3, 23, 59, 59, 0, time.UTC); !got.Equal(want) {
		t.Errorf("default: %v, want %v", got, want)
	}
}
