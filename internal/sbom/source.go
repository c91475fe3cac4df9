package sbom

import (
	"fmt"
	"strconv"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/package-url/packageurl-go"
)

// Source packages of distro binary packages.
//
// OSV and the Debian, Ubuntu and Alpine security trackers name a distro
// vulnerability by its source package (openssl), while an SBOM lists the
// binary packages built from it (libssl3). The matcher looks a deb, apk or
// rpm component up under its source package too when the purl's "upstream"
// qualifier names it (vuln.PackageFromPURL), as syft writes it. Trivy puts
// the source package elsewhere: CycloneDX component properties and the SPDX
// package's sourceInfo. Import carries that source into the purl as the
// qualifier syft would have written, so that every SBOM that names a source
// package matches the same way, with no second place to store it
// (docs/sbom.md, "Source packages").

// Trivy's CycloneDX property names (pkg/sbom/core/bom.go PropertySrc*,
// under pkg/sbom/cyclonedx's "aquasecurity:trivy:" namespace). SrcVersion
// is the upstream version alone; SrcRelease the Debian revision or RPM
// release; SrcEpoch, written only when not 0, the epoch.
const (
	trivySrcName    = "aquasecurity:trivy:SrcName"
	trivySrcVersion = "aquasecurity:trivy:SrcVersion"
	trivySrcRelease = "aquasecurity:trivy:SrcRelease"
	trivySrcEpoch   = "aquasecurity:trivy:SrcEpoch"
)

// trivySourceInfo is the prefix of the SPDX sourceInfo Trivy writes for a
// package built from a source package (pkg/sbom/spdx/marshal.go
// SourcePackagePrefix): "built package from: openssl 3.0.11-1~deb12u2",
// the version with its epoch and release.
const trivySourceInfo = "built package from:"

// cdxSource returns the source package a CycloneDX component's Trivy
// properties name, and its version as epoch:version-release, as Trivy
// formats it (pkg/scan/utils FormatSrcVersion).
func cdxSource(props *[]cdx.Property) (name, version string) {
	if props == nil {
		return "", ""
	}
	var ver, rel, epoch string
	for _, p := range *props {
		v := strings.TrimSpace(p.Value)
		switch p.Name {
		case trivySrcName:
			name = v
		case trivySrcVersion:
			ver = v
		case trivySrcRelease:
			rel = v
		case trivySrcEpoch:
			epoch = v
		}
	}
	if name == "" || ver == "" {
		return name, ""
	}
	version = ver
	if rel != "" {
		version += "-" + rel
	}
	if n, err := strconv.Atoi(epoch); err == nil && n != 0 {
		version = epoch + ":" + version
	}
	return name, version
}

// spdxSource returns the source package an SPDX package's sourceInfo
// names in Trivy's spelling, "built package from: NAME VERSION" (Trivy's
// own SPDX decoder reads it so: the name up to the first space, the rest
// the version).
func spdxSource(sourceInfo string) (name, version string) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(sourceInfo), trivySourceInfo)
	if !ok {
		return "", ""
	}
	name, version, _ = strings.Cut(strings.TrimSpace(rest), " ")
	return name, strings.TrimSpace(version)
}

// withUpstream returns purl with the "upstream" qualifier syft writes for
// a distro binary package built from source package name at version (see
// vuln.sourcePackage for what the matcher reads): deb "name@version" (or
// "name" when the version is unknown), apk the origin "name", rpm the
// source RPM "name-version-release.src.rpm". A purl that already has an
// upstream qualifier, is not deb, apk or rpm, does not parse, or names the
// source package itself is returned as it is. The qualifier is appended to
// the purl as written (before any subpath), so the rest keeps its
// spelling.
func withUpstream(purl, name, version string) string {
	if purl == "" || name == "" {
		return purl
	}
	p, err := packageurl.FromString(purl)
	if err != nil || p.Name == name {
		return purl
	}
	q := p.Qualifiers.Map()
	if q["upstream"] != "" {
		return purl
	}
	var up string
	switch p.Type {
	case "deb":
		up = name
		if version != "" {
			up += "@" + version
		}
	case "apk":
		up = name
	case "rpm":
		// a source RPM's file name has no epoch; without a release the
		// binary's version-release (Trivy's rpm purl version) stands in
		if _, v, ok := strings.Cut(version, ":"); ok {
			version = v
		}
		if !strings.Contains(version, "-") {
			version = p.Version
		}
		if version == "" || !strings.Contains(version, "-") {
			return purl
		}
		up = name + "-" + version + ".src.rpm"
	default:
		return purl
	}
	head, subpath, hasSub := strings.Cut(purl, "#")
	sep := "?"
	if strings.Contains(head, "?") {
		sep = "&"
		if strings.HasSuffix(head, "?") || strings.HasSuffix(head, "&") {
			sep = ""
		}
	}
	var b strings.Builder
	b.WriteString(head)
	b.WriteString(sep)
	b.WriteString("upstream=")
	for i := 0; i < len(up); i++ {
		// the characters packageurl-go leaves unescaped in a qualifier
		// value; '@' and '+' (Debian's "1.2+dfsg") are percent-encoded
		c := up[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~:", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	if hasSub {
		b.WriteString("#" + subpath)
	}
	return b.String()
}
