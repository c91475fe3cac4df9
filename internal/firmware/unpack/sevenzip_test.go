package unpack

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"strings"
	"testing"

	"github.com/bodgit/sevenzip"
)

// TestSevenZip reads the archive gen.sh makes with 7z: a solid LZMA2
// folder of the cramfs tree (Unix modes kept, the symlink as a link) and
// an AES-encrypted entry, skipped and named.
func TestSevenZip(t *testing.T) {
	r := mustUnpack(t, fixture(t, "tree.7z"))
	if got := layerTypes(r); got != "7z@0" {
		t.Errorf("layers %q", got)
	}
	if d := r.Layers[0].Detail; d != "13 entries; 1 not read: /key.txt (encrypted)" {
		t.Errorf("detail %q", d)
	}
	if len(r.Warnings) != 1 || r.Warnings[0] != "image: 7z at offset 0: /key.txt (encrypted) not read" {
		t.Errorf("warnings %q", r.Warnings)
	}
	m := byPath(r)
	var big bytes.Buffer
	for i := 1; i <= 2000; i++ {
		big.WriteString("cramfs line " + strings.Repeat("0", 6-len(itoa(i))) + itoa(i) + "\n")
	}
	if f := m["/usr/share/doc/big.txt"]; !bytes.Equal(f.Data, big.Bytes()) || f.Size != 38000 {
		t.Errorf("big.txt: %d bytes", len(f.Data))
	}
	if f := m["/bin/su"]; f.Kind != KindFile || f.Mode != 0o4755 || string(f.Data) != "\x7fELF" {
		t.Errorf("su %+v", f)
	}
	if f := m["/etc/passwd-link"]; f.Kind != KindSymlink || f.Link != "/etc/passwd" {
		t.Errorf("symlink %+v", f)
	}
	if f := m["/etc/init.d"]; f.Kind != KindDir || f.Mode != 0o755 {
		t.Errorf("dir %+v", f)
	}
	if f := m["/etc/empty"]; f.Kind != KindFile || f.Size != 0 {
		t.Errorf("empty %+v", f)
	}
}

// TestSevenZipEntry: the entry a file record names, with Unix attributes
// (mode and type in the high 16 bits) or DOS ones (Windows: backslashes
// separate the path, 0x10 is a directory, no mode).
func TestSevenZipEntry(t *testing.T) {
	for _, c := range []struct {
		name  string
		attrs uint32
		want  File
	}{
		{`fw\bin\busybox`, 0x20, File{Inner: "/fw/bin/busybox", Kind: KindFile, Mode: 0o644}},
		{`fw\etc`, 0x10, File{Inner: "/fw/etc", Kind: KindDir, Mode: 0o755}},
		{"../../bin/su", 0x8000 | 0o104755<<16, File{Inner: "/bin/su", Kind: KindFile, Mode: 0o4755}},
		{`odd\name`, 0x8000 | 0o100644<<16, File{Inner: `/odd\name`, Kind: KindFile, Mode: 0o644}},
		{"bin/sh", 0x8000 | 0o120777<<16, File{Inner: "/bin/sh", Kind: KindSymlink, Mode: 0o777}},
	} {
		got := sevenZipEntry(&sevenzip.File{FileHeader: sevenzip.FileHeader{Name: c.name, Attributes: c.attrs}})
		if got.Inner != c.want.Inner || got.Kind != c.want.Kind || got.Mode != c.want.Mode {
			t.Errorf("%q %#x: %s %s %o, want %s %s %o", c.name, c.attrs, got.Inner, got.Kind, got.Mode, c.want.Inner, c.want.Kind, c.want.Mode)
		}
	}
}

func itoa(i int) string {
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

// TestSevenZipCarved: an archive after a vendor header and before padding
// is carved at its offset, and only its own bytes are read.
func TestSevenZipCarved(t *testing.T) {
	z := fixture(t, "tree.7z")
	blob := append(append(bytes.Repeat([]byte{0xa5}, 700), z...), bytes.Repeat([]byte{0xff}, 9000)...)
	r := mustUnpack(t, blob)
	if got := layerTypes(r); got != "7z@700" {
		t.Errorf("layers %q", got)
	}
	if sevenZipSize(blob[700:]) != int64(len(z)) {
		t.Errorf("sevenZipSize %d, want %d", sevenZipSize(blob[700:]), len(z))
	}
	if isSevenZip(append([]byte("7z\xbc\xaf\x27\x1c\x00\x04"), make([]byte, 40)...)) {
		t.Error("isSevenZip accepts a signature without its CRC")
	}
}

// sevenZipWith is a 7z archive whose (unencoded) header is hdr.
func sevenZipWith(hdr []byte) []byte {
	b := append([]byte("7z\xbc\xaf\x27\x1c\x00\x04"), make([]byte, 24)...)
	binary.LittleEndian.PutUint64(b[20:], uint64(len(hdr)))
	binary.LittleEndian.PutUint32(b[28:], crc32.ChecksumIEEE(hdr))
	binary.LittleEndian.PutUint32(b[8:], crc32.ChecksumIEEE(b[12:32]))
	return append(b, hdr...)
}

// TestSevenZipHostile: 20 MB of zeros in 3 KB (zeros.7z) is ErrLimit
// before anything is decompressed; a 40-byte header declaring 4 million
// files is refused before the reader allocates a record for each (it
// allocated 500 MB: third_party/sevenzip/RAMPART.md, patch 1).
func TestSevenZipHostile(t *testing.T) {
	var err error
	if got := allocated(func() { _, err = openSevenZip(fuzzUnpacker(), fixture(t, "zeros.7z")) }); !errors.Is(err, ErrLimit) || got > 8<<20 {
		t.Errorf("bomb: %v, %d bytes allocated", err, got)
	}
	// kHeader, kFilesInfo, 4 194 304 files (0xe0: three more bytes).
	many := sevenZipWith([]byte{0x01, 0x05, 0xe0, 0x00, 0x00, 0x40, 0x0e, 0x00, 0x00, 0x00})
	if !isSevenZip(many) {
		t.Fatal("crafted archive not recognised")
	}
	if got := allocated(func() { _, err = openSevenZip(fuzzUnpacker(), many) }); err == nil || !strings.HasPrefix(err.Error(), "7z: ") || got > 64<<20 {
		t.Errorf("4M files: %v, %d MiB allocated", err, got>>20)
	}
}

// TestSevenZipEncryptedHeader: an archive whose header is encrypted
// (7z -mhe) lists nothing; the layer fails with a message saying why, and
// the analysis names it.
func TestSevenZipEncryptedHeader(t *testing.T) {
	b := fixture(t, "hidden.7z")
	if _, err := openSevenZip(fuzzUnpacker(), b); err == nil || err.Error() != "7z: the header is encrypted (7z -mhe): no entry can be listed" {
		t.Errorf("err %v", err)
	}
	r, err := Unpack(context.Background(), b, DefaultLimits())
	if !errors.Is(err, ErrUnknownFormat) || len(r.Warnings) != 1 || !strings.HasPrefix(r.Warnings[0], "image: looks like 7z but does not unpack: 7z: the header is encrypted") {
		t.Errorf("%v, warnings %q", err, r.Warnings)
	}
}

func FuzzSevenZip(f *testing.F) {
	fuzzMatched(f, isSevenZip, openSevenZip, sevenZipWith([]byte{0x01, 0x05, 0x01, 0x00}))
}
