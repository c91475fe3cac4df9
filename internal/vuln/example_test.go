package vuln_test

import (
	"fmt"

	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/vuln"
)

// A matcher is built once from advisories and then matches releases. The
// busybox component has neither purl nor CPE: its CPE comes from the alias
// table, and the reason says so.
func ExampleMatcher() {
	advisories := []vuln.Advisory{{
		ID:       "CVE-2022-48174",
		Severity: []vuln.CVSS{{Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Score: 9.8}},
		Configurations: []vuln.Configuration{{Nodes: []vuln.Node{{Operator: "OR", Matches: []vuln.CPEMatch{{
			Vulnerable: true, Criteria: "cpe:2.3:a:busybox:busybox:*:*:*:*:*:*:*:*", VersionEndIncluding: "1.36.1",
		}}}}}},
	}, {
		ID: "GO-2023-1737", Aliases: []string{"CVE-2023-29401"},
		Affected: []vuln.Affected{{Ecosystem: "Go", Name: "github.com/gin-gonic/gin", Ranges: []vuln.Range{{
			Type: vuln.RangeSemver, Events: []vuln.Event{{Introduced: "1.3.1-0.20190301021747-ccb9e902956d"}, {Fixed: "1.9.1"}},
		}}}},
	}}
	m := vuln.NewMatcher(advisories, vuln.MatcherOptions{})
	release := []inventory.Component{
		{Ref: "bb", Name: "busybox", Version: "1.35.0"},
		{Ref: "gin", Name: "github.com/gin-gonic/gin", Version: "v1.9.0", PURL: "pkg:golang/github.com/gin-gonic/gin@v1.9.0"},
	}
	for _, match := range m.Match(release, nil) {
		fmt.Printf("%s %s: %s (%s %.1f) fixed in %v\n  %s\n", match.Component.Name, match.Component.Version,
			match.Advisory.ID, match.Severity, match.CVSSScore, match.FixedVersions, match.Reason)
	}
	// Output:
	// busybox 1.35.0: CVE-2022-48174 (critical 9.8) fixed in []
	//   nvd CVE-2022-48174: configuration 1: busybox:busybox 1.35.0 matches cpe:2.3:a:busybox:busybox:*:*:*:*:*:*:*:* (<= 1.36.1); CPE derived from component name "busybox" via alias table (busybox:busybox)
	// github.com/gin-gonic/gin v1.9.0: GO-2023-1737 (unknown 0.0) fixed in [1.9.1]
	//   osv GO-2023-1737: Go package github.com/gin-gonic/gin version v1.9.0 in SEMVER range [introduced 1.3.1-0.20190301021747-ccb9e902956d, fixed 1.9.1)
}
