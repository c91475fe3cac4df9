package unpack

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/pierrec/lz4/v4"
	"github.com/ulikunitz/xz/lzma"
)

const fitBanner = "Linux version 5.10.161 (builder@fit) (gcc 12.2.0) #1 SMP PREEMPT\n"

// TestFIT reads the FIT images gen.sh makes with mkimage -f (data in the
// tree, after it at data-offset, at data-position): the gzip'd kernel
// comes out as a blob holding the banner, the LZMA'd ramdisk and the
// squashfs rootfs are unpacked, each under its node's name, and their
// files are byte for byte those of the committed cpio and squashfs.
func TestFIT(t *testing.T) {
	want := map[string][]byte{}
	for _, f := range mustUnpack(t, fixture(t, "small.cpio.gz")).Files {
		want["/ramdisk-1!"+f.Inner] = f.Data
	}
	for _, f := range mustUnpack(t, fixture(t, "small-xz.sqsh")).Files {
		want["/rootfs-1!"+f.Inner] = f.Data
	}
	for _, name := range []string{"fit.itb", "fit-external.itb", "fit-position.itb"} {
		t.Run(name, func(t *testing.T) {
			img := fixture(t, name)
			r := mustUnpack(t, img)
			if got := layerTypes(r); got != "fit@0, cpio@0 in /ramdisk-1, squashfs@0 in /rootfs-1" {
				t.Errorf("layers %q", got)
			}
			d := r.Layers[0].Detail
			for _, s := range []string{`4 images: "Rampart test FIT"`, "kernel-1: kernel, gzip, 85 bytes at 0x", "ramdisk-1: ramdisk, lzma", "fdt-1: flat_dt, none, 149 bytes", "rootfs-1: filesystem, none, 4096 bytes"} {
				if !strings.Contains(d, s) {
					t.Errorf("detail %q lacks %q", d, s)
				}
			}
			if strings.Contains(d, "mismatch") {
				t.Errorf("hash mismatch in an intact image: %q", d)
			}
			if fitSize(img) != int64(len(img)) {
				t.Errorf("fitSize %d of %d", fitSize(img), len(img))
			}
			m := byPath(r)
			if k := m["/kernel-1"]; k.Kind != KindBlob || string(k.Data) != fitBanner {
				t.Errorf("kernel-1: %+v", k)
			}
			if dtb := m["/fdt-1"]; dtb.Kind != KindBlob || fdtTotal(dtb.Data) != 149 || !bytes.Contains(dtb.Data, []byte("Rampart test board")) || isFIT(dtb.Data) {
				t.Errorf("fdt-1: %+v", dtb)
			}
			n := 0
			for p, data := range want {
				if f, ok := m[p]; ok {
					n++
					if !bytes.Equal(f.Data, data) {
						t.Errorf("%s differs", p)
					}
				}
			}
			if n != len(want) || len(want) < 5 {
				t.Errorf("%d of %d files", n, len(want))
			}
		})
	}
}

// TestFITDamaged: a flipped byte in the kernel is named by its hashes; an
// external image claiming 2 GiB is refused with the node and offset; a FIT
// after a vendor header is carved.
func TestFITDamaged(t *testing.T) {
	img := fixture(t, "fit.itb")
	bad := append([]byte(nil), img...)
	at := bytes.Index(bad, []byte{0x1f, 0x8b, 8})
	bad[at+20] ^= 0xff
	c, err := openFIT(fuzzUnpacker(), bad)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(c.detail, "kernel-1: kernel, gzip, 85 bytes at 0xbc, crc32 mismatch, sha256 mismatch") {
		t.Errorf("detail %q", c.detail)
	}

	ext := fixture(t, "fit-external.itb")
	root, err := parseFDT(ext)
	if err != nil {
		t.Fatal(err)
	}
	k := root.child("images").child("kernel-1")
	size := k.props["data-size"]
	binary.BigEndian.PutUint32(size, 0x7fffffff) // the slice aliases the image's bytes
	var oerr error
	if got := allocated(func() { _, oerr = openFIT(fuzzUnpacker(), ext) }); got > 1<<20 {
		t.Errorf("a 2 GiB data-size allocated %d KiB", got>>10)
	}
	if oerr == nil || !strings.Contains(oerr.Error(), "FIT: image kernel-1: external data at offset 1204 (2147483647 bytes) past the end of the image (5856 bytes)") {
		t.Errorf("huge data-size: %v", oerr)
	}

	blob := append(append(bytes.Repeat([]byte{0x5a}, 1000), img...), make([]byte, 500)...)
	if got := layerTypes(mustUnpack(t, blob)); got != "fit@1000, cpio@0 in /ramdisk-1, squashfs@0 in /rootfs-1" {
		t.Errorf("carved: %q", got)
	}
}

