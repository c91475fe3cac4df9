package vuln

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/package-url/packageurl-go"
)

// Package identifies a component in an OSV ecosystem.
type Package struct {
	Ecosystem string // OSV spelling without release suffix, e.g. "Go", "PyPI", "AlmaLinux"
	Release   string // ecosystem release when the purl says it ("9" for AlmaLinux:9, "12" for Debian:12)
	Name      string // OSV package name, e.g. "github.com/foo/bar", "requests", "@scope/pkg", "org.group:artifact"
	Version   string
	// Source and SourceVersion name the source package a distro binary
	// package was built from, when the purl says it (see sourcePackage);
	// SourceVersion is empty when it is Version.
	Source, SourceVersion string
}

// purlEcosystems maps purl types to OSV ecosystems (types whose ecosystem
// depends on the namespace, like deb and rpm, are handled in PackageFromPURL).
var purlEcosystems = map[string]string{
	"golang":    "Go",
	"pypi":      "PyPI",
	"cargo":     "crates.io",
	"npm":       "npm",
	"maven":     "Maven",
	"nuget":     "NuGet",
	"gem":       "RubyGems",
	"composer":  "Packagist",
	"hex":       "Hex",
	"pub":       "Pub",
	"cran":      "CRAN",
	"hackage":   "Hackage",
	"swift":     "SwiftURL",
	"conan":     "ConanCenter",
	"bitnami":   "Bitnami",
	"apk":       "Alpine",
	"alpm":      "Arch Linux",
	"julia":     "Julia",
	"cocoapods": "CocoaPods",
}

var rpmNamespaces = map[string]string{
	"redhat":      "Red Hat",
	"almalinux":   "AlmaLinux",
	"rocky":       "Rocky Linux",
	"rocky-linux": "Rocky Linux",
	"opensuse":    "openSUSE",
	"suse":        "SUSE",
	"mageia":      "Mageia",
	"openeuler":   "openEuler",
}

// PackageFromPURL maps a package URL to its OSV ecosystem and package name.
func PackageFromPURL(purl string) (Package, error) {
	p, err := packageurl.FromString(purl)
	if err != nil {
		return Package{}, fmt.Errorf("purl %q: %w", purl, err)
	}
	pk := Package{Version: p.Version}
	q := p.Qualifiers.Map()
	switch p.Type {
	case "deb":
		switch strings.ToLower(p.Namespace) {
		case "ubuntu":
			pk.Ecosystem = "Ubuntu"
		default:
			pk.Ecosystem = "Debian"
		}
		pk.Name = p.Name
		pk.Release = distroRelease(q["distro"])
		if r, ok := debianCodenames[strings.ToLower(pk.Release)]; ok {
			pk.Release = r
		}
		pk.Version = withEpoch(pk.Version, q["epoch"])
		pk.Source, pk.SourceVersion = sourcePackage(p.Type, p.Name, q["upstream"])
	case "rpm":
		eco, ok := rpmNamespaces[strings.ToLower(p.Namespace)]
		if !ok {
			return Package{}, fmt.Errorf("purl %q: rpm namespace %q: %w", purl, p.Namespace, ErrNoEcosystem)
		}
		pk.Ecosystem, pk.Name = eco, p.Name
		pk.Release = distroRelease(q["distro"])
		if strings.Contains(strings.ToLower(q["distro"]), "tumbleweed") {
			// the rolling release: os-release ID opensuse-tumbleweed and a
			// date as VERSION_ID; OSV's "openSUSE:Tumbleweed"
			pk.Release = "Tumbleweed"
		}
		pk.Version = withEpoch(pk.Version, q["epoch"])
		pk.Source, pk.SourceVersion = sourcePackage(p.Type, p.Name, q["upstream"])
	case "apk":
		pk.Ecosystem, pk.Name = "Alpine", p.Name
		if strings.EqualFold(p.Namespace, "wolfi") {
			pk.Ecosystem = "Wolfi"
		} else if strings.EqualFold(p.Namespace, "chainguard") {
			pk.Ecosystem = "Chainguard"
		}
		pk.Release = distroRelease(q["distro"])
		pk.Source, pk.SourceVersion = sourcePackage(p.Type, p.Name, q["upstream"])
	case "maven":
		pk.Ecosystem, pk.Name = "Maven", p.Namespace+":"+p.Name
	case "npm":
		pk.Ecosystem, pk.Name = "npm", p.Name
		if p.Namespace != "" {
			pk.Name = p.Namespace + "/" + p.Name
		}
	case "golang":
		// packageurl-go lower-cases golang names; Go module paths are case
		// sensitive, so keep the spelling from the purl itself.
		pk.Ecosystem, pk.Name = "Go", rawPURLPath(purl, p.Namespace, p.Name)
	case "composer":
		pk.Ecosystem, pk.Name = "Packagist", p.Namespace+"/"+p.Name
		if p.Namespace == "" {
			pk.Name = p.Name
		}
	default:
		eco, ok := purlEcosystems[p.Type]
		if !ok {
			return Package{}, fmt.Errorf("purl %q: type %q: %w", purl, p.Type, ErrNoEcosystem)
		}
		pk.Ecosystem, pk.Name = eco, p.Name
		if p.Type == "swift" && p.Namespace != "" {
			pk.Name = p.Namespace + "/" + p.Name
		}
	}
	return pk, nil
}

