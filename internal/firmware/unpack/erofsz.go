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
// (the data stored uncompressed at the start of its pcluster) or HEAD1/
// HEAD2 (compressed with the map header's first or second algorithm);
// NONHEAD lclusters continue an extent, the first of a big pcluster
// carrying its block count (CBLKCNT). mkfs.erofs right-aligns each LZ4
// block in its pcluster (LZ4_0PADDING, the default since erofs-utils 1.0):
// the zero bytes before it are skipped; without it (-Elegacy-compress) the
// block starts the pcluster and is followed by whatever the rest holds, so
// it is decoded only until the extent is full (lz4Partial). Only LZ4 (mkfs.erofs -zlz4,
// -zlz4hc, the Android default) is decoded; LZMA, DEFLATE and Zstandard
// files, fragment pclusters (packed into a special inode), interlaced
// plain pclusters, deduplicated partial references and the extent records
// of Linux 6.15 are named unreadable instead. With ztailpacking the last
// pcluster is stored right after the index, in the inode's block.

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/pierrec/lz4/v4"
)

const (
	erofsLZ4ZeroPadding = 0x1 // feature_incompat

	erofsAdviseCompacted2B = 0x1 // COMPACT: 2-byte records; FULL (6.15): extent records
	erofsAdviseBigPcluster = 0x2 | 0x4
	erofsAdviseInline      = 0x8         // ztailpacking: the last pcluster after the index
	erofsAdviseUnsupported = 0x10 | 0x20 // interlaced, fragment pclusters

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
	big      bool
	compact  bool
	c4bFirst int64 // COMPACT: 4-byte records before the 2-byte ones
	c2b      int64 // COMPACT: 2-byte records
	inline   int64 // ztailpacking: the size of the inline last pcluster
}

func (e *erofsImage) zmap(n erofsInode) (*erofsZMap, error) {
	hdr := (n.end + 7) &^ 7
	if hdr+8 > int64(len(e.b)) {
		return nil, errors.New("map header outside the image")
	}
	h := e.b[hdr:]
	m := &erofsZMap{e: e, n: n, advise: binary.LittleEndian.Uint16(h[4:]), algs: [2]byte{h[6] & 0xf, h[6] >> 4}, compact: n.layout == erofsCompressedComp}
	m.lcBits = e.blkBits + uint(h[7]&0xf)
	switch {
	case h[7]&0x80 != 0 || m.advise&erofsAdviseUnsupported != 0:
		return nil, fmt.Errorf("%s-compressed with fragment or interlaced pclusters (not read)", m.algName())
	case !m.compact && m.advise&erofsAdviseCompacted2B != 0:
		return nil, fmt.Errorf("%s-compressed with extent records (not read)", m.algName())
	case m.lcBits > 20:
		return nil, fmt.Errorf("logical cluster of 2^%d bytes", m.lcBits)
	}
	m.big = m.advise&erofsAdviseBigPcluster != 0
	if m.advise&erofsAdviseInline != 0 {
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
			if m.lcBits != 12 {
				return nil, fmt.Errorf("2-byte compact index with logical clusters of 2^%d bytes", m.lcBits)
			}
			m.c2b = (m.total - m.c4bFirst) / 16 * 16
		}
	} else {
		m.index = hdr + 16 // map header, then 8 bytes of padding
	}
	return m, nil
}

