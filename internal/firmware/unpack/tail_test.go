package unpack

import "testing"

// TestAppendedRootfs: a layer that ends before its blob does leaves the
// rest to carving, as in the OpenWrt images of many routers: a uImage
// kernel, padding to the erase block, then the squashfs rootfs (the
// rootfs was missed: the blob was done once the uImage unpacked). Likewise
// a FIT or a zip followed by another layer.
func TestAppendedRootfs(t *testing.T) {
	sq := fixture(t, "small-zstd.sqsh") // not the one inside fit.itb
	pad := func(b []byte) []byte { return append(append([]byte(nil), b...), make([]byte, 4096-len(b)%4096)...) }
	k := uimage(2, 1, gz([]byte("Linux version 5.4.1 (x) #1")))
	for _, c := range []struct {
		name string
		head []byte
		want string
	}{
		{"uimage", k, "uimage@0, squashfs@4096, gzip@64"},
		{"fit", fixture(t, "fit.itb"), "fit@0, squashfs@8192, cpio@0 in /ramdisk-1, squashfs@0 in /rootfs-1"},
		{"zip", fixture(t, "firmware.zip"), "zip@0, squashfs@4096, gzip@0 in /fw/rootfs.cpio.gz, cpio@0 in /fw/rootfs.cpio.gz"},
	} {
		img := append(pad(c.head), sq...)
		if got := layerTypes(mustUnpack(t, img)); got != c.want {
			t.Errorf("%s then squashfs: %q, want %q", c.name, got, c.want)
		}
	}
}
