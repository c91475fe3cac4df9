package unpack

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand"
	"os"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

type entry struct {
	name, link string
	typ        byte
	mode       int64
	uid        int
	data       string
}

var treeEntries = []entry{
	{name: "etc/", typ: tar.TypeDir, mode: 0o755},
	{name: "etc/passwd", typ: tar.TypeReg, mode: 0o644, data: "root:x:0:0:root:/root:/bin/sh\n"},
	{name: "bin/su", typ: tar.TypeReg, mode: 0o4755, data: "\x7fELF fake"},
	{name: "etc/shadow-link", typ: tar.TypeSymlink, link: "../../../../etc/shadow", mode: 0o777},
	{name: "../../outside", typ: tar.TypeReg, mode: 0o644, data: "escape attempt"},
	{name: "dev/console", typ: tar.TypeChar, mode: 0o600},
	{name: "bin/su-hard", typ: tar.TypeLink, link: "bin/su"},
	{name: "home/user/", typ: tar.TypeDir, mode: 0o755, uid: 1000},
}

func makeTar(t testing.TB, es []entry) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range es {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: e.mode, Linkname: e.link, Size: int64(len(e.data)), Uid: e.uid, Devmajor: 5, Devminor: 1, Format: tar.FormatUSTAR}
		if e.typ != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if e.typ == tar.TypeReg {
			tw.Write([]byte(e.data))
		}
	}
	tw.Close()
	return buf.Bytes()
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func xzc(t testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	w, err := xz.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func zst(b []byte) []byte {
	e, _ := zstd.NewWriter(nil)
	return e.EncodeAll(b, nil)
}

// makeCPIO writes a newc archive (cpio(5)).
func makeCPIO(es []entry) []byte {
	var buf bytes.Buffer
	write := func(name string, mode uint32, uid int, data []byte, rmaj, rmin uint32) {
		fmt.Fprintf(&buf, "070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x", 1, mode, uid, 0, 1, 0, len(data), 0, 0, rmaj, rmin, len(name)+1, 0)
		buf.WriteString(name)
		buf.WriteByte(0)
		for buf.Len()%4 != 0 {
			buf.WriteByte(0)
		}
		buf.Write(data)
		for buf.Len()%4 != 0 {
			buf.WriteByte(0)
		}
	}
	for _, e := range es {
		mode := uint32(e.mode)
		data := []byte(e.data)
		var maj, min uint32
		switch e.typ {
		case tar.TypeReg:
			mode |= 0o100000
		case tar.TypeDir:
			mode |= 0o040000
		case tar.TypeSymlink:
			mode |= 0o120000
			data = []byte(e.link)
		case tar.TypeChar:
			mode |= 0o020000
			maj, min = 5, 1
		default:
			continue
		}
		write(strings.TrimSuffix(e.name, "/"), mode, e.uid, data, maj, min)
	}
	write("TRAILER!!!", 0, 0, nil, 0, 0)
	return buf.Bytes()
}

func byPath(r *Result) map[string]File {
	m := map[string]File{}
	for _, f := range r.Files {
		m[f.Path] = f
	}
	return m
}

func layerTypes(r *Result) string {
	var s []string
	for _, l := range r.Layers {
		x := fmt.Sprintf("%s@%d", l.Type, l.Offset)
		if l.Path != "" {
			x += " in " + l.Path
		}
		if l.Duplicate {
			x += " (dup)"
		}
		s = append(s, x)
	}
	return strings.Join(s, ", ")
}

func mustUnpack(t *testing.T, b []byte) *Result {
	t.Helper()
	r, err := Unpack(context.Background(), b, DefaultLimits())
	if err != nil {
		t.Fatalf("unpack: %v", err)
	}
	return r
}

func checkTree(t *testing.T, r *Result, withHardLink bool) {
	t.Helper()
	m := byPath(r)
	if f := m["/etc/passwd"]; f.Kind != KindFile || string(f.Data) != treeEntries[1].data || f.Mode != 0o644 || f.SHA256 == "" {
		t.Errorf("/etc/passwd: %+v", f)
	}
	if f := m["/bin/su"]; f.Mode != 0o4755 {
		t.Errorf("setuid bit lost: %o", f.Mode)
	}
	if f := m["/etc/shadow-link"]; f.Kind != KindSymlink || f.Link != "../../../../etc/shadow" {
		t.Errorf("symlink: %+v", f)
	}
	if f, ok := m["/outside"]; !ok || f.Kind != KindFile {
		t.Errorf("../../outside should be cleaned to /outside: %v", m)
	}
	if f := m["/dev/console"]; f.Kind != KindDevice || f.Major != 5 || f.Minor != 1 || f.Data != nil {
		t.Errorf("device node: %+v", f)
	}
	if withHardLink {
		if f := m["/bin/su-hard"]; string(f.Data) != treeEntries[2].data || f.Mode != 0o4755 {
			t.Errorf("hard link: %+v", f)
		}
	}
	if f := m["/home/user"]; f.Kind != KindDir || f.UID != 1000 {
		t.Errorf("dir owner: %+v", f)
	}
}

func TestTarAndCompressions(t *testing.T) {
	tb := makeTar(t, treeEntries)
	for _, c := range []struct {
		name   string
		data   []byte
		layers string
	}{
		{"tar", tb, "tar@0"},
		{"tar.gz", gz(tb), "gzip@0, tar@0"},
		{"tar.xz", xzc(t, tb), "xz@0, tar@0"},
		{"tar.zst", zst(tb), "zstd@0, tar@0"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := mustUnpack(t, c.data)
			if got := layerTypes(r); got != c.layers {
				t.Errorf("layers %q, want %q", got, c.layers)
			}
			checkTree(t, r, true)
		})
	}
}

