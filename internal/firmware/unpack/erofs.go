package unpack

// ---- EROFS (Linux fs/erofs, mkfs.erofs from erofs-utils) ----
//
// Hand-written: no maintained pure-Go EROFS reader exists (none on the
// module proxy keeps up with the on-disk format). The format
// (fs/erofs/erofs_fs.h, Documentation/filesystems/erofs.rst) is read-only
// and simple when uncompressed: a 128-byte superblock at offset 1024 (magic
// 0xE0F5E1E2, block size 1 << blkszbits), 32-byte compact or 64-byte
// extended inodes addressed by nid (meta_blkaddr * block size + nid * 32),
// each followed by its inline xattrs; data either flat (FLAT_PLAIN: the
// blocks from startblk; FLAT_INLINE: the same but the last partial block
// packed right after the inode, never crossing a block boundary) or in
// chunks (CHUNK_BASED: a table of 4-byte block addresses or 8-byte chunk
// indexes after the inode, -1 for a hole). A directory's data is a run of
// blocks, each holding its dirents (nid, name offset, file type) and then
// their names. With the 48BIT feature block numbers and the root nid are
// wider (rootnid_8b, when set). Compressed files (COMPRESSED_FULL/COMPACT:
// LZ4, LZMA, DEFLATE, Zstandard, fragments in the packed inode, extent
// records) are decoded in erofsz.go, erofsext.go and erofsdec.go; one that
// cannot be (an unknown algorithm, a damaged extent) is listed with its
// mode and owner but its data is not read: each is named in the warnings. Extended attributes (inline
// after the inode: a 12-byte header, then 4-byte shared ids and entries)
// are skipped by their count; their values are not read. Images with a
// metabox (metadata in a special inode) or extra directory block bits are
// refused with an error, and a chunk on an extra device leaves its file
// unreadable.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"path"
)

const (
	erofsSuperOffset = 1024
	erofsMagic       = 0xe0f5e1e2
	erofsNullAddr    = 0xffffffff

	erofsFeature48Bit   = 0x80
	erofsFeatureMetabox = 0x100
	// erofsKnownIncompat are the incompatible features of Linux 6.17
	// (EROFS_ALL_FEATURE_INCOMPAT).
	erofsKnownIncompat = erofsFeatureMetabox<<1 - 1

	erofsFlatPlain      = 0
	erofsCompressedFull = 1
	erofsFlatInline     = 2
	erofsCompressedComp = 3
	erofsChunkBased     = 4

	erofsChunkIndexes = 0x20
	erofsChunk48Bit   = 0x40
)

var erofsAlgorithms = map[byte]string{0: "lz4", 1: "lzma", 2: "deflate", 3: "zstd"}

// erofsAlgName names a compression algorithm (h_algorithmtype).
func erofsAlgName(id byte) string {
	if a, ok := erofsAlgorithms[id]; ok {
		return a
	}
	return "unknown"
}

func isErofs(b []byte) bool {
	if len(b) < erofsSuperOffset+128 || binary.LittleEndian.Uint32(b[erofsSuperOffset:]) != erofsMagic {
		return false
	}
	bits := b[erofsSuperOffset+12]
	return bits >= 9 && bits <= 16
}

// erofsSize is the image's length by its superblock's block count; 0 when
// that does not fit in b.
func erofsSize(b []byte) int64 {
	if !isErofs(b) {
		return 0
	}
	sb := b[erofsSuperOffset:]
	blocks := uint64(binary.LittleEndian.Uint32(sb[36:]))
	if erofsWideRoot(sb) {
		blocks |= uint64(binary.LittleEndian.Uint16(sb[14:])) << 32
	}
	n := blocks << sb[12]
	if blocks == 0 || n>>sb[12] != blocks || n > uint64(len(b)) {
		return 0
	}
	return int64(n)
}

// erofsWideRoot: with the 48BIT feature the 16 bits at 14 are the block
// count's MSB and the root nid is the 64-bit rootnid_8b, but only when
// rootnid_8b is set (mkfs.erofs sets it when either does not fit in the
// old fields, else leaves the 16-bit root nid there).
func erofsWideRoot(sb []byte) bool {
	return binary.LittleEndian.Uint32(sb[80:])&erofsFeature48Bit != 0 && binary.LittleEndian.Uint64(sb[112:]) != 0
}

