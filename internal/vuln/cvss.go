package vuln

import (
	"fmt"
	"math"
	"strings"

	cvss20 "github.com/pandatix/go-cvss/20"
	cvss30 "github.com/pandatix/go-cvss/30"
	cvss31 "github.com/pandatix/go-cvss/31"
	cvss40 "github.com/pandatix/go-cvss/40"
)

// ParseCVSS parses a CVSS v2, v3.0, v3.1 or v4.0 vector and computes its base
// score. v2 vectors may come with or without the "(…)" wrapping NVD 1.1 used.
func ParseCVSS(vector, source string) (CVSS, error) {
	v := strings.TrimSpace(vector)
	switch {
	case strings.HasPrefix(v, "CVSS:4.0/"):
		c, err := cvss40.ParseVector(v)
		if err != nil {
			return CVSS{}, fmt.Errorf("cvss 4.0 vector %q: %w", v, err)
		}
		return CVSS{Version: "4.0", Vector: v, Score: round1(c.Score()), Source: source}, nil
	case strings.HasPrefix(v, "CVSS:3.1/"):
		c, err := cvss31.ParseVector(v)
		if err != nil {
			return CVSS{}, fmt.Errorf("cvss 3.1 vector %q: %w", v, err)
		}
		return CVSS{Version: "3.1", Vector: v, Score: round1(c.BaseScore()), Source: source}, nil
	case strings.HasPrefix(v, "CVSS:3.0/"):
		c, err := cvss30.ParseVector(v)
		if err != nil {
			return CVSS{}, fmt.Errorf("cvss 3.0 vector %q: %w", v, err)
		}
		return CVSS{Version: "3.0", Vector: v, Score: round1(c.BaseScore()), Source: source}, nil
	default:
		v2 := strings.TrimSuffix(strings.TrimPrefix(v, "("), ")")
		v2 = strings.TrimPrefix(v2, "CVSS:2.0/")
		c, err := cvss20.ParseVector(v2)
		if err != nil {
			return CVSS{}, fmt.Errorf("cvss vector %q: %w", v, err)
		}
		return CVSS{Version: "2.0", Vector: v2, Score: round1(c.BaseScore()), Source: source}, nil
	}
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }

// Level is a qualitative severity.
type Level int

// Levels, from none to critical. Unknown sorts below Low: an advisory without
// any rating is shown but never trips a --fail-on threshold other than kev.
const (
	LevelUnknown Level = iota
	LevelNone
	LevelLow
	LevelMedium
	LevelHigh
	LevelCritical
)

func (l Level) String() string {
	switch l {
	case LevelNone:
		return "none"
	case LevelLow:
		return "low"
	case LevelMedium:
		return "medium"
	case LevelHigh:
		return "high"
	case LevelCritical:
		return "critical"
	}
	return "unknown"
}

// ParseLevel reads a textual severity ("CRITICAL", "High", "moderate", …).
func ParseLevel(s string) Level {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "critical":
		return LevelCritical
	case "high", "important":
		return LevelHigh
	case "medium", "moderate":
		return LevelMedium
	case "low":
		return LevelLow
	case "none":
		return LevelNone
	}
	return LevelUnknown
}

// LevelForScore maps a CVSS base score to its qualitative rating (v3/v4 bands).
func LevelForScore(s float64) Level {
	switch {
	case s >= 9:
		return LevelCritical
	case s >= 7:
		return LevelHigh
	case s >= 4:
		return LevelMedium
	case s > 0:
		return LevelLow
	}
	return LevelNone
}

// BestCVSS returns the vector used to rate the advisory: the newest CVSS
// version present (4.0 > 3.1 > 3.0 > 2.0), and among those the highest score.
// ok is false when the advisory has no vector.
func (a *Advisory) BestCVSS() (best CVSS, ok bool) {
	for _, c := range a.Severity {
		if !ok || c.Version > best.Version || (c.Version == best.Version && c.Score > best.Score) {
			best, ok = c, true
		}
	}
	return best, ok
}

// Rating returns the advisory's severity level and CVSS base score (0 when
// unscored). A CVSS vector wins over a textual database severity.
func (a *Advisory) Rating() (Level, float64) {
	if c, ok := a.BestCVSS(); ok {
		return LevelForScore(c.Score), c.Score
	}
	if l := ParseLevel(a.DatabaseSeverity); l != LevelUnknown {
		return l, 0
	}
	for _, af := range a.Affected {
		if l := ParseLevel(af.Severity); l != LevelUnknown {
			return l, 0
		}
	}
	return LevelUnknown, 0
}
