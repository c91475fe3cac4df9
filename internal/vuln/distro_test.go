package vuln

import (
	"slices"
	"testing"

	"github.com/rampart-security/rampart/internal/inventory"
)

// fixedIn is an ECOSYSTEM range affecting every version below fixed.
func fixedIn(fixed string) []Range {
	return []Range{{Type: RangeEcosystem, Events: []Event{{Introduced: "0"}, {Fixed: fixed}}}}
}

// TestMatcherDistroReleaseAndEpoch matches OS package purls as syft and
// Trivy write them against OSV records of distro ecosystems. Ecosystem
// spellings follow the OSV schema's ecosystem list ("Ubuntu:22.04:LTS",
// "Ubuntu:Pro:18.04:LTS", "Red Hat:enterprise_linux:9::appstream",
// "SUSE:Linux Enterprise Server 15 SP5"); the epoch qualifier follows the
// purl-spec's rpm type (pkg:rpm/fedora/centerim@4.22.10-1.el6?arch=i686&epoch=1)
// and Trivy's deb purls (pkg:deb/ubuntu/libcrypt1@4.4.27-1?epoch=1&distro=ubuntu-22.04).
func TestMatcherDistroReleaseAndEpoch(t *testing.T) {
	advs := []Advisory{
		{ID: "ALSA-openssl", Affected: []Affected{{Ecosystem: "AlmaLinux:8", Name: "openssl", Ranges: fixedIn("1:1.1.1k-6.el8_5")}}},
		{ID: "USN-curl-2204", Affected: []Affected{{Ecosystem: "Ubuntu:22.04:LTS", Name: "curl", Ranges: fixedIn("7.81.0-1ubuntu1.15")}}},
		{ID: "USN-curl-1804", Affected: []Affected{{Ecosystem: "Ubuntu:Pro:18.04:LTS", Name: "curl", Ranges: fixedIn("7.58.0-2ubuntu3.99")}}},
		{ID: "DSA-zlib-12", Affected: []Affected{{Ecosystem: "Debian:12", Name: "zlib", Ranges: fixedIn("1:1.2.13.dfsg-2")}}},
		{ID: "DSA-zlib-11", Affected: []Affected{{Ecosystem: "Debian:11", Name: "zlib", Ranges: fixedIn("1:1.2.11.dfsg-2+deb11u9")}}},
		{ID: "RHSA-nginx", Affected: []Affected{{Ecosystem: "Red Hat:enterprise_linux:9::appstream", Name: "nginx", Ranges: fixedIn("1:1.20.1-14.el9_2.1")}}},
		{ID: "SUSE-libxml2", Affected: []Affected{{Ecosystem: "SUSE:Linux Enterprise Server 15 SP5", Name: "libxml2-2", Ranges: fixedIn("2.10.3-150500.5.20.1")}}},
		{ID: "SUSE-micro-libxml2", Affected: []Affected{{Ecosystem: "SUSE:Linux Enterprise Micro 5.5", Name: "libxml2-2", Ranges: fixedIn("2.10.3-150500.5.20.1")}}},
		{ID: "openSUSE-TW-curl", Affected: []Affected{{Ecosystem: "openSUSE:Tumbleweed", Name: "curl", Ranges: fixedIn("8.6.0-1.1")}}},
		{ID: "ALPINE-busybox", Affected: []Affected{{Ecosystem: "Alpine:v3.18", Name: "busybox", Ranges: fixedIn("1.36.1-r6")}}},
	}
	m := NewMatcher(advs, MatcherOptions{})
	tests := []struct {
		purl string
		want []string
	}{
		// epoch qualifier: 1:1.1.1k-7 is above the fix 1:1.1.1k-6, 1:1.1.1k-5 below it
		{"pkg:rpm/almalinux/openssl@1.1.1k-7.el8_6?arch=x86_64&epoch=1&distro=almalinux-8.6", nil},
		{"pkg:rpm/almalinux/openssl@1.1.1k-5.el8_5?arch=x86_64&epoch=1&distro=almalinux-8.6", []string{"ALSA-openssl"}},
		{"pkg:deb/debian/zlib@1.2.13.dfsg-2?arch=amd64&epoch=1&distro=debian-12.4", nil},
		{"pkg:deb/debian/zlib@1:1.2.13.dfsg-2?arch=amd64&distro=debian-12", nil},
		{"pkg:deb/debian/zlib@1:1.2.13.dfsg-1?arch=amd64&distro=debian-12", []string{"DSA-zlib-12"}},
		// release names and code names
		{"pkg:deb/ubuntu/curl@7.81.0-1ubuntu1.14?arch=amd64&distro=ubuntu-22.04", []string{"USN-curl-2204"}},
		{"pkg:deb/ubuntu/curl@7.81.0-1ubuntu1.14?arch=amd64&distro=jammy", []string{"USN-curl-2204"}},
		{"pkg:deb/ubuntu/curl@7.58.0-2ubuntu3.24?arch=amd64&distro=ubuntu-18.04", []string{"USN-curl-1804"}},
		{"pkg:deb/debian/zlib@1.2.13.dfsg-1?arch=amd64&epoch=1&distro=bookworm", []string{"DSA-zlib-12"}},
		{"pkg:deb/debian/zlib@1:1.2.11.dfsg-2+deb11u2?arch=amd64&distro=debian-bullseye", []string{"DSA-zlib-11"}},
		{"pkg:rpm/redhat/nginx@1.20.1-14.el9?arch=x86_64&epoch=1&distro=rhel-9.2", []string{"RHSA-nginx"}},
		{"pkg:rpm/redhat/nginx@1.20.1-14.el9?arch=x86_64&epoch=1&distro=redhat-9", []string{"RHSA-nginx"}},
		{"pkg:rpm/redhat/nginx@1.20.1-14.el9?arch=x86_64&epoch=1&distro=rhel-8.8", nil},
		{"pkg:rpm/suse/libxml2-2@2.10.3-150500.5.11.1?arch=x86_64&distro=sles-15.5", []string{"SUSE-libxml2"}},
		{"pkg:rpm/suse/libxml2-2@2.10.3-150500.5.11.1?arch=x86_64&distro=sles-15.4", nil},
		{"pkg:rpm/opensuse/curl@8.5.0-1.2?arch=x86_64&distro=opensuse-tumbleweed-20240101", []string{"openSUSE-TW-curl"}},
		{"pkg:rpm/opensuse/curl@8.5.0-1.2?arch=x86_64&distro=opensuse-leap-15.5", nil},
		{"pkg:apk/alpine/busybox@1.36.1-r5?arch=x86_64&distro=alpine-3.18.4", []string{"ALPINE-busybox"}},
		{"pkg:apk/alpine/busybox@1.36.1-r5?arch=x86_64&distro=3.17.2", nil},
	}
	for _, tt := range tests {
		ms := m.Match([]inventory.Component{{Ref: "c", PURL: tt.purl}}, nil)
		var got []string
		for _, x := range ms {
			got = append(got, x.Advisory.ID)
		}
		if len(got) != len(tt.want) || (len(got) > 0 && got[0] != tt.want[0]) {
			t.Errorf("%s: matched %v, want %v", tt.purl, got, tt.want)
		}
	}
}

