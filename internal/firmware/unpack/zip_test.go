package unpack

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// zipBigTxt is fw/doc/big.txt of testdata/firmware.zip (gen.sh: seq -f
// "zip line %05g" 1 500).
func zipBigTxt() string {
	var s strings.Builder
	for i := 1; i <= 500; i++ {
		fmt.Fprintf(&s, "zip line %05d\n", i)
	}
	return s.String()
}

// TestZip reads the archive gen.sh makes with Info-ZIP zip: stored and
// deflated files, directories, a Unix symlink, a nested gzip'd cpio that
// is unpacked in turn, and an encrypted entry named in the detail.
func TestZip(t *testing.T) {
	r := mustUnpack(t, fixture(t, "firmware.zip"))
	if got := layerTypes(r); got != "zip@0, gzip@0 in /fw/rootfs.cpio.gz, cpio@0 in /fw/rootfs.cpio.gz" {
		t.Errorf("layers %q", got)
	}
	if d := r.Layers[0].Detail; d != "6 entries; 1 not read: /fw/secret.txt (encrypted)" {
		t.Errorf("detail %q", d)
	}
	if len(r.Warnings) != 1 || r.Warnings[0] != "image: zip at offset 0: /fw/secret.txt (encrypted) not read" {
		t.Errorf("warnings %q", r.Warnings)
	}
	m := byPath(r)
	if f := m["/fw/doc/README.txt"]; string(f.Data) != "Firmware 1.2.3 release notes\nFixed: telnetd removed\n" || f.Mode != 0o644 || f.Kind != KindFile {
		t.Errorf("README: %+v", f)
	}
	if f := m["/fw/doc/big.txt"]; string(f.Data) != zipBigTxt() || f.Size != 7500 {
		t.Errorf("big.txt (deflated): %d bytes", len(f.Data))
	}
	if f := m["/fw/notes"]; f.Kind != KindSymlink || f.Link != "doc/README.txt" {
		t.Errorf("symlink: %+v", f)
	}
	if f := m["/fw/doc"]; f.Kind != KindDir || f.Mode != 0o755 {
		t.Errorf("dir: %+v", f)
	}
	if f, ok := m["/fw/secret.txt"]; ok {
		t.Errorf("encrypted entry listed: %+v", f)
	}
	if f := m["/fw/rootfs.cpio.gz!/etc/passwd"]; f.Kind != KindFile || !strings.HasPrefix(string(f.Data), "root:") {
		t.Errorf("nested cpio passwd: %+v", f)
	}
}

// TestZipCarved: a zip after a vendor header and before trailing padding
// is carved at its offset, and only its own bytes are read.
func TestZipCarved(t *testing.T) {
	z := fixture(t, "firmware.zip")
	blob := append(append(bytes.Repeat([]byte{0xa5}, 300), z...), bytes.Repeat([]byte{0xff}, 70000)...)
	r := mustUnpack(t, blob)
	if got := layerTypes(r); !strings.HasPrefix(got, "zip@300, gzip@0 in /fw/rootfs.cpio.gz") {
		t.Errorf("layers %q", got)
	}
	if zipSize(blob[300:]) != int64(len(z)) {
		t.Errorf("zipSize %d, want %d", zipSize(blob[300:]), len(z))
	}
	// A local header whose end record does not point back to it is not a zip.
	if isZip(blob[300+30:]) || isZip([]byte("PK\x03\x04 not a zip at all, only its signature....")) {
		t.Error("isZip accepts a stray signature")
	}
}

type zipEntrySpec struct {
	name string
	data []byte
}