func TestCPIO(t *testing.T) {
	cb := makeCPIO(treeEntries)
	for _, c := range []struct {
		name, layers string
		data         []byte
	}{{"cpio", "cpio@0", cb}, {"cpio.gz", "gzip@0, cpio@0", gz(cb)}} {
		r := mustUnpack(t, c.data)
		if got := layerTypes(r); got != c.layers {
			t.Errorf("%s: layers %q, want %q", c.name, got, c.layers)
		}
		checkTree(t, r, false)
	}
}

func TestCommittedImages(t *testing.T) {
	for _, c := range []struct {
		file, layers string
	}{
		{"rootfs.sqsh", "squashfs@0"},
		{"small-xz.sqsh", "squashfs@0"},
		{"small-lzo.sqsh", "squashfs@0"},
		{"small-zstd.sqsh", "squashfs@0"},
		{"small-lz4.sqsh", "squashfs@0"},
		{"files-lz4.sqsh", "squashfs@0"},
		{"files-lz4hc.sqsh", "squashfs@0"},
		{"files-lzma.sqsh", "squashfs@0"},
		{"files-gzip.sqsh", "squashfs@0"},
		{"small-ext4.img.gz", "gzip@0, ext4@0"},
		{"small-ext2.img.gz", "gzip@0, ext2@0"},
		{"small-ext3.img.gz", "gzip@0, ext3@0"},
		{"small-ext4-nocsum.img.gz", "gzip@0, ext4@0"},
		{"small.cpio.gz", "gzip@0, cpio@0"},
		{"ramdisk.uimg", "uimage@0, gzip@64, cpio@64"},
	} {
		t.Run(c.file, func(t *testing.T) {
			b := fixture(t, c.file)
			r := mustUnpack(t, b)
			if got := layerTypes(r); got != c.layers {
				t.Errorf("layers %q, want %q (warnings %v)", got, c.layers, r.Warnings)
			}
			m := byPath(r)
			if f := m["/etc/passwd"]; !strings.HasPrefix(string(f.Data), "root:x:0:0:") || f.UID != 0 {
				t.Errorf("/etc/passwd: %+v", f)
			}
		})
	}
}

