package unpack

// ---- zip (PKWARE APPNOTE.TXT 6.3.x: local file headers, central directory,
// end of central directory record, zip64 end record and locator) ----
//
// archive/zip reads the archive from the byte slice; this file finds where
// an archive starts and ends (so that a zip inside a vendor blob can be
// carved), and bounds what its entries may claim: entry count, the ratio of
// each entry, the ratio of the whole archive and the total budget. Entries
// whose data overlap another's (the overlapping-file zip bomb) and encrypted
// entries are skipped and named in the layer's detail.

import (
	"archive/zip"
	"bytes"
	"compress/bzip2"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

const (
	zipLocalSig = 0x04034b50 // "PK\x03\x04"
	zipEndSig   = 0x06054b50 // "PK\x05\x06"
	zipEnd64Sig = 0x06064b50 // "PK\x06\x06"
	zipLoc64Sig = 0x07064b50 // "PK\x06\x07"
	zipEndLen   = 22
	zipLoc64Len = 20
)

// isZip accepts a local file header (version needed below 10.0, a name of
// sane length) whose archive's end record lies in b and points back to
// offset 0, or an empty archive (an end record alone).
func isZip(b []byte) bool {
	if len(b) >= zipEndLen && binary.LittleEndian.Uint32(b) == zipEndSig {
		return binary.LittleEndian.Uint16(b[10:]) == 0 && zipEndLen+int(binary.LittleEndian.Uint16(b[20:])) <= len(b)
	}
	if len(b) < 30 || binary.LittleEndian.Uint32(b) != zipLocalSig || binary.LittleEndian.Uint16(b[4:]) > 100 {
		return false
	}
	if n := binary.LittleEndian.Uint16(b[26:]); n == 0 || n > 4096 {
		return false
	}
	return zipSize(b) > 0
}

// zipSize is the length of the zip archive starting at b[0]: up to the end
// of the first end of central directory record whose central directory
// (size and offset, zip64 when the record says 0xffffffff) ends right
// before it and starts at an offset that, taken from b[0], is inside the
// archive. 0 when there is none.
func zipSize(b []byte) int64 {
	sig := []byte{'P', 'K', 5, 6}
	for start, tries := 0, 0; start < len(b) && tries < 64; tries++ {
		i := bytes.Index(b[start:], sig)
		if i < 0 {
			return 0
		}
		at := start + i
		start = at + 1
		if at+zipEndLen > len(b) {
			return 0
		}
		e := b[at:]
		cdSize, cdOff := int64(binary.LittleEndian.Uint32(e[12:])), int64(binary.LittleEndian.Uint32(e[16:]))
		cdEnd := int64(at)
		if (cdSize == 0xffffffff || cdOff == 0xffffffff) && at >= zipLoc64Len+56 {
			loc := b[at-zipLoc64Len:]
			rec := int64(at - zipLoc64Len - 56) // the zip64 record without extensible data
			if binary.LittleEndian.Uint32(loc) != zipLoc64Sig || binary.LittleEndian.Uint32(b[rec:]) != zipEnd64Sig {
				continue
			}
			cdSize, cdOff = int64(binary.LittleEndian.Uint64(b[rec+40:])), int64(binary.LittleEndian.Uint64(b[rec+48:]))
			cdEnd = rec
		}
		if cdSize < 0 || cdOff < 0 || cdSize > cdEnd || cdOff != cdEnd-cdSize {
			continue
		}
		end := int64(at) + zipEndLen + int64(binary.LittleEndian.Uint16(e[20:]))
		if end > int64(len(b)) {
			end = int64(len(b))
		}
		return end
	}
	return 0
}

// zipMethods are the compression methods read besides store (0) and
// deflate (8), which archive/zip reads itself.
var zipMethods = map[uint16]zip.Decompressor{
	12: func(r io.Reader) io.ReadCloser { return io.NopCloser(bzip2.NewReader(r)) },
	93: func(r io.Reader) io.ReadCloser {
		d, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(1<<30))
		if err != nil {
			return io.NopCloser(errReader{err})
		}
		return d.IOReadCloser()
	},
	95: func(r io.Reader) io.ReadCloser {
		d, err := xz.NewReader(r)
		if err != nil {
			return io.NopCloser(errReader{err})
		}
		return io.NopCloser(d)
	},
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func openZip(u *unpacker, b []byte) (contents, error) {
	if n := zipSize(b); n > 0 {
		b = b[:n]
	}
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return contents{}, fmt.Errorf("zip: %w", err)
	}
	for m, d := range zipMethods {
		zr.RegisterDecompressor(m, d)
	}
	c := contents{used: int64(len(b))}
	claims := fileClaims{fs: "zip", image: int64(len(b))}
	var skipped []string
	overlaps := zipOverlaps(zr.File)
	for i, zf := range zr.File {
		if err := u.addFile(); err != nil {
			return contents{}, err
		}
		name := cleanPath(zf.Name)
		if why := overlaps[i]; why != "" {
			skipped = append(skipped, fmt.Sprintf("%s (%s)", name, why))
			continue
		}
		f := zipEntry(zf, name)
		if f.Kind == KindDir || (f.Kind != KindFile && f.Kind != KindSymlink) {
			finish(&f)
			c.files = append(c.files, f)
			continue
		}
		if zf.Flags&1 != 0 || zf.Method == 99 { // traditional PKWARE or AES encryption
			skipped = append(skipped, name+" (encrypted)")
			continue
		}
		if zf.Method != zip.Store && zf.Method != zip.Deflate && zipMethods[zf.Method] == nil {
			skipped = append(skipped, fmt.Sprintf("%s (compression method %d)", name, zf.Method))
			continue
		}
		data, err := u.zipData(&claims, zf)
		if err != nil {
			if errors.Is(err, ErrLimit) {
				return contents{}, err
			}
			skipped = append(skipped, fmt.Sprintf("%s (%v)", name, err))
			continue
		}
		f.setContent(data)
		finish(&f)
		c.files = append(c.files, f)
	}
	c.entriesSkipped(skipped)
	return c, nil
}

