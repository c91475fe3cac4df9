package vuln

import (
	"fmt"
	"strings"

	"github.com/knqyf263/go-cpe/common"
	"github.com/knqyf263/go-cpe/matching"
	"github.com/knqyf263/go-cpe/naming"

	"github.com/rampart-security/rampart/internal/inventory"
)

// CPE is a parsed CPE 2.3 name.
type CPE struct {
	Part, Vendor, Product, Version, Update string // "*" for ANY, "-" for NA
	// rest holds edition, language, sw_edition, target_sw, target_hw and
	// other, "*" for ANY; wild says whether any of them has embedded
	// wildcards, which need go-cpe's full NISTIR 7696 comparison.
	rest [6]string
	wild bool
	wfn  common.WellFormedName // version and update set to ANY
	raw  string
}

var restAttrs = [6]string{common.AttributeEdition, common.AttributeLanguage, common.AttributeSwEdition,
	common.AttributeTargetSw, common.AttributeTargetHw, common.AttributeOther}

// unbind runs go-cpe's unbinders. They index past the end of some
// malformed names (e.g. a URI ending in "%"); a panic there is turned into
// an error, since CPEs come from untrusted SBOMs and feeds.
func unbind(s string) (w common.WellFormedName, err error) {
	defer func() {
		if r := recover(); r != nil {
			w, err = nil, fmt.Errorf("malformed CPE name")
		}
	}()
	if strings.HasPrefix(s, "cpe:2.3:") {
		return naming.UnbindFS(s)
	}
	return naming.UnbindURI(s)
}

// ParseCPE parses a CPE 2.3 formatted string (cpe:2.3:…) or a CPE 2.2 URI
// (cpe:/…).
func ParseCPE(s string) (CPE, error) {
	var (
		w   common.WellFormedName
		err error
	)
	if !strings.HasPrefix(s, "cpe:2.3:") && !strings.HasPrefix(s, "cpe:/") {
		return CPE{}, fmt.Errorf("cpe %q: not a CPE 2.3 or 2.2 name", s)
	}
	// The formatted-string grammar (CPE 2.3 dictionary schema, NVD's
	// cpe23Type pattern "cpe:2\.3:[aho\*\-]…") allows an ANY part, which
	// Yocto writes for every recipe (cpe:2.3:*:*:busybox:1.36.1:…); go-cpe's
	// unbinder refuses a logical value there, so the part is unbound as "a"
	// and set back to ANY.
	anyPart := strings.HasPrefix(s, "cpe:2.3:*:")
	if anyPart {
		w, err = unbind("cpe:2.3:a:" + s[len("cpe:2.3:*:"):])
	} else {
		w, err = unbind(s)
	}
	if err != nil {
		return CPE{}, fmt.Errorf("cpe %q: %w", s, err)
	}
	anyV, _ := common.NewLogicalValue("ANY")
	if anyPart {
		w[common.AttributePart] = anyV
	}
	c := CPE{wfn: w, raw: s}
	c.Part = attr(w, common.AttributePart)
	c.Vendor = attr(w, common.AttributeVendor)
	c.Product = attr(w, common.AttributeProduct)
	c.Version = attr(w, common.AttributeVersion)
	c.Update = attr(w, common.AttributeUpdate)
	for i, a := range restAttrs {
		c.rest[i] = strings.ToLower(attr(w, a))
		if c.rest[i] != "*" && strings.ContainsAny(c.rest[i], "*?") {
			c.wild = true
		}
	}
	w[common.AttributeVersion], w[common.AttributeUpdate] = anyV, anyV
	c.Vendor, c.Product = strings.ToLower(c.Vendor), strings.ToLower(c.Product)
	return c, nil
}

