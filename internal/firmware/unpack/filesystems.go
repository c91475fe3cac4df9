package unpack

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	iofs "io/fs"
	"path"

	"github.com/CalebQ42/squashfs"
)

// fsWalker is what walk needs from a filesystem reader.
type fsWalker struct {
	readDir func(dir string) ([]iofs.DirEntry, error)
	// entry fills Inner-independent metadata (mode, owner, link, device).
	entry func(p string, d iofs.DirEntry) (File, error)
	// open opens a regular file for reading; walk reads at most one byte
	// more than its inode's size, so a damaged image whose block list
	// runs on cannot make a small file cost more than the limits allow.
	open func(p string) (io.ReadCloser, error)
}

// walk lists a filesystem from its root without following symlinks,
// bounded by the unpacker's limits. fs.FS paths are relative ("etc/passwd").
// What the files claim to hold is bounded by claims (the ratio limit): a
// sparse file's holes cost nothing in the image.
func (u *unpacker) walk(w fsWalker, claims *fileClaims, c *contents) error {
	type dir struct {
		p     string
		depth int
	}
	stack := []dir{{".", 0}}
	for len(stack) > 0 {
		d := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if d.depth > 256 {
			return fmt.Errorf("directory %s nested deeper than 256 levels", d.p)
		}
		ents, err := w.readDir(d.p)
		if err != nil {
			if d.p == "." {
				return err
			}
			c.detail = fmt.Sprintf("directory %s unreadable: %v", d.p, err)
			continue
		}
		for _, e := range ents {
			if e.Name() == "." || e.Name() == ".." || e.Name() == "" {
				continue
			}
			if err := u.addFile(); err != nil {
				return err
			}
			p := path.Join(d.p, e.Name())
			f, err := w.entry(p, e)
			if err != nil {
				c.detail = fmt.Sprintf("entry %s unreadable: %v", p, err)
				continue
			}
			f.Inner = cleanPath(p)
			kind, known := fsKind(e.Type())
			if !known {
				continue
			}
			f.Kind = kind
			switch kind {
			case KindDir:
				stack = append(stack, dir{p, d.depth + 1})
			case KindFile:
				if f.Size > 0 {
					if err := u.claimFile(claims, f.Size); err != nil {
						return fmt.Errorf("file %s: %w", f.Inner, err)
					}
				}
				data, err := readAtMost(w.open, p, f.Size+1)
				switch {
				case err != nil:
					c.detail = fmt.Sprintf("file %s unreadable: %v", p, err)
				case int64(len(data)) != f.Size:
					// squashfs blocks carry no checksum: a damaged block
					// may decode to the wrong length. Say so.
					c.detail = fmt.Sprintf("file %s unreadable: %s, the inode says %d (damaged image)", p, decodedLength(len(data), f.Size), f.Size)
				}
				if int64(len(data)) > f.Size {
					if err := u.claimFile(claims, int64(len(data))-f.Size); err != nil {
						return fmt.Errorf("file %s: %w", f.Inner, err)
					}
				}
				f.Data = data
			}
			finish(&f)
			c.files = append(c.files, f)
		}
	}
	return nil
}

// fsKind is the kind of entry the type bits of an fs.FileMode name; false
// for a type no File holds.
func fsKind(t iofs.FileMode) (Kind, bool) {
	switch {
	case t.IsDir():
		return KindDir, true
	case t&iofs.ModeSymlink != 0:
		return KindSymlink, true
	case t&iofs.ModeDevice != 0:
		return KindDevice, true
	case t&iofs.ModeNamedPipe != 0:
		return KindFifo, true
	case t&iofs.ModeSocket != 0:
		return KindSocket, true
	case t.IsRegular():
		return KindFile, true
	}
	return "", false
}

// readAtMost reads up to n bytes of the file p opens.
func readAtMost(open func(string) (io.ReadCloser, error), p string, n int64) ([]byte, error) {
	fl, err := open(p)
	if err != nil {
		return nil, err
	}
	defer fl.Close()
	return io.ReadAll(io.LimitReader(fl, n))
}

// decodedLength says how much a damaged file decoded to, against its
// inode's size (reading stops one byte past it).
func decodedLength(n int, size int64) string {
	if int64(n) > size {
		return "more bytes decoded"
	}
	return fmt.Sprintf("%d bytes decoded", n)
}

// ---- squashfs 4 (CalebQ42/squashfs: gzip, lzma, lzo, xz, lz4, zstd) ----
// LZ4 through third_party/squashfs (raw LZ4 blocks, as mksquashfs writes
// them), LZO through third_party/lzo1x.

func isSquashfs(b []byte) bool {
	return len(b) >= 96 && bytes.HasPrefix(b, []byte("hsqs")) && binary.LittleEndian.Uint16(b[28:]) == 4
}

func squashfsSize(b []byte) int64 {
	if len(b) < 48 {
		return 0
	}
	// bytes_used; mksquashfs pads the image to 4 KiB.
	n := int64(binary.LittleEndian.Uint64(b[40:]))
	if n <= 0 || n > int64(len(b)) {
		return 0
	}
	if p := (n + 4095) &^ 4095; p <= int64(len(b)) {
		return p
	}
	return n
}