// fdtProps is one node for buildFDT: properties in order, then children.
type fdtSpec struct {
	name     string
	props    [][2]string
	children []fdtSpec
}

// buildFDT writes a version 17 flattened device tree as the Devicetree
// Specification (chapter 5) lays it out.
func buildFDT(root fdtSpec) []byte {
	var st, strs bytes.Buffer
	names := map[string]int{}
	u32 := func(v int) { st.Write(binary.BigEndian.AppendUint32(nil, uint32(v))) }
	pad := func() {
		for st.Len()%4 != 0 {
			st.WriteByte(0)
		}
	}
	var node func(n fdtSpec)
	node = func(n fdtSpec) {
		u32(fdtBeginNode)
		st.WriteString(n.name + "\x00")
		pad()
		for _, p := range n.props {
			off, ok := names[p[0]]
			if !ok {
				off = strs.Len()
				names[p[0]] = off
				strs.WriteString(p[0] + "\x00")
			}
			u32(fdtProp)
			u32(len(p[1]))
			u32(off)
			st.WriteString(p[1])
			pad()
		}
		for _, c := range n.children {
			node(c)
		}
		u32(fdtEndNode)
	}
	node(root)
	u32(fdtEnd)
	h := make([]byte, fdtHeaderLen+16) // header and an empty memory reservation map
	offStruct := len(h)
	total := offStruct + st.Len() + strs.Len()
	for i, v := range []int{fdtMagic, total, offStruct, offStruct + st.Len(), fdtHeaderLen, 17, 16, 0, strs.Len(), st.Len()} {
		binary.BigEndian.PutUint32(h[4*i:], uint32(v))
	}
	return append(append(h, st.Bytes()...), strs.Bytes()...)
}

func fitWith(images ...fdtSpec) []byte {
	return buildFDT(fdtSpec{props: [][2]string{{"description", "hand-made\x00"}}, children: []fdtSpec{{name: "images", children: images}}})
}

// TestFITBounds: a gzip bomb in an image is ErrLimit naming the node, an
// unknown compression keeps the data as stored, and a malformed tree (a
// property past its block, nesting past the bound) is an error with its
// offset, never a panic.
func TestFITBounds(t *testing.T) {
	bomb := fitWith(fdtSpec{name: "kernel-1", props: [][2]string{{"data", string(gz(make([]byte, 30<<20)))}, {"compression", "gzip\x00"}}})
	if _, err := Unpack(context.Background(), bomb, DefaultLimits()); !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "FIT image kernel-1 at offset") {
		t.Errorf("gzip bomb: %v", err)
	}
	odd := fitWith(fdtSpec{name: "fw-1", props: [][2]string{{"data", "LZOpayload"}, {"compression", "lzo\x00"}}})
	r := mustUnpack(t, odd)
	if f := byPath(r)["/fw-1"]; string(f.Data) != "LZOpayload" || !strings.Contains(r.Layers[0].Detail, `fw-1: no type, lzo, 10 bytes at 0x`) || !strings.Contains(r.Layers[0].Detail, `(not decompressed: compression "lzo" not read)`) {
		t.Errorf("lzo: %q %+v", r.Layers[0].Detail, f)
	}
	if len(r.Warnings) != 1 || r.Warnings[0] != "image: fit at offset 0: image fw-1 (lzo compression) not read" {
		t.Errorf("lzo warnings %q", r.Warnings)
	}
	if c, err := openFIT(fuzzUnpacker(), fitWith(fdtSpec{name: "x", props: [][2]string{{"type", "kernel\x00"}}})); err == nil || !strings.Contains(err.Error(), "image x (node at offset") {
		t.Errorf("no data: %v %v", c.detail, err)
	}

	good := fitWith(fdtSpec{name: "k", props: [][2]string{{"data", "abcd"}}})
	long := append([]byte(nil), good...)
	p := bytes.Index(long, []byte("abcd"))
	binary.BigEndian.PutUint32(long[p-8:], 1<<30) // the data property's length
	if _, err := parseFDT(long); err == nil || !strings.Contains(err.Error(), "claims 1073741824 bytes past the structure block") {
		t.Errorf("long property: %v", err)
	}
	deep := fdtSpec{name: "n"}
	for i := 0; i < fdtMaxDepth+2; i++ {
		deep = fdtSpec{name: "n", children: []fdtSpec{deep}}
	}
	if _, err := parseFDT(buildFDT(fdtSpec{children: []fdtSpec{deep}})); err == nil || !strings.Contains(err.Error(), "levels at offset") {
		t.Errorf("deep: %v", err)
	}
	short := append([]byte(nil), good...)
	binary.BigEndian.PutUint32(short[4:], uint32(len(good)+1)) // totalsize past the end
	if isFIT(short) || !isFIT(good) {
		t.Error("isFIT on totalsize")
	}
}

