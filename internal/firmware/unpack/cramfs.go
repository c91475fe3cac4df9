package unpack

// ---- cramfs (Linux fs/cramfs, mkfs.cramfs from util-linux) ----
//
// Hand-written: there is no maintained pure-Go cramfs reader. The format
// (include/uapi/linux/cramfs_fs.h) is small: a 76-byte superblock at 0 (or
// at 512 when the image is padded for a boot loader), 12-byte inodes with
// packed fields (mode 16, uid 16 | size 24, gid 8 | name length 6, offset
// 26 bits, in words of 4 bytes), directories as runs of inodes followed by
// their names, and each file as a table of block end pointers followed by
// zlib blocks of at most 4096 bytes. Images are written in the host's
// byte order: both are read, the magic tells which. The extended block
// pointers (CRAMFS_FLAG_EXT_BLOCK_POINTERS, written only by the kernel's
// XIP tooling, never by mkfs.cramfs) are refused with an error.

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"io"
	"path"
)

const (
	cramfsMagic     = 0x28cd3d45
	cramfsSuperSize = 76
	cramfsPage      = 4096
	cramfsFlagHoles = 0x100
	cramfsFlagExtPt = 0x800
	// cramfsKnownFlags are the flags the kernel accepts (fs/cramfs/inode.c).
	cramfsKnownFlags = 0xff | cramfsFlagHoles | 0x200 | 0x400 | cramfsFlagExtPt
)

var cramfsSignature = []byte("Compressed ROMFS")

// cramfsSuper returns where the superblock is (0 or 512) and the byte
// order, or ok false.
func cramfsSuper(b []byte) (at int, order binary.ByteOrder, ok bool) {
	for _, at := range []int{0, 512} {
		if len(b) < at+cramfsSuperSize || !bytes.Equal(b[at+16:at+32], cramfsSignature) {
			continue
		}
		switch {
		case binary.LittleEndian.Uint32(b[at:]) == cramfsMagic:
			return at, binary.LittleEndian, true
		case binary.BigEndian.Uint32(b[at:]) == cramfsMagic:
			return at, binary.BigEndian, true
		}
	}
	return 0, nil, false
}

func isCramfs(b []byte) bool {
	_, _, ok := cramfsSuper(b)
	return ok
}

func cramfsSize(b []byte) int64 {
	at, order, ok := cramfsSuper(b)
	if !ok {
		return 0
	}
	return int64(order.Uint32(b[at+4:]))
}

type cramfsInode struct {
	mode, uid, gid uint32
	size           uint32
	nameLen        int // bytes
	offset         int // bytes
}

func cramfsInodeAt(b []byte, at int, order binary.ByteOrder) (cramfsInode, error) {
	if at < 0 || at+12 > len(b) {
		return cramfsInode{}, fmt.Errorf("inode at %d outside the image", at)
	}
	w0, w1, w2 := order.Uint32(b[at:]), order.Uint32(b[at+4:]), order.Uint32(b[at+8:])
	var n cramfsInode
	if order == binary.LittleEndian { // bit fields fill from the least significant bit
		n = cramfsInode{mode: w0 & 0xffff, uid: w0 >> 16, size: w1 & 0xffffff, gid: w1 >> 24, nameLen: int(w2&0x3f) * 4, offset: int(w2>>6) * 4}
	} else { // from the most significant bit
		n = cramfsInode{mode: w0 >> 16, uid: w0 & 0xffff, size: w1 >> 8, gid: w1 & 0xff, nameLen: int(w2>>26) * 4, offset: int(w2&0x3ffffff) * 4}
	}
	return n, nil
}

