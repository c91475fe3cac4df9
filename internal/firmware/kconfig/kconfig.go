// Package kconfig reads a Linux kernel build configuration found in a
// firmware image (a .config, /boot/config-*, /proc/config.gz, or the
// IKCONFIG copy embedded in a kernel) and tells, for a kernel CVE, whether
// the subsystem it fixes was built at all. The kernel CNA names the
// subsystem at the start of every description ("ksmbd: fix …",
// "netfilter: nf_tables: …", "wifi: mac80211: …"); a table maps those
// prefixes, and source directories named in a description, to the
// Kconfig options that build them. A CVE whose options are all off is not
// affected ("vulnerable_code_not_present"); anything not in the table, or
// a configuration that is not a full build configuration, decides nothing.
package kconfig

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
)

// Config is a kernel configuration: option (with its CONFIG_ prefix) to
// value ("y", "m", a number or a string); options that are "not set" are
// absent.
type Config struct {
	// Path is where it was found ("/boot/config-5.10.161", or the kernel
	// blob for an embedded IKCONFIG).
	Path    string            `json:"path"`
	Options map[string]string `json:"options"`
}

// minOptions is how many options a full build configuration has at the
// least (a minimal embedded kernel has several hundred); fewer is a
// fragment (a defconfig snippet), which cannot tell what is off.
const minOptions = 100

// maxConfig bounds a configuration (a full one is 100–300 KiB).
const maxConfig = 4 << 20

// Parse reads a .config. It returns nil when data is not a kernel
// configuration or too small to be a full one.
func Parse(path string, data []byte) *Config {
	if len(data) > maxConfig {
		data = data[:maxConfig]
	}
	c := &Config{Path: path, Options: map[string]string{}}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(l, "CONFIG_") {
			continue
		}
		k, v, ok := strings.Cut(l, "=")
		if !ok || strings.ContainsAny(k, " \t") {
			continue
		}
		if v == "n" {
			continue
		}
		c.Options[k] = strings.Trim(v, `"`)
	}
	if len(c.Options) < minOptions {
		return nil
	}
	return c
}

// ikcfgStart and ikcfgEnd bracket the gzip-compressed configuration a
// kernel built with CONFIG_IKCONFIG carries (scripts/extract-ikconfig).
var ikcfgStart, ikcfgEnd = []byte("IKCFG_ST"), []byte("IKCFG_ED")

// FromKernel extracts the embedded configuration of a decompressed kernel
// image (nil when it has none).
func FromKernel(path string, image []byte) *Config {
	i := bytes.Index(image, ikcfgStart)
	if i < 0 {
		return nil
	}
	body := image[i+len(ikcfgStart):]
	if j := bytes.Index(body, ikcfgEnd); j >= 0 {
		body = body[:j]
	}
	return FromGzip(path, body)
}

// FromGzip reads a gzip-compressed configuration (/proc/config.gz).
func FromGzip(path string, data []byte) *Config {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil
	}
	raw, err := io.ReadAll(io.LimitReader(zr, maxConfig))
	if err != nil && len(raw) == 0 {
		return nil
	}
	return Parse(path, raw)
}

// IsConfigPath reports whether a file path names a kernel configuration
// by the places distributions and build systems put one.
func IsConfigPath(p string) bool {
	base := p[strings.LastIndex(p, "/")+1:]
	switch {
	case base == ".config", base == "kernel.config", base == "config.gz" && strings.HasSuffix(p, "/proc/config.gz"):
		return true
	case strings.HasPrefix(base, "config-") && strings.Contains(p, "/boot/"):
		return true
	}
	return false
}

// rule maps a subsystem to the options that build it: the subsystem is
// built when any of them is set.
type rule struct {
	prefix  string   // description prefix, lower case, up to the colon(s)
	options []string // CONFIG_ options
}

