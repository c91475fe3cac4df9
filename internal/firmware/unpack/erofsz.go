package unpack

// ---- EROFS compressed files (fs/erofs/zmap.c, decompressor.c) ----
//
// A compressed inode's data is a run of extents, each decoding a physical
// cluster (pcluster: one or more blocks, with big pclusters) to the
// logical range up to the next extent. Which logical cluster (lcluster,
// one block) starts an extent, where in it, and at which block its
// pcluster lies is in the inode's cluster index after the 8-byte map
// header: 8 bytes per lcluster (COMPRESSED_FULL), or packed into 4-byte
// and 2-byte records (COMPRESSED_COMPACT), where the block of a head is
// the pack's base block plus the pclusters before it. A head is PLAIN
// (the data stored uncompressed at the start of its pcluster or, with
// interlaced pclusters, rotated by the extent's offset in its block) or
// HEAD1/HEAD2 (compressed with the map header's first or second
// algorithm: LZ4, LZMA (MicroLZMA), DEFLATE or Zstandard, decoded in
// erofsdec.go); NONHEAD lclusters continue an extent, the first of a big
// pcluster carrying its block count (CBLKCNT). With ztailpacking the last
// pcluster is stored right after the index, in the inode's block. With
// fragments the last extent (or, when the map header's top bit is set,
// the whole file) is a range of the packed inode (superblock packed_nid),
// itself a file of the image, decoded once. A head of the full index may
// be a partial reference to a deduplicated pcluster (-Ededupe): the extent
// is the start of what the pcluster decodes to. The extent records of
// Linux 6.15 (mkfs.erofs -E48bit) are read in erofsext.go.

import (
	"encoding/binary"
	"errors"
	"fmt"
)

const (
	erofsLZ4ZeroPadding = 0x1 // feature_incompat

	erofsAdviseCompacted2B  = 0x1  // COMPACT: 2-byte records
	erofsAdviseExtents      = 0x1  // FULL (Linux 6.15): extent records
	erofsAdviseBigPcluster1 = 0x2  // HEAD1 pclusters may be big
	erofsAdviseBigPcluster2 = 0x4  // PLAIN and HEAD2 pclusters may be big
	erofsAdviseInline       = 0x8  // ztailpacking: the last pcluster after the index
	erofsAdviseInterlaced   = 0x10 // PLAIN pclusters rotated by the extent's block offset
	erofsAdviseFragment     = 0x20 // the last extent is in the packed inode

	erofsPlain   = 0
	erofsHead1   = 1
	erofsNonhead = 2
	erofsHead2   = 3

	erofsCblkcnt    = 1 << 11
	erofsPartialRef = 1 << 15
)

// erofsLcluster is one decoded cluster index record.
type erofsLcluster struct {
	typ        int
	clusterOfs int64  // heads: where the extent starts in the lcluster
	blk        uint64 // heads: the pcluster's first block
	cblks      int64  // the first NONHEAD of a big pcluster: its block count
	partial    bool   // FULL heads: a partial reference to a deduplicated pcluster
}

// erofsZMap is a compressed inode's map header and index.
type erofsZMap struct {
	e        *erofsImage
	n        erofsInode
	advise   uint16
	algs     [2]byte
	lcBits   uint
	index    int64 // offset of the first index record
	total    int64 // lclusters
	big      bool  // COMPACT: big pclusters (both HEAD1 and HEAD2)
	big1     bool  // HEAD1 pclusters may be big
	big2     bool  // PLAIN and HEAD2 pclusters may be big
	compact  bool
	c4bFirst int64 // COMPACT: 4-byte records before the 2-byte ones
	c2b      int64 // COMPACT: 2-byte records
	inline   int64 // ztailpacking: the size of the inline last pcluster
	fragment bool  // the last extent is in the packed inode
	whole    bool  // the whole file is in the packed inode
	fragOff  uint64
	extents  bool // FULL with extent records (erofsext.go)
	nExt     int64
}