// distroRelease extracts a release number from a purl distro qualifier
// ("almalinux-9.3" → "9", "bookworm" stays "bookworm", "alpine-3.18" → "v3.18").
func distroRelease(d string) string {
	if d == "" {
		return ""
	}
	if i := strings.LastIndexByte(d, '-'); i >= 0 {
		d = d[i+1:]
	}
	return d
}

// sourcePackage reads the source package of a distro binary package from
// its purl's "upstream" qualifier, as syft writes it and grype reads it:
// deb "openssl@3.0.11-1~deb12u2" (the source version only when it is not
// the binary's) or "openssl"; apk the origin package, "openssl" for
// libcrypto3; rpm the source RPM file, "openssl-3.0.7-24.el9.src.rpm". OSV
// names Debian, Ubuntu, Alpine and most RPM distributions' packages by
// their source package (OSV schema ecosystems list: "the name is the name
// of the source package"), so a binary package is looked up under both
// names. A source named like the binary gives "".
func sourcePackage(typ, name, upstream string) (source, version string) {
	upstream = strings.TrimSpace(upstream)
	switch typ {
	case "deb":
		source, version, _ = strings.Cut(upstream, "@")
	case "apk":
		source = upstream
	case "rpm":
		srpm, ok := strings.CutSuffix(upstream, ".src.rpm")
		if !ok {
			srpm, ok = strings.CutSuffix(upstream, ".nosrc.rpm")
		}
		// name-version-release: the name is all before the last two dashes
		if i := strings.LastIndexByte(srpm, '-'); ok && i > 0 {
			if j := strings.LastIndexByte(srpm[:i], '-'); j > 0 {
				source = srpm[:j]
			}
		}
	}
	if source == name {
		source = ""
	}
	if source == "" {
		version = ""
	}
	return source, version
}

// withEpoch puts the epoch of an rpm or deb purl back into the version.
// The purl-spec's rpm type carries the epoch as the "epoch" qualifier, not
// in the version (pkg:rpm/fedora/centerim@4.22.10-1.el6?arch=i686&epoch=1);
// syft and Trivy write it so for rpm, and Trivy for deb too
// (pkg:deb/ubuntu/libcrypt1@4.4.27-1?epoch=1&distro=ubuntu-22.04). OSV
// Debian, Ubuntu and RPM-based records spell the epoch in the version
// ("1:1.1.1k-6.el8_5"), and a missing epoch is 0, so without this every
// such package would sort below every fix. A version that already has an
// epoch (Debian purls from syft: "1:1.2.13.dfsg-1") is kept.
func withEpoch(version, epoch string) string {
	if version == "" || epoch == "" || epoch == "0" || strings.IndexByte(version, ':') >= 0 {
		return version
	}
	return epoch + ":" + version
}

// debianCodenames maps the release code names a deb purl's distro
// qualifier may carry (the purl-spec's deb example is distro=jessie) to
// the release numbers of OSV's Debian and Ubuntu ecosystems ("Debian:12",
// "Ubuntu:22.04:LTS").
var debianCodenames = map[string]string{
	// Debian
	"wheezy": "7", "jessie": "8", "stretch": "9", "buster": "10", "bullseye": "11",
	"bookworm": "12", "trixie": "13", "forky": "14",
	// Ubuntu
	"trusty": "14.04", "xenial": "16.04", "bionic": "18.04", "focal": "20.04",
	"jammy": "22.04", "kinetic": "22.10", "lunar": "23.04", "mantic": "23.10",
	"noble": "24.04", "oracular": "24.10", "plucky": "25.04", "questing": "25.10",
}

