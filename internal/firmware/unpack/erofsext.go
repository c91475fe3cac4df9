package unpack

// ---- EROFS extent records (Linux 6.15, mkfs.erofs -E48bit) ----
//
// A COMPRESSED_FULL inode whose map header sets Z_EROFS_ADVISE_EXTENTS
// lists its extents instead of indexing lclusters (fs/erofs/zmap.c,
// z_erofs_map_blocks_ext). Records are 4 << ((h_advise >> 1) & 3) bytes,
// aligned to their size after the 8-byte map header: with 4 or 8 bytes
// every lcluster is one extent (4: the encoded length only, the pclusters
// following each other from a 64-bit byte address before the records; 8:
// the length and a 32-bit byte address); with 16 or 32 bytes there are
// h_extents records (the header's bytes 0-3 and 6-7), each with its length,
// a 48-bit byte address and its logical start (32 or 64 bits), sorted by
// it. A length's low 21 bits are the pcluster's size in bytes (0: a hole),
// bit 27 marks a partial reference and bits 28-31 the algorithm plus one (0:
// uncompressed, interlaced when the pcluster is whole aligned blocks and
// the inode says so). With fragments the last record instead holds the
// fragment's offset in the packed inode (the length, and the address as
// its upper 32 bits).

import (
	"encoding/binary"
	"fmt"
)

const (
	erofsExtPartial = 1 << 27
	erofsExtFmtBit  = 28
	erofsExtLenMask = erofsMaxPcluster<<1 - 1
)

// erofsExtRec is one decoded extent record.
type erofsExtRec struct {
	la, pa int64
	plen   uint32 // as stored: length, partial flag and format
}

// recsz is the size of an extent record.
func (m *erofsZMap) recsz() int64 { return 4 << ((m.advise >> 1) & 3) }

// checkExtents reads the record count and checks the records fit the
// image.
func (m *erofsZMap) checkExtents(h []byte) error {
	if m.lcBits > 30 {
		return fmt.Errorf("extent records with logical clusters of 2^%d bytes", m.lcBits)
	}
	rs := m.recsz()
	m.index = (m.index + 8 + rs - 1) / rs * rs
	if rs <= 8 {
		m.nExt = (m.n.size + 1<<m.lcBits - 1) >> m.lcBits
	} else {
		m.nExt = int64(binary.LittleEndian.Uint32(h)) | int64(binary.LittleEndian.Uint16(h[6:]))<<32
	}
	first := m.index
	if rs == 4 {
		first += 8 // the first pcluster's address
	}
	if m.nExt > int64(len(m.e.b))/rs || first+m.nExt*rs > int64(len(m.e.b)) {
		return fmt.Errorf("%d extent records of %d bytes at %d run past the image", m.nExt, rs, m.index)
	}
	return nil
}

// extRecords decodes every record.
func (m *erofsZMap) extRecords() ([]erofsExtRec, error) {
	rs := m.recsz()
	b := m.e.b
	recs := make([]erofsExtRec, 0, m.nExt)
	at := m.index
	var pa int64
	if rs == 4 {
		pa = int64(binary.LittleEndian.Uint64(b[at:]))
		at += 8
	}
	for i := int64(0); i < m.nExt; i++ {
		r := b[at+i*rs:]
		x := erofsExtRec{plen: binary.LittleEndian.Uint32(r)}
		switch {
		case rs == 4:
			x.la, x.pa = i<<m.lcBits, pa
			pa += int64(x.plen & erofsExtLenMask)
		case rs == 8:
			x.la, x.pa = i<<m.lcBits, int64(binary.LittleEndian.Uint32(r[4:]))
		default:
			x.pa = int64(binary.LittleEndian.Uint32(r[4:])) | int64(binary.LittleEndian.Uint16(r[8:]))<<32
			x.la = int64(binary.LittleEndian.Uint32(r[12:]))
			if hi := binary.LittleEndian.Uint32(r[16:]); rs > 16 && hi != 0 {
				if hi >= 1<<30 {
					return nil, fmt.Errorf("extent record %d: logical start %#x00000000", i, hi)
				}
				x.la |= int64(hi) << 32
			}
		}
		if pa < 0 || (len(recs) > 0 && x.la <= recs[len(recs)-1].la) {
			return nil, fmt.Errorf("extent record %d (logical %d) out of order", i, x.la)
		}
		recs = append(recs, x)
	}
	return recs, nil
}

// readExtents decodes a file indexed by extent records into out (of the
// file's size, claimed by the caller); what no record maps stays zero.
func (m *erofsZMap) readExtents(out []byte) error {
	recs, err := m.extRecords()
	if err != nil {
		return err
	}
	size := int64(len(out))
	for i, x := range recs {
		if x.la >= size {
			break
		}
		end := size
		if i+1 < len(recs) {
			end = min(recs[i+1].la, size)
		}
		if err := m.extRecord(x, out[x.la:end], i == len(recs)-1); err != nil {
			return fmt.Errorf("extent %d at %d: %w", i, x.la, err)
		}
	}
	return nil
}

// extRecord decodes the extent x into dst; last: the final record.
func (m *erofsZMap) extRecord(x erofsExtRec, dst []byte, last bool) error {
	if len(dst) > erofsMaxExtent {
		return fmt.Errorf("extent of %d bytes (at most %d)", len(dst), erofsMaxExtent)
	}
	if last && m.fragment {
		m.fragOff = uint64(x.plen)
		if m.recsz() > 4 {
			m.fragOff |= uint64(x.pa) << 32
		}
		return m.fragmentInto(dst, x.la)
	}
	plen := int64(x.plen & erofsExtLenMask)
	if plen == 0 {
		return nil // a hole
	}
	if plen > erofsMaxPcluster {
		return fmt.Errorf("pcluster of %d bytes (at most %d)", plen, erofsMaxPcluster)
	}
	if x.pa > int64(len(m.e.b)) || plen > int64(len(m.e.b))-x.pa {
		return fmt.Errorf("pcluster of %d bytes at byte %d runs past the image", plen, x.pa)
	}
	src := m.e.b[x.pa : x.pa+plen]
	format := x.plen >> erofsExtFmtBit
	if format == 0 {
		interlaced := m.advise&erofsAdviseInterlaced != 0 && (x.pa|plen)&(m.e.blk-1) == 0
		return m.plainInto(dst, src, x.la, interlaced)
	}
	alg := byte(format - 1)
	if alg > erofsAlgZstd {
		return fmt.Errorf("compressed with unknown algorithm %d (not decompressed)", alg)
	}
	m.e.used[alg] = true
	if err := m.e.decompress(alg, src, dst, x.plen&erofsExtPartial != 0); err != nil {
		return fmt.Errorf("pcluster at byte %d: %w", x.pa, err)
	}
	return nil
}
