package vuln

import (
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/inventory"
)

// TestMatcherAnyVendorCPE: Yocto's cve-check and create-spdx
// (meta/lib/oe/cve_check.py get_cpe_ids) and meta-cyclonedx write
// cpe:2.3:*:VENDOR:PRODUCT:VERSION:*:*:*:*:*:*:* with an ANY part, and an ANY
// vendor when the recipe's CVE_PRODUCT names none ("busybox" rather than
// "busybox:busybox"). Such a CPE names the product of every vendor and every
// part; the NVD criteria it must match name both.
func TestMatcherAnyVendorCPE(t *testing.T) {
	m := NewMatcher(fixtureAdvisories(), MatcherOptions{})
	tests := []struct {
		cpe  string
		want string // advisory id, "" for no match
	}{
		{"cpe:2.3:*:*:busybox:1.35.0:*:*:*:*:*:*:*", "CVE-2022-48174"},
		{"cpe:2.3:*:busybox:busybox:1.35.0:*:*:*:*:*:*:*", "CVE-2022-48174"},
		{"cpe:2.3:*:*:busybox:1.36.0:*:*:*:*:*:*:*", ""}, // at the excluded end
		{"cpe:2.3:*:*:lighttpd:1.4.63:*:*:*:*:*:*:*", "CVE-2022-22707"},
		{"cpe:2.3:h:*:busybox:1.35.0:*:*:*:*:*:*:*", ""}, // a hardware part is not the application
		{"cpe:2.3:*:othervendor:busybox:1.35.0:*:*:*:*:*:*:*", ""},
	}
	for _, tt := range tests {
		comps := []inventory.Component{{Ref: "c", Name: "x", CPEs: []string{tt.cpe}}}
		got := ""
		for _, mt := range m.Match(comps, nil) {
			got = mt.Advisory.ID
		}
		if got != tt.want {
			t.Errorf("%s: matched %q, want %q", tt.cpe, got, tt.want)
		}
		// the store finds the advisory through the component's keys
		if tt.want != "" {
			keys := strings.Join(ComponentKeys(comps), " ")
			found := false
			for _, a := range fixtureAdvisories() {
				if a.ID != tt.want {
					continue
				}
				for _, k := range a.IndexKeys() {
					found = found || strings.Contains(" "+keys+" ", " "+k+" ")
				}
			}
			if !found {
				t.Errorf("%s: %s not reachable through ComponentKeys %s", tt.cpe, tt.want, keys)
			}
		}
	}

	// An ANY-vendor platform CPE satisfies a "running on" leaf: dnsmasq
	// 2.85 running on a Linux kernel below 5.0 (CVE-2023-0002), the kernel
	// named as Yocto names it.
	comps := []inventory.Component{
		{Ref: "d", Name: "dnsmasq", CPEs: []string{"cpe:2.3:*:thekelleys:dnsmasq:2.85:*:*:*:*:*:*:*"}},
		{Ref: "k", Name: "linux-yocto", CPEs: []string{"cpe:2.3:*:*:linux_kernel:4.19.300:*:*:*:*:*:*:*"}},
	}
	found := false
	for _, mt := range m.Match(comps, nil) {
		found = found || mt.Advisory.ID == "CVE-2023-0002"
	}
	if !found {
		t.Error("dnsmasq on a 4.19 kernel named cpe:2.3:*:*:linux_kernel: did not match CVE-2023-0002")
	}
	comps[1].CPEs = []string{"cpe:2.3:*:*:linux_kernel:5.15.0:*:*:*:*:*:*:*"}
	for _, mt := range m.Match(comps, nil) {
		if mt.Advisory.ID == "CVE-2023-0002" {
			t.Error("dnsmasq on a 5.15 kernel matched CVE-2023-0002 (kernel < 5.0 only)")
		}
	}
}