func trx(parts ...[]byte) []byte {
	hdr := 28
	offs := []uint32{}
	at := hdr
	var body bytes.Buffer
	for _, p := range parts {
		for (at+body.Len())%4 != 0 {
			body.WriteByte(0)
		}
		offs = append(offs, uint32(at+body.Len()))
		body.Write(p)
	}
	for len(offs) < 3 {
		offs = append(offs, 0)
	}
	out := make([]byte, hdr)
	copy(out, "HDR0")
	binary.LittleEndian.PutUint32(out[4:], uint32(hdr+body.Len()))
	binary.LittleEndian.PutUint32(out[12:], 1<<16)
	for i, o := range offs {
		binary.LittleEndian.PutUint32(out[16+4*i:], o)
	}
	out = append(out, body.Bytes()...)
	binary.LittleEndian.PutUint32(out[8:], crc32.ChecksumIEEE(out[12:]))
	return out
}

func uimage(typ, comp byte, payload []byte) []byte {
	h := make([]byte, 64)
	binary.BigEndian.PutUint32(h, 0x27051956)
	binary.BigEndian.PutUint32(h[12:], uint32(len(payload)))
	binary.BigEndian.PutUint32(h[24:], crc32.ChecksumIEEE(payload))
	h[28], h[29], h[30], h[31] = 5, 5, typ, comp
	copy(h[32:], "Linux-5.4.1")
	binary.BigEndian.PutUint32(h[4:], crc32.ChecksumIEEE(h))
	return append(h, payload...)
}

// TestTRXWithKernelAndRootfs: a Broadcom-style TRX holding a uImage kernel
// (gzip) and a squashfs rootfs.
func TestTRXWithKernelAndRootfs(t *testing.T) {
	sq, _ := os.ReadFile("../testdata/small-xz.sqsh")
	kernel := uimage(2, 1, gz([]byte("\x00\x01boot code... Linux version 5.4.1 (builder@host) (gcc 8.4) #1 SMP\x00")))
	img := trx(kernel, sq)
	r := mustUnpack(t, img)
	kOff, sOff := 28, 28+len(kernel)
	for sOff%4 != 0 {
		sOff++
	}
	want := fmt.Sprintf("trx@0, uimage@%d, gzip@%d, squashfs@%d", kOff, kOff+64, sOff)
	if got := layerTypes(r); got != want {
		t.Errorf("layers %q, want %q", got, want)
	}
	var blob *File
	for i := range r.Files {
		if r.Files[i].Kind == KindBlob {
			blob = &r.Files[i]
		}
	}
	if blob == nil || !bytes.Contains(blob.Data, []byte("Linux version 5.4.1")) {
		t.Errorf("kernel kept as a blob: %+v", blob)
	}
	if _, ok := byPath(r)["/etc/hello"]; !ok {
		t.Error("rootfs files missing")
	}
}

func TestUImageMulti(t *testing.T) {
	a, b := makeTar(t, treeEntries[:2]), gz(makeCPIO(treeEntries[2:3]))
	var p bytes.Buffer
	binary.Write(&p, binary.BigEndian, uint32(len(a)))
	binary.Write(&p, binary.BigEndian, uint32(len(b)))
	binary.Write(&p, binary.BigEndian, uint32(0))
	p.Write(a)
	for p.Len()%4 != 0 {
		p.WriteByte(0)
	}
	p.Write(b)
	r := mustUnpack(t, uimage(4, 0, p.Bytes()))
	if !strings.HasPrefix(layerTypes(r), "uimage@0, tar@76, gzip@") {
		t.Errorf("layers %s", layerTypes(r))
	}
	m := byPath(r)
	if _, ok := m["/etc/passwd"]; !ok {
		t.Error("first sub-image")
	}
	if _, ok := m["/bin/su"]; !ok {
		t.Error("second sub-image")
	}
}

// TestCarving: a vendor blob with a squashfs and a tar.gz at odd offsets
// among random bytes; both are found and their offsets reported.
func TestCarving(t *testing.T) {
	sq, _ := os.ReadFile("../testdata/small-zstd.sqsh")
	tg := gz(makeTar(t, treeEntries))
	rng := rand.New(rand.NewSource(1))
	junk := func(n int) []byte { b := make([]byte, n); rng.Read(b); return b }
	var img bytes.Buffer
	img.Write([]byte("VENDORFW"))
	img.Write(junk(0x1234 - 8))
	sqOff := img.Len()
	img.Write(sq)
	img.Write(junk(777))
	tgOff := img.Len()
	img.Write(tg)
	img.Write(junk(100))
	r := mustUnpack(t, img.Bytes())
	want := fmt.Sprintf("squashfs@%d, gzip@%d, tar@%d", sqOff, tgOff, tgOff)
	if got := layerTypes(r); got != want {
		t.Errorf("layers %q, want %q", got, want)
	}
}

