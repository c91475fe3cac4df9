package unpack

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// TestUBIFS reads the images gen.sh makes with mkfs.ubifs from the cramfs
// tree, one per data compression: every entry kind, owners, modes and
// contents (a multi-block file, a file with a hole).
func TestUBIFS(t *testing.T) {
	for _, x := range []string{"lzo", "zlib", "zstd", "none"} {
		t.Run(x, func(t *testing.T) {
			img := gunzipFixture(t, x+".ubifs.gz")
			r := mustUnpack(t, img)
			if got := layerTypes(r); got != "ubifs@0" {
				t.Errorf("layers %q", got)
			}
			if d := r.Layers[0].Detail; !strings.HasPrefix(d, "LEBs of 15360 bytes, 17 entries") || strings.Contains(d, "damaged") || strings.Contains(d, "unreadable") {
				t.Errorf("detail %q", d)
			}
			checkGenTree(t, r, true)
		})
	}
}

// ubifsNode is one node: the common header (CRC over everything after
// the magic and CRC fields) and body.
func ubifsNode(typ byte, sqnum uint64, body []byte) []byte {
	n := make([]byte, ubifsChLen, ubifsChLen+len(body)+8)
	binary.LittleEndian.PutUint32(n, ubifsMagic)
	binary.LittleEndian.PutUint64(n[8:], sqnum)
	binary.LittleEndian.PutUint32(n[16:], uint32(ubifsChLen+len(body)))
	n[20] = typ
	n = append(n, body...)
	binary.LittleEndian.PutUint32(n[4:], ubiCRC(n[8:]))
	for len(n)%8 != 0 {
		n = append(n, 0)
	}
	return n
}

func ubifsInode(sqnum uint64, inum uint32, mode uint32, size uint64, inline string) []byte {
	b := make([]byte, ubifsInoLen-ubifsChLen, ubifsInoLen-ubifsChLen+len(inline))
	binary.LittleEndian.PutUint32(b, inum)
	binary.LittleEndian.PutUint64(b[48-24:], size)
	binary.LittleEndian.PutUint32(b[104-24:], mode)
	binary.LittleEndian.PutUint32(b[112-24:], uint32(len(inline)))
	return ubifsNode(ubifsInoNode, sqnum, append(b, inline...))
}

func ubifsDentry(sqnum uint64, parent uint32, name string, inum uint64) []byte {
	b := make([]byte, ubifsDentLen-ubifsChLen)
	binary.LittleEndian.PutUint32(b, parent)
	binary.LittleEndian.PutUint32(b[4:], 2<<29)
	binary.LittleEndian.PutUint64(b[40-24:], inum)
	binary.LittleEndian.PutUint16(b[50-24:], uint16(len(name)))
	return ubifsNode(ubifsDentNode, sqnum, append(b, name...))
}

func ubifsDataBlock(sqnum uint64, inum, block uint32, data string) []byte {
	b := make([]byte, ubifsDataLen-ubifsChLen)
	binary.LittleEndian.PutUint32(b, inum)
	binary.LittleEndian.PutUint32(b[4:], 1<<29|block)
	binary.LittleEndian.PutUint32(b[40-24:], uint32(len(data)))
	return ubifsNode(ubifsDataNode, sqnum, append(b, data...))
}

func ubifsImage(nodes ...[]byte) []byte {
	sb := make([]byte, 104)
	binary.LittleEndian.PutUint32(sb[36-24:], 8192) // LEB size
	return bytes.Join(append([][]byte{ubifsNode(ubifsSBNode, 1, sb)}, nodes...), nil)
}

// TestUBIFSLog: the newest inode and data node win, a deletion entry
// (inode 0) unlinks its name, a damaged node is skipped and counted, a
// directory entry pointing back at the root is not followed twice, and an
// inode claiming 1 TiB is ErrLimit without being allocated.
func TestUBIFSLog(t *testing.T) {
	img := ubifsImage(
		ubifsInode(2, 1, 0o40755, 0, ""),
		ubifsInode(3, 5, 0o100644, 5, ""), ubifsDentry(4, 1, "f", 5),
		ubifsDataBlock(5, 5, 0, "old!!"), ubifsDataBlock(9, 5, 0, "new!!"),
		ubifsInode(6, 6, 0o100644, 3, ""), ubifsDentry(7, 1, "gone", 6), ubifsDentry(8, 1, "gone", 0),
		ubifsInode(10, 7, 0o40700, 0, ""), ubifsDentry(11, 1, "d", 7), ubifsDentry(12, 7, "up", 1),
		ubifsInode(13, 8, 0o120777, 7, "/bin/sh"), ubifsDentry(14, 7, "sh", 8),
	)
	c, err := openUBIFS(fuzzUnpacker(), img)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]File{}
	for _, f := range c.files {
		got[f.Inner] = f
	}
	if string(got["/f"].Data) != "new!!" || got["/d"].Kind != KindDir || got["/d"].Mode != 0o700 || got["/d/sh"].Link != "/bin/sh" || got["/d/up"].Kind != KindDir {
		t.Errorf("files %+v", got)
	}
	if _, ok := got["/gone"]; ok || len(got) != 4 {
		t.Errorf("%d entries, /gone listed: %v", len(got), ok)
	}
	bad := append([]byte(nil), img...)
	bad[bytes.Index(bad, []byte("new!!"))] ^= 1
	c, err = openUBIFS(fuzzUnpacker(), bad)
	if err != nil || !strings.Contains(c.detail, "1 damaged nodes skipped") {
		t.Errorf("damaged node: %v %q", err, c.detail)
	}
	for _, f := range c.files {
		if f.Inner == "/f" && string(f.Data) != "old!!" {
			t.Errorf("with the newer data node damaged /f is %q", f.Data)
		}
	}

	huge := ubifsImage(ubifsInode(2, 1, 0o40755, 0, ""), ubifsInode(3, 5, 0o100644, 1<<40, ""), ubifsDentry(4, 1, "huge", 5))
	var herr error
	if a := allocated(func() { _, herr = Unpack(context.Background(), huge, DefaultLimits()) }); a > 1<<20 {
		t.Errorf("1 TiB inode allocated %d MiB", a>>20)
	}
	if !errors.Is(herr, ErrLimit) || !strings.Contains(herr.Error(), "UBIFS file /huge (inode 5)") {
		t.Errorf("1 TiB inode: %v", herr)
	}
	if _, err := openUBIFS(fuzzUnpacker(), ubifsImage(ubifsInode(3, 5, 0o100644, 1, ""))); err == nil || err.Error() != "UBIFS: no root inode node" {
		t.Errorf("no root: %v", err)
	}
}

func FuzzUBIFS(f *testing.F) {
	lzoImage := bytes.TrimRight(gunzipFixture(f, "lzo.ubifs.gz"), "\xff") // mkfs.ubifs output, free space dropped
	fuzzMatched(f, isUBIFS, openUBIFS, lzoImage, ubifsImage(ubifsInode(2, 1, 0o40755, 0, ""), ubifsInode(3, 5, 0o100644, 5, ""), ubifsDentry(4, 1, "f", 5), ubifsDataBlock(5, 5, 0, "hello")))
}
