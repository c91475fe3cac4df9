package unpack

// ---- 7z (7-Zip's 7zFormat.txt: a 32-byte signature header pointing at the
// header at the end, packed streams in folders of coders) ----
//
// github.com/bodgit/sevenzip reads the archive from the byte slice, as a
// copy in third_party/sevenzip with patches (third_party/sevenzip/RAMPART.md:
// header counts, LZMA dictionaries and PPMd memory bounded before they are
// allocated). This file finds where an archive ends (so that a 7z inside a
// vendor blob can be carved) and bounds what its entries may claim: entry
// count, the declared sizes of all entries against the ratio limit before
// anything is read, and never more than an entry's declared size read. In a
// solid archive the entries of a folder are one stream: reading an entry
// decompresses the ones before it, which the declared sizes, all claimed
// first, bound. Encrypted entries and unsupported methods are skipped and
// named in the layer's detail.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strings"

	"github.com/bodgit/sevenzip"
)

var sevenZipMagic = []byte{'7', 'z', 0xbc, 0xaf, 0x27, 0x1c}

const sevenZipHeader = 32

// isSevenZip accepts the signature header: magic, major version 0 and the
// start header's CRC.
func isSevenZip(b []byte) bool {
	if len(b) < sevenZipHeader || !bytes.HasPrefix(b, sevenZipMagic) || b[6] != 0 {
		return false
	}
	return crc32.ChecksumIEEE(b[12:32]) == binary.LittleEndian.Uint32(b[8:])
}

// sevenZipSize is the archive's length: the signature header, the packed
// streams and the header after them. 0 when it does not fit in b.
func sevenZipSize(b []byte) int64 {
	if len(b) < sevenZipHeader {
		return 0
	}
	off, size := binary.LittleEndian.Uint64(b[12:]), binary.LittleEndian.Uint64(b[20:])
	if off > uint64(len(b)) || size > uint64(len(b)) {
		return 0
	}
	n := sevenZipHeader + int64(off) + int64(size)
	if n > int64(len(b)) {
		return 0
	}
	return n
}

func openSevenZip(u *unpacker, b []byte) (c contents, err error) {
	defer func() {
		// The reader trusts some on-disk fields; a corrupt archive must
		// fail this layer, not the analysis.
		if r := recover(); r != nil {
			err = fmt.Errorf("7z: corrupt archive: %v", r)
		}
	}()
	n := sevenZipSize(b)
	if n == 0 {
		return contents{}, fmt.Errorf("7z: header at offset %d of %d bytes past the end of the %d bytes available", sevenZipHeader+binary.LittleEndian.Uint64(b[12:]), binary.LittleEndian.Uint64(b[20:]), len(b))
	}
	b = b[:n]
	zr, err := sevenzip.NewReader(bytes.NewReader(b), n)
	if err != nil {
		if re := (*sevenzip.ReadError)(nil); errors.As(err, &re) && re.Encrypted {
			return contents{}, errors.New("7z: the header is encrypted (7z -mhe): no entry can be listed")
		}
		return contents{}, fmt.Errorf("7z: %w", err)
	}
	// Every entry counts, and what the entries declare is claimed before
	// anything is decompressed.
	claims := fileClaims{fs: "7z", image: n}
	for _, zf := range zr.File {
		if err := u.addFile(); err != nil {
			return contents{}, err
		}
		if zf.UncompressedSize > uint64(u.lim.MaxTotalBytes) {
			return contents{}, fmt.Errorf("%w: 7z entry %s claims %d bytes", ErrLimit, zf.Name, zf.UncompressedSize)
		}
		if err := u.claimFile(&claims, int64(zf.UncompressedSize)); err != nil {
			return contents{}, fmt.Errorf("7z entry %s: %w", zf.Name, err)
		}
	}
	c.used = n
	var skipped []string
	for _, zf := range zr.File {
		if err := u.ctx.Err(); err != nil {
			return contents{}, err
		}
		f := sevenZipEntry(zf)
		if f.Kind == KindFile || f.Kind == KindSymlink {
			data, err := sevenZipData(zf)
			if err != nil {
				skipped = append(skipped, fmt.Sprintf("%s (%s)", f.Inner, err))
				continue
			}
			f.setContent(data)
		}
		finish(&f)
		c.files = append(c.files, f)
	}
	c.entriesSkipped(skipped)
	return c, nil
}

// sevenZipEntry is the entry a file record names: the Unix mode and file
// type when the archiver stored them (the high 16 bits of the attributes,
// flagged by 0x8000, as p7zip and 7-Zip for Linux write them), else a file
// or, by the DOS attribute, a directory, its name's backslashes read as
// separators (an archive written on Windows). 7z keeps no owner.
func sevenZipEntry(zf *sevenzip.File) File {
	if zf.Attributes&0x8000 != 0 {
		if f, known := modeEntry(zf.Name, zf.Attributes>>16, 0, 0); known {
			return f
		}
	}
	name := cleanPath(strings.ReplaceAll(zf.Name, `\`, "/"))
	f := File{Inner: name, Kind: KindFile, Mode: 0o644}
	if zf.Attributes&0x10 != 0 || strings.HasSuffix(zf.Name, "/") {
		f.Kind, f.Mode = KindDir, 0o755
	}
	return f
}

// sevenZipData reads one entry, at most its declared size (already
// claimed), and checks its length and CRC. The error says why it was not
// read: encrypted, an unsupported method, damaged.
func sevenZipData(zf *sevenzip.File) ([]byte, error) {
	size := int64(zf.UncompressedSize)
	rc, err := zf.Open()
	if err == nil {
		defer rc.Close()
		var buf bytes.Buffer
		buf.Grow(int(min(size, 1<<20)))
		if _, err = io.Copy(&buf, io.LimitReader(rc, size+1)); err == nil {
			switch {
			case int64(buf.Len()) != size:
				return nil, fmt.Errorf("%d bytes, not the %d declared", buf.Len(), size)
			case zf.CRC32 != 0 && crc32.ChecksumIEEE(buf.Bytes()) != zf.CRC32:
				return nil, errors.New("CRC mismatch")
			}
			return buf.Bytes(), nil
		}
	}
	if re := (*sevenzip.ReadError)(nil); errors.As(err, &re) && re.Encrypted {
		return nil, errors.New("encrypted")
	}
	return nil, errors.New(strings.TrimPrefix(err.Error(), "sevenzip: "))
}
