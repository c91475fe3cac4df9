package unpack

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/pierrec/lz4/v4"
)

// erofsBlocksBin is usr/share/doc/blocks.bin of the EROFS images (gen.sh:
// seq -f "block %07g" 1 1024 | head -c 8192), two whole blocks.
func erofsBlocksBin() []byte {
	var b bytes.Buffer
	for i := 1; b.Len() < 8192; i++ {
		fmt.Fprintf(&b, "block %07d\n", i)
	}
	return b.Bytes()[:8192]
}

// TestErofs reads the images gen.sh makes with mkfs.erofs from the cramfs
// tree: compact inodes with flat (blocks.bin) and tail-packed data (big.txt:
// 9 blocks, then 1136 bytes packed after its inode), and extended inodes
// with chunk indexes and a hole (sparse.bin); every entry kind, owners,
// modes (the setuid /bin/su) and contents.
func TestErofs(t *testing.T) {
	for _, file := range []string{"plain.erofs", "chunked.erofs"} {
		t.Run(file, func(t *testing.T) {
			checkGenImage(t, file, "erofs", "block size 4096", true)
			r := mustUnpack(t, fixture(t, file))
			if d := r.Layers[0].Detail; d != "block size 4096, 18 entries" {
				t.Errorf("detail %q", d)
			}
			if f := byPath(r)["/usr/share/doc/blocks.bin"]; !bytes.Equal(f.Data, erofsBlocksBin()) {
				t.Errorf("blocks.bin: %d bytes", len(f.Data))
			}
		})
	}
}

// TestErofsCompressed reads the LZ4 images gen.sh makes: mkfs.erofs
// -zlz4hc and -zlz4 (compact cluster indexes), -C16384 (big physical
// clusters, their block counts in the index), -Elegacy-compress (the full
// 8-byte index, no zero padding) and -Eztailpacking (the last pcluster
// inline): the whole tree and long.txt (36 logical clusters) decode, and
// each image holds the layout it is named for (big.txt's inode).
func TestErofsCompressed(t *testing.T) {
	for _, c := range []struct {
		file   string
		layout int
		big    bool
		inline bool
	}{
		{"lz4hc.erofs", erofsCompressedComp, false, false},
		{"lz4.erofs", erofsCompressedComp, false, false},
		{"lz4-big.erofs", erofsCompressedComp, true, false},
		{"lz4-legacy.erofs", erofsCompressedFull, false, false},
		{"lz4-ztail.erofs", erofsCompressedComp, false, true},
	} {
		t.Run(c.file, func(t *testing.T) {
			checkGenImage(t, c.file, "erofs", "block size 4096", true)
			b := fixture(t, c.file)
			r := mustUnpack(t, b)
			if d := r.Layers[0].Detail; d != "block size 4096, 19 entries, lz4-compressed files" {
				t.Errorf("detail %q", d)
			}
			if len(r.Warnings) > 0 {
				t.Errorf("warnings %q", r.Warnings)
			}
			img := erofsOf(b)
			_, nid := erofsEntry(t, b, "/usr/share/doc/big.txt")
			n, err := img.inode(nid)
			if err != nil {
				t.Fatal(err)
			}
			m, err := img.zmap(n)
			if err != nil || n.layout != c.layout || m.big != c.big || (m.inline > 0) != c.inline {
				t.Errorf("big.txt: layout %d, big pclusters %v, inline %v (%v), want %d, %v, %v", n.layout, m != nil && m.big, m != nil && m.inline > 0, err, c.layout, c.big, c.inline)
			}
			var long bytes.Buffer
			for i := 1; i <= 8000; i++ {
				fmt.Fprintf(&long, "long line %07d\n", i)
			}
			if f := byPath(r)["/usr/share/doc/long.txt"]; !bytes.Equal(f.Data, long.Bytes()) {
				t.Errorf("long.txt: %d bytes, want %d", len(f.Data), long.Len())
			}
			// 36 lclusters: with COMPACTED_2B, 2-byte records after the
			// first 4-byte ones.
			_, nid = erofsEntry(t, b, "/usr/share/doc/long.txt")
			n, _ = img.inode(nid)
			if m, err := img.zmap(n); c.layout == erofsCompressedComp && !c.big && (err != nil || m.c2b == 0) {
				t.Errorf("long.txt: no 2-byte records (%v)", err)
			}
		})
	}
}