func TestAdvisoryRelease(t *testing.T) {
	for eco, want := range map[string]string{
		"Go":                                    "",
		"AlmaLinux:9":                           "9",
		"Alpine:v3.18":                          "v3.18",
		"Ubuntu:22.04:LTS":                      "22.04",
		"Ubuntu:Pro:18.04:LTS":                  "18.04",
		"Ubuntu:Pro:FIPS-updates:20.04:LTS":     "20.04",
		"Red Hat:enterprise_linux:9::appstream": "9",
		"Red Hat:rhel_eus:9.2::baseos":          "9.2",
		"SUSE:Linux Enterprise Server 15 SP5":   "15.5",
		"SUSE:Linux Enterprise Micro 5.5":       "5.5",
		"openSUSE:Leap 15.5":                    "15.5",
		"openSUSE:Tumbleweed":                   "Tumbleweed",
		"openEuler:22.03-LTS-SP1":               "22.03",
	} {
		if got := advisoryRelease(eco); got != want {
			t.Errorf("advisoryRelease(%q) = %q, want %q", eco, got, want)
		}
	}
}

// TestMatcherSourcePackage: OSV names Debian, Ubuntu and Alpine packages by
// their source package (OSV schema ecosystems list); an image SBOM lists
// binary packages, and syft names the source in the purl's upstream
// qualifier (deb "src@version" or "src", apk the origin, rpm the source
// RPM file), which grype reads the same way.
func TestMatcherSourcePackage(t *testing.T) {
	advs := []Advisory{
		{ID: "DSA-openssl", Affected: []Affected{{Ecosystem: "Debian:12", Name: "openssl", Ranges: fixedIn("3.0.13-1~deb12u1")}}},
		{ID: "ALPINE-openssl", Affected: []Affected{{Ecosystem: "Alpine:v3.19", Name: "openssl", Ranges: fixedIn("3.1.4-r6")}}},
		{ID: "ALSA-openssl", Affected: []Affected{{Ecosystem: "AlmaLinux:9", Name: "openssl", Ranges: fixedIn("1:3.0.7-25.el9")},
			{Ecosystem: "AlmaLinux:9", Name: "openssl-libs", Ranges: fixedIn("1:3.0.7-25.el9")}}},
		{ID: "DSA-glibc", Affected: []Affected{{Ecosystem: "Debian:12", Name: "glibc", Ranges: fixedIn("2.36-9+deb12u4")}}},
	}
	m := NewMatcher(advs, MatcherOptions{})
	tests := []struct {
		purl string
		want string
	}{
		{"pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&upstream=openssl&distro=debian-12", "DSA-openssl"},
		{"pkg:deb/debian/libssl3@3.0.13-1~deb12u1?arch=amd64&upstream=openssl&distro=debian-12", ""},
		// the source version, when the binary's differs (a binNMU "+b1")
		{"pkg:deb/debian/libc6@2.36-9%2Bdeb12u3%2Bb1?arch=amd64&upstream=glibc%402.36-9%2Bdeb12u3&distro=debian-12", "DSA-glibc"},
		{"pkg:deb/debian/libc6@2.36-9%2Bdeb12u4%2Bb1?arch=amd64&upstream=glibc%402.36-9%2Bdeb12u4&distro=debian-12", ""},
		{"pkg:apk/alpine/libcrypto3@3.1.4-r5?arch=x86_64&upstream=openssl&distro=alpine-3.19.1", "ALPINE-openssl"},
		{"pkg:apk/alpine/libcrypto3@3.1.4-r5?arch=x86_64&distro=alpine-3.19.1", ""}, // no source named
		// binary and source records of one advisory: one match
		{"pkg:rpm/almalinux/openssl-libs@3.0.7-24.el9?arch=x86_64&epoch=1&upstream=openssl-3.0.7-24.el9.src.rpm&distro=almalinux-9.3", "ALSA-openssl"},
	}
	for _, tt := range tests {
		comps := []inventory.Component{{Ref: "c", PURL: tt.purl}}
		ms := m.Match(comps, nil)
		var got []string
		for _, x := range ms {
			got = append(got, x.Advisory.ID)
		}
		if tt.want == "" && len(got) != 0 || tt.want != "" && (len(got) != 1 || got[0] != tt.want) {
			t.Errorf("%s: matched %v, want %q", tt.purl, got, tt.want)
		}
		if tt.want != "" {
			keys := ComponentKeys(comps)
			found := false
			for _, a := range advs {
				if a.ID == tt.want {
					for _, k := range a.IndexKeys() {
						found = found || slices.Contains(keys, k)
					}
				}
			}
			if !found {
				t.Errorf("%s: %s not reachable through ComponentKeys %v", tt.purl, tt.want, keys)
			}
		}
	}
}

func TestSourcePackage(t *testing.T) {
	for _, tt := range []struct{ typ, name, upstream, src, ver string }{
		{"deb", "libssl3", "openssl", "openssl", ""},
		{"deb", "libc6", "glibc@2.36-9+deb12u3", "glibc", "2.36-9+deb12u3"},
		{"deb", "curl", "curl", "", ""},
		{"apk", "libcrypto3", "openssl", "openssl", ""},
		{"rpm", "openssl-libs", "openssl-3.0.7-24.el9.src.rpm", "openssl", ""},
		{"rpm", "python3-libs", "python3.11-3.11.5-1.el9_3.src.rpm", "python3.11", ""},
		{"rpm", "x", "not-a-source-rpm", "", ""},
		{"deb", "x", "", "", ""},
	} {
		src, ver := sourcePackage(tt.typ, tt.name, tt.upstream)
		if src != tt.src || ver != tt.ver {
			t.Errorf("sourcePackage(%s, %s, %q) = %q, %q; want %q, %q", tt.typ, tt.name, tt.upstream, src, ver, tt.src, tt.ver)
		}
	}
}