// erofsImage is an image being read.
type erofsImage struct {
	b        []byte
	blkBits  uint
	blk      int64
	meta     int64 // byte offset of nid 0
	wide     bool  // 48BIT: wider block numbers
	incompat uint32

	packedNid uint64            // the packed inode holding fragments; 0: none
	claim     func(int64) error // accounts for the packed inode's content
	packed    []byte            // its content, once read
	packedErr error             // why it could not be read
	inPacked  bool              // reading the packed inode (which holds no fragments)
	packedRd  bool              // packed or packedErr is set
	packedAlg string            // the packed inode's compression, if any
	inflater  io.Reader         // DEFLATE pclusters: a flate reader, reset for each
	used      [4]bool           // the algorithms of extent records decoded
}

// packedData is the content of the packed inode (mkfs.erofs -Efragments),
// read once and claimed like a file.
func (e *erofsImage) packedData() ([]byte, error) {
	if e.inPacked {
		return nil, errors.New("a fragment in the packed inode itself")
	}
	if e.packedRd {
		return e.packed, e.packedErr
	}
	e.packedRd = true
	e.packed, e.packedErr = e.readPacked()
	return e.packed, e.packedErr
}

func (e *erofsImage) readPacked() ([]byte, error) {
	if e.packedNid == 0 {
		return nil, errors.New("a fragment but the image has no packed inode")
	}
	n, err := e.inode(e.packedNid)
	if err != nil {
		return nil, fmt.Errorf("packed inode: %w", err)
	}
	if e.claim != nil {
		if err := e.claim(n.size); err != nil {
			return nil, err
		}
	}
	var data []byte
	if n.layout == erofsCompressedFull || n.layout == erofsCompressedComp {
		e.packedAlg = e.algorithm(n)
		e.inPacked = true
		data, err = e.compressed(n)
		e.inPacked = false
	} else {
		data, err = e.data(n)
	}
	if err != nil {
		return nil, fmt.Errorf("packed inode (nid %d): %w", e.packedNid, err)
	}
	return data, nil
}

type erofsInode struct {
	nid      uint64
	at       int64 // byte offset of the inode
	end      int64 // byte offset after the inode and its inline xattrs
	layout   int
	mode     uint32
	size     int64
	iu       uint32 // startblk_lo, rdev or chunk format
	startHi  uint64 // 48BIT: startblk MSB
	uid, gid int
}

