package unpack

import (
	"archive/tar"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"strconv"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
	"github.com/ulikunitz/xz/lzma"
)

// ---- compressed streams ----

func isGzip(b []byte) bool {
	return len(b) >= 10 && b[0] == 0x1f && b[1] == 0x8b && b[2] == 8 && b[3]&0xe0 == 0
}
func isXZ(b []byte) bool {
	return len(b) >= 12 && bytes.HasPrefix(b, []byte{0xfd, '7', 'z', 'X', 'Z', 0}) && b[6] == 0 && b[7]&0xf0 == 0
}
func isZstd(b []byte) bool { return len(b) >= 6 && bytes.HasPrefix(b, []byte{0x28, 0xb5, 0x2f, 0xfd}) }
func isBzip2(b []byte) bool {
	return len(b) >= 10 && b[0] == 'B' && b[1] == 'Z' && b[2] == 'h' && b[3] >= '1' && b[3] <= '9' &&
		bytes.HasPrefix(b[4:], []byte{0x31, 0x41, 0x59, 0x26, 0x53, 0x59})
}

// isLZMA accepts the legacy .lzma header used for kernels: properties 0x5d,
// a power-of-two dictionary of 64 KiB to 64 MiB, and an unknown (-1) or
// plausible uncompressed size.
func isLZMA(b []byte) bool {
	if len(b) < 13 || b[0] != 0x5d {
		return false
	}
	dict := binary.LittleEndian.Uint32(b[1:5])
	if dict < 1<<16 || dict > 1<<26 || dict&(dict-1) != 0 {
		return false
	}
	size := binary.LittleEndian.Uint64(b[5:13])
	return size == ^uint64(0) || (size > 0 && size < 1<<32)
}

