package vuln

import "time"

// ParseTime reads s in the first of layouts that fits, as UTC; ok is false
// when none does. Feeds write their timestamps in several forms.
func ParseTime(s string, layouts ...string) (t time.Time, ok bool) {
	for _, l := range layouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}