func openErofs(u *unpacker, b []byte) (contents, error) {
	if !isErofs(b) {
		return contents{}, errors.New("erofs: no superblock")
	}
	sb := b[erofsSuperOffset:]
	incompat := binary.LittleEndian.Uint32(sb[80:])
	switch {
	case incompat&^uint32(erofsKnownIncompat) != 0:
		return contents{}, fmt.Errorf("erofs: unknown incompatible features %#x", incompat&^uint32(erofsKnownIncompat))
	case incompat&erofsFeatureMetabox != 0:
		return contents{}, errors.New("erofs: metadata in a metabox inode (mkfs.erofs --metabox) is not supported")
	case sb[90] != 0:
		return contents{}, fmt.Errorf("erofs: directory block bits %d are not supported", sb[90])
	}
	size := erofsSize(b)
	if size == 0 {
		return contents{}, fmt.Errorf("erofs: superblock block count %d of %d bytes does not fit the %d bytes available", binary.LittleEndian.Uint32(sb[36:]), 1<<sb[12], len(b))
	}
	img := &erofsImage{b: b[:size], blkBits: uint(sb[12]), blk: 1 << sb[12], wide: incompat&erofsFeature48Bit != 0, incompat: incompat}
	img.meta = int64(binary.LittleEndian.Uint32(sb[40:])) << img.blkBits
	img.packedNid = binary.LittleEndian.Uint64(sb[96:])
	root := uint64(binary.LittleEndian.Uint16(sb[14:]))
	if erofsWideRoot(sb) {
		root = binary.LittleEndian.Uint64(sb[112:])
	}
	c := contents{used: size}
	// Holes of chunk-based files cost nothing in the image.
	claims := fileClaims{fs: "erofs", image: size}
	img.claim = func(n int64) error { return u.claimFile(&claims, n) }
	type dir struct {
		p     string
		nid   uint64
		depth int
	}
	stack := []dir{{"/", root, 0}}
	visited := map[uint64]bool{}
	algs := map[string]bool{}
	unreadable := 0
	for len(stack) > 0 {
		d := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if visited[d.nid] || d.depth > 256 {
			return contents{}, fmt.Errorf("erofs: directory %s loops or nests deeper than 256 levels", d.p)
		}
		visited[d.nid] = true
		ents, err := img.readDir(d.nid)
		if errors.Is(err, ErrLimit) {
			return contents{}, fmt.Errorf("erofs directory %s: %w", d.p, err)
		}
		if err != nil {
			if d.p == "/" {
				return contents{}, fmt.Errorf("erofs: root directory (nid %d): %w", d.nid, err)
			}
			c.unread = append(c.unread, fmt.Sprintf("directory %s (nid %d): %v", d.p, d.nid, err))
			unreadable++
			continue
		}
		for _, e := range ents {
			if err := u.addFile(); err != nil {
				return contents{}, err
			}
			p := path.Join(d.p, e.name)
			n, err := img.inode(e.nid)
			if err != nil {
				c.unread = append(c.unread, fmt.Sprintf("entry %s: %v", cleanPath(p), err))
				unreadable++
				continue
			}
			f, known := modeEntry(p, n.mode, n.uid, n.gid)
			if !known {
				continue
			}
			switch f.Kind {
			case KindDir:
				stack = append(stack, dir{p, e.nid, d.depth + 1})
			case KindFile, KindSymlink:
				if err := u.claimFile(&claims, n.size); err != nil {
					return contents{}, fmt.Errorf("erofs file %s: %w", f.Inner, err)
				}
				var data []byte
				if n.layout == erofsCompressedFull || n.layout == erofsCompressedComp {
					if a := img.algorithm(n); a != "" {
						algs[a] = true
					}
					data, err = img.compressed(n)
				} else {
					data, err = img.data(n)
				}
				if errors.Is(err, ErrLimit) {
					return contents{}, fmt.Errorf("erofs file %s: %w", f.Inner, err)
				}
				if err != nil {
					c.unread = append(c.unread, fmt.Sprintf("%s %s (nid %d): %v", f.Kind, f.Inner, e.nid, err))
					unreadable++
					break
				}
				f.setContent(data)
			case KindDevice:
				// new_encode_dev
				f.Major, f.Minor = (n.iu&0xfff00)>>8, (n.iu&0xff)|((n.iu>>12)&0xfff00)
			}
			finish(&f)
			c.files = append(c.files, f)
		}
	}
	if img.packedAlg != "" {
		algs[img.packedAlg] = true
	}
	for i, used := range img.used {
		if used {
			algs[erofsAlgName(byte(i))] = true
		}
	}
	c.detail = fmt.Sprintf("block size %d, %d entries", img.blk, len(c.files))
	if img.packedRd && img.packedErr == nil {
		c.detail += ", fragments"
	}
	for _, a := range []string{"lz4", "lzma", "deflate", "zstd", "unknown"} {
		if algs[a] {
			c.detail += ", " + a + "-compressed files"
		}
	}
	if unreadable > 0 {
		c.detail += fmt.Sprintf(", %d unreadable", unreadable)
	}
	return c, nil
}

