package components

import (
	"strings"
	"testing"
)

func find(cs []Component, name string) Component {
	for _, c := range cs {
		if c.Name == name {
			return c
		}
	}
	return Component{}
}

func TestBinarySignatures(t *testing.T) {
	f := NewFinder()
	elf := func(s string) []byte { return []byte("\x7fELF\x00\x00" + s + "\x00") }
	f.Binary("/bin/busybox", elf("BusyBox v1.31.1 (2020-05-01 10:00:00 UTC) multi-call binary"), true)
	f.Binary("/usr/sbin/dropbear", elf("SSH-2.0-dropbear_2019.78"), true)
	f.Binary("/usr/sbin/sshd", elf("OpenSSH_8.4p1 Debian-5"), true)
	f.Binary("/usr/sbin/lighttpd", elf("lighttpd/1.4.59"), true)
	f.Binary("/usr/sbin/dnsmasq", elf("dnsmasq-2.85"), true)
	f.Binary("/usr/lib/libcrypto.so.1.1", elf("OpenSSL 1.1.1k  25 Mar 2021"), true)
	f.Binary("/usr/lib/libcurl.so.4", elf("libcurl/7.68.0 OpenSSL"), true)
	f.Binary("/lib/libz.so.1", elf(" inflate 1.2.11 Copyright 1995-2017 Mark Adler "), true)
	f.Binary("/lib/libc.so.6", elf("GNU C Library (Debian GLIBC 2.31-13) stable release version 2.31."), true)
	f.Binary("/lib/libuClibc-0.9.33.2.so", elf("nothing"), true)
	f.Binary("/lib/ld-musl-mipsel-sf.so.1", elf("nothing"), true)
	f.Binary("/lib/modules/4.14.0/x.ko", []byte("vermagic=4.14.180 SMP preempt mod_unload"), false)
	f.Binary("@0x40", []byte("\x00Linux version 4.14.180 (builder@buildhost) (gcc version 8.4.0) #0 SMP\x00"), false)
	// Traps: the string in a file name that does not match the component.
	f.Binary("/usr/bin/strings-doc", elf("BusyBox v9.9.9"), true)
	cs := f.Components()
	for _, c := range []struct{ name, version, cpe string }{
		{"busybox", "1.31.1", "cpe:2.3:a:busybox:busybox:1.31.1:*:*:*:*:*:*:*"},
		{"dropbear", "2019.78", "cpe:2.3:a:dropbear_ssh_project:dropbear_ssh:2019.78:*:*:*:*:*:*:*"},
		{"openssh", "8.4p1", "cpe:2.3:a:openbsd:openssh:8.4:p1:*:*:*:*:*:*"},
		{"lighttpd", "1.4.59", "cpe:2.3:a:lighttpd:lighttpd:1.4.59:*:*:*:*:*:*:*"},
		{"dnsmasq", "2.85", "cpe:2.3:a:thekelleys:dnsmasq:2.85:*:*:*:*:*:*:*"},
		{"openssl", "1.1.1k", "cpe:2.3:a:openssl:openssl:1.1.1k:*:*:*:*:*:*:*"},
		{"curl", "7.68.0", "cpe:2.3:a:haxx:libcurl:7.68.0:*:*:*:*:*:*:*"},
		{"zlib", "1.2.11", "cpe:2.3:a:zlib:zlib:1.2.11:*:*:*:*:*:*:*"},
		{"glibc", "2.31", "cpe:2.3:a:gnu:glibc:2.31:*:*:*:*:*:*:*"},
		{"uclibc", "0.9.33.2", "cpe:2.3:a:uclibc:uclibc:0.9.33.2:*:*:*:*:*:*:*"},
		{"linux", "4.14.180", "cpe:2.3:o:linux:linux_kernel:4.14.180:*:*:*:*:*:*:*"},
	} {
		got := find(cs, c.name)
		if got.Version != c.version || got.CPE != c.cpe || got.PURL == "" || got.Evidence == "" || got.Confidence == "" {
			t.Errorf("%s: %+v", c.name, got)
		}
	}
	if m := find(cs, "musl"); m.Name == "" || m.Confidence != "low" {
		t.Errorf("musl: %+v", m)
	}
	for _, c := range cs {
		if c.Version == "9.9.9" {
			t.Errorf("version string in an unrelated binary: %+v", c)
		}
	}
}

func TestPackageDB(t *testing.T) {
	f := NewFinder()
	f.PackageDB("/var/lib/dpkg/status", []byte(`Package: openssh-server
Status: install ok installed
Architecture: armhf
Version: 1:8.4p1-5+deb11u1

Package: zlib1g
Status: install ok installed
Version: 1:1.2.11.dfsg-2+deb11u2

Package: gone
Status: deinstall ok config-files
Version: 1.0-1
`))
	cs := f.Components()
	if len(cs) != 2 {
		t.Fatalf("components %+v", cs)
	}
	ssh := find(cs, "openssh-server")
	if ssh.Version != "8.4p1" || !strings.HasPrefix(ssh.CPE, "cpe:2.3:a:openbsd:openssh:8.4:p1") || ssh.PURL != "pkg:deb/debian/openssh-server@1:8.4p1-5%2Bdeb11u1?arch=armhf" {
		t.Errorf("dpkg openssh: %+v", ssh)
	}
	if z := find(cs, "zlib1g"); z.Version != "1.2.11.dfsg" || !strings.Contains(z.CPE, ":zlib:zlib:") {
		t.Errorf("zlib: %+v", z)
	}
}

func TestUpstream(t *testing.T) {
	for in, want := range map[string]string{"1.36.1-3": "1.36.1", "1:2.2.3-1ubuntu1": "2.2.3", "2022.83": "2022.83", "2.85-r2": "2.85"} {
		if got := Upstream(in); got != want {
			t.Errorf("Upstream(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzFinder(f *testing.F) {
	f.Add("/bin/busybox", []byte("BusyBox v1.36.1 (x)"), true)
	f.Add("/usr/lib/opkg/status", []byte("Package: a\nVersion: 1-1\nStatus: install ok installed\n"), false)
	f.Add("@0x0", []byte("Linux version 5.10.1 (a@b) #1"), false)
	f.Fuzz(func(t *testing.T, p string, b []byte, elf bool) {
		if len(b) > 16384 {
			return
		}
		fd := NewFinder()
		fd.Binary(p, b, elf)
		fd.PackageDB(p, b)
		fd.Components()
	})
}