func TestUnknown(t *testing.T) {
	b := make([]byte, 4096)
	rand.New(rand.NewSource(2)).Read(b)
	if _, err := Unpack(context.Background(), b, DefaultLimits()); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("random bytes: %v", err)
	}
	// "ustar" in a binary without a valid header checksum is no tar.
	fake := make([]byte, 1024)
	copy(fake[257:], "ustar")
	if _, err := Unpack(context.Background(), fake, DefaultLimits()); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("fake ustar: %v", err)
	}
}

func TestLimits(t *testing.T) {
	bomb := gz(make([]byte, 20<<20)) // 20 MB of zeros in ~20 KB
	if _, err := Unpack(context.Background(), bomb, DefaultLimits()); !errors.Is(err, ErrLimit) {
		t.Errorf("gzip bomb: %v", err)
	}
	many := make([]entry, 50)
	for i := range many {
		many[i] = entry{name: fmt.Sprintf("f%d", i), typ: tar.TypeReg, mode: 0o644, data: "x"}
	}
	lim := DefaultLimits()
	lim.MaxFiles = 10
	if _, err := Unpack(context.Background(), makeTar(t, many), lim); !errors.Is(err, ErrLimit) {
		t.Errorf("file count: %v", err)
	}
	lim = DefaultLimits()
	lim.MaxTotalBytes = 1000
	big := []entry{{name: "big", typ: tar.TypeReg, mode: 0o644, data: strings.Repeat("y", 5000)}}
	if _, err := Unpack(context.Background(), makeTar(t, big), lim); !errors.Is(err, ErrLimit) {
		t.Errorf("total bytes: %v", err)
	}
	// Nesting deeper than MaxDepth stops with a warning, not a failure.
	nested := makeTar(t, treeEntries[:2])
	for i := 0; i < 12; i++ {
		nested = gz(nested)
	}
	r, err := Unpack(context.Background(), nested, DefaultLimits())
	if err != nil || len(r.Warnings) == 0 || !strings.Contains(r.Warnings[0], "nesting") {
		t.Errorf("depth: err %v warnings %v", err, r.Warnings)
	}
}

// TestIdenticalBlobsOnce: two identical archives inside an image are
// unpacked once; the second layer is marked Duplicate.
func TestIdenticalBlobsOnce(t *testing.T) {
	inner := gz(makeTar(t, treeEntries[:2]))
	outer := makeTar(t, []entry{
		{name: "a/update.tar.gz", typ: tar.TypeReg, mode: 0o644, data: string(inner)},
		{name: "b/update.tar.gz", typ: tar.TypeReg, mode: 0o644, data: string(inner)},
	})
	r := mustUnpack(t, outer)
	got := layerTypes(r)
	if !strings.Contains(got, "(dup)") || strings.Count(got, "tar@0 in /a/update.tar.gz") != 1 {
		t.Errorf("layers %s", got)
	}
	if _, ok := byPath(r)["/a/update.tar.gz!/etc/passwd"]; !ok {
		t.Errorf("nested path: %v", byPath(r))
	}
	n := 0
	for _, f := range r.Files {
		if strings.HasSuffix(f.Path, "!/etc/passwd") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("nested /etc/passwd listed %d times", n)
	}
}

func TestCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Unpack(ctx, makeTar(t, treeEntries), DefaultLimits()); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

var _ = io.EOF