// inode reads the inode nid: its layout, mode, owner, size and where its
// inline xattrs end (where inline data or the chunk table starts).
func (e *erofsImage) inode(nid uint64) (erofsInode, error) {
	if nid > uint64(len(e.b))/32 || e.meta+int64(nid)*32+32 > int64(len(e.b)) {
		return erofsInode{}, fmt.Errorf("inode %d outside the image", nid)
	}
	at := e.meta + int64(nid)*32
	h := e.b[at:]
	format := binary.LittleEndian.Uint16(h)
	if format&^0x1f != 0 {
		return erofsInode{}, fmt.Errorf("inode %d: unknown format %#x", nid, format)
	}
	n := erofsInode{nid: nid, at: at, layout: int(format>>1) & 7, mode: uint32(binary.LittleEndian.Uint16(h[4:]))}
	isize := int64(32)
	if format&1 != 0 {
		isize = 64
		if at+64 > int64(len(e.b)) {
			return erofsInode{}, fmt.Errorf("inode %d outside the image", nid)
		}
		n.size = int64(binary.LittleEndian.Uint64(h[8:]))
		n.uid, n.gid = int(binary.LittleEndian.Uint32(h[24:])), int(binary.LittleEndian.Uint32(h[28:]))
	} else {
		n.size = int64(binary.LittleEndian.Uint32(h[8:]))
		n.uid, n.gid = int(binary.LittleEndian.Uint16(h[24:])), int(binary.LittleEndian.Uint16(h[26:]))
	}
	n.iu = binary.LittleEndian.Uint32(h[16:])
	if e.wide {
		n.startHi = uint64(binary.LittleEndian.Uint16(h[6:]))
	}
	if xc := int64(binary.LittleEndian.Uint16(h[2:])); xc > 0 {
		isize += 12 + 4*(xc-1)
	}
	n.end = at + isize
	switch {
	case n.size < 0:
		return erofsInode{}, fmt.Errorf("inode %d: size %d", nid, uint64(n.size))
	case n.end > int64(len(e.b)):
		return erofsInode{}, fmt.Errorf("inode %d: xattrs run past the image", nid)
	case n.layout > erofsChunkBased:
		return erofsInode{}, fmt.Errorf("inode %d: unknown data layout %d", nid, n.layout)
	}
	return n, nil
}

// span is the n bytes at block blk (plus off), checked against the image.
func (e *erofsImage) span(blk uint64, off, n int64) ([]byte, error) {
	if blk > uint64(len(e.b))>>e.blkBits {
		return nil, fmt.Errorf("block %d outside the image", blk)
	}
	start := int64(blk)<<e.blkBits + off
	if n < 0 || start+n > int64(len(e.b)) {
		return nil, fmt.Errorf("%d bytes at block %d run past the image", n, blk)
	}
	return e.b[start : start+n], nil
}

// data is the content of an uncompressed inode (a file, a symlink's
// target, a directory's blocks); the caller has bounded its size.
func (e *erofsImage) data(n erofsInode) ([]byte, error) {
	if n.size == 0 {
		return nil, nil
	}
	start := uint64(n.iu) | n.startHi<<32
	switch n.layout {
	case erofsFlatPlain:
		return e.span(start, 0, n.size)
	case erofsFlatInline:
		full := (n.size - 1) >> e.blkBits << e.blkBits // the blocks before the tail
		tail := n.size - full
		if n.end%e.blk+tail > e.blk || n.end+tail > int64(len(e.b)) {
			return nil, fmt.Errorf("inline data of %d bytes at %d crosses a block boundary or the image's end", tail, n.end)
		}
		inline := e.b[n.end : n.end+tail]
		if full == 0 {
			return inline, nil
		}
		head, err := e.span(start, 0, full)
		if err != nil {
			return nil, err
		}
		out := make([]byte, 0, n.size)
		return append(append(out, head...), inline...), nil
	case erofsChunkBased:
		return e.chunks(n)
	}
	return nil, fmt.Errorf("data layout %d", n.layout)
}

// chunks reads a chunk-based inode: a block map (4-byte block numbers) or
// chunk indexes (8 bytes: block MSB, device, block LSB) after the inode,
// aligned to their size; -1 is a hole.
func (e *erofsImage) chunks(n erofsInode) ([]byte, error) {
	format := n.iu & 0xffff
	if format&^0x7f != 0 {
		return nil, fmt.Errorf("unknown chunk format %#x", format)
	}
	bits := e.blkBits + uint(format&0x1f)
	if bits > 40 {
		return nil, fmt.Errorf("chunk size 2^%d", bits)
	}
	chunk := int64(1) << bits
	unit := int64(4)
	if format&erofsChunkIndexes != 0 {
		unit = 8
	}
	count := (n.size + chunk - 1) >> bits
	table := (n.end + unit - 1) / unit * unit
	if count > int64(len(e.b))/unit || table+count*unit > int64(len(e.b)) {
		return nil, fmt.Errorf("chunk table of %d entries at %d runs past the image", count, table)
	}
	out := make([]byte, n.size)
	for i := int64(0); i < count; i++ {
		ent := e.b[table+i*unit:]
		var blk uint64
		if unit == 4 {
			blk = uint64(binary.LittleEndian.Uint32(ent))
		} else {
			if dev := binary.LittleEndian.Uint16(ent[2:]); dev != 0 {
				return nil, fmt.Errorf("chunk %d on extra device %d (not in this image)", i, dev)
			}
			blk = uint64(binary.LittleEndian.Uint32(ent[4:]))
			if blk != erofsNullAddr && (e.wide || format&erofsChunk48Bit != 0) {
				blk |= uint64(binary.LittleEndian.Uint16(ent)) << 32
			}
		}
		if blk == erofsNullAddr {
			continue // a hole
		}
		want := min(chunk, n.size-i*chunk)
		src, err := e.span(blk, 0, want)
		if err != nil {
			return nil, fmt.Errorf("chunk %d: %w", i, err)
		}
		copy(out[i*chunk:], src)
	}
	return out, nil
}

