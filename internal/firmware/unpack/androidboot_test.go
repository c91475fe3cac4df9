package unpack

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
)

const bootBanner = "Linux version 5.4.86-android11 (builder@rampart) (gcc 10.2.1) #1 SMP PREEMPT"

// bootManifest is the lines of testdata/android-boot.manifest (gen.sh
// writes them from the ramdisk source trees with find, stat, sha256sum and
// readlink) under prefix: "/ramdisk/init.rc file 750 0 0 <sha256>".
func bootManifest(t *testing.T, prefix string) []string {
	t.Helper()
	b, err := os.ReadFile("../testdata/android-boot.manifest")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if strings.HasPrefix(l, prefix+"/") {
			out = append(out, l)
		}
	}
	return out
}

// bootEntries formats the files of r under container ("/ramdisk") as
// manifest lines: kind, mode, owner and sha256 (or link target).
func bootEntries(r *Result, container string) []string {
	var out []string
	for _, f := range r.Files {
		inner, ok := strings.CutPrefix(f.Path, container+"!")
		if !ok {
			continue
		}
		l := fmt.Sprintf("%s%s %s %o %d %d", container, inner, f.Kind, f.Mode, f.UID, f.GID)
		switch f.Kind {
		case KindFile:
			l += " " + f.SHA256
		case KindSymlink:
			l += " " + f.Link
		}
		out = append(out, l)
	}
	sort.Strings(out)
	return out
}

// TestAndroidBoot reads the boot, recovery and vendor_boot images
// mkbootimg 29.0.6 made (gen.sh): header versions 0 (gzip'd ramdisk, 2 KiB
// pages), 1 (a second stage, 4 KiB pages), 2 (an lz4 -l ramdisk and a
// DTB), 3 (a plain cpio ramdisk) and vendor_boot v3. Every ramdisk entry
// (path, kind, mode with setuid, owner, sha256 or link) is that of the
// source tree's manifest and nothing more; the kernel stays a blob
// holding its banner; the header's fields are in the detail.
func TestAndroidBoot(t *testing.T) {
	ramdisk, vendor := bootManifest(t, "/ramdisk"), bootManifest(t, "/vendor_ramdisk")
	if len(ramdisk) != 10 || len(vendor) != 5 {
		t.Fatalf("manifest: %d and %d entries", len(ramdisk), len(vendor))
	}
	for _, c := range []struct {
		file, layers, detail string
		blobs                []string
	}{
		{"boot-v0.img", "android-boot@0, gzip@0 in /ramdisk, cpio@0 in /ramdisk",
			`boot header v0, page size 2048, kernel 5500 bytes, ramdisk 397 bytes, os 9.0.0, patch level 2019-05, board "rampart-v0", cmdline "console=ttyMSM0 androidboot.hardware=rampart"`,
			[]string{"/kernel"}},
		{"recovery-v1.img", "android-boot@0, gzip@0 in /ramdisk, cpio@0 in /ramdisk",
			`boot header v1, page size 4096, kernel 5500 bytes, ramdisk 397 bytes, second 24 bytes, os 10.0.0, patch level 2020-01, board "rampart-rec"`,
			[]string{"/kernel", "/second"}},
		{"boot-v2.img", "android-boot@0, lz4@0 in /ramdisk, cpio@0 in /ramdisk",
			`boot header v2, page size 2048, kernel 5500 bytes, ramdisk 492 bytes, dtb 149 bytes, os 10.0.0, patch level 2020-06, board "rampart-v2"`,
			[]string{"/kernel", "/dtb"}},
		{"boot-v3.img", "android-boot@0, cpio@0 in /ramdisk",
			`boot header v3, page size 4096, kernel 5500 bytes, ramdisk 2048 bytes, os 11.0.0, patch level 2021-03, cmdline "androidboot.selinux=permissive"`,
			[]string{"/kernel"}},
		{"vendor_boot-v3.img", "android-vendor-boot@0, gzip@0 in /vendor_ramdisk, cpio@0 in /vendor_ramdisk",
			`vendor_boot header v3, page size 2048, vendor_ramdisk 237 bytes, dtb 149 bytes, board "rampart-vnd", cmdline "androidboot.console=ttyMSM0"`,
			[]string{"/dtb"}},
	} {
		t.Run(c.file, func(t *testing.T) {
			img := fixture(t, c.file)
			r := mustUnpack(t, img)
			if got := layerTypes(r); got != c.layers {
				t.Errorf("layers %q", got)
			}
			if d := r.Layers[0].Detail; d != c.detail {
				t.Errorf("detail %q\nwant   %q", d, c.detail)
			}
			if len(r.Warnings) > 0 {
				t.Errorf("warnings %q", r.Warnings)
			}
			if s := androidBootSize(img); s != int64(len(img)) {
				t.Errorf("size %d of %d", s, len(img))
			}
			container, want := "/ramdisk", ramdisk
			if strings.HasPrefix(c.file, "vendor") {
				container, want = "/vendor_ramdisk", vendor
			}
			if got := bootEntries(r, container); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			m := byPath(r)
			for _, p := range c.blobs {
				if m[p].Kind != KindBlob {
					t.Errorf("%s: %+v", p, m[p])
				}
			}
			if k, ok := m["/kernel"]; ok && !bytes.Contains(k.Data, []byte(bootBanner)) {
				t.Errorf("kernel blob lacks the banner")
			}
			if d, ok := m["/dtb"]; ok && (fdtTotal(d.Data) != 149 || !bytes.Contains(d.Data, []byte("Rampart test phone"))) {
				t.Errorf("dtb: %q", d.Data)
			}
		})
	}
}

