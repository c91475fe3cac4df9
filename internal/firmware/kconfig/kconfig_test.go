package kconfig

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"strings"
	"testing"
)

// config writes a .config as the kernel's "make" does: filler options to
// look like a full build, then set ones, then "is not set" comments.
func config(set map[string]string, unset ...string) []byte {
	var b bytes.Buffer
	b.WriteString("#\n# Automatically generated file; DO NOT EDIT.\n# Linux/mips 5.10.161 Kernel Configuration\n#\n")
	for i := 0; i < 150; i++ {
		fmt.Fprintf(&b, "CONFIG_FILLER_%d=y\n", i)
	}
	for k, v := range set {
		fmt.Fprintf(&b, "%s=%s\n", k, v)
	}
	for _, k := range unset {
		fmt.Fprintf(&b, "# %s is not set\n", k)
	}
	return b.Bytes()
}

func gz(b []byte) []byte {
	var out bytes.Buffer
	w := gzip.NewWriter(&out)
	w.Write(b)
	w.Close()
	return out.Bytes()
}

const cna = "In the Linux kernel, the following vulnerability has been resolved:\n\n"

func TestParseAndSources(t *testing.T) {
	raw := config(map[string]string{"CONFIG_NF_TABLES": "m", "CONFIG_CMDLINE": `"console=ttyS0"`}, "CONFIG_SMB_SERVER")
	c := Parse("/boot/config-5.10.161", raw)
	if c == nil || c.Options["CONFIG_NF_TABLES"] != "m" || c.Options["CONFIG_CMDLINE"] != "console=ttyS0" {
		t.Fatalf("parse: %+v", c)
	}
	if _, ok := c.Options["CONFIG_SMB_SERVER"]; ok {
		t.Error("an option that is not set is present")
	}
	if Parse("x", []byte("CONFIG_A=y\nCONFIG_B=y\n")) != nil {
		t.Error("a fragment counts as a full configuration")
	}
	if c := FromGzip("/proc/config.gz", gz(raw)); c == nil || c.Options["CONFIG_NF_TABLES"] != "m" {
		t.Errorf("config.gz: %+v", c)
	}
	kernel := append(append(append([]byte("\x7fELF...kernel text...IKCFG_ST"), gz(raw)...), []byte("IKCFG_ED...more")...), 0)
	if c := FromKernel("/boot/vmlinux", kernel); c == nil || c.Path != "/boot/vmlinux" || c.Options["CONFIG_NF_TABLES"] != "m" {
		t.Errorf("embedded IKCONFIG: %+v", c)
	}
	if FromKernel("k", []byte("no config here")) != nil || FromKernel("k", []byte("IKCFG_STgarbageIKCFG_ED")) != nil {
		t.Error("a kernel without a readable IKCONFIG gave a configuration")
	}
	for p, want := range map[string]bool{"/boot/config-5.10.161": true, "/usr/src/linux/.config": true, "/proc/config.gz": true,
		"/etc/config/network": false, "/boot/config.txt": false, "/etc/kernel.config": true} {
		if IsConfigPath(p) != want {
			t.Errorf("IsConfigPath(%s) = %v", p, !want)
		}
	}
}

func TestNotAffected(t *testing.T) {
	c := Parse("/boot/config-5.10.161", config(map[string]string{"CONFIG_NF_TABLES": "y", "CONFIG_NETFILTER": "y", "CONFIG_DRM": "y", "CONFIG_IPV6": "m"},
		"CONFIG_SMB_SERVER", "CONFIG_DRM_AMDGPU", "CONFIG_BT"))
	for _, tc := range []struct {
		summary, details string
		option           string // "" = affected (no decision)
	}{
		{"", cna + "ksmbd: fix use-after-free in smb2_tree_disconnect", "CONFIG_SMB_SERVER"},
		{"", cna + "Bluetooth: L2CAP: fix a null dereference", "CONFIG_BT"},
		{"", cna + "drm/amdgpu/pm: fix the power limit", "CONFIG_DRM_AMDGPU"},
		{"", cna + "drm/amd/display: check the stream", "CONFIG_DRM_AMDGPU"},
		{"", cna + "netfilter: nf_tables: reject a bad set", ""},                  // built
		{"", cna + "netfilter: xt_u32: validate the shift", ""},                   // CONFIG_NETFILTER is set
		{"", cna + "drm/vc4: fix a leak", ""},                                     // falls back to drm, which is built
		{"", cna + "ipv6: fix a route leak", ""},                                  // module counts as built
		{"", cna + "dmaengine: idxd: fix a leak", ""},                             // not "dm"
		{"", cna + "nfsd: fix a race", "CONFIG_NFSD"},                             // not "nfs"
		{"", cna + "mm: fix a page leak", ""},                                     // not in the table
		{"A flaw in fs/smb/server/smb2pdu.c allows ...", "", "CONFIG_SMB_SERVER"}, // NVD-style, by source path
		{"Buffer overflow in the kernel", "no subsystem named", ""},
	} {
		reason, ok := NotAffected(c, tc.summary, tc.details)
		switch {
		case tc.option == "" && ok:
			t.Errorf("%q: not affected (%s), want no decision", tc.details+tc.summary, reason)
		case tc.option != "" && (!ok || !strings.Contains(reason, tc.option) || !strings.Contains(reason, "/boot/config-5.10.161")):
			t.Errorf("%q: %v %q, want not affected by %s", tc.details+tc.summary, ok, reason, tc.option)
		}
	}
	if _, ok := NotAffected(nil, "", cna+"ksmbd: x"); ok {
		t.Error("decided without a configuration")
	}
}

func FuzzConfig(f *testing.F) {
	f.Add(config(map[string]string{"CONFIG_NF_TABLES": "y"}, "CONFIG_SMB_SERVER"), cna+"ksmbd: fix")
	f.Add(append([]byte("IKCFG_ST"), gz(config(nil))...), "drm/amdgpu: x")
	f.Fuzz(func(t *testing.T, data []byte, details string) {
		c := Parse("/boot/config", data)
		if c == nil {
			c = FromKernel("/k", data)
		}
		NotAffected(c, "", details)
		NotAffected(c, details, "")
	})
}