func (e *erofsImage) zmap(n erofsInode) (*erofsZMap, error) {
	hdr := (n.end + 7) &^ 7
	if hdr+8 > int64(len(e.b)) {
		return nil, errors.New("map header outside the image")
	}
	h := e.b[hdr:]
	m := &erofsZMap{e: e, n: n, advise: binary.LittleEndian.Uint16(h[4:]), algs: [2]byte{h[6] & 0xf, h[6] >> 4}, compact: n.layout == erofsCompressedComp}
	if h[7]&0x80 != 0 {
		// The whole file is in the packed inode, at the header's other
		// 63 bits.
		m.whole, m.fragment = true, true
		m.fragOff = binary.LittleEndian.Uint64(h) &^ (1 << 63)
		return m, nil
	}
	m.lcBits = e.blkBits + uint(h[7]&0xf)
	m.big1, m.big2 = m.advise&erofsAdviseBigPcluster1 != 0, m.advise&erofsAdviseBigPcluster2 != 0
	switch {
	case !m.compact && m.advise&erofsAdviseExtents != 0:
		m.extents, m.fragment = true, m.advise&erofsAdviseFragment != 0
		m.index = hdr
		return m, m.checkExtents(h)
	case m.lcBits > 20:
		return nil, fmt.Errorf("logical cluster of 2^%d bytes", m.lcBits)
	case m.algs[0] > erofsAlgZstd:
		return nil, fmt.Errorf("compressed with unknown algorithm %d (not decompressed)", m.algs[0])
	case m.compact && m.big1 != m.big2:
		return nil, errors.New("compact index with big pclusters for one head type only")
	}
	m.big = m.big1
	if m.advise&erofsAdviseFragment != 0 {
		m.fragment = true
		m.fragOff = uint64(binary.LittleEndian.Uint32(h))
	} else if m.advise&erofsAdviseInline != 0 {
		m.inline = int64(binary.LittleEndian.Uint16(h[2:]))
	}
	m.total = (n.size + 1<<m.lcBits - 1) >> m.lcBits
	if m.compact {
		if m.lcBits != e.blkBits || m.lcBits > 14 {
			return nil, fmt.Errorf("compact index with logical clusters of 2^%d bytes", m.lcBits)
		}
		m.index = hdr + 8
		m.c4bFirst = (32 - m.index%32) / 4 % 8 // to align the 2-byte packs to 32 bytes
		if m.advise&erofsAdviseCompacted2B != 0 && m.c4bFirst < m.total {
			if m.lcBits > 12 {
				return nil, fmt.Errorf("2-byte compact index with logical clusters of 2^%d bytes", m.lcBits)
			}
			m.c2b = (m.total - m.c4bFirst) / 16 * 16
		}
	} else {
		m.index = hdr + 16 // map header, then 8 bytes of padding
	}
	return m, nil
}

// lcluster decodes the index record of lcluster lcn.
func (m *erofsZMap) lcluster(lcn int64) (erofsLcluster, error) {
	if !m.compact {
		at := m.index + lcn*8
		if at+8 > int64(len(m.e.b)) {
			return erofsLcluster{}, fmt.Errorf("index of lcluster %d outside the image", lcn)
		}
		d := m.e.b[at:]
		advise := binary.LittleEndian.Uint16(d)
		l := erofsLcluster{typ: int(advise & 3)}
		if l.typ == erofsNonhead {
			if d0 := binary.LittleEndian.Uint16(d[4:]); d0&erofsCblkcnt != 0 {
				l.cblks = int64(d0 &^ erofsCblkcnt)
			}
			return l, nil
		}
		l.partial = advise&erofsPartialRef != 0
		l.clusterOfs = int64(binary.LittleEndian.Uint16(d[2:]))
		l.blk = uint64(binary.LittleEndian.Uint32(d[4:]))
		return l, nil
	}
	pos, shift := m.record(lcn)
	return m.compacted(pos, shift)
}

