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