func attr(w common.WellFormedName, name string) string {
	switch v := w.Get(name).(type) {
	case string:
		return strings.ReplaceAll(v, `\`, "")
	case common.LogicalValue:
		if v.IsNA() {
			return "-"
		}
	}
	return "*"
}

// String returns the CPE as given.
func (c CPE) String() string { return c.raw }

// Key is the index key "cpe:vendor:product" (see Advisory.IndexKeys). A
// CPE whose vendor is ANY has the key "cpe:*:product" (productKey).
func (c CPE) Key() string { return "cpe:" + c.Vendor + ":" + c.Product }

// anyVendorKey starts the index key of a product under every vendor.
const anyVendorKey = "cpe:*:"

// productKey is the key "cpe:*:product" under which NVD criteria are also
// indexed, so that a component CPE with an ANY vendor finds the product of
// every vendor. Yocto's cve-check and create-spdx (oe.cve_check.get_cpe_ids)
// and meta-cyclonedx write cpe:2.3:*:*:PRODUCT:VERSION:… for every recipe
// whose CVE_PRODUCT names no vendor, and cve-check itself then looks the
// product up under any vendor.
func (c CPE) productKey() string { return anyVendorKey + c.Product }

// sameProductExceptVersion reports whether the criteria (NVD side) and c
// name the same product once version and update are ignored: part, vendor
// and product equal (ANY part or vendor on either side agrees, as Yocto's
// cpe:2.3:*:*:busybox:… means), and the other attributes (target_sw, target_hw, …) not
// disjoint in the sense of NISTIR 7696 (ANY on either side agrees with
// anything). Embedded wildcards are resolved by go-cpe's matcher.
func (criteria CPE) sameProductExceptVersion(c CPE) bool {
	if criteria.Vendor != c.Vendor && c.Vendor != "*" || criteria.Product != c.Product || criteria.Part != c.Part && criteria.Part != "*" && c.Part != "*" {
		return false
	}
	if criteria.wild || c.wild {
		return !matching.IsDisjoint(criteria.wfn, c.wfn)
	}
	for i := range criteria.rest {
		a, b := criteria.rest[i], c.rest[i]
		if a != b && a != "*" && b != "*" {
			return false
		}
	}
	return true
}

// CompareCPEVersions orders the free-form versions NVD uses in CPEs and
// version bounds: numeric runs compare as numbers, letter runs as text,
// missing numeric parts count as 0 ("1.2" = "1.2.0"), a letter suffix after
// a release sorts after it ("1.1.1k" > "1.1.1") unless it names a
// pre-release (alpha, beta, rc, pre, dev, …: "1.0.0-rc1" < "1.0.0").
func CompareCPEVersions(a, b string) int {
	ta, tb := versionTokens(a), versionTokens(b)
	for i := 0; i < len(ta) || i < len(tb); i++ {
		switch {
		case i >= len(ta):
			return -tailSign(tb[i:])
		case i >= len(tb):
			return tailSign(ta[i:])
		}
		x, y := ta[i], tb[i]
		switch {
		case x.num && y.num:
			if c := inventory.CompareDigits(x.s, y.s); c != 0 {
				return c
			}
		case x.num != y.num:
			// A pre-release word sorts below anything; otherwise a number
			// sorts above a word ("1.0.1" > "1.0.beta").
			if x.num {
				return 1
			}
			return -1
		default:
			xp, yp := preRelease(ta, i), preRelease(tb, i)
			if xp != yp {
				if xp {
					return -1
				}
				return 1
			}
			if c := strings.Compare(x.s, y.s); c != 0 {
				return c
			}
		}
	}
	return 0
}

// tailSign is the order of a version that continues with rest against one
// that ended: zeros and release words are equal, a pre-release word is
// lower, anything else higher.
func tailSign(rest []vtoken) int {
	for i, t := range rest {
		if t.num {
			if strings.TrimLeft(t.s, "0") != "" {
				return 1
			}
			continue
		}
		if preRelease(rest, i) {
			return -1
		}
		if releaseWord(t.s) {
			continue
		}
		return 1
	}
	return 0
}

type vtoken struct {
	s   string
	num bool
}

func versionTokens(v string) []vtoken {
	v = strings.ToLower(strings.TrimPrefix(strings.TrimPrefix(v, "v"), "V"))
	var out []vtoken
	start := -1
	isDigit := func(c byte) bool { return c >= '0' && c <= '9' }
	isAlpha := func(c byte) bool { return c >= 'a' && c <= 'z' }
	for i := 0; i <= len(v); i++ {
		if start >= 0 && (i == len(v) || isDigit(v[i]) != isDigit(v[start]) || !(isDigit(v[i]) || isAlpha(v[i]))) {
			out = append(out, vtoken{s: v[start:i], num: isDigit(v[start])})
			start = -1
		}
		if i < len(v) && start < 0 && (isDigit(v[i]) || isAlpha(v[i])) {
			start = i
		}
	}
	return out
}

// releaseWord reports whether w marks the release itself, the same
// version as none (Maven's "5.3.17.RELEASE", "5.6.15.Final", "GA").
func releaseWord(w string) bool {
	return w == "release" || w == "final" || w == "ga"
}

// preRelease reports whether the word ts[i] names a pre-release. The
// one-letter abbreviations a, b and m (alpha, beta, milestone: "3.0.0a1",
// "2.0b2", "1.0M1") do only when a number follows; a letter that ends the
// version is a later release, as OpenSSL names its patch releases
// ("1.1.1a" follows 1.1.1, "1.1.1m" follows 1.1.1l).
func preRelease(ts []vtoken, i int) bool {
	switch ts[i].s {
	case "alpha", "beta", "rc", "pre", "preview", "dev", "snapshot", "milestone", "cr":
		return true
	case "a", "b", "m":
		return i+1 < len(ts) && ts[i+1].num
	}
	return false
}

// inRange reports whether version satisfies m's bounds (or equals its
// criteria version when it has no bounds). ANY criteria version without
// bounds matches every version.
func (m *CPEMatch) inRange(criteria CPE, version, update string) (bool, string) {
	hasBounds := m.VersionStartIncluding != "" || m.VersionStartExcluding != "" || m.VersionEndIncluding != "" || m.VersionEndExcluding != ""
	if !hasBounds {
		switch criteria.Version {
		case "*":
			return true, "all versions"
		case "-":
			return version == "-" || version == "", "no version"
		}
		if version == "*" || version == "" || version == "-" {
			return false, ""
		}
		if CompareCPEVersions(version, criteria.Version) != 0 {
			return false, ""
		}
		if criteria.Update != "*" && criteria.Update != "-" && update != "*" && !strings.EqualFold(update, criteria.Update) {
			return false, ""
		}
		return true, "version " + criteria.Version + updateSuffix(criteria.Update)
	}
	if version == "*" || version == "" || version == "-" {
		return false, ""
	}
	var why []string
	if s := m.VersionStartIncluding; s != "" {
		if CompareCPEVersions(version, s) < 0 {
			return false, ""
		}
		why = append(why, ">= "+s)
	}
	if s := m.VersionStartExcluding; s != "" {
		if CompareCPEVersions(version, s) <= 0 {
			return false, ""
		}
		why = append(why, "> "+s)
	}
	if s := m.VersionEndIncluding; s != "" {
		if CompareCPEVersions(version, s) > 0 {
			return false, ""
		}
		why = append(why, "<= "+s)
	}
	if s := m.VersionEndExcluding; s != "" {
		if CompareCPEVersions(version, s) >= 0 {
			return false, ""
		}
		why = append(why, "< "+s)
	}
	return true, strings.Join(why, ", ")
}

func updateSuffix(u string) string {
	if u == "*" || u == "-" || u == "" {
		return ""
	}
	return " " + u
}

// CPEAlias maps a common embedded component to the CPE vendor and product
// NVD files it under.
type CPEAlias struct {
	Part, Vendor, Product string
}

// cpeAliases is the built-in table for components that typically reach an
// SBOM without a CPE (firmware build systems, binary identification). Keys
// are lower-case component names; several products may apply (e.g. mbed TLS
// moved from arm to trustedfirmware).
var cpeAliases = map[string][]CPEAlias{
	"busybox":        {{"a", "busybox", "busybox"}},
	"openssl":        {{"a", "openssl", "openssl"}},
	"libssl":         {{"a", "openssl", "openssl"}},
	"libcrypto":      {{"a", "openssl", "openssl"}},
	"dropbear":       {{"a", "dropbear_ssh_project", "dropbear_ssh"}},
	"dropbear_ssh":   {{"a", "dropbear_ssh_project", "dropbear_ssh"}},
	"lighttpd":       {{"a", "lighttpd", "lighttpd"}},
	"dnsmasq":        {{"a", "thekelleys", "dnsmasq"}},
	"linux":          {{"o", "linux", "linux_kernel"}},
	"linux-kernel":   {{"o", "linux", "linux_kernel"}},
	"linux_kernel":   {{"o", "linux", "linux_kernel"}},
	"kernel":         {{"o", "linux", "linux_kernel"}},
	"u-boot":         {{"a", "denx", "u-boot"}},
	"uboot":          {{"a", "denx", "u-boot"}},
	"das u-boot":     {{"a", "denx", "u-boot"}},
	"curl":           {{"a", "haxx", "curl"}},
	"libcurl":        {{"a", "haxx", "libcurl"}, {"a", "haxx", "curl"}},
	"zlib":           {{"a", "zlib", "zlib"}},
	"openssh":        {{"a", "openbsd", "openssh"}},
	"mbedtls":        {{"a", "arm", "mbed_tls"}, {"a", "trustedfirmware", "mbed_tls"}},
	"mbed-tls":       {{"a", "arm", "mbed_tls"}, {"a", "trustedfirmware", "mbed_tls"}},
	"mbed tls":       {{"a", "arm", "mbed_tls"}, {"a", "trustedfirmware", "mbed_tls"}},
	"wolfssl":        {{"a", "wolfssl", "wolfssl"}},
	"uclibc":         {{"a", "uclibc", "uclibc"}},
	"uclibc-ng":      {{"a", "uclibc-ng_project", "uclibc-ng"}},
	"glibc":          {{"a", "gnu", "glibc"}},
	"miniupnpd":      {{"a", "miniupnp_project", "miniupnpd"}},
	"miniupnpc":      {{"a", "miniupnp_project", "miniupnpc"}},
	"hostapd":        {{"a", "w1.fi", "hostapd"}},
	"wpa_supplicant": {{"a", "w1.fi", "wpa_supplicant"}},
	"wpa-supplicant": {{"a", "w1.fi", "wpa_supplicant"}},
	"libupnp":        {{"a", "pupnp_project", "pupnp"}, {"a", "libupnp_project", "libupnp"}},
	"pupnp":          {{"a", "pupnp_project", "pupnp"}},
	"sqlite":         {{"a", "sqlite", "sqlite"}},
	"expat":          {{"a", "libexpat_project", "libexpat"}},
	"libexpat":       {{"a", "libexpat_project", "libexpat"}},
	"libxml2":        {{"a", "xmlsoft", "libxml2"}},
	"openvpn":        {{"a", "openvpn", "openvpn"}},
	"samba":          {{"a", "samba", "samba"}},
	"ntp":            {{"a", "ntp", "ntp"}},
	"bind":           {{"a", "isc", "bind"}},
	"iptables":       {{"a", "netfilter", "iptables"}},
	"freertos":       {{"o", "amazon", "freertos"}},
	"zephyr":         {{"o", "zephyrproject", "zephyr"}},
	"lwip":           {{"a", "lwip_project", "lwip"}},
	"libpcap":        {{"a", "tcpdump", "libpcap"}},
	"tcpdump":        {{"a", "tcpdump", "tcpdump"}},
	"nginx":          {{"a", "f5", "nginx"}, {"a", "nginx", "nginx"}},
	"avahi":          {{"a", "avahi", "avahi"}},
	"libpng":         {{"a", "libpng", "libpng"}},
	"libjpeg-turbo":  {{"a", "libjpeg-turbo", "libjpeg-turbo"}},
	"xz":             {{"a", "tukaani", "xz"}},
	"bzip2":          {{"a", "bzip", "bzip2"}},
	"json-c":         {{"a", "json-c", "json-c"}},
	"pcre":           {{"a", "pcre", "pcre"}},
	"openwrt":        {{"o", "openwrt", "openwrt"}},
}

// AliasCPEs derives CPE names for a component named name at version from the
// built-in alias table. The second result explains the derivation.
func AliasCPEs(name, version string) ([]CPE, string) {
	al, ok := cpeAliases[strings.ToLower(strings.TrimSpace(name))]
	if !ok || version == "" {
		return nil, ""
	}
	var out []CPE
	var names []string
	for _, a := range al {
		s := fmt.Sprintf("cpe:2.3:%s:%s:%s:%s:*:*:*:*:*:*:*", a.Part, a.Vendor, a.Product, CPEEscape(version))
		c, err := ParseCPE(s)
		if err != nil {
			continue
		}
		out = append(out, c)
		names = append(names, a.Vendor+":"+a.Product)
	}
	if len(out) == 0 {
		return nil, ""
	}
	return out, fmt.Sprintf("CPE derived from component name %q via alias table (%s)", name, strings.Join(names, ", "))
}

// CPEEscape quotes the characters that are special in a component of a CPE
// 2.3 formatted string (a backslash before each) and writes control and
// non-ASCII characters as "_".
func CPEEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '.', r == '-':
			b.WriteRune(r)
		case r > 0x7f || r < 0x20:
			b.WriteRune('_')
		default:
			b.WriteByte('\\')
			b.WriteRune(r)
		}
	}
	return b.String()
}