// record is where the compact record of lcluster lcn is, and its size
// (1 << shift bytes).
func (m *erofsZMap) record(lcn int64) (pos int64, shift uint) {
	switch {
	case lcn < m.c4bFirst:
		return m.index + lcn*4, 2
	case lcn < m.c4bFirst+m.c2b:
		return m.index + m.c4bFirst*4 + (lcn-m.c4bFirst)*2, 1
	}
	return m.index + m.c4bFirst*4 + m.c2b*2 + (lcn-m.c4bFirst-m.c2b)*4, 2
}

// tail is the inline last pcluster of a ztailpacking inode: right after
// the index record (full) or pack (compact) of the last lcluster, within
// one block.
func (m *erofsZMap) tail() ([]byte, error) {
	last := m.total - 1
	at := m.index + last*8 + 8
	if m.compact {
		pos, shift := m.record(last)
		pack := int64(2) << shift
		if shift == 1 {
			pack = 32
		}
		at = pos/pack*pack + pack
	}
	if at+m.inline > int64(len(m.e.b)) || at%m.e.blk+m.inline > m.e.blk {
		return nil, fmt.Errorf("inline pcluster of %d bytes at %d crosses a block or the image's end", m.inline, at)
	}
	return m.e.b[at : at+m.inline], nil
}

// compacted decodes the compact record at pos, of 1 << shift bytes: packs
// of vcnt records (2 of 4 bytes, or 16 of 2 bytes) end with the 4-byte
// block number of the pack's first pcluster; each record is a 2-bit type
// above max(lcBits, 12) low bits (a head's cluster offset, a NONHEAD's distance to
// its head, or CBLKCNT with the block count).
func (m *erofsZMap) compacted(pos int64, shift uint) (erofsLcluster, error) {
	vcnt := int64(2)
	if shift == 1 {
		vcnt = 16
	}
	packLen := vcnt << shift
	base := pos - (pos%m.e.blk)%packLen // packs are aligned in their block
	if base+packLen > int64(len(m.e.b)) || base < 0 {
		return erofsLcluster{}, fmt.Errorf("index pack at %d outside the image", base)
	}
	in := m.e.b[base : base+packLen]
	bits := uint((packLen - 4) * 8 / vcnt)
	lobits := max(m.lcBits, 12) // room for CBLKCNT
	lomask := uint32(1)<<lobits - 1
	decode := func(i int64) (uint32, int) {
		at := uint(i) * bits
		var w [4]byte
		copy(w[:], in[at/8:])
		v := binary.LittleEndian.Uint32(w[:]) >> (at & 7)
		return v & lomask, int(v>>lobits) & 3
	}
	i := (pos - base) >> shift
	lo, typ := decode(i)
	l := erofsLcluster{typ: typ}
	if typ == erofsNonhead {
		if lo&erofsCblkcnt != 0 {
			if !m.big {
				return erofsLcluster{}, errors.New("block count without big pclusters")
			}
			l.cblks = int64(lo &^ erofsCblkcnt)
		}
		return l, nil
	}
	l.clusterOfs = int64(lo)
	// The block of a head: the pack's base plus the pclusters of the heads
	// (and big pclusters' block counts) before it in the pack.
	nblk := int64(0)
	if !m.big {
		nblk = 1
		for i > 0 {
			i--
			if lo, typ := decode(i); typ == erofsNonhead {
				i -= int64(lo)
			}
			if i >= 0 {
				nblk++
			}
		}
	} else {
		for i > 0 {
			i--
			lo, typ := decode(i)
			if typ != erofsNonhead {
				nblk++
				continue
			}
			if lo&erofsCblkcnt != 0 {
				i--
				nblk += int64(lo &^ erofsCblkcnt)
				continue
			}
			if lo == 1 {
				return erofsLcluster{}, errors.New("bad NONHEAD distance 1 in a big-pcluster pack")
			}
			i -= int64(lo) - 2
		}
	}
	l.blk = uint64(binary.LittleEndian.Uint32(in[packLen-4:])) + uint64(nblk)
	return l, nil
}

// erofsExtent is an extent of a compressed inode: its head lcluster and
// the logical offset it starts at.
type erofsExtent struct {
	la   int64
	lcn  int64
	head erofsLcluster
	next int // the record after the head: -1 none, else its type
	cblk int64
}

