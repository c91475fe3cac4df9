package unpack

import (
	"encoding/binary"
	"errors"
	"fmt"
	"path"
)

// A read-only ext2/3/4 reader, with or without metadata checksums
// (metadata_csum, which it does not verify: ext2, ext3, genext2fs and
// make_ext4fs output and ext4 made by older mke2fs have none). It reads the superblock, group
// descriptors (32- and 64-bit), inodes, block maps (direct, indirect,
// double, triple), extent trees and linear (or htree, read linearly)
// directories; every table offset is checked against the image.

type extFS struct {
	b              []byte
	blockSize      int64
	inodesPerGroup uint32
	inodeSize      int64
	descSize       int64
	firstData      int64
	groups         uint32
	incompat       uint32
}

type extInode struct {
	mode     uint16
	uid, gid uint32
	size     int64
	flags    uint32
	block    [60]byte
}

var errExtCorrupt = errors.New("ext: corrupt filesystem")

func newExtFS(b []byte) (*extFS, error) {
	if len(b) < 2048 {
		return nil, errExtCorrupt
	}
	sb := b[1024:2048]
	le := binary.LittleEndian
	fs := &extFS{b: b}
	logBS := le.Uint32(sb[24:])
	if logBS > 6 {
		return nil, fmt.Errorf("ext: block size 2^%d", 10+logBS)
	}
	fs.blockSize = 1024 << logBS
	inodesCount := le.Uint32(sb[0:])
	blocksCount := int64(le.Uint32(sb[4:]))
	fs.firstData = int64(le.Uint32(sb[20:]))
	blocksPerGroup := int64(le.Uint32(sb[32:]))
	fs.inodesPerGroup = le.Uint32(sb[40:])
	fs.inodeSize = 128
	if le.Uint32(sb[76:]) >= 1 { // dynamic revision
		fs.inodeSize = int64(le.Uint16(sb[88:]))
	}
	fs.incompat = le.Uint32(sb[96:])
	fs.descSize = 32
	if fs.incompat&0x80 != 0 { // 64bit
		fs.descSize = int64(le.Uint16(sb[254:]))
		if fs.descSize < 32 {
			fs.descSize = 32
		}
	}
	if blocksPerGroup == 0 || fs.inodesPerGroup == 0 || fs.inodeSize < 128 || fs.inodeSize > fs.blockSize {
		return nil, errExtCorrupt
	}
	fs.groups = uint32((blocksCount - fs.firstData + blocksPerGroup - 1) / blocksPerGroup)
	if fs.groups == 0 || uint64(fs.groups)*uint64(fs.inodesPerGroup) < uint64(inodesCount) || fs.groups > 1<<20 {
		return nil, errExtCorrupt
	}
	return fs, nil
}

func (fs *extFS) bytesAt(off, n int64) ([]byte, error) {
	if off < 0 || n < 0 || off+n > int64(len(fs.b)) || off+n < off {
		return nil, errExtCorrupt
	}
	return fs.b[off : off+n], nil
}

func (fs *extFS) block(n int64) ([]byte, error) { return fs.bytesAt(n*fs.blockSize, fs.blockSize) }

func (fs *extFS) inode(n uint32) (*extInode, error) {
	if n == 0 {
		return nil, errExtCorrupt
	}
	g := (n - 1) / fs.inodesPerGroup
	if g >= fs.groups {
		return nil, errExtCorrupt
	}
	le := binary.LittleEndian
	desc, err := fs.bytesAt((fs.firstData+1)*fs.blockSize+int64(g)*fs.descSize, fs.descSize)
	if err != nil {
		return nil, err
	}
	table := int64(le.Uint32(desc[8:]))
	if fs.descSize >= 64 {
		table |= int64(le.Uint32(desc[40:])) << 32
	}
	raw, err := fs.bytesAt(table*fs.blockSize+int64((n-1)%fs.inodesPerGroup)*fs.inodeSize, 128)
	if err != nil {
		return nil, err
	}
	in := &extInode{mode: le.Uint16(raw[0:]), uid: uint32(le.Uint16(raw[2:])) | uint32(le.Uint16(raw[120:]))<<16,
		gid: uint32(le.Uint16(raw[24:])) | uint32(le.Uint16(raw[122:]))<<16, size: int64(le.Uint32(raw[4:])) | int64(le.Uint32(raw[108:]))<<32,
		flags: le.Uint32(raw[32:])}
	copy(in.block[:], raw[40:100])
	return in, nil
}

