package vuln

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/google/osv-scalibr/semantic"
)

// ErrNoEcosystem is returned when a component cannot be placed in an OSV
// ecosystem (unknown purl type, no purl).
var ErrNoEcosystem = errors.New("no OSV ecosystem")

// ParseVersion parses v with the ordering rules of an OSV ecosystem
// ("AlmaLinux:9" and "AlmaLinux" are the same). It wraps
// semantic.ErrUnsupportedEcosystem and semantic.ErrInvalidVersion.
func ParseVersion(ecosystem, v string) (semantic.Version, error) {
	if ecosystem == "Go" {
		// Go module versions carry a "v" the vulndb strips; the semver parser
		// accepts both, but Go pseudo-versions and "+incompatible" parse too.
		v = strings.TrimPrefix(v, "v")
		if len(v) > 2 && strings.HasPrefix(v, "go") && v[2] >= '0' && v[2] <= '9' {
			v = goTagToSemver(v)
		}
	}
	sv, err := semantic.Parse(v, BaseEcosystem(ecosystem))
	if err != nil {
		return nil, fmt.Errorf("version %q in ecosystem %q: %w", v, ecosystem, err)
	}
	return sv, nil
}

// goTagToSemver turns a Go release tag, the spelling of runtime.Version
// and of SBOM tools that report the Go toolchain a binary was built with
// ("go1.21.5", "go1.21", "go1.21rc2", "go1.9beta1"), into the SemVer the
// Go vulnerability database uses for its stdlib and toolchain packages
// ("1.21.5", "1.21.0", "1.21.0-rc.2", "1.9.0-beta.1"), following
// golang.org/x/vuln's GoTagToSemver. Compared as written, "go1.22.0"
// sorted below every stdlib fix.
func goTagToSemver(tag string) string {
	v := strings.TrimPrefix(tag, "go")
	pre := ""
	for _, p := range []string{"beta", "rc"} {
		if i := strings.Index(v, p); i > 0 {
			v, pre = v[:i], "-"+p+"."+v[i+len(p):]
			break
		}
	}
	switch strings.Count(v, ".") {
	case 0:
		v += ".0.0"
	case 1:
		v += ".0"
	}
	return v + pre
}

// CompareVersions compares a and b in an ecosystem: -1, 0 or +1.
func CompareVersions(ecosystem, a, b string) (int, error) {
	va, err := ParseVersion(ecosystem, a)
	if err != nil {
		return 0, err
	}
	vb, err := ParseVersion(ecosystem, b)
	if err != nil {
		return 0, err
	}
	return va.Compare(vb)
}

// eventKind is the kind of a compiled OSV event.
type eventKind uint8

const (
	evIntroduced eventKind = iota
	evFixed
	evLastAffected
	evLimit
)

type compiledEvent struct {
	kind eventKind
	raw  string
	ver  semantic.Version // nil for introduced "0"
}

// compiledRange is an OSV SEMVER or ECOSYSTEM range with its event versions
// parsed once and sorted, ready for repeated evaluation.
type compiledRange struct {
	events []compiledEvent
	index  int // position of the range in Affected.Ranges
}

// compileRange parses and sorts the events of r. It returns false when the
// range cannot be evaluated by version (GIT ranges, unsupported ecosystems,
// unparsable event versions).
func compileRange(ecosystem string, r Range, index int) (compiledRange, bool) {
	eco := ecosystem
	switch r.Type {
	case RangeSemver:
		eco = "Go" // plain SemVer 2.0 ordering (leading v tolerated)
	case RangeEcosystem:
	default:
		return compiledRange{}, false
	}
	cr := compiledRange{index: index, events: make([]compiledEvent, 0, len(r.Events))}
	for _, e := range r.Events {
		var ce compiledEvent
		switch {
		case e.Introduced != "":
			ce = compiledEvent{kind: evIntroduced, raw: e.Introduced}
		case e.Fixed != "":
			ce = compiledEvent{kind: evFixed, raw: e.Fixed}
		case e.LastAffected != "":
			ce = compiledEvent{kind: evLastAffected, raw: e.LastAffected}
		case e.Limit != "":
			ce = compiledEvent{kind: evLimit, raw: e.Limit}
		default:
			continue
		}
		if !(ce.kind == evIntroduced && ce.raw == "0") && !(ce.kind == evLimit && ce.raw == "*") {
			v, err := ParseVersion(eco, ce.raw)
			if err != nil {
				return compiledRange{}, false
			}
			ce.ver = v
		}
		cr.events = append(cr.events, ce)
	}
	sort.SliceStable(cr.events, func(i, j int) bool { return eventLess(cr.events[i], cr.events[j]) })
	return cr, true
}

// eventLess orders events by version; introduced "0" sorts first and limit
// "*" last.
func eventLess(a, b compiledEvent) bool {
	if a.ver == nil || b.ver == nil {
		aMin := a.ver == nil && a.kind == evIntroduced
		bMin := b.ver == nil && b.kind == evIntroduced
		if aMin != bMin {
			return aMin
		}
		return b.ver == nil && !bMin && a.ver != nil
	}
	c, err := a.ver.Compare(b.ver)
	return err == nil && c < 0
}

// contains evaluates the OSV range algorithm for version v: walking the sorted
// events, an introduced at or below v opens the range, a fixed at or below v
// (or a last_affected below v) closes it, and a limit at or below v ends the
// search. It returns the event that left v affected (the introduced one).
func (cr compiledRange) contains(v semantic.Version) (affected bool, opener, closer string) {
	for _, e := range cr.events {
		var c int
		if e.ver != nil {
			var err error
			if c, err = v.Compare(e.ver); err != nil {
				return false, "", ""
			}
		}
		switch e.kind {
		case evIntroduced:
			if e.ver == nil || c >= 0 {
				if !affected {
					affected, opener, closer = true, e.raw, ""
				}
			} else {
				return affected, opener, closer
			}
		case evFixed:
			if c >= 0 {
				affected = false
			} else {
				return affected, opener, "fixed " + e.raw
			}
		case evLastAffected:
			if c > 0 {
				affected = false
			} else {
				return affected, opener, "last_affected " + e.raw
			}
		case evLimit:
			if e.ver == nil || c < 0 {
				return affected, opener, closer
			}
			return false, "", ""
		}
	}
	return affected, opener, closer
}