// read decodes the whole file: each head starts an extent at its lcluster
// plus cluster offset, running to the next head's start (or the end of
// the file), decoded from its pcluster of one block or, with big
// pclusters, of the block count its first NONHEAD gives; the extent
// holding the file's last byte may be inline (ztailpacking) or in the
// packed inode (fragments). The caller has claimed n.size.
func (m *erofsZMap) read() ([]byte, error) {
	out := make([]byte, m.n.size)
	if m.whole {
		return out, m.fragmentInto(out, 0)
	}
	if m.extents {
		return out, m.readExtents(out)
	}
	var exts []erofsExtent
	for lcn := int64(0); lcn < m.total; lcn++ {
		l, err := m.lcluster(lcn)
		if err != nil {
			return nil, err
		}
		if l.typ == erofsNonhead {
			if len(exts) == 0 {
				return nil, errors.New("the first lcluster is not a head")
			}
			if last := &exts[len(exts)-1]; last.lcn == lcn-1 {
				last.next, last.cblk = erofsNonhead, l.cblks
			}
			continue
		}
		la := lcn<<m.lcBits + l.clusterOfs
		if (len(exts) == 0 && la != 0) || (len(exts) > 0 && la <= exts[len(exts)-1].la) || l.clusterOfs >= 1<<m.lcBits {
			return nil, fmt.Errorf("lcluster %d: extent at %d out of order", lcn, la)
		}
		if len(exts) > 0 && exts[len(exts)-1].lcn == lcn-1 {
			exts[len(exts)-1].next = l.typ
		}
		exts = append(exts, erofsExtent{la: la, lcn: lcn, head: l, next: -1})
	}
	// The tail extent holds the file's last byte; a head at the file's
	// size (mkfs.erofs writes one) starts nothing.
	tailExt := len(exts) - 1
	for tailExt > 0 && exts[tailExt].la >= m.n.size {
		tailExt--
	}
	for i, x := range exts {
		if x.la >= m.n.size {
			break
		}
		end := m.n.size
		if i+1 < len(exts) {
			end = min(exts[i+1].la, end)
		}
		dst := out[x.la:end]
		if err := m.extent(x, dst, i == tailExt); err != nil {
			return nil, fmt.Errorf("extent at %d (lcluster %d): %w", x.la, x.lcn, err)
		}
	}
	return out, nil
}

// extent decodes one extent into dst; tail: it holds the file's last byte.
func (m *erofsZMap) extent(x erofsExtent, dst []byte, tail bool) error {
	if len(dst) > erofsMaxExtent {
		return fmt.Errorf("extent of %d bytes (at most %d)", len(dst), erofsMaxExtent)
	}
	if tail && m.fragment {
		if !m.compact {
			m.fragOff |= x.head.blk << 32 // the full index keeps 64 bits
		}
		return m.fragmentInto(dst, x.la)
	}
	var src []byte
	var err error
	if tail && m.inline > 0 {
		src, err = m.tail()
	} else {
		var plen int64
		if plen, err = m.pclusterLen(x); err == nil {
			src, err = m.e.span(x.head.blk, 0, plen)
		}
	}
	if err != nil {
		return err
	}
	if x.head.typ == erofsPlain {
		return m.plainInto(dst, src, x.la, m.advise&erofsAdviseInterlaced != 0)
	}
	alg := m.algs[0]
	if x.head.typ == erofsHead2 {
		alg = m.algs[1]
	}
	if err := m.e.decompress(alg, src, dst, x.head.partial); err != nil {
		return fmt.Errorf("pcluster at block %d: %w", x.head.blk, err)
	}
	return nil
}