func openCramfs(u *unpacker, b []byte) (contents, error) {
	at, order, ok := cramfsSuper(b)
	if !ok {
		return contents{}, fmt.Errorf("cramfs: no superblock")
	}
	flags := order.Uint32(b[at+8:])
	if flags&^uint32(cramfsKnownFlags) != 0 {
		return contents{}, fmt.Errorf("cramfs: unknown feature flags %#x", flags)
	}
	if flags&cramfsFlagExtPt != 0 {
		return contents{}, fmt.Errorf("cramfs: extended block pointers (an XIP image) are not supported")
	}
	size := int(order.Uint32(b[at+4:]))
	if size > len(b) || size < at+cramfsSuperSize {
		return contents{}, fmt.Errorf("cramfs: size %d does not fit the %d bytes available", size, len(b))
	}
	img := b[:size]
	root, err := cramfsInodeAt(img, at+0x40, order)
	if err != nil {
		return contents{}, fmt.Errorf("cramfs: root: %w", err)
	}
	var c contents
	c.used = int64(size)
	type dir struct {
		p           string
		start, size int
		depth       int
	}
	visited := map[int]bool{}
	var stack []dir
	if root.offset != 0 {
		if root.offset < at+cramfsSuperSize {
			return contents{}, fmt.Errorf("cramfs: root directory at %d inside the superblock", root.offset)
		}
		stack = append(stack, dir{"/", root.offset, int(root.size), 0})
	}
	damaged := ""
	// Holes cost no bytes in the image: bound what it may claim to hold
	// like a compressed stream's output (MaxRatio), not only by the total.
	claims := fileClaims{fs: "cramfs", image: int64(size)}
	for len(stack) > 0 {
		d := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if visited[d.start] || d.depth > 256 {
			return contents{}, fmt.Errorf("cramfs: directory %s loops or nests deeper than 256 levels", d.p)
		}
		visited[d.start] = true
		end := d.start + d.size
		if end > len(img) {
			return contents{}, fmt.Errorf("cramfs: directory %s runs past the image", d.p)
		}
		for pos := d.start; pos < end; {
			n, err := cramfsInodeAt(img, pos, order)
			if err != nil {
				return contents{}, fmt.Errorf("cramfs: directory %s: %w", d.p, err)
			}
			nameAt := pos + 12
			pos = nameAt + n.nameLen
			if n.nameLen == 0 || pos > end {
				return contents{}, fmt.Errorf("cramfs: directory %s: entry at %d has a bad name length", d.p, nameAt-12)
			}
			name := string(bytes.TrimRight(img[nameAt:pos], "\x00"))
			if name == "" || name == "." || name == ".." {
				continue
			}
			if err := u.addFile(); err != nil {
				return contents{}, err
			}
			p := path.Join(d.p, name)
			f, known := modeEntry(p, n.mode, int(n.uid), int(n.gid))
			if !known {
				continue
			}
			switch f.Kind {
			case KindDir:
				if n.offset != 0 && n.size > 0 {
					stack = append(stack, dir{p, n.offset, int(n.size), d.depth + 1})
				}
			case KindFile, KindSymlink:
				if err := u.claimFile(&claims, int64(n.size)); err != nil {
					return contents{}, err
				}
				data, err := cramfsData(img, n, order)
				if err != nil {
					damaged = fmt.Sprintf("file %s unreadable: %v", p, err)
				}
				f.setContent(data)
			case KindDevice:
				// size holds the device number, old_encode_dev style.
				f.Major, f.Minor = (n.size>>8)&0xff, n.size&0xff
			}
			finish(&f)
			c.files = append(c.files, f)
		}
	}
	c.detail = entriesDetail(order, len(c.files), damaged)
	return c, nil
}

// cramfsData decompresses a file's (or symlink's) blocks.
func cramfsData(img []byte, n cramfsInode, order binary.ByteOrder) ([]byte, error) {
	if n.size == 0 {
		return nil, nil
	}
	blocks := (int(n.size) + cramfsPage - 1) / cramfsPage
	table := n.offset
	if table <= 0 || table+4*blocks > len(img) {
		return nil, fmt.Errorf("block table at %d outside the image", table)
	}
	out := make([]byte, 0, n.size)
	start := table + 4*blocks
	for i := 0; i < blocks; i++ {
		end := int(order.Uint32(img[table+4*i:]))
		want := min(cramfsPage, int(n.size)-len(out))
		if end < start || end > len(img) {
			return out, fmt.Errorf("block %d ends at %d, outside [%d, %d]", i, end, start, len(img))
		}
		if end == start { // a hole
			out = append(out, make([]byte, want)...)
			continue
		}
		zr, err := zlib.NewReader(bytes.NewReader(img[start:end]))
		if err != nil {
			return out, fmt.Errorf("block %d: %w", i, err)
		}
		blk, err := io.ReadAll(io.LimitReader(zr, cramfsPage+1))
		if err != nil {
			return out, fmt.Errorf("block %d: %w", i, err)
		}
		if len(blk) != want {
			return out, fmt.Errorf("block %d decompresses to %d bytes, want %d", i, len(blk), want)
		}
		out = append(out, blk...)
		start = end
	}
	return out, nil
}
