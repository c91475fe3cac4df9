package unpack

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"
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

// TestErofsCompressed: mkfs.erofs -zlz4hc compresses the files that shrink
// by at least a block; they are listed with mode and owner but their data
// is not read, each named; the others (passwd, rcS, the setuid su) are read.
func TestErofsCompressed(t *testing.T) {
	r := mustUnpack(t, fixture(t, "lz4hc.erofs"))
	if d := r.Layers[0].Detail; d != "block size 4096, 18 entries, lz4-compressed files, 3 unreadable" {
		t.Errorf("detail %q", d)
	}
	m := byPath(r)
	if f := m["/usr/share/doc/big.txt"]; f.Kind != KindFile || f.UID != 1000 || f.GID != 100 || f.Data != nil {
		t.Errorf("big.txt %+v", f)
	}
	if f := m["/bin/su"]; f.Mode != 0o4755 || string(f.Data) != "\x7fELF" {
		t.Errorf("su %+v", f)
	}
	if f := m["/etc/passwd"]; !strings.HasPrefix(string(f.Data), "root:x:0:0:") {
		t.Errorf("passwd %q", f.Data)
	}
	want := []string{
		"image: erofs at offset 0: file /usr/share/doc/big.txt (nid 80, lz4-compressed) not read",
		"image: erofs at offset 0: file /usr/share/doc/blocks.bin (nid 83, lz4-compressed) not read",
		"image: erofs at offset 0: file /usr/share/doc/sparse.bin (nid 85, lz4-compressed) not read",
	}
	if strings.Join(r.Warnings, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings %q", r.Warnings)
	}
}

// erofsEntry finds the dirent of p (a path from the root) in an EROFS
// image: the byte offset of its nid field, and its nid.
func erofsEntry(t *testing.T, b []byte, p string) (at int64, nid uint64) {
	t.Helper()
	img := &erofsImage{b: b, blkBits: uint(b[erofsSuperOffset+12]), blk: 1 << b[erofsSuperOffset+12]}
	img.meta = int64(binary.LittleEndian.Uint32(b[erofsSuperOffset+40:])) << img.blkBits
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

	for off := erofsSuperOffset; off < len(b); off += 61 {
		bad := append([]byte(nil), b...)
		for i := off; i < off+8 && i < len(bad); i++ {
			bad[i] ^= 0x5a
		}
		c, err := openErofs(fuzzUnpacker(), bad)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "erofs") {
				t.Errorf("damage at %d: error %q does not name erofs", off, err)
			}
			continue
		}
		for _, f := range c.files {
			if f.Inner == "/usr/share/doc/big.txt" && f.Data != nil && len(f.Data) != 38000 {
				t.Errorf("damage at %d: big.txt %d bytes", off, len(f.Data))
			}
		}
	}
}

func FuzzErofs(f *testing.F) {
	fuzzMatched(f, isErofs, openErofs, fixture(f, "plain.erofs"), fixture(f, "chunked.erofs"))
}