// plainInto copies an uncompressed pcluster into dst, the extent starting
// at logical offset la: from its start or, interlaced, from the extent's
// offset in its block, wrapping around to the block's start.
func (m *erofsZMap) plainInto(dst, src []byte, la int64, interlaced bool) error {
	if len(dst) > len(src) {
		return fmt.Errorf("%d bytes in an uncompressed pcluster of %d", len(dst), len(src))
	}
	if !interlaced {
		copy(dst, src)
		return nil
	}
	if int64(len(src)) != m.e.blk {
		return fmt.Errorf("interlaced pcluster of %d bytes, not one block", len(src))
	}
	right := copy(dst, src[la&(m.e.blk-1):])
	copy(dst[right:], src)
	return nil
}

// pclusterLen is the size of an extent's pcluster: one block unless its
// head type may be big (big pcluster 1 for HEAD1, 2 for PLAIN and HEAD2)
// and the lcluster after the head is a NONHEAD with the block count.
func (m *erofsZMap) pclusterLen(x erofsExtent) (int64, error) {
	big := m.big2
	if x.head.typ == erofsHead1 {
		big = m.big1
	}
	if !big || (x.lcn+1)<<m.lcBits >= m.n.size || x.next != erofsNonhead {
		return m.e.blk, nil
	}
	if x.cblk <= 0 {
		return 0, errors.New("big pcluster without a block count")
	}
	if x.cblk<<m.e.blkBits > erofsMaxPcluster {
		return 0, fmt.Errorf("pcluster of %d blocks (at most %d bytes)", x.cblk, erofsMaxPcluster)
	}
	return x.cblk << m.e.blkBits, nil
}

// fragmentInto copies the fragment of the file starting at logical offset
// la from the packed inode.
func (m *erofsZMap) fragmentInto(dst []byte, la int64) error {
	packed, err := m.e.packedData()
	if err != nil {
		return err
	}
	if m.fragOff > uint64(len(packed)) || uint64(len(dst)) > uint64(len(packed))-m.fragOff {
		return fmt.Errorf("fragment of %d bytes (from %d) at %d runs past the packed inode's %d bytes", len(dst), la, m.fragOff, len(packed))
	}
	copy(dst, packed[m.fragOff:])
	return nil
}

// compressed decodes a compressed inode (its size claimed by the caller).
func (e *erofsImage) compressed(n erofsInode) ([]byte, error) {
	if n.size == 0 {
		return nil, nil
	}
	m, err := e.zmap(n)
	if err != nil {
		return nil, err
	}
	return m.read()
}

// lz4Partial decodes an LZ4 block (lz4_Block_format.md: sequences of a
// token, literals, a 2-byte offset and a match) into dst until dst is full,
// ignoring what follows, as the kernel's LZ4_decompress_safe_partial does
// for EROFS images without zero padding. Hand-written: pierrec/lz4 decodes
// only whole blocks, and such a pcluster holds more than its block.
func lz4Partial(src, dst []byte) (int, error) {
	length := func(i *int, n int) (int, error) {
		if n != 15 {
			return n, nil
		}
		for {
			if *i >= len(src) {
				return 0, errors.New("length runs past the input")
			}
			b := int(src[*i])
			*i++
			if n += b; n > 1<<30 {
				return 0, errors.New("length over 1 GiB")
			}
			if b != 255 {
				return n, nil
			}
		}
	}
	i, o := 0, 0
	for o < len(dst) {
		if i >= len(src) {
			return o, errors.New("input ends before the output is full")
		}
		tok := src[i]
		i++
		lit, err := length(&i, int(tok>>4))
		if err != nil {
			return o, err
		}
		if i+lit > len(src) {
			return o, errors.New("literals run past the input")
		}
		o += copy(dst[o:], src[i:i+lit])
		i += lit
		if o == len(dst) {
			break
		}
		if i+2 > len(src) {
			return o, errors.New("offset runs past the input")
		}
		off := int(src[i]) | int(src[i+1])<<8
		i += 2
		ml, err := length(&i, int(tok&15))
		if err != nil {
			return o, err
		}
		ml += 4
		if off == 0 || off > o {
			return o, fmt.Errorf("match offset %d at output %d", off, o)
		}
		for k := 0; k < ml && o < len(dst); k++ { // byte by byte: matches may overlap
			dst[o] = dst[o-off]
			o++
		}
	}
	return o, nil
}
