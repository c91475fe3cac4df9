package feeds

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/corpustest"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/vuln"
)

// TestCorpusFirmwareBoundaries matches firmware components that have no
// purl against the corpus NVD API 2.0 records and the NVD 1.1 feed, on each
// side of the published version boundaries and with and without the
// hardware of "running on" configurations.
func TestCorpusFirmwareBoundaries(t *testing.T) {
	d, err := Load(context.Background(),
		corpustest.Dir(t, "nvd", "api-2.0-records"),
		corpustest.Dir(t, "nvd", "osv.dev-testdata", "vulnfeeds", "test_data", "nvdcve-1.1-test-data.json"))
	if err != nil {
		t.Fatal(err)
	}
	m := vuln.NewMatcher(d.Advisories, vuln.MatcherOptions{})
	named := func(name, version string) inventory.Component {
		return inventory.Component{Ref: name + "@" + version, Name: name, Version: version}
	}
	withCPE := func(cpe string) inventory.Component {
		parts := strings.Split(cpe, ":")
		return inventory.Component{Ref: cpe, Name: parts[4], Version: parts[5], CPEs: []string{cpe}}
	}
	tests := []struct {
		name  string
		comps []inventory.Component
		cve   string
		want  bool
	}{
		{"busybox 1.36.1 = versionEndIncluding", []inventory.Component{named("busybox", "1.36.1")}, "CVE-2022-48174", true},
		{"busybox 1.36.2 above versionEndIncluding", []inventory.Component{named("busybox", "1.36.2")}, "CVE-2022-48174", false},
		{"busybox 1.35.0 = versionEndIncluding", []inventory.Component{named("busybox", "1.35.0")}, "CVE-2022-28391", true},
		{"busybox 1.35.1 above versionEndIncluding", []inventory.Component{named("busybox", "1.35.1")}, "CVE-2022-28391", false},
		{"dnsmasq 2.89 below versionEndExcluding", []inventory.Component{named("dnsmasq", "2.89")}, "CVE-2023-28450", true},
		{"dnsmasq 2.90 = versionEndExcluding", []inventory.Component{named("dnsmasq", "2.90")}, "CVE-2023-28450", false},
		{"dropbear 2020.78", []inventory.Component{named("dropbear", "2020.78")}, "CVE-2020-36254", true},
		{"dropbear 2020.79 = versionEndExcluding", []inventory.Component{named("dropbear", "2020.79")}, "CVE-2020-36254", false},
		{"lighttpd 1.4.45 below versionStartIncluding", []inventory.Component{named("lighttpd", "1.4.45")}, "CVE-2022-22707", false},
		{"lighttpd 1.4.46 = versionStartIncluding", []inventory.Component{named("lighttpd", "1.4.46")}, "CVE-2022-22707", true},
		{"lighttpd 1.4.63 = versionEndIncluding", []inventory.Component{named("lighttpd", "1.4.63")}, "CVE-2022-22707", true},
		{"lighttpd 1.4.64", []inventory.Component{named("lighttpd", "1.4.64")}, "CVE-2022-22707", false},
		{"mbedtls 2.28.0 (arm)", []inventory.Component{named("mbedtls", "2.28.0")}, "CVE-2022-35409", true},
		{"mbedtls 3.1.0 (trustedfirmware)", []inventory.Component{named("mbedtls", "3.1.0")}, "CVE-2022-35409", true},
		{"mbedtls 3.2.0 = versionEndExcluding", []inventory.Component{named("mbedtls", "3.2.0")}, "CVE-2022-35409", false},
		{"wolfssl 5.5.0", []inventory.Component{named("wolfssl", "5.5.0")}, "CVE-2022-39173", true},
		{"uclibc exact 0.9.33.2", []inventory.Component{named("uclibc", "0.9.33.2")}, "CVE-2017-9728", true},
		{"uclibc other version", []inventory.Component{named("uclibc", "0.9.33.3")}, "CVE-2017-9728", false},
		{"libupnp 1.14.5", []inventory.Component{named("libupnp", "1.14.5")}, "CVE-2021-29462", true},
		{"tenda ax1803 firmware on its board", []inventory.Component{withCPE("cpe:2.3:o:tenda:ax1803_firmware:1.0.0.1:*:*:*:*:*:*:*"), withCPE("cpe:2.3:h:tenda:ax1803:-:*:*:*:*:*:*:*")}, "CVE-2022-37824", true},
		{"tenda ax1803 firmware, board implied by name", []inventory.Component{withCPE("cpe:2.3:o:tenda:ax1803_firmware:1.0.0.1:*:*:*:*:*:*:*")}, "CVE-2022-37824", true},
		{"tenda ax1803 other firmware version", []inventory.Component{withCPE("cpe:2.3:o:tenda:ax1803_firmware:1.0.0.2:*:*:*:*:*:*:*"), withCPE("cpe:2.3:h:tenda:ax1803:-:*:*:*:*:*:*:*")}, "CVE-2022-37824", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ids []string
			for _, mt := range m.Match(tt.comps, nil) {
				ids = append(ids, mt.Advisory.IDs()...)
			}
			if got := slices.Contains(ids, tt.cve); got != tt.want {
				t.Errorf("%s matched: %v, want %v (all: %v)", tt.cve, got, tt.want, ids)
			}
		})
	}
}