func (m *erofsZMap) algName() string { return erofsAlgName(m.algs[0]) }

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
		if advise&erofsPartialRef != 0 {
			return erofsLcluster{}, errors.New("partial reference to a deduplicated pcluster (not read)")
		}
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
// above lcBits low bits (a head's cluster offset, a NONHEAD's distance to
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
	lomask := uint32(1)<<m.lcBits - 1
	decode := func(i int64) (uint32, int) {
		at := uint(i) * bits
		var w [4]byte
		copy(w[:], in[at/8:])
		v := binary.LittleEndian.Uint32(w[:]) >> (at & 7)
		return v & lomask, int(v>>m.lcBits) & 3
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

// read decodes the whole file: each head starts an extent at its lcluster
// plus cluster offset, running to the next head's start (or the end of
// the file), decoded from its pcluster of one lcluster or, with big
// pclusters, of the block count its first NONHEAD gives. The caller has
// claimed n.size.
func (m *erofsZMap) read() ([]byte, error) {
	type extent struct {
		la   int64
		head erofsLcluster
		plen int64
	}
	var exts []extent
	for lcn := int64(0); lcn < m.total; lcn++ {
		l, err := m.lcluster(lcn)
		if err != nil {
			return nil, err
		}
		if l.typ == erofsNonhead {
			if len(exts) == 0 {
				return nil, errors.New("the first lcluster is not a head")
			}
			if last := &exts[len(exts)-1]; l.cblks > 0 && last.plen == 0 {
				last.plen = l.cblks << m.e.blkBits
			}
			continue
		}
		la := lcn<<m.lcBits + l.clusterOfs
		if (len(exts) == 0 && la != 0) || (len(exts) > 0 && la <= exts[len(exts)-1].la) || l.clusterOfs >= 1<<m.lcBits {
			return nil, fmt.Errorf("lcluster %d: extent at %d out of order", lcn, la)
		}
		if len(exts) > 0 && exts[len(exts)-1].plen == 0 {
			exts[len(exts)-1].plen = 1 << m.lcBits
		}
		exts = append(exts, extent{la: la, head: l})
		if l.typ == erofsPlain || !m.big {
			exts[len(exts)-1].plen = 1 << m.lcBits
		}
	}
	if len(exts) > 0 && exts[len(exts)-1].plen == 0 {
		exts[len(exts)-1].plen = 1 << m.lcBits
	}
	// The tail extent holds the file's last byte; a head at the file's
	// size (mkfs.erofs writes one) starts nothing.
	tailExt := len(exts) - 1
	for tailExt > 0 && exts[tailExt].la >= m.n.size {
		tailExt--
	}
	out := make([]byte, m.n.size)
	for i, x := range exts {
		end := m.n.size
		if i+1 < len(exts) {
			end = exts[i+1].la
		}
		if x.la >= m.n.size {
			break
		}
		end = min(end, m.n.size)
		var src []byte
		var err error
		if m.inline > 0 && i == tailExt {
			src, err = m.tail()
		} else {
			src, err = m.e.span(x.head.blk, 0, x.plen)
		}
		if err != nil {
			return nil, fmt.Errorf("extent at %d: %w", x.la, err)
		}
		dst := out[x.la:end]
		if x.head.typ == erofsPlain {
			if len(dst) > len(src) {
				return nil, fmt.Errorf("extent at %d: %d bytes in a pcluster of %d", x.la, len(dst), len(src))
			}
			copy(dst, src)
			continue
		}
		alg := m.algs[0]
		if x.head.typ == erofsHead2 {
			alg = m.algs[1]
		}
		if alg != 0 {
			return nil, fmt.Errorf("%s-compressed (not decompressed)", erofsAlgName(alg))
		}
		var got int
		if m.e.incompat&erofsLZ4ZeroPadding != 0 {
			// The block is right-aligned: skip the zeros before it
			// (within the first block, as the kernel does).
			skip := 0
			for skip < len(src) && src[skip] == 0 && int64(skip) < m.e.blk {
				skip++
			}
			got, err = lz4.UncompressBlock(src[skip:], dst)
		} else {
			got, err = lz4Partial(src, dst)
		}
		if err != nil {
			return nil, fmt.Errorf("extent at %d: lz4: %w", x.la, err)
		}
		if got != len(dst) {
			return nil, fmt.Errorf("extent at %d decodes to %d bytes, want %d", x.la, got, len(dst))
		}
	}
	return out, nil
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