// TestFITLZMADictionaryBounded: an LZMA image whose header names a
// 256 MiB dictionary (the decoder allocates it before reading; FIT images
// do not pass isLZMA's 64 MiB check, and a header may name up to 2 GiB)
// and no uncompressed size (as lzma_alone writes a kernel) decompresses to
// the same bytes without allocating it. Found by running
// FuzzFIT's seeds: fit-external.itb's 5,856 bytes allocated 64 MiB.
func TestFITLZMADictionaryBounded(t *testing.T) {
	var buf bytes.Buffer
	w, err := lzma.WriterConfig{DictCap: 1 << 16, Size: -1, EOSMarker: true}.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(fitBanner))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	stream := buf.Bytes()
	binary.LittleEndian.PutUint32(stream[1:5], 1<<28)
	img := fitWith(fdtSpec{name: "kernel-1", props: [][2]string{{"data", string(stream)}, {"type", "kernel\x00"}, {"compression", "lzma\x00"}}})
	var r *Result
	if a := allocated(func() { r = mustUnpack(t, img) }); a > 16<<20 {
		t.Errorf("a 256 MiB dictionary allocated %d MiB", a>>20)
	}
	if k := byPath(r)["/kernel-1"]; string(k.Data) != fitBanner {
		t.Errorf("kernel %q (%s)", k.Data, r.Layers[0].Detail)
	}
}

// TestFITCompressions: each compression property U-Boot writes is undone.
func TestFITCompressions(t *testing.T) {
	var l4 bytes.Buffer
	w := lz4.NewWriter(&l4)
	w.Write([]byte(fitBanner))
	w.Close()
	for comp, data := range map[string][]byte{"gzip": gz([]byte(fitBanner)), "xz": xzc(t, []byte(fitBanner)), "zstd": zst([]byte(fitBanner)), "lz4": l4.Bytes(), "none": []byte(fitBanner)} {
		r := mustUnpack(t, fitWith(fdtSpec{name: "kernel-1", props: [][2]string{{"data", string(data)}, {"compression", comp + "\x00"}}}))
		if k := byPath(r)["/kernel-1"]; string(k.Data) != fitBanner {
			t.Errorf("%s: %q (%s)", comp, k.Data, r.Layers[0].Detail)
		}
	}
}

// FuzzFIT opens FIT images and checks their signatures (image and
// configuration regions, RSA and ECDSA keys), and reads each input as a
// key file and as a blob with control device trees.
func FuzzFIT(f *testing.F) {
	var keys []FITKey
	extra := [][]byte{fitWith(fdtSpec{name: "kernel-1", props: [][2]string{{"data", string(gz([]byte(fitBanner)))}, {"compression", "gzip\x00"}}},
		fdtSpec{name: "ext", props: [][2]string{{"data-offset", "\x00\x00\x00\x00"}, {"data-size", "\x00\x00\x00\x04"}}})}
	for _, name := range []string{"rsa.itb", "ec.itb", "pss.itb", "rsa-tampered.itb", "control-rsa.dtb", "control-ec.dtb", "dev.pub.pem", "ec.pub.pem"} {
		b, err := os.ReadFile("../testdata/fitsig/" + name)
		if err != nil {
			f.Fatal(err)
		}
		extra = append(extra, b)
		if k, err := ParseFITKeys(name, b); err == nil {
			keys = append(keys, k...)
		}
	}
	fuzzMatched(f, func(b []byte) bool {
		ParseFITKeys("fuzz", b)
		EmbeddedFITKeys("fuzz", b)
		return isFIT(b)
	}, func(u *unpacker, b []byte) (contents, error) {
		CheckFITSignatures(b, keys)
		return openFIT(u, b)
	}, extra...)
}