// zipEntry is the entry a central directory record names: the Unix mode
// and file type when a Unix zip wrote it, else a file or directory.
func zipEntry(zf *zip.File, name string) File {
	if zf.CreatorVersion>>8 == 3 { // Unix: st_mode in the high 16 bits
		if mode := zf.ExternalAttrs >> 16; mode&0o170000 != 0 {
			if f, known := modeEntry(zf.Name, mode, 0, 0); known {
				return f
			}
		}
	}
	f := File{Inner: name, Kind: KindFile, Mode: 0o644}
	if zf.Mode()&fs.ModeDir != 0 || strings.HasSuffix(zf.Name, "/") {
		f.Kind, f.Mode = KindDir, 0o755
	}
	return f
}

// zipData reads one entry: its declared size counts against the archive's
// ratio and the total budget before anything is read, a declared size more
// than MaxRatio times its compressed size is refused, and no more than the
// declared size is ever read (archive/zip then checks size and CRC).
func (u *unpacker) zipData(claims *fileClaims, zf *zip.File) ([]byte, error) {
	size, packed := int64(zf.UncompressedSize64), int64(zf.CompressedSize64)
	if size < 0 || packed < 0 {
		return nil, fmt.Errorf("%w: zip entry %s claims %d bytes", ErrLimit, zf.Name, zf.UncompressedSize64)
	}
	if max := u.lim.MaxRatio*packed + 1<<20; size > max {
		return nil, fmt.Errorf("%w: zip entry %s of %d bytes claims %d bytes (ratio limit %d)", ErrLimit, zf.Name, packed, size, u.lim.MaxRatio)
	}
	if err := u.claimFile(claims, size); err != nil {
		return nil, fmt.Errorf("zip entry %s: %w", zf.Name, err)
	}
	rc, err := zf.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var buf bytes.Buffer
	buf.Grow(int(min(size, 1<<20)))
	if _, err := io.Copy(&buf, io.LimitReader(rc, size+1)); err != nil {
		return nil, err
	}
	if int64(buf.Len()) != size {
		return nil, fmt.Errorf("%d bytes, not the %d declared", buf.Len(), size)
	}
	return buf.Bytes(), nil
}

// zipOverlaps names, by index, the entries whose compressed data overlap
// an earlier entry's (sorted by data offset): a valid archive never shares
// bytes between entries, a zip bomb does, to claim its data many times.
func zipOverlaps(files []*zip.File) map[int]string {
	type span struct {
		i          int
		start, end int64
	}
	var spans []span
	out := map[int]string{}
	for i, zf := range files {
		if strings.HasSuffix(zf.Name, "/") && zf.CompressedSize64 == 0 {
			continue
		}
		off, err := zf.DataOffset()
		if err != nil {
			out[i] = "bad local header: " + err.Error()
			continue
		}
		spans = append(spans, span{i, off, off + int64(zf.CompressedSize64)})
	}
	sort.Slice(spans, func(a, b int) bool { return spans[a].start < spans[b].start })
	end, owner := int64(-1), -1
	for _, s := range spans {
		if s.start < end {
			out[s.i] = fmt.Sprintf("data at offset %d overlaps %s", s.start, cleanPath(files[owner].Name))
			continue
		}
		end, owner = s.end, s.i
	}
	return out
}

// entriesSkipped sets an archive's detail (zip, 7z): its entry count and
// the entries it skipped, each with the reason, which are also reported
// as not read.
func (c *contents) entriesSkipped(skipped []string) {
	c.detail = fmt.Sprintf("%d entries", len(c.files))
	if len(skipped) > 0 {
		c.detail += fmt.Sprintf("; %d not read: %s", len(skipped), strings.Join(skipped, ", "))
		c.unread = skipped
	}
}
