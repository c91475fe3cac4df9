package advisory

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/advisory/csaf"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/vuln"
	"github.com/rampart-security/rampart/internal/vuln/vex"
)

// A release's CSAF VEX is valid, and read back as a supplier's VEX it
// applies to the exact component version only.
func TestReleaseVEXRoundTrip(t *testing.T) {
	c := &inventory.Component{Ref: "net", Name: "golang.org/x/net", Version: "v0.17.0", PURL: "pkg:golang/golang.org/x/net@v0.17.0"}
	z := &inventory.Component{Ref: "zlib", Name: "zlib", Version: "1.2.13", PURL: "pkg:generic/zlib@1.2.13"}
	a := &vuln.Advisory{ID: "CVE-2099-0001", Summary: "x"}
	b := &vuln.Advisory{ID: "GHSA-aaaa-bbbb-cccc", Aliases: []string{"CVE-2099-0002"}, Summary: "y"}
	doc := ReleaseVEX(csaf.Publisher{Category: "vendor", Name: "Northwind", Namespace: "https://n.example"}, "Fleet", "1.0", []vuln.Match{
		{Component: c, Advisory: a, Suppressed: &vuln.VEXStatement{Status: vuln.VEXNotAffected, Justification: "component_not_present", ImpactStatement: "not built"}},
		{Component: z, Advisory: b, FixedVersions: []string{"1.3"}},
	}, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	data, _ := json.Marshal(doc)
	res, err := csaf.Validate(data)
	if err != nil || !res.Valid {
		t.Fatalf("CSAF VEX: %v %+v", err, res.Failures)
	}
	sts, err := vex.Parse(data, "fleet.csaf.json")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]vuln.VEXStatement{}
	for _, s := range sts {
		got[s.VulnID+" "+s.Product] = s
	}
	na, ok := got["CVE-2099-0001 pkg:golang/golang.org/x/net@v0.17.0"]
	if !ok || na.Status != vuln.VEXNotAffected || na.Justification != "component_not_present" || na.ImpactStatement != "not built" {
		t.Fatalf("statements: %+v", sts)
	}
	if s, ok := got["CVE-2099-0002 pkg:generic/zlib@1.2.13"]; !ok || s.Status != vuln.VEXAffected || s.ActionStatement == "" {
		t.Fatalf("affected statement: %+v", sts)
	}
	if !na.AppliesTo(c, a) {
		t.Error("statement does not apply to its component")
	}
	other := *c
	other.Version, other.PURL = "v0.18.0", "pkg:golang/golang.org/x/net@v0.18.0"
	if na.AppliesTo(&other, a) {
		t.Error("statement applies to another version")
	}
}
