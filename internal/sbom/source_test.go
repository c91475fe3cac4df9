package sbom_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/sbom"
	"github.com/rampart-security/rampart/internal/vuln"
	"github.com/rampart-security/rampart/internal/vuln/feeds/osv"
)

// debianOpenSSL is a hand-written OSV record (OSV schema 1.6) of the shape
// Debian's DSA records take in OSV: named by the source package (OSV
// ecosystems list: "the name is the name of the source package") in the
// "Debian:12" ecosystem.
const debianOpenSSL = `{
  "schema_version": "1.6.0",
  "id": "DSA-5532-1",
  "modified": "2023-10-25T00:00:00Z",
  "published": "2023-10-24T00:00:00Z",
  "aliases": ["CVE-2023-5363"],
  "summary": "openssl security update",
  "affected": [{
    "package": {"ecosystem": "Debian:12", "name": "openssl"},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.0.11-1~deb12u2"}]}]
  }]
}`

// TestTrivySourcePackage: Trivy names a distro binary package's source
// package in CycloneDX component properties (aquasecurity:trivy:SrcName,
// SrcVersion, SrcRelease, SrcEpoch: Trivy's pkg/sbom/core and
// pkg/sbom/cyclonedx) and in the SPDX package's sourceInfo ("built package
// from: openssl 3.0.11-1~deb12u1": pkg/sbom/spdx). The fixtures
// (testdata/trivy-srcpkg.*) are hand-written after those names: libssl3
// built from openssl, bsdutils (epoch 1) from util-linux (no epoch),
// libcrypt1 from libxcrypt (both epoch 1), and openssl itself. Import writes the source into the purl's upstream qualifier, so
// libssl3 matches an OSV Debian record named by the source package; the
// same document without the source names does not; whole and streamed
// decoding agree.
func TestTrivySourcePackage(t *testing.T) {
	adv, err := osv.Parse(strings.NewReader(debianOpenSSL), "DSA-5532-1.json")
	if err != nil {
		t.Fatal(err)
	}
	m := vuln.NewMatcher([]vuln.Advisory{*adv}, vuln.MatcherOptions{})
	// how each fixture says "this package has no source package named":
	// the property gone (CycloneDX), Trivy's other sourceInfo prefix for
	// packages found in a file (SPDX)
	noSource := func(data []byte) []byte {
		data = bytes.ReplaceAll(data, []byte(`"aquasecurity:trivy:SrcName"`), []byte(`"aquasecurity:trivy:Unknown"`))
		return bytes.ReplaceAll(data, []byte("built package from:"), []byte("package found in:"))
	}
	want := map[string]string{
		"libssl3":  "pkg:deb/debian/libssl3@3.0.11-1~deb12u1?arch=amd64&distro=debian-12.5&upstream=openssl%403.0.11-1~deb12u1",
		"openssl":  "pkg:deb/debian/openssl@3.0.11-1~deb12u1?arch=amd64&distro=debian-12.5",
		"bsdutils": "pkg:deb/debian/bsdutils@2.38.1-5%2Bdeb12u1?arch=amd64&distro=debian-12.5&epoch=1&upstream=util-linux%402.38.1-5%2Bdeb12u1",
		// SrcEpoch: the source version is epoch:version-release
		"libcrypt1": "pkg:deb/debian/libcrypt1@4.4.33-2?arch=amd64&distro=debian-12.5&epoch=1&upstream=libxcrypt%401:4.4.33-2",
	}
	for _, file := range []string{"trivy-srcpkg.cdx.json", "trivy-srcpkg.cdx.xml", "trivy-srcpkg.spdx.json", "trivy-srcpkg.spdx"} {
		data, err := os.ReadFile(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		for _, stripped := range []bool{false, true} {
			if stripped {
				data = noSource(data)
			}
			if !checkSame(t, data, file) {
				t.Fatalf("%s (stripped %v): not accepted", file, stripped)
			}
			doc, err := sbom.DecodeBytes(data, file)
			if err != nil {
				t.Fatal(err)
			}
			byName := map[string]inventory.Component{}
			for _, c := range doc.Components {
				byName[c.Name] = c
			}
			for name, purl := range want {
				if stripped {
					purl, _, _ = strings.Cut(purl, "&upstream=")
				}
				if got := byName[name].PURL; got != purl {
					t.Errorf("%s (stripped %v): %s purl %q, want %q", file, stripped, name, got, purl)
				}
			}
			ms := m.Match([]inventory.Component{byName["libssl3"]}, nil)
			switch {
			case !stripped && (len(ms) != 1 || ms[0].Advisory.ID != "DSA-5532-1" || ms[0].Component.Name != "libssl3"):
				t.Errorf("%s: libssl3 from openssl: %d matches %+v, want DSA-5532-1", file, len(ms), ms)
			case stripped && len(ms) != 0:
				t.Errorf("%s without source: libssl3 matched %s", file, ms[0].Advisory.ID)
			}
			if !stripped {
				// the source package at its fixed version is not affected
				fixed := byName["libssl3"]
				fixed.PURL = strings.ReplaceAll(fixed.PURL, "deb12u1", "deb12u2")
				if ms := m.Match([]inventory.Component{fixed}, nil); len(ms) != 0 {
					t.Errorf("%s: libssl3 built from openssl 3.0.11-1~deb12u2 matched %s", file, ms[0].Advisory.ID)
				}
			}
		}
	}
}

// TestWithUpstream: the upstream qualifier is spelled as syft writes it and
// vuln.PackageFromPURL reads it back as the source package (deb
// "src@version", apk the origin, rpm the source RPM file); purls that
// already name a source, name the source itself or are not distro
// packages are kept as written.
func TestWithUpstream(t *testing.T) {
	for _, tt := range []struct {
		purl, name, version, want string
		src, srcVersion           string // what the matcher reads back
	}{
		{"pkg:deb/debian/libssl3@3.0.11-1~deb12u1?arch=amd64&distro=debian-12.5", "openssl", "3.0.11-1~deb12u1",
			"pkg:deb/debian/libssl3@3.0.11-1~deb12u1?arch=amd64&distro=debian-12.5&upstream=openssl%403.0.11-1~deb12u1", "openssl", "3.0.11-1~deb12u1"},
		// an epoch and a '+' in the source version (Trivy's formatted SrcEpoch:SrcVersion-SrcRelease)
		{"pkg:deb/ubuntu/libcrypt1@4.4.27-2?epoch=1&distro=ubuntu-22.04", "libxcrypt", "1:4.4.27-2+b1",
			"pkg:deb/ubuntu/libcrypt1@4.4.27-2?epoch=1&distro=ubuntu-22.04&upstream=libxcrypt%401:4.4.27-2%2Bb1", "libxcrypt", "1:4.4.27-2+b1"},
		{"pkg:deb/debian/libssl3@3.0.11-1", "openssl", "", "pkg:deb/debian/libssl3@3.0.11-1?upstream=openssl", "openssl", ""},
		{"pkg:deb/debian/libssl3@3.0.11-1?#sub/dir", "openssl", "", "pkg:deb/debian/libssl3@3.0.11-1?upstream=openssl#sub/dir", "openssl", ""},
		{"pkg:apk/alpine/libcrypto3@3.1.4-r5?arch=x86_64&distro=3.19.1", "openssl", "3.1.4-r5",
			"pkg:apk/alpine/libcrypto3@3.1.4-r5?arch=x86_64&distro=3.19.1&upstream=openssl", "openssl", ""},
		{"pkg:rpm/redhat/openssl-libs@3.0.7-24.el9?arch=x86_64&epoch=1&distro=redhat-9.3", "openssl", "1:3.0.7-24.el9",
			"pkg:rpm/redhat/openssl-libs@3.0.7-24.el9?arch=x86_64&epoch=1&distro=redhat-9.3&upstream=openssl-3.0.7-24.el9.src.rpm", "openssl", ""},
		// a source version without its release: the binary's version-release
		{"pkg:rpm/redhat/openssl-libs@3.0.7-24.el9?arch=x86_64", "openssl", "3.0.7",
			"pkg:rpm/redhat/openssl-libs@3.0.7-24.el9?arch=x86_64&upstream=openssl-3.0.7-24.el9.src.rpm", "openssl", ""},
	} {
		got := sbom.WithUpstream(tt.purl, tt.name, tt.version)
		if got != tt.want {
			t.Errorf("WithUpstream(%q, %q, %q) = %q, want %q", tt.purl, tt.name, tt.version, got, tt.want)
			continue
		}
		if pk, err := vuln.PackageFromPURL(got); err == nil && (pk.Source != tt.src || pk.SourceVersion != tt.srcVersion) {
			t.Errorf("%s: source %q %q, want %q %q", got, pk.Source, pk.SourceVersion, tt.src, tt.srcVersion)
		}
	}
	// kept as written: a source already named, the package is its own
	// source, not a distro package, not a purl
	for _, tt := range [][3]string{
		{"pkg:deb/debian/libssl3@3.0.11-1?upstream=openssl", "other", "1"},
		{"pkg:deb/debian/openssl@3.0.11-1", "openssl", "3.0.11-1"},
		{"pkg:npm/lodash@4.17.21", "lodash-src", "4.17.21"},
		{"not a purl", "openssl", "1"},
	} {
		if got := sbom.WithUpstream(tt[0], tt[1], tt[2]); got != tt[0] {
			t.Errorf("WithUpstream(%q, %q, %q) = %q, want it kept", tt[0], tt[1], tt[2], got)
		}
	}
	for in, want := range map[string][2]string{
		"built package from: openssl 3.0.11-1~deb12u2":             {"openssl", "3.0.11-1~deb12u2"},
		"built package from: musl":                                 {"musl", ""},
		"package found in: /app/package-lock.json":                 {"", ""},
		"acquired package info from DPKG DB: /var/lib/dpkg/status": {"", ""}, // syft's sourceInfo
	} {
		if n, v := sbom.SPDXSource(in); n != want[0] || v != want[1] {
			t.Errorf("SPDXSource(%q) = %q, %q; want %q", in, n, v, want)
		}
	}
}

// TestSyftSPDXUpstream: syft writes the source package into the purl
// external ref's upstream qualifier itself (and a sourceInfo naming the
// package database it read, "acquired package info from DPKG DB: …");
// import keeps that purl as written and the matcher finds the source
// package's record through it.
func TestSyftSPDXUpstream(t *testing.T) {
	adv, err := osv.Parse(strings.NewReader(debianOpenSSL), "DSA-5532-1.json")
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join("testdata", "trivy-srcpkg.spdx.json"))
	if err != nil {
		t.Fatal(err)
	}
	const syftPURL = "pkg:deb/debian/libssl3@3.0.11-1~deb12u1?arch=amd64&upstream=openssl&distro=debian-12"
	data = bytes.ReplaceAll(data, []byte(`"pkg:deb/debian/libssl3@3.0.11-1~deb12u1?arch=amd64&distro=debian-12.5"`), []byte(`"`+syftPURL+`"`))
	data = bytes.ReplaceAll(data, []byte("built package from:"), []byte("acquired package info from DPKG DB: /var/lib/dpkg/status"))
	checkSame(t, data, "syft.spdx.json")
	doc, err := sbom.DecodeBytes(data, "syft.spdx.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range doc.Components {
		if c.Name != "libssl3" {
			continue
		}
		if c.PURL != syftPURL {
			t.Errorf("libssl3 purl %q, want syft's %q", c.PURL, syftPURL)
		}
		ms := vuln.NewMatcher([]vuln.Advisory{*adv}, vuln.MatcherOptions{}).Match([]inventory.Component{c}, nil)
		if len(ms) != 1 || ms[0].Advisory.ID != "DSA-5532-1" {
			t.Errorf("syft libssl3: %d matches, want DSA-5532-1", len(ms))
		}
		return
	}
	t.Fatal("no libssl3 component")
}
