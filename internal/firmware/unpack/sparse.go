package unpack

// ---- Android sparse images (AOSP system/core/libsparse, sparse_format.h) ----
//
// Hand-written: a 28-byte little-endian file header (magic 0xed26ff3a,
// version 1.x, header sizes, block size, total blocks and chunks) and
// chunks of a 12-byte header (type, size in blocks, size in bytes with the
// header) followed by raw blocks (0xCAC1), a 4-byte fill value (0xCAC2),
// nothing (don't care, 0xCAC3: read as zeros) or a CRC32 of the image so far
// (0xCAC4). The expanded image is a nested blob, unpacked as ext4 and so on.
// Fill and don't-care chunks cost nothing in the file: the expanded size is
// bounded like a compressed stream (MaxRatio) before anything is allocated.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

const (
	sparseMagic     = 0xed26ff3a
	sparseHeaderLen = 28
	sparseChunkLen  = 12

	sparseRaw      = 0xcac1
	sparseFill     = 0xcac2
	sparseDontCare = 0xcac3
	sparseCRC      = 0xcac4
)

// errSparseTooBig refuses a sparse image whose expansion is past the ratio
// limit: a layer refused (and named in the warnings), not a failed image,
// as a vendor package's empty userdata.img of several GiB is a few KB.
var errSparseTooBig = errors.New("android sparse image expands past the ratio limit")

func isSparse(b []byte) bool {
	if len(b) < sparseHeaderLen || binary.LittleEndian.Uint32(b) != sparseMagic || binary.LittleEndian.Uint16(b[4:]) != 1 {
		return false
	}
	fh, ch := binary.LittleEndian.Uint16(b[8:]), binary.LittleEndian.Uint16(b[10:])
	bs := binary.LittleEndian.Uint32(b[12:])
	return fh >= sparseHeaderLen && ch >= sparseChunkLen && bs >= 4 && bs%4 == 0
}

// sparseSize is the length of the sparse file: its header and chunks
// (0 when a chunk runs past b).
func sparseSize(b []byte) int64 {
	if !isSparse(b) {
		return 0
	}
	off := int64(binary.LittleEndian.Uint16(b[8:]))
	for n := binary.LittleEndian.Uint32(b[20:]); n > 0; n-- {
		if off+sparseChunkLen > int64(len(b)) {
			return 0
		}
		off += int64(binary.LittleEndian.Uint32(b[off+8:]))
	}
	if off > int64(len(b)) {
		return 0
	}
	return off
}

func openSparse(u *unpacker, b []byte) (contents, error) {
	if !isSparse(b) {
		return contents{}, errors.New("android sparse: bad file header")
	}
	fileHdr := int64(binary.LittleEndian.Uint16(b[8:]))
	chunkHdr := int64(binary.LittleEndian.Uint16(b[10:]))
	blk := int64(binary.LittleEndian.Uint32(b[12:]))
	blocks := int64(binary.LittleEndian.Uint32(b[16:]))
	chunks := int64(binary.LittleEndian.Uint32(b[20:]))
	if max := u.lim.MaxRatio*int64(len(b)) + 1<<20; blocks > max/blk {
		return contents{}, fmt.Errorf("%w: %d blocks of %d bytes from a file of %d bytes (more than %d)", errSparseTooBig, blocks, blk, len(b), max)
	}
	size := blocks * blk
	if chunks > int64(len(b))/chunkHdr {
		return contents{}, fmt.Errorf("android sparse: %d chunks cannot fit in %d bytes", chunks, len(b))
	}
	if err := u.addBytes(size); err != nil {
		return contents{}, err
	}
	out := make([]byte, size)
	var raw, fill, skip int64
	var crcBad []string
	crc := uint32(0)
	off, at := fileHdr, int64(0) // in the file, in the expanded image
	for i := int64(0); i < chunks; i++ {
		if off+chunkHdr > int64(len(b)) {
			return contents{}, fmt.Errorf("android sparse: chunk %d header at offset %d past the end of the file (%d bytes)", i, off, len(b))
		}
		h := b[off:]
		typ := binary.LittleEndian.Uint16(h)
		n := int64(binary.LittleEndian.Uint32(h[4:]))
		total := int64(binary.LittleEndian.Uint32(h[8:]))
		data := off + chunkHdr
		if total < chunkHdr || off+total > int64(len(b)) {
			return contents{}, fmt.Errorf("android sparse: chunk %d at offset %d: %d bytes past the end of the file (%d bytes)", i, off, total, len(b))
		}
		if typ != sparseCRC && n > (size-at)/blk {
			return contents{}, fmt.Errorf("android sparse: chunk %d at offset %d: %d blocks past the %d of the image", i, off, n, blocks)
		}
		want := chunkHdr
		var dst []byte
		if typ != sparseCRC {
			dst = out[at : at+n*blk]
		}
		switch typ {
		case sparseRaw:
			want += n * blk
			if total == want {
				copy(dst, b[data:data+n*blk])
			}
			raw += n
		case sparseFill:
			want += 4
			if total == want && n > 0 {
				copy(dst, b[data:data+4])
				for k := 4; k < len(dst); k *= 2 {
					copy(dst[k:], dst[:k])
				}
			}
			fill += n
		case sparseDontCare:
			skip += n
		case sparseCRC:
			want += 4
			if total == want {
				if got := binary.LittleEndian.Uint32(b[data:]); got != crc {
					crcBad = append(crcBad, fmt.Sprintf("chunk %d at offset %d", i, off))
				}
			}
		default:
			return contents{}, fmt.Errorf("android sparse: chunk %d at offset %d: unknown type 0x%x", i, off, typ)
		}
		if total != want {
			return contents{}, fmt.Errorf("android sparse: chunk %d (type 0x%x) at offset %d: %d bytes, not %d", i, typ, off, total, want)
		}
		crc = crc32.Update(crc, crc32.IEEETable, dst)
		at += int64(len(dst))
		off += total
	}
	if at != size {
		return contents{}, fmt.Errorf("android sparse: chunks cover %d of %d blocks", at/blk, blocks)
	}
	c := contents{used: off, nested: []nestedBlob{{data: out}},
		detail: fmt.Sprintf("%d chunks, %d blocks of %d bytes (%d raw, %d fill, %d don't care)", chunks, blocks, blk, raw, fill, skip)}
	if want := binary.LittleEndian.Uint32(b[24:]); want != 0 && want != crc {
		crcBad = append(crcBad, "image checksum")
	}
	if len(crcBad) > 0 {
		c.detail += fmt.Sprintf("; CRC32 mismatch: %v", crcBad)
	}
	return c, nil
}
