package unpack

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// fuzzSeed reads the []byte input of a seed in testdata/fuzz/TARGET/NAME.
func fuzzSeed(t *testing.T, target, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile("testdata/fuzz/" + target + "/" + name)
	if err != nil {
		t.Fatal(err)
	}
	lit := strings.TrimSpace(strings.SplitN(string(raw), "\n", 2)[1])
	b, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lit, "[]byte("), ")"))
	if err != nil {
		t.Fatal(err)
	}
	return []byte(b)
}

// fixture reads a file of ../testdata.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// gunzipFixture reads a gzip-compressed file of ../testdata.
func gunzipFixture(t testing.TB, name string) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(fixture(t, name)))
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// unpackBounded unpacks img with the default limits, failing the test if
// that allocated more than max bytes in all.
func unpackBounded(t *testing.T, img []byte, max uint64) *Result {
	t.Helper()
	var r *Result
	var err error
	if got := allocated(func() { r, err = Unpack(context.Background(), img, DefaultLimits()) }); got > max {
		t.Errorf("unpacking %d KB allocated %d MiB", len(img)>>10, got>>20)
	}
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestSquashfsCorruptSizesBounded: a 600-byte squashfs whose fragment
// entry claims a 4 GiB block once made the reader allocate 16 GiB (the
// fuzzer found it). Block sizes, fragment offsets and symlink targets are
// now checked before anything is allocated.
func TestSquashfsCorruptSizesBounded(t *testing.T) {
	img := fuzzSeed(t, "FuzzUnpack", "025d286c4a4a7c37")
	got := allocated(func() { _, _ = Unpack(context.Background(), img, fuzzLimits()) })
	if got > 64<<20 {
		t.Errorf("unpacking %d bytes allocated %d MiB", len(img), got>>20)
	}
}

// TestJFFS2DeviceOffsetBounded: a 112-byte JFFS2 image whose device node
// has a zero-compressed fragment at offset 0xfff00000 made the reader
// allocate 4 GiB (a device node's data was read to the fragments' extent,
// which the image states). A device node's data is its device number, at
// most 4 bytes: the fragment is refused and the layer's detail names the
// device and the node.
func TestJFFS2DeviceOffsetBounded(t *testing.T) {
	img := fuzzSeed(t, "FuzzJFFS2", "device-offset-4g")
	var c contents
	var err error
	got := allocated(func() { c, err = openJFFS2(fuzzUnpacker(), img) })
	if got > 1<<20 {
		t.Errorf("reading %d bytes allocated %d MiB", len(img), got>>20)
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(c.files) != 1 || c.files[0].Kind != KindDevice || c.files[0].Inner != "/dev" {
		t.Fatalf("files %+v", c.files)
	}
	want := "device /dev unreadable: node at 44: fragment at 4293918720 of 4 bytes outside the 4 bytes of a device number"
	if !strings.Contains(c.detail, want) {
		t.Errorf("detail %q, want it to contain %q", c.detail, want)
	}
}

// TestSparseFilesBounded: a sparse file's holes cost nothing in an image,
// so a 108-byte tar.gz, a 4 KiB squashfs or a 1 KiB ext2.gz holding a
// 1 GiB hole made the unpacker allocate (and zero) 1 to 3 GiB under the
// default limits. What the files of a tar, squashfs or ext image claim is
// now bounded by the ratio limit, like cramfs and JFFS2, and the error
// names the file.
func TestSparseFilesBounded(t *testing.T) {
	names := map[string]string{ // fixture → what the error names
		"sparse.tar.gz":      "tar entry big: ",
		"sparse.sqsh":        "file /big: ",
		"sparse-ext2.img.gz": "file /big (inode 12): ",
	}
	for file, want := range names {
		b := fixture(t, file)
		var err error
		if got := allocated(func() { _, err = Unpack(context.Background(), b, DefaultLimits()) }); got > 64<<20 {
			t.Errorf("%s: allocated %d MiB", file, got>>20)
		}
		if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "ratio limit 200") {
			t.Errorf("%s: err %v, want ErrLimit naming %q and the ratio limit", file, err, want)
		}
	}
}

// TestExt4SparseFiles: go-diskfs reads a hole in the middle of a file as
// the bytes before the next extent and never ends reading a hole at the
// end (a sparse file hung the unpacker); an image with a sparse file is
// read by the built-in reader, which reads holes as zeros.
func TestExt4SparseFiles(t *testing.T) {
	r, err := Unpack(context.Background(), fixture(t, "sparse-ext4.img.gz"), DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if got := layerTypes(r); got != "gzip@0, ext4@0" {
		t.Errorf("layers %q", got)
	}
	if d := r.Layers[1].Detail; !strings.Contains(d, "built-in reader") || strings.Contains(d, "unreadable") {
		t.Errorf("detail %q", d)
	}
	mid := append(append([]byte("head\n"), make([]byte, 9000-5)...), "tail\n"...)
	want := map[string][]byte{"/mid": mid, "/end": append([]byte("data\n"), make([]byte, 20000-5)...), "/plain": []byte("plain\n")}
	for _, f := range r.Files {
		if f.Kind != KindFile {
			continue
		}
		if w, ok := want[f.Inner]; !ok || !bytes.Equal(f.Data, w) {
			t.Errorf("%s: %d bytes, not the %d bytes written", f.Inner, len(f.Data), len(w))
		}
		delete(want, f.Inner)
	}
	for p := range want {
		t.Errorf("%s missing", p)
	}
}

// TestJFFS2HardLinksReadOnce: an inode's data was read (and its
// zero-compressed fragments allocated) once per entry linking it: 400
// links to an inode of 1 200 zero-compressed 4 KiB nodes, a 96 KB image,
// cost 1.5 s and 1.9 GB. It is read once, and a zero fragment allocates
// nothing.
func TestJFFS2HardLinksReadOnce(t *testing.T) {
	var img []byte
	for i := range 400 {
		img = append(img, jffs2DirentNode(1, 2, 1, fmt.Sprintf("f%d", i))...)
	}
	for i := range 1200 {
		img = append(img, jffs2InodeNode(2, uint32(1+i), 0o100644, 4096, 0, 4096, 1)...)
	}
	u := fuzzUnpacker()
	u.lim = DefaultLimits()
	var c contents
	var err error
	if got := allocated(func() { c, err = openJFFS2(u, img) }); got > 16<<20 {
		t.Errorf("reading %d KB allocated %d MiB", len(img)>>10, got>>20)
	}
	if err != nil || len(c.files) != 400 {
		t.Fatalf("%d files, %v", len(c.files), err)
	}
	for _, f := range c.files {
		if !bytes.Equal(f.Data, make([]byte, 4096)) {
			t.Fatalf("%s: %d bytes, not 4096 zeros", f.Inner, len(f.Data))
		}
	}
}

// jffs2DirentNode is a little-endian dirent node linking name in pino to
// ino (a regular file).
func jffs2DirentNode(pino, ino, ver uint32, name string) []byte {
	le := binary.LittleEndian
	d := make([]byte, 40)
	le.PutUint16(d, jffs2Magic)
	le.PutUint16(d[2:], jffs2Dirent)
	le.PutUint32(d[4:], uint32(40+len(name)))
	le.PutUint32(d[8:], jffs2CRC(d[:8]))
	le.PutUint32(d[12:], pino)
	le.PutUint32(d[16:], ver)
	le.PutUint32(d[20:], ino)
	d[28] = byte(len(name))
	d[29] = 8
	le.PutUint32(d[32:], jffs2CRC(d[:32]))
	le.PutUint32(d[36:], jffs2CRC([]byte(name)))
	d = append(d, name...)
	for len(d)%4 != 0 {
		d = append(d, 0xff)
	}
	return d
}

// jffs2InodeNode is a little-endian inode node without data bytes (compr
// 1 is a zero-compressed fragment of dsize bytes).
func jffs2InodeNode(ino, ver, mode, isize, offset, dsize uint32, compr byte) []byte {
	le := binary.LittleEndian
	in := make([]byte, 68)
	le.PutUint16(in, jffs2Magic)
	le.PutUint16(in[2:], jffs2Inode)
	le.PutUint32(in[4:], 68)
	le.PutUint32(in[8:], jffs2CRC(in[:8]))
	le.PutUint32(in[12:], ino)
	le.PutUint32(in[16:], ver)
	le.PutUint32(in[20:], mode)
	le.PutUint32(in[28:], isize)
	le.PutUint32(in[44:], offset)
	le.PutUint32(in[52:], dsize)
	in[56] = compr
	le.PutUint32(in[60:], jffs2CRC(nil))
	le.PutUint32(in[64:], jffs2CRC(in[:60]))
	return in
}

// TestSquashfsManySmallFiles: every file of a squashfs was opened by path,
// which reads each directory on the path again, and its tail re-read by
// decompressing its whole fragment block: an 80 KB image (mksquashfs, 1 MiB
// blocks) of 2 000 small files in one directory and one fragment block
// allocated gigabytes (5 000 such files: 33 s, 20 GB). A directory is read
// once for its files and the last fragment block is kept (the
// third_party/squashfs patch).
func TestSquashfsManySmallFiles(t *testing.T) {
	img := fixture(t, "many-small.sqsh")
	r := unpackBounded(t, img, 512<<20)
	files := 0
	for _, f := range r.Files {
		if f.Kind != KindFile {
			continue
		}
		files++
		n := strings.TrimPrefix(f.Inner, "/d/f")
		var want strings.Builder
		for i := 1; i <= 12; i++ {
			fmt.Fprintf(&want, "file %s line %d\n", n, i)
		}
		if string(f.Data) != want.String() {
			t.Fatalf("%s: %q", f.Inner, f.Data)
		}
	}
	if files != 2000 || strings.Contains(r.Layers[0].Detail, "unreadable") {
		t.Errorf("%d files, detail %q", files, r.Layers[0].Detail)
	}
}