func makeZip(t testing.TB, es ...zipEntrySpec) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, e := range es {
		f, err := w.Create(e.name)
		if err != nil {
			t.Fatal(err)
		}
		f.Write(e.data)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestZipHostile: names climbing out of the archive are cleaned, entries
// sharing compressed data (the overlapping-file zip bomb) are skipped and
// named, and a deflate bomb or a size claimed far past the input is
// ErrLimit without being allocated.
func TestZipHostile(t *testing.T) {
	r := mustUnpack(t, makeZip(t, zipEntrySpec{"../../etc/shadow", []byte("root::0:")}, zipEntrySpec{"/abs/x", []byte("x")}))
	m := byPath(r)
	if string(m["/etc/shadow"].Data) != "root::0:" || string(m["/abs/x"].Data) != "x" {
		t.Errorf("cleaned names: %v", layerTypes(r))
	}

	// Point the second central directory record at the first local header.
	z := makeZip(t, zipEntrySpec{"a.txt", bytes.Repeat([]byte("a"), 100)}, zipEntrySpec{"b.txt", bytes.Repeat([]byte("b"), 100)})
	cd := bytes.LastIndex(z, []byte("PK\x01\x02"))
	binary.LittleEndian.PutUint32(z[cd+42:], 0)
	c, err := openZip(fuzzUnpacker(), z)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.files) != 1 || c.files[0].Inner != "/a.txt" || !strings.Contains(c.detail, "/b.txt (data at offset 35 overlaps /a.txt)") {
		t.Errorf("overlap: %d files, detail %q", len(c.files), c.detail)
	}

	// 20 MB of zeros deflate to about 20 KB: past the ratio limit of 200.
	bomb := makeZip(t, zipEntrySpec{"zeros", make([]byte, 20<<20)})
	if _, err := Unpack(context.Background(), bomb, DefaultLimits()); !errors.Is(err, ErrLimit) {
		t.Errorf("deflate bomb: %v", err)
	}

	// A stored entry whose central directory claims 1 TiB.
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	fw, _ := w.CreateRaw(&zip.FileHeader{Name: "huge", Method: zip.Store, CompressedSize64: 4, UncompressedSize64: 1 << 40})
	fw.Write([]byte("tiny"))
	w.Close()
	var uerr error
	if got := allocated(func() { _, uerr = Unpack(context.Background(), buf.Bytes(), DefaultLimits()) }); got > 16<<20 {
		t.Errorf("1 TiB claim allocated %d MiB", got>>20)
	}
	if !errors.Is(uerr, ErrLimit) || !strings.Contains(uerr.Error(), "zip entry huge") {
		t.Errorf("1 TiB claim: %v", uerr)
	}

	// More entries than MaxFiles.
	many := make([]zipEntrySpec, 50)
	for i := range many {
		many[i] = zipEntrySpec{fmt.Sprintf("f%d", i), []byte("x")}
	}
	if _, err := openZip(&unpacker{ctx: context.Background(), lim: Limits{MaxTotalBytes: 1 << 20, MaxFiles: 10, MaxRatio: 200}}, makeZip(t, many...)); !errors.Is(err, ErrLimit) {
		t.Errorf("entry count: %v", err)
	}

	// A corrupt central directory is an error naming zip, never a panic.
	bad := append([]byte(nil), z...)
	binary.LittleEndian.PutUint16(bad[len(bad)-12:], 0xffff) // records in the directory
	binary.LittleEndian.PutUint16(bad[len(bad)-14:], 0xffff)
	if _, err := openZip(fuzzUnpacker(), bad); err == nil || !strings.HasPrefix(err.Error(), "zip: ") {
		t.Errorf("bad directory record count: %v", err)
	}
}

// TestZipInFilesystem: a zip file inside a filesystem (an application
// archive such as a .jar) stays a file; inside a tar it is unpacked.
func TestZipInFilesystem(t *testing.T) {
	z := fixture(t, "firmware.zip")
	if !(format{name: "zip"}).opensInside("tar") || (format{name: "zip"}).opensInside("squashfs") {
		t.Error("opensInside")
	}
	r := mustUnpack(t, makeTar(t, []entry{{name: "fw.zip", mode: 0o644, typ: tar.TypeReg, data: string(z)}}))
	if got := layerTypes(r); !strings.HasPrefix(got, "tar@0, zip@0 in /fw.zip") {
		t.Errorf("zip in tar: %q", got)
	}
}

func FuzzZip(f *testing.F) {
	fuzzMatched(f, isZip, openZip, makeZip(f, zipEntrySpec{"a/b", []byte("hello")}, zipEntrySpec{"../c", nil}))
}
