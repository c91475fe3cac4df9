package unpack

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"strings"
	"testing"
)

// TestAndroidSparse expands the image gen.sh makes with img2simg (raw and
// fill chunks of 1 KiB blocks) to exactly the ext4 image it was made from,
// and reads the files in it.
func TestAndroidSparse(t *testing.T) {
	img := fixture(t, "android-ext4.simg")
	raw := gunzipFixture(t, "android-ext4.img.gz")
	c, err := openSparse(fuzzUnpacker(), img)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.nested) != 1 || !bytes.Equal(c.nested[0].data, raw) || c.used != int64(len(img)) {
		t.Fatalf("expanded image differs from the raw one (%d nested)", len(c.nested))
	}
	if c.detail != "7 chunks, 256 blocks of 1024 bytes (35 raw, 221 fill, 0 don't care)" {
		t.Errorf("detail %q", c.detail)
	}
	r := mustUnpack(t, img)
	if got := layerTypes(r); got != "android-sparse@0, ext4@0" {
		t.Errorf("layers %q", got)
	}
	m := byPath(r)
	var lines strings.Builder
	for i := 1; i <= 300; i++ {
		fmt.Fprintf(&lines, "sparse line %05d\n", i)
	}
	if string(m["/system/etc/passwd"].Data) != "root:x:0:0:root:/root:/system/bin/sh\nshell:x:2000:2000::/:/system/bin/sh\n" ||
		string(m["/system/etc/lines.txt"].Data) != lines.String() ||
		!strings.HasPrefix(string(m["/system/build.prop"].Data), "ro.build.fingerprint=rampart/test/1:14/") ||
		m["/system/bin/sh"].Link != "/system/bin/toybox" {
		t.Errorf("files: %v", m)
	}
	// A fastboot package: the sparse image inside a zip.
	z := makeZip(t, zipEntrySpec{"system.img", img})
	if got := layerTypes(mustUnpack(t, z)); got != "zip@0, android-sparse@0 in /system.img, ext4@0 in /system.img" {
		t.Errorf("zip of sparse: %q", got)
	}
}

type sparseChunk struct {
	typ    uint16
	blocks uint32
	data   []byte
}

// makeSparse writes a sparse file as sparse_format.h lays it out.
func makeSparse(blk uint32, chunks ...sparseChunk) []byte {
	var total uint32
	for _, c := range chunks {
		if c.typ != sparseCRC {
			total += c.blocks
		}
	}
	b := binary.LittleEndian.AppendUint32(nil, sparseMagic)
	b = binary.LittleEndian.AppendUint16(b, 1)
	b = binary.LittleEndian.AppendUint16(b, 0)
	b = binary.LittleEndian.AppendUint16(b, sparseHeaderLen)
	b = binary.LittleEndian.AppendUint16(b, sparseChunkLen)
	for _, v := range []uint32{blk, total, uint32(len(chunks)), 0} {
		b = binary.LittleEndian.AppendUint32(b, v)
	}
	for _, c := range chunks {
		b = binary.LittleEndian.AppendUint16(b, c.typ)
		b = binary.LittleEndian.AppendUint16(b, 0)
		b = binary.LittleEndian.AppendUint32(b, c.blocks)
		b = binary.LittleEndian.AppendUint32(b, uint32(sparseChunkLen+len(c.data)))
		b = append(b, c.data...)
	}
	return b
}

// TestAndroidSparseChunks: fill values repeat, don't-care blocks are zeros,
// CRC chunks are checked; a don't-care chunk claiming 16 TiB is refused
// before anything is allocated; damaged chunk tables are errors naming the
// chunk and its offset.
func TestAndroidSparseChunks(t *testing.T) {
	rawBlk := bytes.Repeat([]byte("RAW!"), 4)
	want := append(append(append([]byte(nil), rawBlk...), bytes.Repeat([]byte{1, 2, 3, 4}, 8)...), make([]byte, 16)...)
	sum := binary.LittleEndian.AppendUint32(nil, crc32.ChecksumIEEE(want))
	img := makeSparse(16, sparseChunk{sparseRaw, 1, rawBlk}, sparseChunk{sparseFill, 2, []byte{1, 2, 3, 4}}, sparseChunk{sparseDontCare, 1, nil}, sparseChunk{sparseCRC, 0, sum})
	c, err := openSparse(fuzzUnpacker(), img)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(c.nested[0].data, want) || strings.Contains(c.detail, "mismatch") {
		t.Errorf("expanded %x, detail %q", c.nested[0].data, c.detail)
	}
	bad := append([]byte(nil), img...)
	bad[len(bad)-1] ^= 1
	if c, _ := openSparse(fuzzUnpacker(), bad); !strings.Contains(c.detail, "CRC32 mismatch: [chunk 3 at offset 84]") {
		t.Errorf("bad CRC: %q", c.detail)
	}

	huge := makeSparse(4096, sparseChunk{sparseDontCare, 0xffffffff, nil})
	var herr error
	if got := allocated(func() { _, herr = openSparse(fuzzUnpacker(), huge) }); got > 1<<20 {
		t.Errorf("a 16 TiB don't-care chunk allocated %d MiB", got>>20)
	}
	if !errors.Is(herr, errSparseTooBig) || errors.Is(herr, ErrLimit) {
		t.Errorf("16 TiB: %v", herr)
	}
	r, err := Unpack(context.Background(), huge, DefaultLimits())
	if !errors.Is(err, ErrUnknownFormat) || r == nil || len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "image: looks like android-sparse but does not unpack: android sparse image expands past the ratio limit") {
		t.Errorf("Unpack of 16 TiB: %v %+v", err, r)
	}
	// Block sizes near 4 GiB must not overflow the size computation.
	if _, err := openSparse(fuzzUnpacker(), makeSparse(0xfffffffc, sparseChunk{sparseDontCare, 0xffffffff, nil})); !errors.Is(err, errSparseTooBig) {
		t.Errorf("overflow: %v", err)
	}

	for _, tc := range []struct {
		img  []byte
		want string
	}{
		{img[:60], "chunk 1 header at offset 56 past the end of the file (60 bytes)"},
		{img[:70], "chunk 1 at offset 56: 16 bytes past the end of the file (70 bytes)"},
		{makeSparse(16, sparseChunk{sparseRaw, 2, rawBlk}), "chunk 0 (type 0xcac1) at offset 28: 28 bytes, not 44"},
		{makeSparse(16, sparseChunk{0xcaff, 1, nil}), "chunk 0 at offset 28: unknown type 0xcaff"},
		{blocks(makeSparse(16, sparseChunk{sparseRaw, 1, rawBlk}), 0), "chunk 0 at offset 28: 1 blocks past the 0 of the image"},
		{blocks(makeSparse(16, sparseChunk{sparseRaw, 1, rawBlk}), 255), "chunks cover 1 of 255 blocks"},
		{img[:20], "android sparse: bad file header"},
	} {
		if _, err := openSparse(fuzzUnpacker(), tc.img); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want %q", err, tc.want)
		}
	}
}

// blocks sets the total block count of a sparse file's header.
func blocks(b []byte, n uint32) []byte {
	binary.LittleEndian.PutUint32(b[16:], n)
	return b
}

func FuzzAndroidSparse(f *testing.F) {
	fuzzMatched(f, isSparse, openSparse, makeSparse(16, sparseChunk{sparseRaw, 1, bytes.Repeat([]byte("RAW!"), 4)}, sparseChunk{sparseFill, 2, []byte{1, 2, 3, 4}}, sparseChunk{sparseDontCare, 1, nil}, sparseChunk{sparseCRC, 0, []byte{0, 0, 0, 0}}))
}