var squashfsComp = map[uint16]string{1: "gzip", 2: "lzma", 3: "lzo", 4: "xz", 5: "lz4", 6: "zstd"}

func openSquashfs(u *unpacker, b []byte) (c contents, err error) {
	defer func() {
		// The reader trusts on-disk tables; a corrupt image must fail this
		// layer, not the analysis.
		if r := recover(); r != nil {
			err = fmt.Errorf("squashfs: corrupt image: %v", r)
		}
	}()
	comp := squashfsComp[binary.LittleEndian.Uint16(b[20:])]
	// mksquashfs writes blocks of 4 KiB to 1 MiB, a power of two; the
	// reader sizes its buffers by this field, so a corrupt one is refused.
	if bs := binary.LittleEndian.Uint32(b[12:]); bs < 4<<10 || bs > 1<<20 || bs&(bs-1) != 0 {
		return contents{}, fmt.Errorf("squashfs (%s): block size %d is not a power of two from 4 KiB to 1 MiB (corrupt superblock)", comp, bs)
	}
	r, err := squashfs.NewReader(bytes.NewReader(b))
	if err != nil {
		return contents{}, fmt.Errorf("squashfs (%s): %w", comp, err)
	}
	c.used = squashfsSize(b)
	var dirPath string // the directory dirFS is, of the last file opened
	var dirFS iofs.FS
	err = u.walk(fsWalker{
		readDir: r.FS.ReadDir,
		entry: func(p string, d iofs.DirEntry) (File, error) {
			info, err := d.Info()
			if err != nil {
				return File{}, err
			}
			f := File{Mode: uint32(info.Mode()) & 0o7777, Size: info.Size()}
			if fi, ok := info.(squashfs.FileInfo); ok {
				f.UID, f.GID = fi.Uid(), fi.Gid()
				f.Link = fi.SymlinkPath()
			}
			return f, nil
		},
		open: func(p string) (io.ReadCloser, error) {
			// Through the file's directory, read once for all its files:
			// FS.Open(path) reads every directory on the path again, so a
			// directory of 5 000 files was read 5 000 times (a 100 KB
			// image took 33 s and 20 GB with the fragment re-reads).
			dir, name := path.Split(p)
			if dir = path.Clean(dir); dirFS == nil || dir != dirPath {
				sub, err := r.FS.Sub(dir)
				if err != nil {
					return nil, err
				}
				dirPath, dirFS = dir, sub
			}
			return dirFS.Open(name)
		},
	}, &fileClaims{fs: "squashfs", image: int64(len(b))}, &c)
	if err != nil {
		return contents{}, err
	}
	c.detail = fmt.Sprintf("compression %s, %d entries", comp, len(c.files)) + suffix(c.detail)
	return c, nil
}

// entriesDetail describes a hand-read filesystem (CramFS, JFFS2): its byte
// order, entry count and what was damaged.
func entriesDetail(order binary.ByteOrder, entries int, damaged string) string {
	endian := "little-endian"
	if order == binary.BigEndian {
		endian = "big-endian"
	}
	return fmt.Sprintf("%s, %d entries", endian, entries) + suffix(damaged)
}

func suffix(s string) string {
	if s == "" {
		return ""
	}
	return "; " + s
}

// ---- ext2/3/4 (built-in reader, extread.go) ----

func isExt(b []byte) bool {
	if len(b) < 2048 || binary.LittleEndian.Uint16(b[1024+56:]) != 0xef53 {
		return false
	}
	logBlock := binary.LittleEndian.Uint32(b[1024+24:])
	blocks := binary.LittleEndian.Uint32(b[1024+4:])
	inodes := binary.LittleEndian.Uint32(b[1024:])
	return logBlock <= 6 && blocks > 0 && inodes > 0
}

func extSize(b []byte) int64 {
	if len(b) < 2048 {
		return 0
	}
	bs := int64(1024) << binary.LittleEndian.Uint32(b[1024+24:])
	n := int64(binary.LittleEndian.Uint32(b[1024+4:])) * bs
	if n <= 0 || n > int64(len(b)) {
		return 0
	}
	return n
}

// openExt lists an ext2/3/4 filesystem with the built-in reader
// (extread.go), metadata checksums or not. go-diskfs v1.9.4, which read
// ext4 with metadata checksums before, opened every file by path, reading
// and parsing its directory again (a directory of 5 000 files: 7 s and
// 5.7 GB), reported no permission bits (every mode 0, setuid lost),
// misread sparse files and panicked on small valid images; the built-in
// reader reads each directory once and each file by its inode.
func openExt(u *unpacker, b []byte) (contents, error) {
	size := extSize(b)
	if size == 0 {
		size = int64(len(b))
	}
	return openExtBuiltin(u, b[:size])
}

// extVersion names an ext filesystem by its features: extents or 64-bit
// or flex_bg make ext4, a journal ext3, else ext2.
func extVersion(b []byte) string {
	compat := binary.LittleEndian.Uint32(b[1024+92:])
	incompat := binary.LittleEndian.Uint32(b[1024+96:])
	switch {
	case incompat&(0x40|0x80|0x200) != 0:
		return "ext4"
	case compat&0x4 != 0:
		return "ext3"
	}
	return "ext2"
}
