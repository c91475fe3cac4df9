package decompress

// Patched for Rampart (see third_party/squashfs/RAMPART.md): mksquashfs
// writes every data and metadata block as one raw LZ4 block (lz4.c's
// LZ4_compress_default / LZ4_compress_HC), not as an LZ4 frame, so the
// upstream lz4.NewReader (frames only) could not read any LZ4 image.

import (
	"bytes"
	"errors"
	"io"
	"sync"

	"github.com/pierrec/lz4/v4"
)

type Lz4 struct{}

// maxBlock is squashfs's largest block (data blocks are at most 1 MiB,
// metadata blocks 8 KiB), so no block decompresses to more.
const maxBlock = 1 << 20

var lz4Scratch = sync.Pool{New: func() any { b := make([]byte, maxBlock); return &b }}

// frameMagic starts an LZ4 frame (still accepted, as upstream did).
var frameMagic = []byte{0x04, 0x22, 0x4d, 0x18}

func (l Lz4) Decompress(data []byte) ([]byte, error) {
	if bytes.HasPrefix(data, frameMagic) {
		return io.ReadAll(io.LimitReader(lz4.NewReader(bytes.NewReader(data)), maxBlock+1))
	}
	bp := lz4Scratch.Get().(*[]byte)
	defer lz4Scratch.Put(bp)
	n, err := lz4.UncompressBlock(data, *bp)
	if err != nil {
		if errors.Is(err, lz4.ErrInvalidSourceShortBuffer) {
			return nil, errors.New("lz4: block decompresses to more than 1 MiB (squashfs's largest block)")
		}
		return nil, err
	}
	return append([]byte(nil), (*bp)[:n]...), nil
}