// readBounded reads a decompressed stream of a compressed input of n bytes,
// refusing more than MaxRatio×n (and more than the remaining budget).
func (u *unpacker) readBounded(r io.Reader, n int) ([]byte, error) {
	max := u.readLimit(n)
	var buf bytes.Buffer
	got, err := io.Copy(&buf, io.LimitReader(r, max+1))
	if got > max {
		return nil, fmt.Errorf("%w: stream of %d bytes decompresses past %d bytes (ratio limit %d)", ErrLimit, n, max, u.lim.MaxRatio)
	}
	if err != nil && !(errors.Is(err, io.ErrUnexpectedEOF) && got > 0) {
		return nil, err
	}
	if got == 0 {
		return nil, errors.New("empty stream")
	}
	if err := u.addBytes(got); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// readLimit is the most readBounded takes from a compressed input of n
// bytes.
func (u *unpacker) readLimit(n int) int64 {
	max := u.lim.MaxRatio*int64(n) + 1<<20
	if rem := u.lim.MaxTotalBytes - u.total.Load(); rem < max {
		max = rem
	}
	return max
}

func streamContents(u *unpacker, b []byte, r io.Reader, used func() int64) (contents, error) {
	out, err := u.readBounded(r, len(b))
	if err != nil {
		return contents{}, err
	}
	c := contents{nested: []nestedBlob{{data: out}}, detail: fmt.Sprintf("%d bytes decompressed", len(out))}
	if used != nil {
		c.used = used()
	}
	return c, nil
}

func openGzip(u *unpacker, b []byte) (contents, error) {
	br := bytes.NewReader(b)
	zr, err := gzip.NewReader(br)
	if err != nil {
		return contents{}, err
	}
	zr.Multistream(false)
	return streamContents(u, b, zr, func() int64 { return int64(len(b) - br.Len()) })
}

func openXZ(u *unpacker, b []byte) (contents, error) {
	zr, err := xz.NewReader(bytes.NewReader(b))
	if err != nil {
		return contents{}, err
	}
	return streamContents(u, b, zr, nil)
}

func openZstd(u *unpacker, b []byte) (contents, error) {
	zr, err := zstd.NewReader(bytes.NewReader(b), zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(uint64(u.lim.MaxTotalBytes)))
	if err != nil {
		return contents{}, err
	}
	defer zr.Close()
	return streamContents(u, b, zr, nil)
}

func openBzip2(u *unpacker, b []byte) (contents, error) {
	return streamContents(u, b, bzip2.NewReader(bytes.NewReader(b)), nil)
}

// openLZMA reads a .lzma stream. The decoder allocates the dictionary its
// header names (up to 2 GiB) before reading anything; a FIT image's data
// reaches it without isLZMA's 64 MiB check, and a 64 MiB dictionary of a
// small stream passes that check: the dictionary is cut to what
// readBounded takes at most, which changes nothing for a stream that
// decompresses within it (a match cannot reach further back than the
// output so far).
func openLZMA(u *unpacker, b []byte) (contents, error) {
	var r io.Reader = bytes.NewReader(b)
	if len(b) >= 13 {
		lim := min(u.readLimit(len(b))+1, math.MaxUint32)
		if dict := binary.LittleEndian.Uint32(b[1:5]); int64(dict) > lim {
			hdr := append([]byte(nil), b[:13]...)
			binary.LittleEndian.PutUint32(hdr[1:5], uint32(lim))
			r = io.MultiReader(bytes.NewReader(hdr), bytes.NewReader(b[13:]))
		}
	}
	zr, err := lzma.NewReader(r)
	if err != nil {
		return contents{}, err
	}
	return streamContents(u, b, zr, nil)
}

// ---- tar ----

func isTar(b []byte) bool {
	if len(b) < 512 {
		return false
	}
	if !bytes.Equal(b[257:262], []byte("ustar")) {
		return false
	}
	// The header checksum must be right, or this is a "ustar" string in a
	// binary.
	want, err := strconv.ParseUint(string(bytes.Trim(b[148:156], " \x00")), 8, 32)
	if err != nil {
		return false
	}
	var sum uint64
	for i := 0; i < 512; i++ {
		if i >= 148 && i < 156 {
			sum += ' '
		} else {
			sum += uint64(b[i])
		}
	}
	return sum == want
}

func openTar(u *unpacker, b []byte) (contents, error) {
	br := bytes.NewReader(b)
	tr := tar.NewReader(br)
	var c contents
	byPath := map[string]int{}
	// A sparse entry's holes cost nothing in the archive: what the entries
	// claim is bounded like a compressed stream's output (MaxRatio).
	claims := fileClaims{fs: "tar", image: int64(len(b))}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if len(c.files) > 0 {
				c.detail = "truncated: " + err.Error()
				break
			}
			return contents{}, err
		}
		if err := u.addFile(); err != nil {
			return contents{}, err
		}
		f := File{Inner: cleanPath(h.Name), Mode: uint32(h.Mode) & 0o7777, UID: h.Uid, GID: h.Gid}
		switch h.Typeflag {
		case tar.TypeReg, '\x00', tar.TypeGNUSparse: // '\x00' is the pre-POSIX regular file
			f.Kind = KindFile
			if h.Size > 0 {
				if err := u.claimFile(&claims, h.Size); err != nil {
					return contents{}, fmt.Errorf("tar entry %s: %w", h.Name, err)
				}
				data, err := io.ReadAll(io.LimitReader(tr, h.Size))
				if err != nil {
					return contents{}, fmt.Errorf("tar entry %s: %w", h.Name, err)
				}
				f.Data = data
			}
		case tar.TypeLink:
			f.Kind = KindFile
			if i, ok := byPath[cleanPath(h.Linkname)]; ok {
				f.Data = c.files[i].Data
				f.Mode, f.UID, f.GID = c.files[i].Mode, c.files[i].UID, c.files[i].GID
			}
		case tar.TypeDir:
			f.Kind = KindDir
		case tar.TypeSymlink:
			f.Kind, f.Link = KindSymlink, h.Linkname
		case tar.TypeChar, tar.TypeBlock:
			f.Kind, f.Major, f.Minor = KindDevice, uint32(h.Devmajor), uint32(h.Devminor)
		case tar.TypeFifo:
			f.Kind = KindFifo
		default:
			continue
		}
		finish(&f)
		byPath[f.Inner] = len(c.files)
		c.files = append(c.files, f)
	}
	c.used = int64(len(b) - br.Len())
	c.detail = fmt.Sprintf("%d entries", len(c.files))
	return c, nil
}

// modeEntry is the entry name (cleaned) of an image with the Unix mode,
// owner and group its inode gives; false for a file type no File holds
// (modeKind).
func modeEntry(name string, mode uint32, uid, gid int) (File, bool) {
	kind, known := modeKind(mode)
	return File{Inner: cleanPath(name), Kind: kind, Mode: mode & 0o7777, UID: uid, GID: gid}, known
}

