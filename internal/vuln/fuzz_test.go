package vuln

import (
	"testing"

	"github.com/rampart-security/rampart/internal/inventory"
)

// FuzzCPEAndVersions feeds untrusted CPE names, purls and versions (they come
// from SBOMs) through parsing, ordering and matching: nothing may panic, and
// version order must be antisymmetric.
func FuzzCPEAndVersions(f *testing.F) {
	f.Add("cpe:2.3:a:busybox:busybox:1.35.0:*:*:*:*:*:*:*", "pkg:golang/github.com/gin-gonic/gin@v1.9.0", "1.1.1k", "1.0.0-rc1")
	f.Add("cpe:/o:linux:linux_kernel:5.10", "pkg:pypi/Django@3.2", "2020.81", "v2.0")
	f.Add("cpe:2.3:a:x\\:y:z:*:*:*:*:*:*:*:*", "pkg:deb/debian/openssl@1.1.1n-0+deb11u3?distro=debian-11", "1:2.0-1", "")
	f.Fuzz(func(t *testing.T, cpe, purl, a, b string) {
		if c1, c2 := CompareCPEVersions(a, b), CompareCPEVersions(b, a); c1 != -c2 {
			t.Errorf("CompareCPEVersions(%q, %q) = %d but reversed %d", a, b, c1, c2)
		}
		_, _ = ParseCPE(cpe)
		if p, err := PackageFromPURL(purl); err == nil {
			_, _ = ParseVersion(p.Ecosystem, p.Version)
		}
		advs := []Advisory{{ID: "CVE-1-1", Configurations: []Configuration{{Nodes: []Node{{Operator: "OR", Matches: []CPEMatch{
			{Vulnerable: true, Criteria: cpe, VersionStartIncluding: a, VersionEndExcluding: b}}}}}}},
			{ID: "GO-1-1", Affected: []Affected{{Ecosystem: "Go", Name: "github.com/gin-gonic/gin", Ranges: []Range{{Type: RangeSemver, Events: []Event{{Introduced: a}, {Fixed: b}}}}}}}}
		NewMatcher(advs, MatcherOptions{}).Match([]inventory.Component{
			{Name: "busybox", Version: a, CPEs: []string{cpe}},
			{Name: "x", Version: b, PURL: purl},
		}, []VEXStatement{{VulnID: "CVE-1-1", Product: purl, Status: VEXNotAffected}})
	})
}

// FuzzAffectsVersion feeds untrusted vers ranges and versions (they come
// from CycloneDX VDR and VEX documents) through VersContains and
// AffectsVersion: nothing may panic, and a verdict always explains itself.
func FuzzAffectsVersion(f *testing.F) {
	f.Add("vers:npm/1.2.3|>=2.0.0|<5.0.0", "2.1.0", "pkg:npm/a@2.1.0", "unaffected")
	f.Add("vers:gem/>=2.2.0|!= 2.2.1|<2.3.0", "2.2.1", "pkg:gem/a@2.2.1", "")
	f.Add("vers:semver/2.9.0|<2.9.5", "2.9.4", "pkg:maven/g/a@2.9.4", "affected")
	f.Add("vers:deb/>=1:4.8.1-2ubuntu2.1|<%3A", "4.8.1", "pkg:deb/ubuntu/login@4.8.1?epoch=1", "unknown")
	f.Add("vers:tomee/>=1.0.0-beta1|<=1.7.5", "1.0", "", "unaffected")
	f.Fuzz(func(t *testing.T, r, version, purl, status string) {
		_, _ = VersContains(r, version)
		list := []AffectedVersion{{Range: r, Status: status}, {Version: version, Status: status}}
		if v, note := AffectsVersion(purl, version, list); v != VersionsUnstated && note == "" {
			t.Errorf("AffectsVersion(%q, %q, %+v) = %v with no note", purl, version, list, v)
		}
	})
}