// rules: the subsystems of kernel CVEs that embedded kernels most often
// leave out. Longer prefixes are tried first. Each option is the one whose
// Makefile line builds the subsystem's directory (obj-$(CONFIG_X)).
var rules = []rule{
	{"ksmbd", []string{"CONFIG_SMB_SERVER"}},
	{"smb: server", []string{"CONFIG_SMB_SERVER"}},
	{"smb: client", []string{"CONFIG_CIFS"}},
	{"cifs", []string{"CONFIG_CIFS"}},
	{"nfsd", []string{"CONFIG_NFSD"}},
	{"nfs", []string{"CONFIG_NFS_FS"}},
	{"btrfs", []string{"CONFIG_BTRFS_FS"}},
	{"xfs", []string{"CONFIG_XFS_FS"}},
	{"f2fs", []string{"CONFIG_F2FS_FS"}},
	{"ext4", []string{"CONFIG_EXT4_FS"}},
	{"jfs", []string{"CONFIG_JFS_FS"}},
	{"jffs2", []string{"CONFIG_JFFS2_FS"}},
	{"ntfs3", []string{"CONFIG_NTFS3_FS"}},
	{"fs/ntfs3", []string{"CONFIG_NTFS3_FS"}},
	{"hfs", []string{"CONFIG_HFS_FS"}},
	{"hfsplus", []string{"CONFIG_HFSPLUS_FS"}},
	{"gfs2", []string{"CONFIG_GFS2_FS"}},
	{"ocfs2", []string{"CONFIG_OCFS2_FS"}},
	{"ceph", []string{"CONFIG_CEPH_FS", "CONFIG_CEPH_LIB"}},
	{"libceph", []string{"CONFIG_CEPH_LIB"}},
	{"erofs", []string{"CONFIG_EROFS_FS"}},
	{"squashfs", []string{"CONFIG_SQUASHFS"}},
	{"udf", []string{"CONFIG_UDF_FS"}},
	{"nilfs2", []string{"CONFIG_NILFS2_FS"}},
	{"fs/9p", []string{"CONFIG_9P_FS"}},
	{"9p", []string{"CONFIG_9P_FS", "CONFIG_NET_9P"}},
	{"io_uring", []string{"CONFIG_IO_URING"}},
	{"bpf", []string{"CONFIG_BPF_SYSCALL"}},
	{"kvm", []string{"CONFIG_KVM"}},
	{"drm/amdgpu", []string{"CONFIG_DRM_AMDGPU"}},
	{"drm/amd/display", []string{"CONFIG_DRM_AMDGPU"}},
	{"drm/amdkfd", []string{"CONFIG_HSA_AMD"}},
	{"drm/radeon", []string{"CONFIG_DRM_RADEON"}},
	{"drm/i915", []string{"CONFIG_DRM_I915"}},
	{"drm/xe", []string{"CONFIG_DRM_XE"}},
	{"drm/nouveau", []string{"CONFIG_DRM_NOUVEAU"}},
	{"drm/msm", []string{"CONFIG_DRM_MSM"}},
	{"drm/vmwgfx", []string{"CONFIG_DRM_VMWGFX"}},
	{"drm", []string{"CONFIG_DRM"}},
	{"bluetooth", []string{"CONFIG_BT"}},
	{"nfc", []string{"CONFIG_NFC"}},
	{"wifi: mac80211", []string{"CONFIG_MAC80211"}},
	{"wifi: cfg80211", []string{"CONFIG_CFG80211"}},
	{"wifi: ath9k", []string{"CONFIG_ATH9K"}},
	{"wifi: ath10k", []string{"CONFIG_ATH10K"}},
	{"wifi: ath11k", []string{"CONFIG_ATH11K"}},
	{"wifi: ath12k", []string{"CONFIG_ATH12K"}},
	{"wifi: iwlwifi", []string{"CONFIG_IWLWIFI"}},
	{"wifi: mt76", []string{"CONFIG_MT76_CORE"}},
	{"wifi: rtw88", []string{"CONFIG_RTW88"}},
	{"wifi: rtw89", []string{"CONFIG_RTW89"}},
	{"wifi: brcmfmac", []string{"CONFIG_BRCMFMAC"}},
	{"netfilter: nf_tables", []string{"CONFIG_NF_TABLES"}},
	{"netfilter: ipset", []string{"CONFIG_IP_SET"}},
	{"netfilter: nf_conntrack", []string{"CONFIG_NF_CONNTRACK"}},
	{"netfilter", []string{"CONFIG_NETFILTER"}},
	{"net/sched", []string{"CONFIG_NET_SCHED"}},
	{"net: sched", []string{"CONFIG_NET_SCHED"}},
	{"sctp", []string{"CONFIG_IP_SCTP"}},
	{"net: sctp", []string{"CONFIG_IP_SCTP"}},
	{"tipc", []string{"CONFIG_TIPC"}},
	{"rds", []string{"CONFIG_RDS"}},
	{"net/rds", []string{"CONFIG_RDS"}},
	{"ax25", []string{"CONFIG_AX25"}},
	{"netrom", []string{"CONFIG_NETROM"}},
	{"rose", []string{"CONFIG_ROSE"}},
	{"can", []string{"CONFIG_CAN"}},
	{"net: can", []string{"CONFIG_CAN"}},
	{"mptcp", []string{"CONFIG_MPTCP"}},
	{"smc", []string{"CONFIG_SMC"}},
	{"net/smc", []string{"CONFIG_SMC"}},
	{"vsock", []string{"CONFIG_VSOCKETS"}},
	{"xsk", []string{"CONFIG_XDP_SOCKETS"}},
	{"l2tp", []string{"CONFIG_L2TP"}},
	{"batman-adv", []string{"CONFIG_BATMAN_ADV"}},
	{"mac802154", []string{"CONFIG_MAC802154"}},
	{"ieee802154", []string{"CONFIG_IEEE802154"}},
	{"rdma", []string{"CONFIG_INFINIBAND"}},
	{"ib/", []string{"CONFIG_INFINIBAND"}},
	{"nvme", []string{"CONFIG_NVME_CORE"}},
	{"nvmet", []string{"CONFIG_NVME_TARGET"}},
	{"scsi: target", []string{"CONFIG_TARGET_CORE"}},
	{"usb: gadget", []string{"CONFIG_USB_GADGET"}},
	{"media", []string{"CONFIG_MEDIA_SUPPORT"}},
	{"hid", []string{"CONFIG_HID"}},
	{"sound", []string{"CONFIG_SOUND"}},
	{"alsa", []string{"CONFIG_SND"}},
	{"asoc", []string{"CONFIG_SND_SOC"}},
	{"xen", []string{"CONFIG_XEN"}},
	{"hyper-v", []string{"CONFIG_HYPERV"}},
	{"hv_netvsc", []string{"CONFIG_HYPERV_NET"}},
	{"virtio_net", []string{"CONFIG_VIRTIO_NET"}},
	{"vhost", []string{"CONFIG_VHOST"}},
	{"thunderbolt", []string{"CONFIG_USB4"}},
	{"firewire", []string{"CONFIG_FIREWIRE"}},
	{"pci", []string{"CONFIG_PCI"}},
	{"acpi", []string{"CONFIG_ACPI"}},
	{"iommu", []string{"CONFIG_IOMMU_SUPPORT"}},
	{"md/raid5", []string{"CONFIG_MD_RAID456"}},
	{"dm", []string{"CONFIG_BLK_DEV_DM"}},
	{"nbd", []string{"CONFIG_BLK_DEV_NBD"}},
	{"ublk", []string{"CONFIG_BLK_DEV_UBLK"}},
	{"zram", []string{"CONFIG_ZRAM"}},
	{"ipv6", []string{"CONFIG_IPV6"}},
	{"net: ipv6", []string{"CONFIG_IPV6"}},
}