// data returns an inode's content, at most max bytes.
func (fs *extFS) data(in *extInode, max int64) ([]byte, error) {
	size := in.size
	if size < 0 || size > max {
		return nil, fmt.Errorf("%w: file of %d bytes", ErrLimit, size)
	}
	if in.flags&0x10000000 != 0 { // inline data
		if size > 60 {
			size = 60
		}
		return append([]byte(nil), in.block[:size]...), nil
	}
	out := make([]byte, 0, size)
	add := func(phys int64, count int64) error {
		for i := int64(0); i < count && int64(len(out)) < size; i++ {
			blk, err := fs.block(phys + i)
			if err != nil {
				return err
			}
			need := size - int64(len(out))
			if need < int64(len(blk)) {
				blk = blk[:need]
			}
			out = append(out, blk...)
		}
		return nil
	}
	if in.flags&0x80000 != 0 {
		if err := fs.extents(in.block[:], 0, size, &out, add); err != nil {
			return nil, err
		}
	} else if err := fs.blockMap(in.block[:], size, &out, add); err != nil {
		return nil, err
	}
	return out, nil
}

// zeroTo appends zeros to *out up to min(n, size) bytes (a hole).
func zeroTo(out *[]byte, n, size int64) {
	if n > size {
		n = size
	}
	if k := n - int64(len(*out)); k > 0 {
		*out = append(*out, make([]byte, k)...)
	}
}

// extents walks an extent tree node (ext4_extent_header + entries). Holes
// (sparse files) are filled with zeros.
func (fs *extFS) extents(node []byte, depth int, size int64, out *[]byte, add func(int64, int64) error) error {
	le := binary.LittleEndian
	if depth > 5 || len(node) < 12 || le.Uint16(node) != 0xf30a {
		return errExtCorrupt
	}
	entries := int(le.Uint16(node[2:]))
	level := le.Uint16(node[6:])
	if 12+12*entries > len(node) {
		return errExtCorrupt
	}
	for i := 0; i < entries; i++ {
		e := node[12+12*i : 24+12*i]
		if level == 0 {
			logical := int64(le.Uint32(e[0:]))
			n := int64(le.Uint16(e[4:]))
			if n > 32768 { // uninitialised extent: reads as zeros
				n -= 32768
				zeroTo(out, (logical+n)*fs.blockSize, size)
				continue
			}
			zeroTo(out, logical*fs.blockSize, size)
			start := int64(le.Uint16(e[6:]))<<32 | int64(le.Uint32(e[8:]))
			if err := add(start, n); err != nil {
				return err
			}
			continue
		}
		leaf := int64(le.Uint32(e[4:])) | int64(le.Uint16(e[8:]))<<32
		blk, err := fs.block(leaf)
		if err != nil {
			return err
		}
		if err := fs.extents(blk, depth+1, size, out, add); err != nil {
			return err
		}
	}
	zeroTo(out, size, size)
	return nil
}

func (fs *extFS) blockMap(iblock []byte, size int64, out *[]byte, add func(int64, int64) error) error {
	le := binary.LittleEndian
	perBlock := fs.blockSize / 4
	var walk func(blk int64, level int) error
	walk = func(blk int64, level int) error {
		if int64(len(*out)) >= size {
			return nil
		}
		if blk == 0 { // hole
			n := fs.blockSize
			for l := 0; l < level && n < size; l++ {
				n *= perBlock
			}
			zeroTo(out, int64(len(*out))+n, size)
			return nil
		}
		if level == 0 {
			return add(blk, 1)
		}
		b, err := fs.block(blk)
		if err != nil {
			return err
		}
		for i := int64(0); i < perBlock && int64(len(*out)) < size; i++ {
			if err := walk(int64(le.Uint32(b[4*i:])), level-1); err != nil {
				return err
			}
		}
		return nil
	}
	for i := 0; i < 15 && int64(len(*out)) < size; i++ {
		level := 0
		if i >= 12 {
			level = i - 11
		}
		if err := walk(int64(le.Uint32(iblock[4*i:])), level); err != nil {
			return err
		}
	}
	return nil
}

