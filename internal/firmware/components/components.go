// Package components identifies the software in a firmware image: packages
// from opkg and dpkg status databases, and well-known embedded components
// from the version strings compiled into their binaries (BusyBox, Dropbear,
// OpenSSH, lighttpd, dnsmasq, OpenSSL, libcurl, zlib, glibc, uClibc, musl)
// and the Linux kernel from module vermagic or its banner. Each component
// carries the upstream version (not the distribution revision), a CPE 2.3
// name, a purl, where it was found, how, and a confidence.
package components

import (
	"bytes"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/package-url/packageurl-go"
)

// Component is one identified piece of software.
type Component struct {
	Name       string `json:"name"`
	Version    string `json:"version"`
	CPE        string `json:"cpe"`
	PURL       string `json:"purl"`
	Path       string `json:"path"`
	Evidence   string `json:"evidence"`
	Confidence string `json:"confidence"` // high, medium, low
}

// signature is a version string compiled into a binary.
type signature struct {
	name, vendor, product string
	re                    *regexp.Regexp
	// files restricts the search to file names containing one of these
	// (empty: any ELF).
	files      []string
	confidence string
}

var signatures = []signature{
	{"busybox", "busybox", "busybox", regexp.MustCompile(`BusyBox v(\d+\.\d+(?:\.\d+)?)`), []string{"busybox"}, "high"},
	{"dropbear", "dropbear_ssh_project", "dropbear_ssh", regexp.MustCompile(`dropbear_(\d{4}\.\d+)`), []string{"dropbear", "dbclient", "ssh"}, "high"},
	{"openssh", "openbsd", "openssh", regexp.MustCompile(`OpenSSH_(\d+\.\d+(?:p\d+)?)`), []string{"ssh"}, "high"},
	{"lighttpd", "lighttpd", "lighttpd", regexp.MustCompile(`lighttpd/(\d+\.\d+\.\d+)`), []string{"lighttpd"}, "high"},
	{"dnsmasq", "thekelleys", "dnsmasq", regexp.MustCompile(`dnsmasq-(\d+\.\d+(?:\.\d+)?)`), []string{"dnsmasq"}, "high"},
	{"openssl", "openssl", "openssl", regexp.MustCompile(`OpenSSL (\d+\.\d+\.\d+[a-z]?)\s+\d{1,2} [A-Z][a-z]{2} \d{4}`), []string{"libssl", "libcrypto", "openssl"}, "high"},
	{"curl", "haxx", "libcurl", regexp.MustCompile(`libcurl/(\d+\.\d+\.\d+)`), []string{"libcurl", "curl"}, "high"},
	{"zlib", "zlib", "zlib", regexp.MustCompile(`(?:inflate|deflate) (\d+\.\d+(?:\.\d+)*) Copyright`), []string{"libz"}, "high"},
	{"glibc", "gnu", "glibc", regexp.MustCompile(`GNU C Library \([^)]*\) (?:stable )?release version (\d+\.\d+(?:\.\d+)?)`), []string{"libc"}, "high"},
	{"uclibc", "uclibc", "uclibc", regexp.MustCompile(`uClibc(?:-ng)? (\d+\.\d+\.\d+(?:\.\d+)?)`), []string{"libc", "ld-uClibc", "libuClibc"}, "medium"},
	{"musl", "musl-libc", "musl", regexp.MustCompile(`musl libc (\d+\.\d+\.\d+)`), []string{"musl"}, "medium"},
	{"hostapd", "w1.fi", "hostapd", regexp.MustCompile(`hostapd v(\d+\.\d+(?:\.\d+)?)`), []string{"hostapd"}, "high"},
	{"wpa_supplicant", "w1.fi", "wpa_supplicant", regexp.MustCompile(`wpa_supplicant v(\d+\.\d+(?:\.\d+)?)`), []string{"wpa_supplicant"}, "high"},
}