// TestErofsUnreadable: a file whose map header names an algorithm the
// reader does not know (7; Linux knows 0 to 3) is listed with its mode and
// owner and named in the warnings; the rest of the image is read. One
// whose map header names LZMA over LZ4 data is an error naming the file,
// the extent and the pcluster.
func TestErofsUnreadable(t *testing.T) {
	b := fixture(t, "lz4hc.erofs")
	img := erofsOf(b)
	_, nid := erofsEntry(t, b, "/usr/share/doc/big.txt")
	n, _ := img.inode(nid)
	lzmaOverLZ4 := append([]byte(nil), b...)
	lzmaOverLZ4[(n.end+7)&^7+6] = 1 // h_algorithmtype: LZMA
	b[(n.end+7)&^7+6] = 7
	r := mustUnpack(t, b)
	if d := r.Layers[0].Detail; d != "block size 4096, 19 entries, lz4-compressed files, unknown-compressed files, 1 unreadable" {
		t.Errorf("detail %q", d)
	}
	want := "image: erofs at offset 0: file /usr/share/doc/big.txt (nid 81): compressed with unknown algorithm 7 (not decompressed) not read"
	if len(r.Warnings) != 1 || r.Warnings[0] != want {
		t.Errorf("warnings %q", r.Warnings)
	}
	m := byPath(r)
	if f := m["/usr/share/doc/big.txt"]; f.Kind != KindFile || f.UID != 1000 || f.GID != 100 || f.Data != nil {
		t.Errorf("big.txt: %s %d:%d, %d bytes", f.Kind, f.UID, f.GID, len(f.Data))
	}
	if f := m["/usr/share/doc/blocks.bin"]; !bytes.Equal(f.Data, erofsBlocksBin()) {
		t.Errorf("blocks.bin: %d bytes", len(f.Data))
	}
	r = mustUnpack(t, lzmaOverLZ4)
	want = "image: erofs at offset 0: file /usr/share/doc/big.txt (nid 81): extent at 0 (lcluster 0): pcluster at block 1: lzma: "
	if len(r.Warnings) != 1 || !strings.HasPrefix(r.Warnings[0], want) {
		t.Errorf("LZMA over LZ4: warnings %q", r.Warnings)
	}
}

// erofsOf is the image b as openErofs reads it.
func erofsOf(b []byte) *erofsImage {
	sb := b[erofsSuperOffset:]
	img := &erofsImage{b: b, blkBits: uint(sb[12]), blk: 1 << sb[12], incompat: binary.LittleEndian.Uint32(sb[80:])}
	img.meta = int64(binary.LittleEndian.Uint32(sb[40:])) << img.blkBits
	img.packedNid = binary.LittleEndian.Uint64(sb[96:])
	return img
}

// erofsEntry finds the dirent of p (a path from the root) in an EROFS
// image: the byte offset of its nid field, and its nid.
func erofsEntry(t *testing.T, b []byte, p string) (at int64, nid uint64) {
	t.Helper()
	img := erofsOf(b)
	nid = uint64(binary.LittleEndian.Uint16(b[erofsSuperOffset+14:]))
	for _, name := range strings.Split(strings.Trim(p, "/"), "/") {
		n, err := img.inode(nid)
		if err != nil || n.layout != erofsFlatInline || n.size > img.blk {
			t.Fatalf("%s: %v (layout %d, %d bytes: not one inline block)", name, err, n.layout, n.size)
		}
		ents, err := img.readDir(nid)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		found := false
		for k, e := range ents {
			if e.name == name {
				// The dirent of the k-th entry but "." and "..", which
				// mkfs.erofs sorts first; the block is inline, after
				// the inode.
				nid, at, found = e.nid, n.end+int64(k+2)*12, true
			}
		}
		if !found {
			t.Fatalf("%s not in %s", name, p)
		}
	}
	return at, nid
}

// TestErofsCarvedAndHostile: an image behind a vendor header is carved by
// its superblock magic at offset 1024; a directory entry pointing back at
// the root is refused as a loop; a chunk-based file claiming 1 TiB of holes
// is ErrLimit before anything is allocated; damage anywhere fails the
// layer or names the file, never panics.
func TestErofsCarvedAndHostile(t *testing.T) {
	b := fixture(t, "plain.erofs")
	blob := append(append(bytes.Repeat([]byte{0xa5}, 3000), b...), bytes.Repeat([]byte{0xff}, 5000)...)
	r := mustUnpack(t, blob)
	if got := layerTypes(r); got != "erofs@3000" {
		t.Errorf("carved layers %q", got)
	}
	if erofsSize(blob[3000:]) != int64(len(b)) {
		t.Errorf("erofsSize %d, want %d", erofsSize(blob[3000:]), len(b))
	}

	loop := append([]byte(nil), b...)
	at, _ := erofsEntry(t, loop, "/usr/share/doc")
	copy(loop[at:], loop[erofsSuperOffset+14:erofsSuperOffset+16]) // doc's nid := the root's
	loop[at+2] = 0
	if _, err := openErofs(fuzzUnpacker(), loop); err == nil || !strings.Contains(err.Error(), "loops") {
		t.Errorf("loop: %v", err)
	}

	bomb := fixture(t, "chunked.erofs")
	_, nid := erofsEntry(t, bomb, "/usr/share/doc/sparse.bin")
	ino := int64(binary.LittleEndian.Uint32(bomb[erofsSuperOffset+40:]))<<12 + int64(nid)*32
	binary.LittleEndian.PutUint64(bomb[ino+8:], 1<<40) // extended inode: 64-bit size
	var err error
	if got := allocated(func() { _, err = openErofs(fuzzUnpacker(), bomb) }); got > 8<<20 || !errors.Is(err, ErrLimit) {
		t.Errorf("1 TiB of holes: %v, %d bytes allocated", err, got)
	}

	erofsDamaged(t, "plain.erofs", b, 61, func(off int, c contents) {
		for _, f := range c.files {
			if f.Inner == "/usr/share/doc/big.txt" && f.Data != nil && len(f.Data) != 38000 {
				t.Errorf("damage at %d: big.txt %d bytes", off, len(f.Data))
			}
		}
	})
}

