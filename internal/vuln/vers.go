package vuln

import (
	"cmp"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/google/osv-scalibr/semantic"
)

// ErrVersScheme is returned for a vers range whose versioning scheme has
// no ordering Rampart knows (the range cannot be evaluated).
var ErrVersScheme = errors.New("versioning scheme with no known ordering")

// versSchemes maps vers versioning schemes that are not purl types, or
// whose purl type needs a namespace to find its ecosystem, to the OSV
// ecosystem whose ordering they use. "semver" is plain SemVer 2.0, the
// ordering of OSV SEMVER ranges.
var versSchemes = map[string]string{
	"semver": "Go",
	"deb":    "Debian",
	"debian": "Debian",
	"rpm":    "Red Hat",
	"apk":    "Alpine",
	"alpine": "Alpine",
}

// versConstraint is one constraint of a vers range.
type versConstraint struct {
	op  string // "=", "!=", "<", "<=", ">", ">="
	ver semantic.Version
}

// VersContains reports whether version is in the vers range r
// ("vers:npm/1.2.3|>=2.0.0|<5.0.0"), following the containment algorithm
// of the vers specification (package-url/purl-spec VERSION-RANGE-SPEC:
// "Checking if a version is contained within a range") with the
// ecosystem ordering of the range's versioning scheme. It returns an error
// when r is not a vers range, its scheme has no known ordering
// (ErrVersScheme) or a version does not parse in it.
func VersContains(r, version string) (bool, error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(r), "vers:")
	if !ok {
		return false, fmt.Errorf("range %q: not in vers syntax (vers:<scheme>/<constraints>)", r)
	}
	scheme, list, ok := strings.Cut(rest, "/")
	scheme = strings.ToLower(strings.TrimSpace(scheme))
	list = strings.Join(strings.Fields(list), "") // spaces are not significant
	if !ok || scheme == "" || list == "" {
		return false, fmt.Errorf("range %q: no versioning scheme or no constraints", r)
	}
	if list == "*" {
		return true, nil
	}
	eco, ok := versSchemes[scheme]
	if !ok {
		eco, ok = purlEcosystems[scheme]
	}
	if !ok {
		return false, fmt.Errorf("range %q: scheme %q: %w", r, scheme, ErrVersScheme)
	}
	if !strings.ContainsAny(version, "0123456789") {
		return false, fmt.Errorf("range %q: %q is not a version to order", r, version)
	}
	tested, err := ParseVersion(eco, version)
	if err != nil {
		return false, fmt.Errorf("range %q: %w", r, err)
	}
	var cons []versConstraint
	for c := range strings.SplitSeq(list, "|") {
		op := "="
		for _, o := range []string{">=", "<=", "!=", "<", ">", "="} {
			if s, ok := strings.CutPrefix(c, o); ok {
				op, c = o, s
				break
			}
		}
		raw, err := url.PathUnescape(c)
		if err != nil || !strings.ContainsAny(raw, "0123456789") {
			// Ecosystem parsers are lenient ("two" parses as an npm
			// version): a constraint without a digit is taken as none.
			return false, fmt.Errorf("range %q: constraint %q has no version", r, op+c)
		}
		v, err := ParseVersion(eco, raw)
		if err != nil {
			return false, fmt.Errorf("range %q: %w", r, err)
		}
		cons = append(cons, versConstraint{op: op, ver: v})
	}
	return versContains(cons, tested)
}

// versContains is the specification's check over parsed constraints.
func versContains(cons []versConstraint, v semantic.Version) (bool, error) {
	// Constraints are sorted by version (a normalised vers range already
	// is; a producer's may not be); cmp[i] is v compared with cons[i].
	var err error
	slices.SortStableFunc(cons, func(a, b versConstraint) int {
		n, e := a.ver.Compare(b.ver)
		err = cmp.Or(err, e)
		return n
	})
	var bounds []int // v compared with each constraint that is neither = nor !=
	var ops []string
	for _, c := range cons {
		n, e := v.Compare(c.ver)
		if err = cmp.Or(err, e); err != nil {
			return false, err
		}
		switch {
		case (c.op == "=" || c.op == "<=" || c.op == ">=") && n == 0:
			return true, nil
		case c.op == "!=" && n == 0:
			return false, nil
		case c.op != "=" && c.op != "!=":
			bounds, ops = append(bounds, n), append(ops, c.op)
		}
	}
	lower := func(op string) bool { return op == ">" || op == ">=" }
	upper := func(op string) bool { return op == "<" || op == "<=" }
	if len(bounds) == 1 { // the pairwise walk below needs two; one bound is its own test
		return (upper(ops[0]) && bounds[0] < 0) || (lower(ops[0]) && bounds[0] > 0), nil
	}
	for i := 0; i+1 < len(bounds); i++ {
		switch {
		case i == 0 && upper(ops[i]) && bounds[i] < 0,
			i+2 == len(bounds) && lower(ops[i+1]) && bounds[i+1] > 0,
			lower(ops[i]) && upper(ops[i+1]) && bounds[i] > 0 && bounds[i+1] < 0:
			return true, nil
		}
	}
	return false, nil
}
