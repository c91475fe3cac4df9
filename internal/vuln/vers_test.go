package vuln

import (
	"errors"
	"testing"
)

// TestVersContains: the vers specification's containment check
// (package-url/purl-spec VERSION-RANGE-SPEC, "Checking if a version is
// contained within a range") over the ranges the CycloneDX 1.6 schema
// gives as examples of "versionRange" and the ranges of the
// specification's valid-vulnerability-1.6.json.
func TestVersContains(t *testing.T) {
	for _, c := range []struct {
		r, v string
		want bool
	}{
		{"vers:npm/1.2.3|>=2.0.0|<5.0.0", "1.2.3", true},
		{"vers:npm/1.2.3|>=2.0.0|<5.0.0", "1.5.0", false},
		{"vers:npm/1.2.3|>=2.0.0|<5.0.0", "2.0.0", true},
		{"vers:npm/1.2.3|>=2.0.0|<5.0.0", "4.9.9", true},
		{"vers:npm/1.2.3|>=2.0.0|<5.0.0", "5.0.0", false},
		{"vers:npm/<5.0.0|>=2.0.0", "3.0.0", true}, // unsorted constraints are sorted first
		{"vers:pypi/0.0.0|0.0.1|0.0.2|0.0.3|1.0|2.0pre1", "2.0pre1", true},
		{"vers:pypi/0.0.0|0.0.1|0.0.2|0.0.3|1.0|2.0pre1", "2.0", false},
		{"vers:pypi/0.0.0|0.0.1|0.0.2|0.0.3|1.0|2.0pre1", "1.0.0", true}, // PyPI: 1.0 == 1.0.0
		{"vers:gem/>=2.2.0|!= 2.2.1|<2.3.0", "2.2.1", false},
		{"vers:gem/>=2.2.0|!= 2.2.1|<2.3.0", "2.2.2", true},
		{"vers:gem/>=2.2.0|!= 2.2.1|<2.3.0", "2.3.0", false},
		{"vers:cargo/9.0.14", "9.0.14", true},
		{"vers:cargo/9.0.14", "9.0.15", false},
		{"vers:semver/<2.6.7.5", "2.9.4", false},
		{"vers:semver/2.7.0|<2.8.11.1", "2.9.4", false},
		{"vers:semver/2.9.0|<2.9.5", "2.9.4", true},
		{"vers:npm/*", "0.0.1", true},
		{"vers:npm/>=1.0.0", "1.0.0", true},
		{"vers:npm/>1.0.0", "1.0.0", false},
		{"vers:npm/<=1.0.0|>=3.0.0", "2.0.0", false},
		{"vers:npm/<=1.0.0|>=3.0.0", "3.1.0", true},
		{"vers:deb/>=1:4.8.1-2ubuntu2.1", "1:4.8.1-2ubuntu2.1", true},
		{"vers:deb/>=1.30%2Bdfsg-6", "1.30+dfsg-6", true}, // versions are percent-encoded in vers
	} {
		got, err := VersContains(c.r, c.v)
		if err != nil || got != c.want {
			t.Errorf("VersContains(%q, %q) = %v, %v; want %v", c.r, c.v, got, err, c.want)
		}
	}
	for _, c := range []struct{ r, v string }{
		{"npm/1.0.0", "1.0.0"},
		{"vers:npm/", "1.0.0"},
		{"vers:/1.0.0", "1.0.0"},
		{"vers:npm/>=two", "1.0.0"},
		{"vers:npm/>=1.0.0", "latest"},
		{"vers:npm/>=|<2", "1.0.0"},
	} {
		if got, err := VersContains(c.r, c.v); err == nil {
			t.Errorf("VersContains(%q, %q) = %v, want an error", c.r, c.v, got)
		}
	}
	if _, err := VersContains("vers:tomee/>=1.0.0-beta1|<=1.7.5", "1.0.0"); !errors.Is(err, ErrVersScheme) {
		t.Errorf("tomee: %v, want ErrVersScheme", err)
	}
}

// TestAffectsVersion: what a CycloneDX affects[].versions list says of one
// component version.
func TestAffectsVersion(t *testing.T) {
	aff := func(v, r, st string) AffectedVersion { return AffectedVersion{Version: v, Range: r, Status: st} }
	for _, c := range []struct {
		name, purl, version string
		list                []AffectedVersion
		want                Affectedness
	}{
		{"empty", "pkg:npm/a@1.0.0", "1.0.0", nil, VersionsUnstated},
		{"range affected", "pkg:npm/a@1.0.0", "1.0.0", []AffectedVersion{aff("", "vers:npm/<2.0.0", "")}, VersionAffected},
		{"range unaffected", "pkg:npm/a@2.5.0", "2.5.0", []AffectedVersion{aff("", "vers:npm/<2.0.0", "affected"), aff("", "vers:npm/>=2.0.0", "unaffected")}, VersionUnaffected},
		{"not among affected", "pkg:npm/a@3.0.0", "3.0.0", []AffectedVersion{aff("1.0.0", "", ""), aff("", "vers:npm/>=2.0.0|<2.5.0", "affected")}, VersionUnaffected},
		{"outside listed exceptions", "pkg:npm/a@1.0.0", "1.0.0", []AffectedVersion{aff("", "vers:npm/>=2.0.0", "unaffected")}, VersionAffected},
		{"affected wins over unaffected", "pkg:npm/a@1.0.0", "1.0.0", []AffectedVersion{aff("1.0.0", "", "unaffected"), aff("", "vers:npm/<2", "affected")}, VersionAffected},
		{"unknown status", "pkg:npm/a@1.0.0", "1.0.0", []AffectedVersion{aff("1.0.0", "", "unknown")}, VersionUndetermined},
		{"no version", "", "", []AffectedVersion{aff("1.0.0", "", "unaffected")}, VersionUndetermined},
		{"unknown scheme", "pkg:npm/a@1.0.0", "1.0.0", []AffectedVersion{aff("", "vers:tomee/<2", "unaffected")}, VersionUndetermined},
		{"unknown scheme, affected elsewhere", "pkg:npm/a@3.0.0", "3.0.0", []AffectedVersion{aff("1.0.0", "", ""), aff("", "vers:tomee/<2", "affected")}, VersionUndetermined},
		{"other spelling, no ecosystem", "", "1.0", []AffectedVersion{aff("1.0.0", "", "affected")}, VersionUndetermined},
		{"same spelling, no ecosystem", "", "1.0", []AffectedVersion{aff("1.0", "", "unaffected")}, VersionUnaffected},
		{"ecosystem equality", "pkg:pypi/a@1.0", "1.0", []AffectedVersion{aff("1.0.0", "", "unaffected")}, VersionUnaffected},
		// Trivy writes the epoch in the version entry and as a purl qualifier.
		{"deb epoch", "pkg:deb/ubuntu/login@4.8.1-2ubuntu2.1?arch=amd64&distro=ubuntu-22.04&epoch=1", "4.8.1-2ubuntu2.1",
			[]AffectedVersion{aff("1:4.8.1-2ubuntu2.1", "", "affected")}, VersionAffected},
		{"percent-encoded purl version", "pkg:deb/debian/tar@1.30%2Bdfsg-6?arch=amd64", "1.30%2Bdfsg-6",
			[]AffectedVersion{aff("1.30+dfsg-6", "", "affected")}, VersionAffected},
	} {
		got, note := AffectsVersion(c.purl, c.version, c.list)
		if got != c.want || (got != VersionsUnstated && note == "") {
			t.Errorf("%s: %v %q, want %v", c.name, got, note, c.want)
		}
	}
}
