package findings

import (
	"fmt"
	"time"
)

// MaxAcceptanceDays is the global default and ceiling of a risk
// acceptance's duration: a year. A product may set a shorter maximum.
const MaxAcceptanceDays = 366

// ValidateMaxAcceptance checks a product's maximum acceptance duration in
// days: 0 (the global default) or 1 to MaxAcceptanceDays.
func ValidateMaxAcceptance(days int) error {
	if days < 0 || days > MaxAcceptanceDays {
		return fmt.Errorf("max_days must be between 1 and %d (0 for the default of %d days), got %d", MaxAcceptanceDays, MaxAcceptanceDays, days)
	}
	return nil
}

// EffectiveMaxAcceptance is the maximum that applies for a product setting
// (0 or out of range: the global default).
func EffectiveMaxAcceptance(days int) int {
	if days <= 0 || days > MaxAcceptanceDays {
		return MaxAcceptanceDays
	}
	return days
}

// AcceptanceDeadline is the latest date a risk accepted at now may be
// accepted until, for a maximum of days: the end of the day (UTC) days
// later, so that a date picked in a form at the limit is allowed.
func AcceptanceDeadline(now time.Time, days int) time.Time {
	d := now.UTC().AddDate(0, 0, EffectiveMaxAcceptance(days))
	return time.Date(d.Year(), d.Month(), d.Day(), 23, 59, 59, 0, time.UTC)
}