// fileNameVersions read a version from a library's file name.
var fileNameVersions = []struct {
	name, vendor, product string
	re                    *regexp.Regexp
}{
	{"uclibc", "uclibc", "uclibc", regexp.MustCompile(`^(?:libuClibc|ld-uClibc)-(\d+\.\d+\.\d+(?:\.\d+)?)\.so$`)},
	{"glibc", "gnu", "glibc", regexp.MustCompile(`^libc-(\d+\.\d+(?:\.\d+)?)\.so$`)},
}

var (
	kernelBanner   = regexp.MustCompile(`Linux version (\d+\.\d+(?:\.\d+)?)[^ ]* \(`)
	kernelVermagic = regexp.MustCompile(`vermagic=(\d+\.\d+(?:\.\d+)?)`)
)

// Finder accumulates components over the files of an image.
type Finder struct {
	byKey map[string]*Component
}

// NewFinder returns an empty Finder.
func NewFinder() *Finder { return &Finder{byKey: map[string]*Component{}} }

func (f *Finder) add(c Component) {
	k := c.Name + "@" + c.Version
	if old, ok := f.byKey[k]; ok {
		if rank(c.Confidence) > rank(old.Confidence) {
			*old = c
		}
		return
	}
	f.byKey[k] = &c
}

func rank(c string) int {
	switch c {
	case "high":
		return 3
	case "medium":
		return 2
	}
	return 1
}

// CPE returns a CPE 2.3 name for an application.
func CPE(vendor, product, version string) string {
	v := strings.ReplaceAll(version, ":", `\:`)
	update := "*"
	// OpenSSH 8.4p1: version 8.4, update p1 (as NVD writes it)
	if product == "openssh" {
		if i := strings.Index(v, "p"); i > 0 {
			v, update = v[:i], v[i:]
		}
	}
	part := "a"
	if product == "linux_kernel" {
		part = "o"
	}
	return fmt.Sprintf("cpe:2.3:%s:%s:%s:%s:%s:*:*:*:*:*:*", part, vendor, product, v, update)
}

func purl(typ, ns, name, version string) string {
	return packageurl.NewPackageURL(typ, ns, name, version, nil, "").ToString()
}

// Binary inspects one file (an ELF, a kernel image or another blob).
func (f *Finder) Binary(p string, data []byte, elf bool) {
	base := path.Base(p)
	lbase := strings.ToLower(base)
	for _, n := range fileNameVersions {
		if m := n.re.FindStringSubmatch(base); m != nil {
			f.add(Component{Name: n.name, Version: m[1], CPE: CPE(n.vendor, n.product, m[1]), PURL: purl("generic", "", n.name, m[1]),
				Path: p, Evidence: "file name " + base, Confidence: "medium"})
		}
	}
	if strings.HasPrefix(lbase, "ld-musl-") {
		v := ""
		if m := signatures[10].re.FindSubmatch(data); m != nil {
			v = string(m[1])
		}
		f.add(Component{Name: "musl", Version: v, CPE: CPE("musl-libc", "musl", orAny(v)), PURL: purl("generic", "", "musl", v),
			Path: p, Evidence: "dynamic loader " + base, Confidence: "low"})
	}
	if elf {
		for _, s := range signatures {
			if len(s.files) > 0 && !containsAny(lbase, s.files) {
				continue
			}
			if m := s.re.FindSubmatch(data); m != nil {
				v := string(m[1])
				f.add(Component{Name: s.name, Version: v, CPE: CPE(s.vendor, s.product, v), PURL: purl("generic", "", s.name, v),
					Path: p, Evidence: fmt.Sprintf("version string %q in binary", string(m[0])), Confidence: s.confidence})
			}
		}
	}
	if strings.HasSuffix(base, ".ko") {
		if m := kernelVermagic.FindSubmatch(data); m != nil {
			v := string(m[1])
			f.add(kernel(v, p, "module vermagic "+string(m[0]), "high"))
		}
		return
	}
	if !elf || strings.HasPrefix(lbase, "vmlinux") {
		if i := bytes.Index(data, []byte("Linux version ")); i >= 0 {
			end := i + 200
			if end > len(data) {
				end = len(data)
			}
			if m := kernelBanner.FindSubmatch(data[i:end]); m != nil {
				f.add(kernel(string(m[1]), p, "kernel banner "+strings.TrimSpace(string(m[0])), "high"))
			}
		}
	}
}