// sourceDirs maps source directories a description may name to options.
var sourceDirs = []rule{
	{"fs/smb/server/", []string{"CONFIG_SMB_SERVER"}},
	{"fs/ksmbd/", []string{"CONFIG_SMB_SERVER"}},
	{"fs/smb/client/", []string{"CONFIG_CIFS"}},
	{"fs/btrfs/", []string{"CONFIG_BTRFS_FS"}},
	{"fs/ntfs3/", []string{"CONFIG_NTFS3_FS"}},
	{"io_uring/", []string{"CONFIG_IO_URING"}},
	{"net/bluetooth/", []string{"CONFIG_BT"}},
	{"net/sctp/", []string{"CONFIG_IP_SCTP"}},
	{"net/tipc/", []string{"CONFIG_TIPC"}},
	{"net/rds/", []string{"CONFIG_RDS"}},
	{"drivers/gpu/drm/amd/", []string{"CONFIG_DRM_AMDGPU"}},
	{"drivers/gpu/drm/i915/", []string{"CONFIG_DRM_I915"}},
}

func init() {
	sort.SliceStable(rules, func(i, j int) bool { return len(rules[i].prefix) > len(rules[j].prefix) })
}

// kernelCNAHeader starts every description of the kernel CNA.
const kernelCNAHeader = "in the linux kernel, the following vulnerability has been resolved:"

// boundary ends a subsystem prefix: "drm/amdgpu: …", "drm/amdgpu/pm: …".
var boundary = regexp.MustCompile(`^[:/ ,]`)

// subsystem returns the "prefix: …" line of a kernel CNA description, in
// lower case ("" when the description is not one).
func subsystem(text string) string {
	t := strings.ToLower(strings.TrimSpace(text))
	if !strings.HasPrefix(t, kernelCNAHeader) {
		return ""
	}
	t = strings.TrimSpace(t[len(kernelCNAHeader):])
	if i := strings.IndexByte(t, '\n'); i >= 0 {
		t = t[:i]
	}
	return t
}

// NotAffected decides a kernel CVE from its summary and details: when its
// subsystem is built by options none of which is set in c, it returns the
// reason. ok is false when the description names no known subsystem or
// any of its options is set.
func NotAffected(c *Config, summary, details string) (reason string, ok bool) {
	if c == nil {
		return "", false
	}
	line := subsystem(details)
	if line == "" {
		line = subsystem(summary)
	}
	var hit *rule
	if line != "" {
		for i := range rules {
			r := &rules[i]
			if strings.HasPrefix(line, r.prefix) && len(line) > len(r.prefix) && (strings.HasSuffix(r.prefix, "/") || boundary.MatchString(line[len(r.prefix):])) {
				hit = r
				break
			}
		}
	}
	if hit == nil {
		text := strings.ToLower(summary + "\n" + details)
		for i := range sourceDirs {
			if strings.Contains(text, sourceDirs[i].prefix) {
				hit = &sourceDirs[i]
				break
			}
		}
	}
	if hit == nil {
		return "", false
	}
	for _, o := range hit.options {
		if _, set := c.Options[o]; set {
			return "", false
		}
	}
	return fmt.Sprintf("the vulnerable code (%s) is not built: %s not set in the kernel configuration %s", strings.TrimSuffix(hit.prefix, "/"),
		strings.Join(hit.options, ", "), c.Path), true
}