// TestExtBigFile checks file content through indirect blocks (ext2/3)
// and extents (ext4), and symlinks, against what gen.sh wrote.
func TestExtBigFile(t *testing.T) {
	var want strings.Builder
	for i := 1; i <= 12500; i++ {
		fmt.Fprintf(&want, "%07d\n", i)
	}
	for _, name := range []string{"small-ext2.img.gz", "small-ext3.img.gz", "small-ext4.img.gz", "small-ext4-nocsum.img.gz"} {
		b, _ := os.ReadFile("../testdata/" + name)
		r := mustUnpack(t, b)
		m := byPath(r)
		if got := string(m["/big.txt"].Data); got != want.String() {
			t.Errorf("%s: big.txt differs (%d bytes, want %d)", name, len(got), want.Len())
		}
		if l := m["/passwd-link"]; l.Kind != KindSymlink || l.Link != "etc/passwd" {
			t.Errorf("%s: symlink %+v", name, l)
		}
	}
}

// checkGenImage unpacks the gen.sh image testdata/file: one layer of format
// kind at offset 0, whose detail names the byte order and nothing unreadable
// or damaged, holding the gen.sh tree (checkGenTree with withSize).
func checkGenImage(t *testing.T, file, kind, order string, withSize bool) {
	t.Helper()
	b := fixture(t, file)
	r := mustUnpack(t, b)
	if got := layerTypes(r); got != kind+"@0" {
		t.Errorf("layers %q", got)
	}
	if d := r.Layers[0].Detail; !strings.HasPrefix(d, order) || strings.Contains(d, "unreadable") || strings.Contains(d, "damaged") {
		t.Errorf("detail %q", d)
	}
	checkGenTree(t, r, withSize)
}

// checkGenTree checks the tree gen.sh builds the cramfs and JFFS2 images
// from, as unpacked in r: every entry kind, owners, modes and contents (a
// multi-block file and a sparse one). withSize also checks the size
// recorded for the multi-block file.
func checkGenTree(t *testing.T, r *Result, withSize bool) {
	t.Helper()
	var big bytes.Buffer
	for i := 1; i <= 2000; i++ {
		fmt.Fprintf(&big, "cramfs line %06d\n", i)
	}
	sparse := append(append([]byte("start"), make([]byte, 20000)...), "end"...)
	m := byPath(r)
	check := func(p string, kind Kind, mode uint32, uid, gid int) File {
		t.Helper()
		f, ok := m[p]
		if !ok {
			t.Fatalf("%s missing (have %d entries)", p, len(m))
		}
		if f.Kind != kind || f.Mode != mode || f.UID != uid || f.GID != gid {
			t.Errorf("%s: %s %o %d:%d, want %s %o %d:%d", p, f.Kind, f.Mode, f.UID, f.GID, kind, mode, uid, gid)
		}
		return f
	}
	if f := check("/usr/share/doc/big.txt", KindFile, 0o644, 1000, 100); !bytes.Equal(f.Data, big.Bytes()) || withSize && f.Size != int64(big.Len()) {
		t.Errorf("big.txt: %d bytes, want %d", len(f.Data), big.Len())
	}
	if f := check("/usr/share/doc/sparse.bin", KindFile, 0o644, 0, 0); !bytes.Equal(f.Data, sparse) {
		t.Errorf("sparse.bin: %d bytes", len(f.Data))
	}
	if f := check("/etc/passwd", KindFile, 0o644, 0, 0); !strings.HasPrefix(string(f.Data), "root:x:0:0:") {
		t.Errorf("passwd %q", f.Data)
	}
	check("/etc/init.d/rcS", KindFile, 0o755, 0, 0)
	check("/bin/su", KindFile, 0o4755, 0, 0)
	check("/etc/empty", KindFile, 0o644, 0, 0)
	check("/etc/init.d", KindDir, 0o755, 0, 0)
	if f := check("/etc/passwd-link", KindSymlink, 0o777, 0, 0); f.Link != "/etc/passwd" {
		t.Errorf("symlink target %q", f.Link)
	}
	if f := check("/dev/console", KindDevice, 0o644, 0, 0); f.Major != 5 || f.Minor != 1 {
		t.Errorf("console %d:%d", f.Major, f.Minor)
	}
	if f := check("/dev/mtdblock0", KindDevice, 0o644, 0, 0); f.Major != 31 || f.Minor != 0 {
		t.Errorf("mtdblock0 %d:%d", f.Major, f.Minor)
	}
	check("/dev/initctl", KindFifo, 0o644, 0, 0)
}
