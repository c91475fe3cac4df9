package vuln

import (
	"cmp"
	"fmt"
	"strings"
)

// AffectedVersion is one entry of a CycloneDX vulnerability's
// affects[].versions (CycloneDX 1.4–1.6): a single version or a vers
// range, and its status ("affected", the default, "unaffected" or
// "unknown").
type AffectedVersion struct {
	Version, Range, Status string
}

// String is the entry as the finding's detail shows it: "vers:npm/<2.0.0
// affected".
func (a AffectedVersion) String() string {
	v := a.Range
	if v == "" {
		v = a.Version
	}
	return strings.TrimSpace(v + " " + a.status())
}

func (a AffectedVersion) status() string {
	if s := strings.ToLower(strings.TrimSpace(a.Status)); s != "" {
		return s
	}
	return "affected"
}

// Affectedness is what an affects[].versions list says of one version.
type Affectedness int

// The verdicts of AffectsVersion.
const (
	// VersionsUnstated: the list is empty, so the whole referenced
	// component is affected.
	VersionsUnstated Affectedness = iota
	// VersionAffected: an entry that holds the version says affected.
	VersionAffected
	// VersionUnaffected: the entries that hold the version say
	// unaffected, or the list says which versions are affected and every
	// entry could be evaluated and none holds it.
	VersionUnaffected
	// VersionUndetermined: the version is unknown, an entry holding it
	// says unknown, or an entry could not be evaluated (a range of an
	// unknown scheme, a version that does not parse).
	VersionUndetermined
)

// AffectsVersion is what list says of version of the package purl names
// (a purl is optional; its ecosystem orders single versions). The note
// explains the verdict for the finding or statement it decides ("" when
// the list is empty).
//
// CycloneDX: each entry is a version or a range with a status, affected
// by default. An entry affected wins over one unaffected (a document that
// contradicts itself keeps the vulnerability); a version the list does
// not hold is unaffected when the list names affected versions (the
// affected ones are listed, the rest are not), else the component stays
// affected (listed exceptions do not cover it). Anything the list leaves
// undecided stays affected for the caller: it is never a reason to drop.
func AffectsVersion(purl, version string, list []AffectedVersion) (Affectedness, string) {
	if len(list) == 0 {
		return VersionsUnstated, ""
	}
	entries := make([]string, len(list))
	for i, a := range list {
		entries[i] = a.String()
	}
	listed := strings.Join(entries, "; ")
	version = strings.TrimSpace(version)
	if version == "" {
		return VersionUndetermined, fmt.Sprintf("affected versions %s: the component's version is unknown", listed)
	}
	// The purl's version is the component's too, spelt as the ecosystem
	// orders it: percent-decoded, with its epoch qualifier ("2:8.39-13"
	// for pkg:deb/…/libpcre3@8.39-13?epoch=2). An entry holds when it
	// holds for either spelling.
	eco, versions := "", []string{version}
	if purl != "" {
		if p, err := PackageFromPURL(purl); err == nil {
			eco = p.Ecosystem
			if p.Version != "" && p.Version != version {
				versions = append(versions, p.Version)
			}
		}
	}
	var held []string
	affected, unaffected, unknown, anyAffected := false, false, false, false
	var undecided []string
	for _, a := range list {
		st := a.status()
		anyAffected = anyAffected || st == "affected"
		in, err := a.holdsAny(eco, versions)
		if err != nil {
			undecided = append(undecided, fmt.Sprintf("%s (%v)", a, err))
			continue
		}
		if !in {
			continue
		}
		held = append(held, a.String())
		switch st {
		case "affected":
			affected = true
		case "unaffected":
			unaffected = true
		default:
			unknown = true
		}
	}
	switch {
	case affected:
		return VersionAffected, fmt.Sprintf("version %s is affected: %s", version, strings.Join(held, "; "))
	case len(undecided) > 0:
		return VersionUndetermined, fmt.Sprintf("affected versions %s: could not be evaluated against version %s: %s", listed, version, strings.Join(undecided, "; "))
	case unknown:
		return VersionUndetermined, fmt.Sprintf("version %s has status unknown: %s", version, strings.Join(held, "; "))
	case unaffected:
		return VersionUnaffected, fmt.Sprintf("version %s is unaffected: %s", version, strings.Join(held, "; "))
	case anyAffected:
		return VersionUnaffected, fmt.Sprintf("version %s is not among the affected versions %s", version, listed)
	}
	return VersionAffected, fmt.Sprintf("version %s is outside the versions listed %s", version, listed)
}

// holdsAny reports whether the entry holds for one of the spellings of
// the version; an error only when it can be evaluated for none.
func (a AffectedVersion) holdsAny(eco string, versions []string) (bool, error) {
	decided := false
	var first error
	for _, v := range versions {
		in, err := a.holds(eco, v)
		switch {
		case err != nil:
			first = cmp.Or(first, err)
		case in:
			return true, nil
		default:
			decided = true
		}
	}
	if decided {
		return false, nil
	}
	return false, first
}

// holds reports whether the entry is about version: a range that contains
// it, or the same single version (by the ecosystem's ordering when it is
// known, else spelled the same; a different spelling without an ordering
// is an error, not a no).
func (a AffectedVersion) holds(eco, version string) (bool, error) {
	if r := strings.TrimSpace(a.Range); r != "" {
		return VersContains(r, version)
	}
	v := strings.TrimSpace(a.Version)
	if v == "" {
		return false, fmt.Errorf("neither a version nor a range")
	}
	if v == version {
		return true, nil
	}
	if eco == "" {
		return false, fmt.Errorf("%q and %q cannot be compared without an ecosystem", v, version)
	}
	n, err := CompareVersions(eco, v, version)
	return n == 0, err
}
