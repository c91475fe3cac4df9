package findings

import (
	"strconv"
	"strings"
)

// Severity is a normalised severity, always lower-case.
type Severity string

// The five severities, from most to least severe.
const (
	Critical Severity = "critical"
	High     Severity = "high"
	Medium   Severity = "medium"
	Low      Severity = "low"
	Info     Severity = "info"
)

// Rank orders severities: critical 4 … info 0; unknown values rank -1.
func (s Severity) Rank() int {
	switch s {
	case Critical:
		return 4
	case High:
		return 3
	case Medium:
		return 2
	case Low:
		return 1
	case Info:
		return 0
	}
	return -1
}

// Valid reports whether s is one of the five canonical severities.
func (s Severity) Valid() bool { return s.Rank() >= 0 }

// SeverityFromCVSS maps a CVSS (v3 or v4) base score to a severity using the
// qualitative rating scale of the CVSS specification: 9.0–10.0 critical,
// 7.0–8.9 high, 4.0–6.9 medium, 0.1–3.9 low, 0.0 (none) and nil info.
func SeverityFromCVSS(score *float64) Severity {
	if score == nil {
		return Info
	}
	switch s := *score; {
	case s >= 9.0:
		return Critical
	case s >= 7.0:
		return High
	case s >= 4.0:
		return Medium
	case s > 0:
		return Low
	}
	return Info
}

// ParseSeverity maps the severity words tools use to a Severity. It is
// case-insensitive and accepts: critical; high, important, error, serious;
// medium, moderate, warning, warn; low, minor, negligible; info,
// informational, information, note, none, unknown, log. ok is false for
// anything else (the caller decides the fallback).
func ParseSeverity(word string) (s Severity, ok bool) {
	switch strings.ToLower(strings.TrimSpace(word)) {
	case "critical", "crit", "blocker":
		return Critical, true
	case "high", "important", "error", "serious", "major":
		return High, true
	case "medium", "moderate", "warning", "warn", "med":
		return Medium, true
	case "low", "minor", "negligible":
		return Low, true
	case "info", "informational", "information", "note", "none", "unknown", "log", "":
		return Info, true
	}
	return "", false
}

// SeverityOrInfo is ParseSeverity that falls back to info for unknown words.
func SeverityOrInfo(word string) Severity {
	if s, ok := ParseSeverity(word); ok {
		return s
	}
	return Info
}

// ParseScore parses a decimal score such as "7.5"; it returns nil for an
// empty, non-numeric or out-of-range (outside 0–10) value.
func ParseScore(s string) *float64 {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil
	}
	return within(&v, 10)
}

// SeverityWith maps a tool's own severity words first: words is keyed by
// the upper-case word (or level: "5", "C"), matched after trimming space.
// A word it does not list is SeverityOrInfo's.
func SeverityWith(words map[string]Severity, word string) Severity {
	if s, ok := SeverityIn(words, word); ok {
		return s
	}
	return SeverityOrInfo(word)
}

// SeverityIn maps word by a tool's own table alone, keyed as for
// SeverityWith; ok is false for a word the table does not list, for the
// formats whose parsers refuse a severity they do not define.
func SeverityIn(words map[string]Severity, word string) (s Severity, ok bool) {
	s, ok = words[strings.ToUpper(strings.TrimSpace(word))]
	return s, ok
}
