package advisory

import (
	"testing"

	"github.com/rampart-security/rampart/internal/advisory/csaf"
)

func TestHelpers(t *testing.T) {
	if got := ProductPURL("Northwind Devices GmbH", "IG 400", "3.1.0"); got != "pkg:generic/northwind-devices-gmbh/ig-400@3.1.0" {
		t.Errorf("purl %s", got)
	}
	if got := ProductCPE("Northwind Devices", "IG-400 (EU)", "3.1.0"); got != `cpe:2.3:o:northwind_devices:ig-400_\(eu\):3.1.0:*:*:*:*:*:*:*` {
		t.Errorf("cpe %s", got)
	}
}

// Both profiles authored from release statuses pass every mandatory test
// (the tracking fields are the service's; here they are filled as it would).
func TestBuildProfiles(t *testing.T) {
	for _, cat := range []string{"csaf_security_advisory", "csaf_vex"} {
		doc, err := Build(Input{Category: cat, Title: "t", Vendor: "Northwind", Vulnerabilities: []VulnInput{{CVE: "CVE-2023-48795",
			CVSSv3: []string{"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:N"},
			Releases: []ReleaseStatus{
				{Product: "IG-400", Version: "3.1.0", Status: Affected, FixedIn: "3.3.0", Workaround: "disable chacha20"},
				{Product: "IG-400", Version: "3.2.0", Status: Affected},
				{Product: "IG-400", Version: "3.0.0", Status: NotAffected, Justification: "code_not_present"},
				{Product: "IG-400", Version: "3.4.0", Status: UnderInvestigation},
			}}}})
		if err != nil {
			t.Fatal(err)
		}
		doc.Document.Publisher = csaf.Publisher{Category: "vendor", Name: "Northwind", Namespace: "https://northwind.example"}
		doc.Document.Tracking = csaf.Tracking{ID: "NW-1", Status: "final", Version: "1", InitialReleaseDate: "2026-01-01T00:00:00Z", CurrentReleaseDate: "2026-01-01T00:00:00Z",
			RevisionHistory: []csaf.Revision{{Date: "2026-01-01T00:00:00Z", Number: "1", Summary: "Initial"}}}
		res, err := csaf.ValidateDocument(&doc)
		if err != nil || !res.Valid {
			t.Fatalf("%s: %v %+v", cat, err, res.Failures)
		}
		v := doc.Vulnerabilities[0]
		if len(v.ProductStatus.KnownAffected) != 2 || len(v.ProductStatus.Fixed) != 1 || v.Flags[0].Label != "vulnerable_code_not_present" ||
			v.Scores[0].CVSSv3["baseScore"] != 5.9 || v.Scores[0].CVSSv3["baseSeverity"] != "MEDIUM" {
			t.Errorf("%s: %+v %+v", cat, v.ProductStatus, v.Scores)
		}
	}
	if _, err := Build(Input{Vendor: "x", Vulnerabilities: []VulnInput{{CVE: "CVE-1", Releases: []ReleaseStatus{{Product: "p", Version: "1", Status: "maybe"}}}}}); err == nil {
		t.Error("unknown status accepted")
	}
}