// TestAndroidBootCarved: a boot image after a vendor header is carved and
// its ramdisk unpacked.
func TestAndroidBootCarved(t *testing.T) {
	img := append(bytes.Repeat([]byte("VENDOR-HDR"), 100), fixture(t, "boot-v2.img")...)
	r := mustUnpack(t, img)
	if got := layerTypes(r); got != "android-boot@1000, lz4@0 in /ramdisk, cpio@0 in /ramdisk" {
		t.Errorf("layers %q", got)
	}
	if f := byPath(r)["/ramdisk!/system/bin/su"]; f.Mode != 0o4750 {
		t.Errorf("su: %+v", f)
	}
}

// TestAndroidBootDamaged: an image cut inside a section is refused with
// the section, its size and offset named, and the analysis warns and goes
// on; every cut and every flipped header byte of every fixture unpacks
// without a panic.
func TestAndroidBootDamaged(t *testing.T) {
	img := fixture(t, "boot-v0.img")
	_, err := openAndroidBoot(fuzzUnpacker(), img[:2048+5500+100])
	if err == nil || err.Error() != "android boot: ramdisk of 397 bytes at offset 8192 past the end of the image (7648 bytes)" {
		t.Errorf("cut in the ramdisk: %v", err)
	}
	r, err := Unpack(context.Background(), img[:2048+100], DefaultLimits())
	if err != nil && !errors.Is(err, ErrUnknownFormat) {
		t.Fatal(err)
	}
	if len(r.Warnings) == 0 || !strings.Contains(r.Warnings[0], "looks like android-boot but does not unpack: android boot: kernel of 5500 bytes at offset 2048 past the end") {
		t.Errorf("warnings %q", r.Warnings)
	}
	// A damaged gzip ramdisk: the boot layer stays, the ramdisk is named.
	bad := append([]byte(nil), img...)
	bad[8192+40] ^= 0xff
	r = mustUnpack(t, bad)
	if !strings.Contains(strings.Join(r.Warnings, "\n"), "/ramdisk: looks like gzip but does not unpack") {
		t.Errorf("warnings %q", r.Warnings)
	}
	for _, name := range []string{"boot-v0.img", "recovery-v1.img", "boot-v2.img", "boot-v3.img", "vendor_boot-v3.img"} {
		img := fixture(t, name)
		for cut := 0; cut < len(img); cut += 97 {
			Unpack(context.Background(), img[:cut], fuzzLimits())
		}
		for i := 8; i < 2128; i++ {
			bad := append([]byte(nil), img...)
			bad[i] ^= 0x80
			Unpack(context.Background(), bad, fuzzLimits())
		}
	}
}

// TestAndroidBootLimits: a ramdisk that decompresses past the ratio limit
// fails the image with ErrLimit, like any compressed stream.
func TestAndroidBootLimits(t *testing.T) {
	img := fixture(t, "boot-v2.img")
	lim := DefaultLimits()
	lim.MaxTotalBytes = 6000 // the kernel blob costs nothing; the ramdisk's 2048 bytes fit, the cpio's files too
	if _, err := Unpack(context.Background(), img, lim); err != nil {
		t.Fatalf("within the limit: %v", err)
	}
	lim.MaxTotalBytes = 1000
	if _, err := Unpack(context.Background(), img, lim); !errors.Is(err, ErrLimit) {
		t.Errorf("past the limit: %v", err)
	}
}

