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
	case "rpm":
		eco, ok := rpmNamespaces[strings.ToLower(p.Namespace)]
		if !ok {
			return Package{}, fmt.Errorf("purl %q: rpm namespace %q: %w", purl, p.Namespace, ErrNoEcosystem)
		}
		pk.Ecosystem, pk.Name = eco, p.Name
		pk.Release = distroRelease(q["distro"])
	case "apk":
		pk.Ecosystem, pk.Name = "Alpine", p.Name
		if strings.EqualFold(p.Namespace, "wolfi") {
			pk.Ecosystem = "Wolfi"
		} else if strings.EqualFold(p.Namespace, "chainguard") {
			pk.Ecosystem = "Chainguard"
		}
		pk.Release = distroRelease(q["distro"])
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