// algorithm names the compression of a compressed inode from its map
// header (after the inode, 8-aligned): HEAD1's algorithm; "" for a file
// held whole in the packed inode (whose header is the fragment's offset)
// or indexed by extent records (each naming its own).
func (e *erofsImage) algorithm(n erofsInode) string {
	hdr := (n.end + 7) &^ 7
	if hdr+8 > int64(len(e.b)) {
		return "unknown"
	}
	if e.b[hdr+7]&0x80 != 0 || (n.layout == erofsCompressedFull && e.b[hdr+4]&erofsAdviseExtents != 0) {
		return "" // whole in the packed inode, or an algorithm per extent record
	}
	return erofsAlgName(e.b[hdr+6] & 0xf)
}

type erofsDirent struct {
	nid  uint64
	name string
}

// readDir lists a directory's entries but "." and "..": in each block the
// first dirent's name offset says how many dirents precede the names; a
// name runs to the next dirent's name, the last one to a NUL or the end of
// the block.
func (e *erofsImage) readDir(nid uint64) ([]erofsDirent, error) {
	n, err := e.inode(nid)
	if err != nil {
		return nil, err
	}
	if n.mode&0o170000 != 0o040000 {
		return nil, fmt.Errorf("inode %d is not a directory (mode %o)", nid, n.mode)
	}
	if n.size > int64(len(e.b)) {
		return nil, fmt.Errorf("directory of %d bytes is larger than the image", n.size)
	}
	var data []byte
	if n.layout == erofsCompressedFull || n.layout == erofsCompressedComp {
		// mkfs.erofs --zD: held whole in the packed inode, or compressed
		// like a file; its decoded size is claimed like a file's.
		if e.claim != nil {
			if err := e.claim(n.size); err != nil {
				return nil, err
			}
		}
		data, err = e.compressed(n)
	} else {
		data, err = e.data(n)
	}
	if err != nil {
		return nil, err
	}
	var out []erofsDirent
	for off := int64(0); off < int64(len(data)); off += e.blk {
		blk := data[off:min(off+e.blk, int64(len(data)))]
		if len(blk) < 12 {
			return nil, fmt.Errorf("directory block at %d: %d bytes", off, len(blk))
		}
		first := int(binary.LittleEndian.Uint16(blk[8:]))
		if first < 12 || first >= len(blk) {
			return nil, fmt.Errorf("directory block at %d: first name at %d", off, first)
		}
		count := first / 12
		for i := 0; i < count; i++ {
			de := blk[i*12:]
			start := int(binary.LittleEndian.Uint16(de[8:]))
			end := len(blk)
			if i+1 < count {
				end = int(binary.LittleEndian.Uint16(blk[(i+1)*12+8:]))
			} else if start <= len(blk) {
				if z := bytes.IndexByte(blk[start:], 0); z >= 0 {
					end = start + z
				}
			}
			if start < first || end <= start || end > len(blk) {
				return nil, fmt.Errorf("directory block at %d: entry %d has a bad name (bytes %d to %d)", off, i, start, end)
			}
			name := string(blk[start:end])
			if name == "." || name == ".." {
				continue
			}
			out = append(out, erofsDirent{nid: binary.LittleEndian.Uint64(de), name: name})
		}
	}
	return out, nil
}
