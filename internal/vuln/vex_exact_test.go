package vuln

import (
	"testing"

	"github.com/rampart-security/rampart/internal/inventory"
)

// A supplier's VEX statement applies to the exact component (purl and
// version), never to another version nor to the vulnerability alone.
func TestVEXStatementAppliesToExactComponent(t *testing.T) {
	adv := &Advisory{ID: "CVE-2023-0286"}
	c := &inventory.Component{Ref: "openssl", Name: "openssl", Version: "3.0.11", PURL: "pkg:generic/openssl@3.0.11"}
	other := &inventory.Component{Ref: "openssl-old", Name: "openssl", Version: "3.0.7", PURL: "pkg:generic/openssl@3.0.7"}
	for _, tt := range []struct {
		product string
		comp    *inventory.Component
		want    bool
	}{
		{"pkg:generic/openssl@3.0.11", c, true},
		{"pkg:generic/openssl@3.0.11?arch=arm", c, true},
		{"pkg:generic/openssl@3.0.11", other, false},
		{"pkg:generic/openssl", c, false}, // no version: not exact
		{"pkg:generic/libressl@3.0.11", c, false},
		{"", c, false}, // CVE alone
	} {
		st := VEXStatement{VulnID: "CVE-2023-0286", Product: tt.product, Status: VEXNotAffected}
		if got := st.AppliesTo(tt.comp, adv); got != tt.want {
			t.Errorf("%q on %s: %v, want %v", tt.product, tt.comp.PURL, got, tt.want)
		}
	}
}

// A statement naming the component's CPE in the other binding (CPE 2.2 URI
// for a 2.3 formatted string) names the same component (NISTIR 7695
// clause 6: both bind one well-formed name); another version does not.
func TestVEXStatementCPEBindings(t *testing.T) {
	adv := &Advisory{ID: "CVE-2022-48174"}
	c := &inventory.Component{Ref: "bb", Name: "busybox", Version: "1.35.0", CPEs: []string{"cpe:2.3:a:busybox:busybox:1.35.0:*:*:*:*:*:*:*"}}
	for product, want := range map[string]bool{
		"cpe:2.3:a:busybox:busybox:1.35.0:*:*:*:*:*:*:*": true,
		"cpe:/a:busybox:busybox:1.35.0":                  true,
		"cpe:/a:busybox:busybox:1.36.0":                  false,
		"cpe:/a:busybox:busybox":                         false, // ANY version: not this exact component
		"cpe:/h:busybox:busybox:1.35.0":                  false,
	} {
		st := VEXStatement{VulnID: adv.ID, Product: product, Status: VEXNotAffected}
		if got := st.AppliesTo(c, adv); got != want {
			t.Errorf("%q: %v, want %v", product, got, want)
		}
	}
}