// modeKind is the kind of entry the file-type bits (S_IFMT) of a Unix mode
// name, as the cpio, cramfs, JFFS2 and ext readers find it in their inodes;
// false for a type no File holds.
func modeKind(mode uint32) (Kind, bool) {
	switch mode & 0o170000 {
	case 0o040000:
		return KindDir, true
	case 0o100000:
		return KindFile, true
	case 0o120000:
		return KindSymlink, true
	case 0o020000, 0o060000:
		return KindDevice, true
	case 0o010000:
		return KindFifo, true
	case 0o140000:
		return KindSocket, true
	}
	return "", false
}

// finish sets Size and SHA256 from Data.
func finish(f *File) {
	if f.Kind == KindFile || f.Kind == KindBlob {
		f.Size = int64(len(f.Data))
		f.SHA256 = digest(f.Data)
	}
}

// ---- cpio (newc) ----
//
// Hand-written: no maintained pure-Go cpio reader handles newc with device
// nodes and bounds; the format is 110 bytes of hex fields, a name and data,
// each padded to 4 bytes (see cpio(5), "New ASCII Format").

func isCPIO(b []byte) bool {
	if len(b) < 110 || !(bytes.HasPrefix(b, []byte("070701")) || bytes.HasPrefix(b, []byte("070702"))) {
		return false
	}
	for _, ch := range b[6:110] {
		if !isHex(ch) {
			return false
		}
	}
	return true
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func hexField(b []byte, i int) uint32 {
	v, _ := strconv.ParseUint(string(b[6+8*i:6+8*i+8]), 16, 32)
	return uint32(v)
}

func pad4(n int) int { return (n + 3) &^ 3 }

func openCPIO(u *unpacker, b []byte) (contents, error) {
	var c contents
	off := 0
	for {
		if off+110 > len(b) || !isCPIO(b[off:]) {
			if len(c.files) == 0 {
				return contents{}, fmt.Errorf("cpio: bad header at offset %d", off)
			}
			c.detail = fmt.Sprintf("%d entries, truncated at offset %d", len(c.files), off)
			break
		}
		h := b[off : off+110]
		mode := hexField(h, 1)
		uid, gid := hexField(h, 2), hexField(h, 3)
		size := int(hexField(h, 6))
		rmaj, rmin := hexField(h, 9), hexField(h, 10)
		nameSize := int(hexField(h, 11))
		if nameSize < 1 || off+110+nameSize > len(b) {
			return contents{}, fmt.Errorf("cpio: entry at offset %d: name size %d out of bounds", off, nameSize)
		}
		name := string(bytes.TrimRight(b[off+110:off+110+nameSize], "\x00"))
		dataOff := off + pad4(110+nameSize)
		if size < 0 || dataOff+size > len(b) {
			return contents{}, fmt.Errorf("cpio: entry %q at offset %d: size %d out of bounds", name, off, size)
		}
		data := b[dataOff : dataOff+size]
		off = dataOff + pad4(size)
		if name == "TRAILER!!!" {
			break
		}
		if err := u.addFile(); err != nil {
			return contents{}, err
		}
		f, known := modeEntry(name, mode, int(uid), int(gid))
		if !known {
			continue
		}
		switch f.Kind {
		case KindFile:
			if err := u.addBytes(int64(size)); err != nil {
				return contents{}, err
			}
			f.Data = data
		case KindSymlink:
			f.Link = string(data)
		case KindDevice:
			f.Major, f.Minor = rmaj, rmin
		}
		finish(&f)
		c.files = append(c.files, f)
	}
	if c.detail == "" {
		c.detail = fmt.Sprintf("%d entries", len(c.files))
	}
	c.used = int64(off)
	return c, nil
}

// ---- uImage (U-Boot legacy image, include/image.h) ----
//
// Hand-written: a 64-byte big-endian header (magic 0x27051956, header CRC,
// data size, OS/arch/type/compression bytes, 32-byte name) before the payload.

const uimageHeader = 64

func isUImage(b []byte) bool {
	if len(b) < uimageHeader || binary.BigEndian.Uint32(b) != 0x27051956 {
		return false
	}
	h := make([]byte, uimageHeader)
	copy(h, b[:uimageHeader])
	want := binary.BigEndian.Uint32(h[4:])
	binary.BigEndian.PutUint32(h[4:], 0)
	return crc32.ChecksumIEEE(h) == want
}

func uimageSize(b []byte) int64 {
	if len(b) < uimageHeader {
		return 0
	}
	return uimageHeader + int64(binary.BigEndian.Uint32(b[12:]))
}

var uimageComp = map[byte]string{0: "none", 1: "gzip", 2: "bzip2", 3: "lzma", 4: "lzo", 5: "lz4", 6: "zstd"}

func openUImage(u *unpacker, b []byte) (contents, error) {
	size := int64(binary.BigEndian.Uint32(b[12:]))
	if uimageHeader+size > int64(len(b)) {
		return contents{}, fmt.Errorf("uImage: data size %d past the end of the image (%d bytes)", size, len(b))
	}
	name := string(bytes.TrimRight(b[32:64], "\x00"))
	typ := b[30]
	comp := uimageComp[b[31]]
	c := contents{used: uimageHeader + size, detail: fmt.Sprintf("name %q, type %d, compression %s", name, typ, comp)}
	payload := b[uimageHeader : uimageHeader+size]
	if typ == 4 { // multi-file image: a zero-terminated list of sizes, then the images, 4-aligned
		var sizes []int64
		p := 0
		for p+4 <= len(payload) {
			s := int64(binary.BigEndian.Uint32(payload[p:]))
			p += 4
			if s == 0 {
				break
			}
			sizes = append(sizes, s)
			if len(sizes) > 64 {
				return contents{}, errors.New("uImage: more than 64 sub-images")
			}
		}
		at := int64(p)
		for _, s := range sizes {
			if at+s > int64(len(payload)) {
				return contents{}, fmt.Errorf("uImage: sub-image of %d bytes at %d past the end", s, at)
			}
			c.nested = append(c.nested, nestedBlob{data: payload[at : at+s], offset: uimageHeader + at})
			at += int64(pad4(int(s)))
		}
		return c, nil
	}
	c.nested = []nestedBlob{{data: payload, offset: uimageHeader}}
	return c, nil
}

// ---- TRX (Broadcom/OpenWrt, firmware/trx.h) ----
//
// Hand-written: "HDR0", total length, CRC32, flags/version, then three (v1)
// or four (v2) little-endian partition offsets from the header's start.

func isTRX(b []byte) bool {
	if len(b) < 28 || !bytes.HasPrefix(b, []byte("HDR0")) {
		return false
	}
	n := binary.LittleEndian.Uint32(b[4:])
	ver := binary.LittleEndian.Uint32(b[12:]) >> 16
	return n >= 28 && (ver == 1 || ver == 2)
}

func trxSize(b []byte) int64 {
	if len(b) < 8 {
		return 0
	}
	return int64(binary.LittleEndian.Uint32(b[4:]))
}

func openTRX(u *unpacker, b []byte) (contents, error) {
	total := int64(binary.LittleEndian.Uint32(b[4:]))
	if total > int64(len(b)) {
		total = int64(len(b))
	}
	ver := binary.LittleEndian.Uint32(b[12:]) >> 16
	n := 3
	if ver == 2 {
		n = 4
	}
	var offs []int64
	for i := 0; i < n; i++ {
		if 16+4*i+4 > len(b) {
			break
		}
		o := int64(binary.LittleEndian.Uint32(b[16+4*i:]))
		if o == 0 {
			continue
		}
		if o >= total || (len(offs) > 0 && o <= offs[len(offs)-1]) {
			return contents{}, fmt.Errorf("TRX: partition offset %d out of order or past the length %d", o, total)
		}
		offs = append(offs, o)
	}
	if len(offs) == 0 {
		return contents{}, errors.New("TRX: no partitions")
	}
	c := contents{used: total, detail: fmt.Sprintf("version %d, %d partitions", ver, len(offs))}
	for i, o := range offs {
		end := total
		if i+1 < len(offs) {
			end = offs[i+1]
		}
		c.nested = append(c.nested, nestedBlob{data: b[o:end], offset: o})
	}
	return c, nil
}
