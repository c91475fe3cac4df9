package inventory

import (
	"fmt"
	"strings"
	"unicode"
)

// VersionRange is a set of version constraints used by portfolio search,
// e.g. ">=3.0.0 <3.1", "3.0.x", "3.0.*" or an exact "3.0.7". All
// constraints must hold.
//
// Search must work across every ecosystem in a portfolio, including firmware
// components with no ecosystem at all (BusyBox 1.36.1, U-Boot 2023.04), so
// versions are compared in natural order: runs of digits numerically, other
// runs lexically, with pre-release suffixes (-rc1, ~beta) before the release.
// Ecosystem-exact comparison belongs to vulnerability matching, not search.
type VersionRange struct {
	cons []constraint
}

type constraint struct {
	op  string // "=", "<", "<=", ">", ">=", "prefix"
	ver string
}

// ParseVersionRange parses a constraint list separated by spaces or commas.
func ParseVersionRange(s string) (VersionRange, error) {
	var r VersionRange
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		op := ""
		for _, o := range []string{">=", "<=", "==", ">", "<", "="} {
			if strings.HasPrefix(f, o) {
				op, f = o, f[len(o):]
				break
			}
		}
		if f == "" && op != "" && i+1 < len(fields) { // ">= 3.0" written with a space
			i++
			f = fields[i]
		}
		if f == "" {
			return r, fmt.Errorf("version range %q: constraint %q has no version", s, fields[i])
		}
		if op == "==" {
			op = "="
		}
		if op == "" || op == "=" {
			if base, ok := strings.CutSuffix(f, ".x"); ok {
				r.cons = append(r.cons, constraint{"prefix", base})
				continue
			}
			if base, ok := strings.CutSuffix(f, ".*"); ok {
				r.cons = append(r.cons, constraint{"prefix", base})
				continue
			}
			op = "="
		}
		r.cons = append(r.cons, constraint{op, f})
	}
	return r, nil
}

// Empty reports whether the range has no constraints (matches everything).
func (r VersionRange) Empty() bool { return len(r.cons) == 0 }

// Contains reports whether v satisfies every constraint.
func (r VersionRange) Contains(v string) bool {
	for _, c := range r.cons {
		cmp := CompareVersions(v, c.ver)
		ok := false
		switch c.op {
		case "=":
			ok = cmp == 0
		case "<":
			ok = cmp < 0
		case "<=":
			ok = cmp <= 0
		case ">":
			ok = cmp > 0
		case ">=":
			ok = cmp >= 0
		case "prefix":
			ok = v == c.ver || strings.HasPrefix(v, c.ver+".") || strings.HasPrefix(v, c.ver+"-")
		}
		if !ok {
			return false
		}
	}
	return true
}

// CompareVersions compares two versions in natural order and returns -1, 0
// or +1. A leading "v" is ignored; "1.0.0-rc1" < "1.0.0" < "1.0.0a" (a
// suffix after '-' or '~' is a pre-release; letters glued on are a later
// release, as in OpenSSL's 1.1.1w).
func CompareVersions(a, b string) int {
	a = strings.TrimPrefix(strings.TrimPrefix(a, "v"), "V")
	b = strings.TrimPrefix(strings.TrimPrefix(b, "v"), "V")
	for a != "" || b != "" {
		var pa, pb string
		pa, a = nextPiece(a)
		pb, b = nextPiece(b)
		if c := comparePiece(pa, pb); c != 0 {
			return c
		}
	}
	return 0
}

// nextPiece returns the next run of digits or of letters, skipping '.' and
// '_' separators. Pre-release separators '-' and '~' are returned as "~".
func nextPiece(s string) (string, string) {
	s = strings.TrimLeft(s, "._+")
	if s == "" {
		return "", ""
	}
	if s[0] == '-' || s[0] == '~' {
		return "~", s[1:]
	}
	digit := s[0] >= '0' && s[0] <= '9'
	i := 0
	for i < len(s) {
		c := s[i]
		if c == '.' || c == '_' || c == '+' || c == '-' || c == '~' {
			break
		}
		if (c >= '0' && c <= '9') != digit {
			break
		}
		i++
	}
	return s[:i], s[i:]
}

func comparePiece(a, b string) int {
	switch {
	case a == b:
		return 0
	case a == "~": // pre-release before anything, even the end
		return -1
	case b == "~":
		return 1
	case a == "": // 1.0 < 1.0.1 and 1.1.1 < 1.1.1a (OpenSSL letter releases)
		return -1
	case b == "":
		return 1
	}
	an, bn := isNum(a), isNum(b)
	switch {
	case an && bn:
		return CompareDigits(a, b)
	case an:
		return 1 // numbers sort after letters: 1.0.0 > 1.0.rc
	case bn:
		return -1
	}
	return strings.Compare(strings.ToLower(a), strings.ToLower(b))
}

// CompareDigits compares two runs of decimal digits by their value and
// returns -1, 0 or +1: leading zeros are ignored and a run of any length is
// compared without overflow.
func CompareDigits(a, b string) int {
	a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		if len(a) < len(b) {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}

func isNum(s string) bool { return s != "" && s[0] >= '0' && s[0] <= '9' }
