package vuln

import (
	"archive/zip"
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
)

// Bounds on what a compressed feed file may expand to: real feeds expand
// 4–20 times (NVD JSON, EPSS CSV); a decompression bomb expands a thousand
// times or more.
const (
	MaxDecompressed = 4 << 30 // bytes, whatever the compressed size
	MaxRatio        = 200     // times the compressed size (at least 64 MiB allowed)
)

// ErrDecompressionBomb is returned when a feed expands beyond the bounds.
var ErrDecompressionBomb = errors.New("decompresses beyond the allowed size: not a feed (a decompression bomb?)")

// BoundDecompressed limits r, the decompressed stream of a file of
// compressed bytes (0: unknown, only MaxDecompressed applies); reading past
// the bound fails with a ParseError naming the file.
func BoundDecompressed(r io.Reader, name string, compressed int64) io.Reader {
	max := int64(MaxDecompressed)
	if compressed > 0 {
		max = min(max, max64(compressed*MaxRatio, 64<<20))
	}
	return &boundedReader{r: r, left: max, max: max, name: name}
}

func max64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

type boundedReader struct {
	r         io.Reader
	left, max int64
	name      string
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, &ParseError{File: b.name, Err: fmt.Errorf("%w (more than %d MiB)", ErrDecompressionBomb, b.max>>20)}
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return n, &ParseError{File: b.name, Err: fmt.Errorf("%w (more than %d MiB)", ErrDecompressionBomb, b.max>>20)}
	}
	return n, err
}

// ZipBudget checks the entries of the zip archive zr (called name in
// errors) and returns how many bytes its entries may decompress to in all:
// MaxRatio times their compressed bytes, at least 64 MiB, at most
// MaxDecompressed. An archive whose entries share compressed bytes (the
// overlapping-entry zip bomb: thousands of directory entries pointing at
// one deflate stream, each expanded again) is refused with
// ErrDecompressionBomb: no zip tool writes one.
func ZipBudget(zr *zip.Reader, name string) (int64, error) {
	type span struct{ start, end int64 }
	spans := make([]span, 0, len(zr.File))
	var compressed int64
	for _, f := range zr.File {
		if f.CompressedSize64 == 0 {
			continue
		}
		off, err := f.DataOffset()
		if err != nil {
			return 0, &ParseError{File: name + "!" + f.Name, Err: fmt.Errorf("zip entry: %w", err)}
		}
		size := int64(min(f.CompressedSize64, 1<<62))
		spans = append(spans, span{off, off + size})
		compressed = min(compressed+size, MaxDecompressed)
	}
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.start, b.start) })
	for i := 1; i < len(spans); i++ {
		if spans[i].start < spans[i-1].end {
			return 0, &ParseError{File: name, Err: fmt.Errorf("%w: zip entries share compressed data (at byte %d)", ErrDecompressionBomb, spans[i].start)}
		}
	}
	return min(int64(MaxDecompressed), max64(compressed*MaxRatio, 64<<20)), nil
}