var suseServicePack = regexp.MustCompile(`(\d+) SP(\d+)`)

// advisoryRelease returns the release of an OSV ecosystem in the form a
// purl distro qualifier gives it (distroRelease), "" when the ecosystem
// names none. Most suffixes are the release ("AlmaLinux:9", "Debian:12",
// "Alpine:v3.18"); the others carry more fields (OSV schema, "affected
// ecosystem" list): Ubuntu "22.04:LTS", "Pro:18.04:LTS"; Red Hat
// "enterprise_linux:9::appstream", "rhel_eus:9.2::baseos"; SUSE and
// openSUSE "Linux Enterprise Server 15 SP5", "Leap 15.5"; openEuler
// "22.03-LTS-SP1". Their version field is the release; a SUSE service
// pack is its minor version (sles-15.5 is 15 SP5). A suffix with no
// version field (openSUSE "Tumbleweed") is returned as it is.
func advisoryRelease(ecosystem string) string {
	k := strings.IndexByte(ecosystem, ':')
	if k < 0 {
		return ""
	}
	suffix := ecosystem[k+1:]
	switch ecosystem[:k] {
	case "Ubuntu", "Red Hat":
		for _, f := range strings.Split(suffix, ":") {
			if f != "" && f[0] >= '0' && f[0] <= '9' {
				return f
			}
		}
	case "openEuler":
		// "22.03-LTS-SP1": os-release's VERSION_ID, which syft's distro
		// qualifier carries, is the YY.MM part
		release, _, _ := strings.Cut(suffix, "-")
		return release
	case "SUSE", "openSUSE":
		if m := suseServicePack.FindStringSubmatch(suffix); m != nil {
			return m[1] + "." + m[2]
		}
		if i := strings.LastIndexByte(suffix, ' '); i >= 0 && i+1 < len(suffix) && suffix[i+1] >= '0' && suffix[i+1] <= '9' {
			return suffix[i+1:]
		}
	}
	return suffix
}

// rawPURLPath returns namespace/name as spelled in the purl string, falling
// back to the parsed values when the string cannot be split.
func rawPURLPath(purl, ns, name string) string {
	parsed := name
	if ns != "" {
		parsed = ns + "/" + name
	}
	s := purl
	if i := strings.IndexByte(s, '/'); i >= 0 {
		s = s[i+1:]
	} else {
		return parsed
	}
	for _, sep := range []byte{'#', '?', '@'} {
		if i := strings.LastIndexByte(s, sep); i >= 0 {
			s = s[:i]
		}
	}
	s = strings.Trim(s, "/")
	if u, err := url.PathUnescape(s); err == nil && strings.EqualFold(u, parsed) {
		return u
	}
	return parsed
}

var pypiNameRe = regexp.MustCompile(`[-_.]+`)

// NormalizeName returns the canonical spelling of a package name in an
// ecosystem, so that lookups are insensitive to cosmetic differences the
// ecosystem itself ignores (PEP 503 for PyPI; case for npm-less registries).
func NormalizeName(ecosystem, name string) string {
	switch BaseEcosystem(ecosystem) {
	case "PyPI":
		return pypiNameRe.ReplaceAllString(strings.ToLower(name), "-")
	case "Go", "crates.io", "NuGet", "Packagist", "Hex", "Pub", "RubyGems":
		return strings.ToLower(name)
	case "Maven":
		return strings.ToLower(name)
	}
	return name
}

// BaseEcosystem strips a release suffix: "AlmaLinux:9" → "AlmaLinux".
func BaseEcosystem(e string) string {
	if i := strings.IndexByte(e, ':'); i >= 0 {
		return e[:i]
	}
	return e
}

// PackageKey is the index key of an ecosystem package (see Advisory.IndexKeys).
func PackageKey(ecosystem, name string) string {
	if ecosystem == "" || name == "" {
		return ""
	}
	b := BaseEcosystem(ecosystem)
	return "pkg:" + b + "/" + NormalizeName(b, name)
}
