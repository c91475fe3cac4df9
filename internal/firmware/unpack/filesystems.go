package unpack

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"path"
	"time"

	"github.com/CalebQ42/squashfs"
	"github.com/diskfs/go-diskfs/backend"
	"github.com/diskfs/go-diskfs/filesystem"
	"github.com/diskfs/go-diskfs/filesystem/ext4"
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
			t := e.Type()
			switch {
			case t.IsDir():
				f.Kind = KindDir
				stack = append(stack, dir{p, d.depth + 1})
			case t&iofs.ModeSymlink != 0:
				f.Kind = KindSymlink
			case t&iofs.ModeDevice != 0:
				f.Kind = KindDevice
			case t&iofs.ModeNamedPipe != 0:
				f.Kind = KindFifo
			case t&iofs.ModeSocket != 0:
				f.Kind = KindSocket
			case t.IsRegular():
				f.Kind = KindFile
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
			default:
				continue
			}
			finish(&f)
			c.files = append(c.files, f)
		}
	}
	return nil
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

// ---- ext2/3/4 (go-diskfs) ----

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

// memFile is a read-only fs.File over bytes, for go-diskfs's backend.
type memFile struct {
	*bytes.Reader
	size int64
}

func (m memFile) Stat() (iofs.FileInfo, error) { return memInfo{m.size}, nil }
func (m memFile) Close() error                 { return nil }

type memInfo struct{ size int64 }

func (m memInfo) Name() string        { return "image" }
func (m memInfo) Size() int64         { return m.size }
func (m memInfo) Mode() iofs.FileMode { return 0o444 }
func (m memInfo) ModTime() time.Time  { return time.Time{} }
func (m memInfo) IsDir() bool         { return false }
func (m memInfo) Sys() any            { return nil }

// storage is a read-only backend.Storage over bytes.
type storage struct{ memFile }

func (storage) Sys() (*os.File, error)                  { return nil, backend.ErrNotSuitable }
func (storage) Writable() (backend.WritableFile, error) { return nil, backend.ErrIncorrectOpenMode }
func (storage) Path() string                            { return "" }

func openExt(u *unpacker, b []byte) (contents, error) {
	size := extSize(b)
	if size == 0 {
		size = int64(len(b))
	}
	c, err := openExtDiskfs(u, b[:size])
	if err == nil {
		return c, nil
	}
	if errors.Is(err, ErrLimit) {
		return contents{}, err
	}
	// go-diskfs reads only ext4 with metadata checksums (and panics on
	// some valid images): fall back to the built-in reader.
	c, ferr := openExtFallback(u, b[:size])
	if ferr != nil {
		return contents{}, fmt.Errorf("ext: %v; built-in reader: %w", err, ferr)
	}
	return c, nil
}

func openExtDiskfs(u *unpacker, b []byte) (c contents, err error) {
	// (A partial listing before a failure stays counted against the
	// limits: conservative.)
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("ext: go-diskfs failed: %v", r)
		}
	}()
	size := int64(len(b))
	st := storage{memFile{bytes.NewReader(b), size}}
	fsys, err := ext4.Read(st, size, 0, 0)
	if err != nil {
		return contents{}, fmt.Errorf("ext: %w", err)
	}
	c.used = size
	var stuck error // the first sparse file go-diskfs cannot read
	bs := int64(1024) << binary.LittleEndian.Uint32(b[1024+24:])
	err = u.walk(fsWalker{
		readDir: fsys.ReadDir,
		entry: func(p string, d iofs.DirEntry) (File, error) {
			info, err := d.Info()
			if err != nil {
				return File{}, err
			}
			m := info.Mode()
			f := File{Mode: uint32(m.Perm()), Size: info.Size()}
			if m&iofs.ModeSetuid != 0 {
				f.Mode |= 0o4000
			}
			if m&iofs.ModeSetgid != 0 {
				f.Mode |= 0o2000
			}
			if m&iofs.ModeSticky != 0 {
				f.Mode |= 0o1000
			}
			if st, ok := info.Sys().(*ext4.StatT); ok {
				f.UID, f.GID = int(st.UID), int(st.GID)
				f.Major, f.Minor = st.Major, st.Minor
				f.Link = st.LinkTarget
				// Fewer blocks than the size needs: a hole, which
				// go-diskfs reads as the bytes before the next extent.
				if m.IsRegular() && st.Blocks*512 < uint64(info.Size()+bs-1)/uint64(bs)*uint64(bs) && stuck == nil {
					stuck = fmt.Errorf("%w: %s has %d blocks of 512 bytes for %d bytes", errDiskfsStuck, cleanPath(p), st.Blocks, info.Size())
				}
			}
			return f, nil
		},
		open: func(p string) (io.ReadCloser, error) {
			fl, err := fsys.OpenFile(p, 0)
			if err != nil {
				return nil, err
			}
			return &diskfsFile{File: fl, p: p, stuck: &stuck}, nil
		},
	}, &fileClaims{fs: "ext", image: size}, &c)
	if err != nil {
		return contents{}, err
	}
	if stuck != nil { // the built-in reader reads holes
		return contents{}, stuck
	}
	c.detail = fmt.Sprintf("%d entries", len(c.files)) + suffix(c.detail)
	return c, nil
}

// errDiskfsStuck: go-diskfs cannot read a file with holes (a sparse
// file): it reads a hole as the bytes before the next extent, and a hole
// at the end as no byte and no error, so reading it never ends (go-diskfs
// v1.9.4, ext4.File.Read). Such an image is read by the built-in reader.
var errDiskfsStuck = errors.New("ext: go-diskfs cannot read a sparse file")

// diskfsFile turns go-diskfs's endless empty reads into errDiskfsStuck,
// naming the file and the offset, and records the first in stuck.
type diskfsFile struct {
	filesystem.File
	p     string
	off   int64
	stuck *error
}

func (f *diskfsFile) Read(b []byte) (int, error) {
	n, err := f.File.Read(b)
	f.off += int64(n)
	if n == 0 && err == nil && len(b) > 0 {
		err = fmt.Errorf("%w: %s reads no byte at offset %d", errDiskfsStuck, f.p, f.off)
		if *f.stuck == nil {
			*f.stuck = err
		}
	}
	return n, err
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