// erofsDamaged flips 8 bytes at every step-th offset after the superblock
// offset of the image b (named name) and opens each copy: an error must
// name erofs; what opens is handed to check.
func erofsDamaged(t *testing.T, name string, b []byte, step int, check func(off int, c contents)) {
	t.Helper()
	for off := erofsSuperOffset; off < len(b); off += step {
		bad := append([]byte(nil), b...)
		for i := off; i < off+8 && i < len(bad); i++ {
			bad[i] ^= 0x5a
		}
		c, err := openErofs(fuzzUnpacker(), bad)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "erofs") {
				t.Errorf("%s, damage at %d: error %q does not name erofs", name, off, err)
			}
			continue
		}
		check(off, c)
	}
}

// FuzzErofs is seeded with the uncompressed, chunked and LZ4 images and
// every image of erofsZFixtures (LZMA, DEFLATE, Zstandard, big pclusters,
// ztailpacking, fragments, interlaced pclusters, partial references).
func FuzzErofs(f *testing.F) {
	seeds := [][]byte{fixture(f, "plain.erofs"), fixture(f, "chunked.erofs"), fixture(f, "lz4-big.erofs"), fixture(f, "lz4-legacy.erofs")}
	for _, c := range erofsZFixtures {
		seeds = append(seeds, fixture(f, c.file))
	}
	fuzzMatched(f, isErofs, openErofs, seeds...)
}

// FuzzErofsDecompress feeds each pcluster decoder arbitrary input and
// extent sizes: it must fill the extent exactly or fail, never panic.
func FuzzErofsDecompress(f *testing.F) {
	img := &erofsImage{blk: 4096, blkBits: 12, incompat: erofsLZ4ZeroPadding}
	for alg, src := range erofsStreams(f, erofsText(5000)) {
		f.Add(alg, src, uint16(5000), false)
		f.Add(alg, src, uint16(3000), true)
	}
	f.Fuzz(func(t *testing.T, alg byte, src []byte, size uint16, partial bool) {
		dst := make([]byte, size)
		_ = img.decompress(alg%4, src, dst, partial)
	})
}

// TestLZ4Partial: an LZ4 block followed by garbage (an EROFS pcluster
// without zero padding) decodes to exactly the output asked for, as
// pierrec/lz4 decodes the block alone; damage is an error, never a panic.
func TestLZ4Partial(t *testing.T) {
	var text bytes.Buffer
	for i := 0; text.Len() < 20000; i++ {
		fmt.Fprintf(&text, "line %d of a text, line %d\n", i%97, i)
	}
	want := text.Bytes()
	blk := make([]byte, lz4.CompressBlockBound(len(want)))
	n, err := lz4.CompressBlock(want, blk, nil)
	if err != nil || n == 0 {
		t.Fatal(err)
	}
	src := append(blk[:n:n], bytes.Repeat([]byte{0xa5, 0x17}, 500)...)
	for _, size := range []int{len(want), 4096, 1} {
		dst := make([]byte, size)
		if got, err := lz4Partial(src, dst); err != nil || got != size || !bytes.Equal(dst, want[:size]) {
			t.Errorf("%d bytes: %d, %v", size, got, err)
		}
	}
	if _, err := lz4Partial(src[:n/2], make([]byte, len(want))); err == nil {
		t.Error("truncated block decoded")
	}
	if _, err := lz4Partial([]byte{0x0f, 0x01, 0x00}, make([]byte, 100)); err == nil {
		t.Error("match before any output decoded")
	}
}

func FuzzLZ4Partial(f *testing.F) {
	f.Add([]byte{0x40, 'a', 'b', 'c', 'd', 0x04, 0x00, 0x00}, uint16(64))
	f.Fuzz(func(t *testing.T, src []byte, size uint16) {
		dst := make([]byte, size)
		if n, err := lz4Partial(src, dst); n > len(dst) || (err == nil && n != len(dst)) {
			t.Fatalf("%d bytes, %v", n, err)
		}
	})
}