// bootV4 builds a boot image of header version 4 by bootimg.h's layout
// (Debian's mkbootimg 29.0.6 writes no v4): a 4096-byte header (kernel,
// ramdisk, os_version, header_size 1584, version 4, cmdline,
// signature_size), then the kernel, ramdisk and signature, each on a
// 4096-byte page.
func bootV4(kernel, ramdisk, sig []byte) []byte {
	h := make([]byte, 4096)
	copy(h, bootMagic)
	le := binary.LittleEndian
	le.PutUint32(h[8:], uint32(len(kernel)))
	le.PutUint32(h[12:], uint32(len(ramdisk)))
	le.PutUint32(h[16:], 12<<25|(2023-2000)<<4|7)
	le.PutUint32(h[20:], 1584)
	le.PutUint32(h[40:], 4)
	copy(h[44:], "androidboot.v4=1")
	le.PutUint32(h[1580:], uint32(len(sig)))
	out := h
	for _, s := range [][]byte{kernel, ramdisk, sig} {
		out = append(out, s...)
		out = append(out, make([]byte, int(alignUp(int64(len(s)), 4096))-len(s))...)
	}
	return out
}

// vendorBootV4 builds a vendor_boot v4 image by bootimg.h's layout: the
// 2128-byte header, the ramdisk section (the ramdisks one after another),
// the DTB, the table of 108-byte entries (size, offset, type, 32-byte
// name, 16 board ids) and bootconfig, each page-aligned.
func vendorBootV4(page int, dtb, bootconfig []byte, names []string, ramdisks [][]byte) []byte {
	le := binary.LittleEndian
	var section, table []byte
	for i, rd := range ramdisks {
		e := make([]byte, 108)
		le.PutUint32(e, uint32(len(rd)))
		le.PutUint32(e[4:], uint32(len(section)))
		le.PutUint32(e[8:], uint32(i+1))
		copy(e[12:44], names[i])
		table = append(table, e...)
		section = append(section, rd...)
	}
	h := make([]byte, 2128)
	copy(h, vendorBootMagic)
	le.PutUint32(h[8:], 4)
	le.PutUint32(h[12:], uint32(page))
	le.PutUint32(h[24:], uint32(len(section)))
	copy(h[2080:], "rampart-v4")
	le.PutUint32(h[2096:], 2128)
	le.PutUint32(h[2100:], uint32(len(dtb)))
	le.PutUint32(h[2112:], uint32(len(table)))
	le.PutUint32(h[2116:], uint32(len(ramdisks)))
	le.PutUint32(h[2120:], 108)
	le.PutUint32(h[2124:], uint32(len(bootconfig)))
	var out []byte
	for _, s := range [][]byte{h, section, dtb, table, bootconfig} {
		out = append(out, s...)
		out = append(out, make([]byte, int(alignUp(int64(len(s)), int64(page)))-len(s))...)
	}
	return out
}

// bootSections are the kernel, ramdisk and DTB mkbootimg wrote into the
// fixtures (the v3 ramdisk is a plain cpio, the vendor one gzip'd).
func bootSections(t *testing.T) (kernel, cpio, vendorGz, dtb []byte) {
	v3, vnd := fixture(t, "boot-v3.img"), fixture(t, "vendor_boot-v3.img")
	return v3[4096 : 4096+5500], v3[12288 : 12288+2048], vnd[4096 : 4096+237], vnd[6144 : 6144+149]
}