// openExtBuiltin lists an ext filesystem with the hand-written reader.
func openExtBuiltin(u *unpacker, b []byte) (contents, error) {
	fs, err := newExtFS(b)
	if err != nil {
		return contents{}, err
	}
	c := contents{used: extSize(b)}
	// A sparse file's holes cost nothing in the image: what the files
	// claim is bounded like a compressed stream's output (MaxRatio).
	claims := fileClaims{fs: "ext", image: int64(len(b))}
	type dir struct {
		ino   uint32
		p     string
		depth int
	}
	stack := []dir{{2, "/", 0}}
	visited := map[uint32]bool{2: true}
	for len(stack) > 0 {
		d := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		din, err := fs.inode(d.ino)
		if err != nil || din.mode&0o170000 != 0o040000 || d.depth > 256 {
			continue
		}
		if din.size > int64(len(fs.b)) {
			// A directory has no holes: every byte is a block of the image.
			c.detail = fmt.Sprintf("directory %s unreadable: inode %d says %d bytes, more than the %d-byte image", d.p, d.ino, din.size, len(fs.b))
			continue
		}
		data, err := fs.data(din, 64<<20)
		if err != nil {
			if errors.Is(err, ErrLimit) {
				return contents{}, err
			}
			c.detail = fmt.Sprintf("directory %s unreadable: %v", d.p, err)
			continue
		}
		for off := 0; off+8 <= len(data); {
			ino := binary.LittleEndian.Uint32(data[off:])
			rec := int(binary.LittleEndian.Uint16(data[off+4:]))
			nameLen := int(data[off+6])
			if rec < 8 || off+rec > len(data) || 8+nameLen > rec {
				break
			}
			name := string(data[off+8 : off+8+nameLen])
			off += rec
			if ino == 0 || name == "." || name == ".." || name == "" {
				continue
			}
			in, err := fs.inode(ino)
			if err != nil {
				continue
			}
			if err := u.addFile(); err != nil {
				return contents{}, err
			}
			p := path.Join(d.p, name)
			f, known := modeEntry(p, uint32(in.mode), int(in.uid), int(in.gid))
			if !known {
				continue
			}
			switch f.Kind {
			case KindDir:
				if !visited[ino] {
					visited[ino] = true
					stack = append(stack, dir{ino, p, d.depth + 1})
				}
			case KindFile:
				if err := u.claimFile(&claims, in.size); err != nil {
					return contents{}, fmt.Errorf("file %s (inode %d): %w", p, ino, err)
				}
				if f.Data, err = fs.data(in, u.lim.MaxTotalBytes); err != nil {
					c.detail = fmt.Sprintf("file %s unreadable: %v", p, err)
				}
			case KindSymlink:
				if in.size < 60 && in.flags&0x80000 == 0 && in.flags&0x10000000 == 0 {
					f.Link = string(in.block[:in.size])
				} else if t, err := fs.data(in, 4096); err == nil {
					f.Link = string(t)
				}
			case KindDevice:
				dev := binary.LittleEndian.Uint32(in.block[0:])
				if dev == 0 {
					dev = binary.LittleEndian.Uint32(in.block[4:])
					f.Major, f.Minor = (dev&0xfff00)>>8, (dev&0xff)|((dev>>12)&0xfff00)
				} else {
					f.Major, f.Minor = (dev>>8)&0xff, dev&0xff
				}
			}
			finish(&f)
			c.files = append(c.files, f)
		}
	}
	if len(c.files) == 0 {
		return contents{}, errExtCorrupt
	}
	c.detail = fmt.Sprintf("%d entries (built-in reader)", len(c.files)) + suffix(c.detail)
	return c, nil
}
