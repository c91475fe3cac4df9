package unpack

// ---- EROFS pcluster decoders (fs/erofs/decompressor*.c) ----
//
// A compressed pcluster decodes to exactly its extent (the logical range
// up to the next extent), or, for a partial reference to a deduplicated
// pcluster (-Ededupe), to at least that much, of which the extent is the
// start. mkfs.erofs right-aligns the compressed stream in its pcluster
// (zero padding before it, always for LZMA, DEFLATE and Zstandard, for LZ4
// with LZ4_0PADDING). Every decoder writes into the extent's slice of the
// file, whose size the cluster index fixed and the caller claimed: a stream
// that decodes to more is refused (but for partial references), one that
// decodes to less is an error.

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/ulikunitz/xz/lzma"
)

const (
	erofsAlgLZ4     = 0
	erofsAlgLZMA    = 1
	erofsAlgDeflate = 2
	erofsAlgZstd    = 3

	// Z_EROFS_PCLUSTER_MAX_SIZE and _MAX_DSIZE: the kernel refuses larger
	// pclusters and extents.
	erofsMaxPcluster = 1 << 20
	erofsMaxExtent   = 12 << 20
)

// erofsZstd decodes Zstandard pclusters (DecodeAll is safe for concurrent
// use); a frame decodes to at most the kernel's largest extent.
var erofsZstd = sync.OnceValues(func() (*zstd.Decoder, error) {
	return zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(erofsMaxExtent), zstd.WithDecoderMaxWindow(8<<20))
})

// decompress decodes the pcluster src, compressed with alg, into dst;
// partial: dst is only the start of what src holds.
func (e *erofsImage) decompress(alg byte, src, dst []byte, partial bool) error {
	if alg == erofsAlgLZ4 && e.incompat&erofsLZ4ZeroPadding == 0 {
		// Without zero padding the block starts the pcluster and is
		// followed by whatever the rest holds.
		got, err := lz4Partial(src, dst)
		return erofsDecoded("lz4", got, len(dst), err)
	}
	// The stream is right-aligned: skip the zeros before it (within the
	// first block, as the kernel does).
	skip := 0
	for skip < len(src) && src[skip] == 0 && int64(skip) < e.blk {
		skip++
	}
	if skip == len(src) {
		return fmt.Errorf("%s pcluster of %d bytes holds only zeros", erofsAlgName(alg), len(src))
	}
	src = src[skip:]
	switch alg {
	case erofsAlgLZ4:
		if partial {
			got, err := lz4Partial(src, dst)
			return erofsDecoded("lz4", got, len(dst), err)
		}
		got, err := lz4.UncompressBlock(src, dst)
		return erofsDecoded("lz4", got, len(dst), err)
	case erofsAlgLZMA:
		return microLZMA(src, dst, partial)
	case erofsAlgDeflate:
		// One inflater per image, reset for each pcluster.
		if e.inflater == nil {
			e.inflater = flate.NewReader(bytes.NewReader(src))
		} else if err := e.inflater.(flate.Resetter).Reset(bytes.NewReader(src), nil); err != nil {
			return fmt.Errorf("deflate: %w", err)
		}
		return erofsStream("deflate", e.inflater, dst, partial)
	case erofsAlgZstd:
		d, err := erofsZstd()
		if err != nil {
			return err
		}
		out, err := d.DecodeAll(src, dst[:0:len(dst)])
		if err != nil {
			return fmt.Errorf("zstd: %w", err)
		}
		if len(out) > len(dst) && partial {
			out = out[:len(dst)]
		}
		if len(out) == len(dst) && len(dst) > 0 && &out[0] != &dst[0] {
			copy(dst, out)
		}
		return erofsDecoded("zstd", len(out), len(dst), nil)
	}
	return fmt.Errorf("%s-compressed (not decompressed)", erofsAlgName(alg))
}

// erofsDecoded checks that a decoder gave the extent's size.
func erofsDecoded(alg string, got, want int, err error) error {
	switch {
	case err != nil:
		return fmt.Errorf("%s: %w", alg, err)
	case got > want:
		return fmt.Errorf("%s pcluster decodes to more than the extent's %d bytes", alg, want)
	case got != want:
		return fmt.Errorf("%s pcluster decodes to %d bytes, want %d", alg, got, want)
	}
	return nil
}

// erofsStream fills dst from a decoding reader; unless partial, the
// stream must end there.
func erofsStream(alg string, r io.Reader, dst []byte, partial bool) error {
	if partial {
		got, err := erofsDrain(r, dst)
		if got == len(dst) {
			return nil
		}
		return erofsDecoded(alg, got, len(dst), err)
	}
	got, err := io.ReadFull(r, dst)
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return erofsDecoded(alg, got, len(dst), nil)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", alg, err)
	}
	if partial {
		return nil
	}
	var one [1]byte
	n, err := r.Read(one[:])
	if n > 0 {
		return erofsDecoded(alg, got+n, len(dst), nil)
	}
	if err != nil && err != io.EOF {
		return fmt.Errorf("%s: after %d bytes: %w", alg, got, err)
	}
	if err == nil {
		// A reader may return 0, nil once before io.EOF.
		if n, err = r.Read(one[:]); n > 0 || (err != nil && err != io.EOF) {
			return fmt.Errorf("%s: the stream does not end after the extent's %d bytes", alg, got)
		}
	}
	return nil
}

// erofsDrain reads r into dst until it is full or r fails twice in a row
// without giving a byte: a stream of unknown size (a partial reference)
// that runs out of input fails in the step that decoded its last bytes,
// which ulikunitz/xz/lzma still hands out on the next read.
func erofsDrain(r io.Reader, dst []byte) (int, error) {
	n := 0
	var last error
	for n < len(dst) {
		k, err := r.Read(dst[n:])
		n += k
		if k == 0 && err == nil {
			err = io.ErrNoProgress
		}
		switch {
		case err == nil:
			last = nil
		case k == 0 && last != nil:
			return n, last
		default:
			last = err
		}
	}
	return n, nil
}

// microLZMA decodes a MicroLZMA stream (xz's lzma_microlzma_encoder, the
// EROFS LZMA format): a raw LZMA stream without a header and without an
// end marker whose first byte, always 0 in LZMA (the range coder's first),
// holds the bitwise negation of the properties byte (lc, lp, pb). The
// decoder is given the classic 13-byte header rebuilt from it: those
// properties, a dictionary of the extent's size (no match reaches further
// back than the extent's start) and the extent's size as the uncompressed
// size, so it stops there.
func microLZMA(src, dst []byte, partial bool) error {
	if len(src) < 5 {
		return fmt.Errorf("lzma: stream of %d bytes", len(src))
	}
	props := ^src[0]
	if props >= 9*5*5 {
		return fmt.Errorf("lzma: properties byte %#x", props)
	}
	dict := max(len(dst), lzma.MinDictCap)
	hdr := make([]byte, lzma.HeaderLen, lzma.HeaderLen+len(src))
	hdr[0] = props
	binary.LittleEndian.PutUint32(hdr[1:], uint32(dict))
	size := uint64(len(dst))
	if partial {
		size = ^uint64(0) // unknown: the pcluster holds more than the extent
	}
	binary.LittleEndian.PutUint64(hdr[5:], size)
	in := append(append(hdr, 0), src[1:]...)
	r, err := lzma.ReaderConfig{DictCap: dict}.NewReader(bytes.NewReader(in))
	if err != nil {
		return fmt.Errorf("lzma: %w", err)
	}
	return erofsStream("lzma", r, dst, partial)
}