// TestAndroidBootV4 reads header version 4 images built by bootimg.h's
// layout from the sections mkbootimg wrote: the boot signature is a blob,
// every vendor ramdisk of the table is a layer named after its entry, and
// bootconfig is a blob.
func TestAndroidBootV4(t *testing.T) {
	kernel, cpio, vendorGz, dtb := bootSections(t)
	img := bootV4(kernel, cpio, []byte("AVB0 boot signature"))
	r := mustUnpack(t, img)
	if got := layerTypes(r); got != "android-boot@0, cpio@0 in /ramdisk" {
		t.Errorf("layers %q", got)
	}
	if d := r.Layers[0].Detail; d != `boot header v4, page size 4096, kernel 5500 bytes, ramdisk 2048 bytes, boot_signature 19 bytes, os 12.0.0, patch level 2023-07, cmdline "androidboot.v4=1"` {
		t.Errorf("detail %q", d)
	}
	if got, want := bootEntries(r, "/ramdisk"), bootManifest(t, "/ramdisk"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("entries %q", got)
	}
	if s := byPath(r)["/boot_signature"]; s.Kind != KindBlob || string(s.Data) != "AVB0 boot signature" {
		t.Errorf("signature %+v", s)
	}

	vimg := vendorBootV4(4096, dtb, []byte("androidboot.hardware=rampart\n"), []string{"platform", "dlkm"}, [][]byte{vendorGz, cpio})
	r = mustUnpack(t, vimg)
	if got := layerTypes(r); got != "android-vendor-boot@0, gzip@0 in /vendor_ramdisk/platform, cpio@0 in /vendor_ramdisk/platform, cpio@0 in /vendor_ramdisk/dlkm" {
		t.Errorf("layers %q", got)
	}
	if d := r.Layers[0].Detail; d != `vendor_boot header v4, page size 4096, vendor_ramdisk 2285 bytes, dtb 149 bytes, vendor_ramdisk_table 216 bytes, bootconfig 29 bytes, vendor ramdisks [platform (platform, 237 bytes); dlkm (recovery, 2048 bytes)], board "rampart-v4"` {
		t.Errorf("detail %q", d)
	}
	var got []string
	for _, l := range bootEntries(r, "/vendor_ramdisk/platform") {
		got = append(got, strings.Replace(l, "/vendor_ramdisk/platform", "/vendor_ramdisk", 1))
	}
	if want := bootManifest(t, "/vendor_ramdisk"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("platform entries %q", got)
	}
	if n := len(bootEntries(r, "/vendor_ramdisk/dlkm")); n != 10 {
		t.Errorf("dlkm: %d entries", n)
	}
	if b := byPath(r)["/bootconfig"]; b.Kind != KindBlob {
		t.Errorf("bootconfig %+v", b)
	}

	// A table entry past the ramdisk section is refused, naming it.
	bad := append([]byte(nil), vimg...)
	binary.LittleEndian.PutUint32(bad[3*4096+108+4:], 5000)
	if _, err := openAndroidBoot(fuzzUnpacker(), bad); err == nil || err.Error() != "android vendor_boot: vendor ramdisk 1 (2048 bytes at 5000) past the end of the ramdisk section (2285 bytes)" {
		t.Errorf("bad table: %v", err)
	}
}

// TestLZ4Legacy: the lz4 -l ramdisk of boot-v2.img decodes to the cpio of
// boot-v3.img; one cut inside a block is an error naming its offset.
func TestLZ4Legacy(t *testing.T) {
	_, cpio, _, _ := bootSections(t)
	lz := fixture(t, "boot-v2.img")[2048*4 : 2048*4+492]
	if !isLZ4Legacy(lz) {
		t.Fatal("not recognised")
	}
	c, err := openLZ4Legacy(fuzzUnpacker(), lz)
	if err != nil || !bytes.Equal(c.nested[0].data, cpio) || c.used != 492 {
		t.Fatalf("%v, used %d", err, c.used)
	}
	if _, err := openLZ4Legacy(fuzzUnpacker(), lz[:300]); err == nil || !strings.Contains(err.Error(), "lz4 legacy: block of 484 bytes at offset 4 past the end (300 bytes)") {
		t.Errorf("cut: %v", err)
	}
}

// TestAndroidBootDTSize: a v0 image whose header-version field holds the
// size of a device-tree table after the second stage (older Qualcomm and
// Samsung boot images; bootimg.h's dt_size), built from boot-v0.img by
// that layout: the table is a blob named /dt, the ramdisk is read.
func TestAndroidBootDTSize(t *testing.T) {
	_, _, _, dtb := bootSections(t)
	img := append([]byte(nil), fixture(t, "boot-v0.img")...)
	dt := append([]byte("QCDT\x03\x00\x00\x00"), dtb...)
	dt = append(dt, make([]byte, 4-len(dt)%4)...)
	binary.LittleEndian.PutUint32(img[40:], uint32(len(dt)))
	img = append(img, dt...)
	r := mustUnpack(t, img)
	if got := layerTypes(r); got != "android-boot@0, gzip@0 in /ramdisk, cpio@0 in /ramdisk" {
		t.Errorf("layers %q", got)
	}
	if d := r.Layers[0].Detail; !strings.HasPrefix(d, "boot header v0, page size 2048, kernel 5500 bytes, ramdisk 397 bytes, dt 160 bytes, os 9.0.0") {
		t.Errorf("detail %q", d)
	}
	if f := byPath(r)["/dt"]; f.Kind != KindBlob || !bytes.Equal(f.Data, dt) {
		t.Errorf("dt %+v", f)
	}
}

// TestAndroidInitBoot: an init_boot.img (Android 13 GKI: header v4, no
// kernel, the generic ramdisk) built by bootimg.h's layout.
func TestAndroidInitBoot(t *testing.T) {
	_, cpio, _, _ := bootSections(t)
	r := mustUnpack(t, bootV4(nil, cpio, nil))
	if got := layerTypes(r); got != "android-boot@0, cpio@0 in /ramdisk" {
		t.Errorf("layers %q", got)
	}
	if got, want := bootEntries(r, "/ramdisk"), bootManifest(t, "/ramdisk"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("entries %q", got)
	}
}