func kernel(v, p, ev, conf string) Component {
	return Component{Name: "linux", Version: v, CPE: CPE("linux", "linux_kernel", v), PURL: purl("generic", "", "linux", v),
		Path: p, Evidence: ev, Confidence: conf}
}

func orAny(v string) string {
	if v == "" {
		return "*"
	}
	return v
}

func containsAny(s string, subs []string) bool {
	for _, x := range subs {
		if strings.Contains(s, strings.ToLower(x)) {
			return true
		}
	}
	return false
}

// PackageDB reads an opkg or dpkg status file (Package:/Version:/Status:
// stanzas). Packages whose Status says they are not installed are skipped.
func (f *Finder) PackageDB(p string, data []byte) {
	typ := "opkg"
	if strings.Contains(p, "dpkg") {
		typ = "deb"
	}
	for _, stanza := range strings.Split(strings.ReplaceAll(string(data), "\r", ""), "\n\n") {
		fields := map[string]string{}
		for _, l := range strings.Split(stanza, "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && !strings.HasPrefix(l, " ") {
				fields[strings.ToLower(k)] = strings.TrimSpace(v)
			}
		}
		name, ver := fields["package"], fields["version"]
		if name == "" || ver == "" {
			continue
		}
		if st := fields["status"]; st != "" && !strings.Contains(st, "installed") || strings.Contains(st, "not-installed") {
			continue
		}
		up := Upstream(ver)
		var pu string
		if typ == "deb" {
			q := packageurl.Qualifiers{}
			if a := fields["architecture"]; a != "" {
				q = packageurl.QualifiersFromMap(map[string]string{"arch": a})
			}
			pu = packageurl.NewPackageURL("deb", "debian", name, ver, q, "").ToString()
		} else {
			pu = purl("generic", "openwrt", name, up)
		}
		vendor, product := knownCPE(name)
		f.add(Component{Name: name, Version: up, CPE: CPE(vendor, product, up), PURL: pu, Path: p,
			Evidence: fmt.Sprintf("%s status: Package %s Version %s", typ, name, ver), Confidence: "high"})
	}
}

// knownCPE maps package names to NVD vendor:product where they differ.
func knownCPE(name string) (string, string) {
	switch name {
	case "busybox":
		return "busybox", "busybox"
	case "dropbear":
		return "dropbear_ssh_project", "dropbear_ssh"
	case "openssh-server", "openssh-client", "openssh":
		return "openbsd", "openssh"
	case "libopenssl", "libopenssl1.1", "libopenssl3", "openssl-util", "openssl", "libssl3", "libssl1.1":
		return "openssl", "openssl"
	case "dnsmasq", "dnsmasq-full":
		return "thekelleys", "dnsmasq"
	case "lighttpd":
		return "lighttpd", "lighttpd"
	case "libcurl", "libcurl4", "curl":
		return "haxx", "libcurl"
	case "zlib", "zlib1g":
		return "zlib", "zlib"
	case "libc6", "glibc":
		return "gnu", "glibc"
	case "hostapd", "wpad", "wpad-basic", "wpad-mini":
		return "w1.fi", "hostapd"
	}
	return name, name
}

// Upstream strips a distribution's epoch and revision: "1:2.36.1-3" and
// "2.36.1-r3" are "2.36.1".
func Upstream(v string) string {
	if i := strings.Index(v, ":"); i >= 0 && i < 4 {
		v = v[i+1:]
	}
	if i := strings.LastIndex(v, "-"); i > 0 {
		v = v[:i]
	}
	return v
}

// Components returns the components found, sorted by name and version.
func (f *Finder) Components() []Component {
	out := make([]Component, 0, len(f.byKey))
	for _, c := range f.byKey {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Version < out[j].Version
	})
	return out
}
