// Package unpack turns a firmware image into the files it contains. It
// identifies every layer by its magic bytes (never by name), unpacks nested
// layers (a TRX holding a squashfs holding a tar.gz …), and carves embedded
// filesystems and archives out of unknown vendor blobs at any offset.
//
// Nothing is written to disk: files are held in memory, symbolic links are
// recorded (and resolved only inside the image by Tree.Resolve), device nodes
// are recorded and never created. Every dimension is bounded by Limits
// (total bytes, file count, nesting depth, decompression ratio), so a
// decompression bomb or a directory loop fails with ErrLimit instead of
// exhausting the machine. Identical blobs (by SHA-256) are unpacked once, and
// the nested layers of a filesystem are unpacked in parallel.
package unpack

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// ErrLimit reports that an image exceeded one of the Limits.
var ErrLimit = errors.New("firmware unpack limit exceeded")

// ErrUnknownFormat reports that no layer at all was recognised in an image.
var ErrUnknownFormat = errors.New("no known filesystem or archive in image")

// Limits bound the work one image may cause.
type Limits struct {
	MaxTotalBytes int64 // bytes of file content held in memory, over all layers
	MaxFiles      int   // entries (files, dirs, links, devices), over all layers
	MaxDepth      int   // nesting depth of layers
	MaxRatio      int64 // decompressed/compressed size of one compressed stream
	MaxCarve      int   // carving attempts per blob
	Workers       int   // parallel layer unpacking; 0 means GOMAXPROCS
}

// DefaultLimits suit a router or camera image of a few hundred MB.
func DefaultLimits() Limits {
	return Limits{MaxTotalBytes: 2 << 30, MaxFiles: 500000, MaxDepth: 8, MaxRatio: 200, MaxCarve: 4096}
}

// Kind is the type of an entry.
type Kind string

// Entry kinds.
const (
	KindFile    Kind = "file"
	KindDir     Kind = "dir"
	KindSymlink Kind = "symlink"
	KindDevice  Kind = "device"
	KindFifo    Kind = "fifo"
	KindSocket  Kind = "socket"
	// KindBlob is a payload that is not a filesystem (a kernel, a
	// bootloader): kept so that banners in it can be read.
	KindBlob Kind = "blob"
)

// File is one entry of an unpacked layer.
type File struct {
	// Path is the entry's path: "/etc/passwd" inside a top-level filesystem,
	// "/usr/share/app.tar.gz!/etc/app.conf" inside a nested one.
	Path string
	// Inner is the path inside its own layer ("/etc/app.conf").
	Inner string
	Layer int
	Kind  Kind
	Mode  uint32 // permission bits including setuid (04000), setgid (02000), sticky (01000)
	UID   int
	GID   int
	Size  int64
	// SHA256 is the hex digest of Data (regular files and blobs).
	SHA256 string
	Link   string // symlink target, as stored
	Major  uint32 // device numbers
	Minor  uint32
	Data   []byte `json:"-"`
}

// Layer is one recognised container: where it was found and what it is.
type Layer struct {
	Type   string // tar, tar.gz, zip, 7z, cpio, fit, android-boot, android-vendor-boot, android-sparse, ubi, ubifs, squashfs, cramfs, jffs2, ext4, erofs, uimage, trx, gzip, xz, zstd, lzma, bzip2, lz4
	Offset int64  // byte offset inside its parent blob
	Path   string // the file it was found in ("" for the image itself)
	// Duplicate is set when an identical blob was already unpacked: its
	// files are listed once, under the first layer.
	Duplicate bool
	Detail    string
}

// Result is everything unpacked from one image.
type Result struct {
	Layers   []Layer
	Files    []File
	Warnings []string
}

type unpacker struct {
	ctx   context.Context
	lim   Limits
	total atomic.Int64
	files atomic.Int64
	sem   chan struct{}

	mu   sync.Mutex
	seen map[string]bool
}

// node is the result of one blob, assembled in a deterministic order.
type node struct {
	layers   []Layer
	files    []File // Layer field is an index into layers of this node
	children []*node
	warnings []string
}

// Unpack unpacks an image held in memory.
func Unpack(ctx context.Context, image []byte, lim Limits) (*Result, error) {
	if lim.Workers <= 0 {
		lim.Workers = runtime.GOMAXPROCS(0)
	}
	def := DefaultLimits()
	if lim.MaxTotalBytes <= 0 {
		lim.MaxTotalBytes = def.MaxTotalBytes
	}
	if lim.MaxFiles <= 0 {
		lim.MaxFiles = def.MaxFiles
	}
	if lim.MaxDepth <= 0 {
		lim.MaxDepth = def.MaxDepth
	}
	if lim.MaxRatio <= 0 {
		lim.MaxRatio = def.MaxRatio
	}
	if lim.MaxCarve <= 0 {
		lim.MaxCarve = def.MaxCarve
	}
	u := &unpacker{ctx: ctx, lim: lim, sem: make(chan struct{}, lim.Workers), seen: map[string]bool{}}
	root, err := u.blob(image, "", 0, 0, true, false)
	if err != nil {
		return nil, err
	}
	res := &Result{}
	flatten(root, res)
	if len(res.Layers) == 0 {
		return res, ErrUnknownFormat
	}
	return res, nil
}

func flatten(n *node, res *Result) {
	base := len(res.Layers)
	res.Layers = append(res.Layers, n.layers...)
	for _, f := range n.files {
		f.Layer += base
		res.Files = append(res.Files, f)
	}
	res.Warnings = append(res.Warnings, n.warnings...)
	for _, c := range n.children {
		flatten(c, res)
	}
}

// format is one layer type: how to recognise it at the start of a blob and
// how to unpack it.
type format struct {
	name  string
	match func(b []byte) bool
	// open unpacks b. It returns the files found, nested blobs that need
	// their own pass (payloads of headers, decompressed streams), and the
	// number of bytes of b the layer used (0 when unknown).
	open func(u *unpacker, b []byte) (contents, error)
}

type contents struct {
	files  []File
	nested []nestedBlob
	used   int64
	detail string
	// unread names content the layer holds but could not read (an
	// encrypted zip entry): reported as warnings of the analysis.
	unread []string
}

type nestedBlob struct {
	data   []byte
	offset int64 // inside the parent blob
	// name, when set, names the blob inside its container (a FIT image's
	// node, "/kernel-1"): its layers are found in that path, and when it is
	// not a container the blob is listed under it.
	name string
}

// formats in the order they are tried at offset 0. Filesystems come before
// compressed streams; TRX and uImage are headers around nested blobs.
func formats() []format {
	return []format{
		{"trx", isTRX, openTRX},
		{"uimage", isUImage, openUImage},
		{"fit", isFIT, openFIT},
		{"android-boot", isAndroidBoot, openAndroidBoot},
		{"android-vendor-boot", isVendorBoot, openAndroidBoot},
		{"android-sparse", isSparse, openSparse},
		{"ubi", isUBI, openUBI},
		{"ubifs", isUBIFS, openUBIFS},
		{"squashfs", isSquashfs, openSquashfs},
		{"cramfs", isCramfs, openCramfs},
		{"jffs2", isJFFS2, openJFFS2},
		{"ext", isExt, openExt},
		{"erofs", isErofs, openErofs},
		{"zip", isZip, openZip},
		{"7z", isSevenZip, openSevenZip},
		{"cpio", isCPIO, openCPIO},
		{"tar", isTar, openTar},
		{"gzip", isGzip, openGzip},
		{"xz", isXZ, openXZ},
		{"zstd", isZstd, openZstd},
		{"bzip2", isBzip2, openBzip2},
		{"lzma", isLZMA, openLZMA},
		{"lz4", isLZ4Legacy, openLZ4Legacy},
	}
}

// fileSystems are the layer types that hold an operating system's files.
var fileSystems = map[string]bool{"squashfs": true, "cramfs": true, "jffs2": true, "ext": true, "ubifs": true, "erofs": true}

// opensInside says whether a file of format f found in a layer of type
// parent is unpacked as a nested layer. A zip file inside a filesystem is
// an application archive (.jar, .apk, .whl, .xpi): unpacking each would list
// its classes as the firmware's files and spend the content budget (an
// Android system image holds hundreds), so it stays a file. Zips are opened
// as the image itself, as a payload or carved blob, and inside archives.
func (f format) opensInside(parent string) bool {
	return !(f.name == "zip" && fileSystems[parent])
}

// Identify names the format of b by its leading magic, or "".
func Identify(b []byte) string {
	for _, f := range formats() {
		if f.match(b) {
			return f.name
		}
	}
	return ""
}

func digest(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// blob unpacks one blob. container is the file it came from ("" for the
// image), base its offset inside that file, carve whether unknown contents
// should be carved.
func (u *unpacker) blob(b []byte, container string, base int64, depth int, carve, claimed bool) (*node, error) {
	if err := u.ctx.Err(); err != nil {
		return nil, err
	}
	if depth > u.lim.MaxDepth {
		return &node{warnings: []string{fmt.Sprintf("%s: nesting deeper than %d layers not unpacked", orImage(container), u.lim.MaxDepth)}}, nil
	}
	n := &node{}
	if f, ok := match(b); ok {
		if used, err := u.layer(n, f, b, base, container, depth, claimed); err == nil {
			// A layer that ends before the blob does (a uImage kernel
			// with the rootfs appended after it, as OpenWrt builds
			// them): the rest is carved.
			if carve && used > 0 && used < int64(len(b)) {
				if err := u.carve(n, b[used:], container, base+used, depth); err != nil {
					return nil, err
				}
			}
			return n, nil
		} else if errors.Is(err, ErrLimit) || u.ctx.Err() != nil {
			return nil, err
		} else {
			n.warnings = append(n.warnings, fmt.Sprintf("%s: looks like %s but does not unpack: %v", orImage(container), f.name, err))
			if !carve {
				return n, nil
			}
		}
	}
	if !carve {
		return n, nil
	}
	if err := u.carve(n, b, container, base, depth); err != nil {
		return nil, err
	}
	return n, nil
}

func orImage(p string) string {
	if p == "" {
		return "image"
	}
	return p
}

func match(b []byte) (format, bool) {
	for _, f := range formats() {
		if f.match(b) {
			return f, true
		}
	}
	return format{}, false
}

// layer unpacks b as format f and appends its layer, files and children to n.
// claimed says the caller already reserved b's digest (so that of several
// identical files the first in listing order is the one unpacked).
func (u *unpacker) layer(n *node, f format, b []byte, offset int64, container string, depth int, claimed bool) (int64, error) {
	key := digest(b)
	u.mu.Lock()
	dup := u.seen[key] && !claimed
	u.seen[key] = true
	u.mu.Unlock()
	if dup {
		n.layers = append(n.layers, Layer{Type: f.name, Offset: offset, Path: container, Duplicate: true, Detail: "identical to a blob already unpacked (sha256 " + key[:12] + ")"})
		return 0, nil
	}
	c, err := f.open(u, b)
	if err != nil {
		u.mu.Lock()
		delete(u.seen, key)
		u.mu.Unlock()
		return 0, err
	}
	idx := len(n.layers)
	typ := f.name
	if typ == "ext" {
		typ = extVersion(b)
	}
	n.layers = append(n.layers, Layer{Type: typ, Offset: offset, Path: container, Detail: c.detail})
	for _, w := range c.unread {
		n.warnings = append(n.warnings, fmt.Sprintf("%s: %s at offset %d: %s not read", orImage(container), typ, offset, w))
	}
	prefix := ""
	if container != "" {
		prefix = container + "!"
	}
	type job struct {
		data      []byte
		container string
		base      int64
		carve     bool
		claimed   bool
		blobName  string
	}
	var jobs []job
	for i := range c.files {
		fl := &c.files[i]
		fl.Layer = idx
		fl.Path = prefix + fl.Inner
		if fl.Kind == KindFile && len(fl.Data) > 0 {
			if nf, ok := match(fl.Data); ok && nf.opensInside(f.name) {
				u.mu.Lock()
				dup := u.seen[fl.SHA256]
				u.seen[fl.SHA256] = true
				u.mu.Unlock()
				if dup {
					n.layers = append(n.layers, Layer{Type: nf.name, Path: fl.Path, Duplicate: true, Detail: "identical to a blob already unpacked (sha256 " + fl.SHA256[:12] + ")"})
					continue
				}
				jobs = append(jobs, job{data: fl.Data, container: fl.Path, claimed: true})
			}
		}
	}
	n.files = append(n.files, c.files...)
	for _, nb := range c.nested {
		// A header's payload or a decompressed stream: the same place in
		// the image, carved when it is not a known format (a kernel holding
		// an initramfs), else kept as a blob.
		if nb.name != "" {
			jobs = append(jobs, job{data: nb.data, container: prefix + nb.name, carve: true, blobName: prefix + nb.name})
			continue
		}
		name := fmt.Sprintf("%s@0x%x", container, offset+nb.offset)
		jobs = append(jobs, job{data: nb.data, container: container, base: offset + nb.offset, carve: true, blobName: name})
	}
	children := make([]*node, len(jobs))
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		run := func() {
			children[i], errs[i] = u.blob(j.data, j.container, j.base, depth+1, j.carve, j.claimed)
			if errs[i] == nil && j.carve && len(children[i].layers) == 0 {
				// Not a container: keep it as a blob so banners can be read.
				children[i].files = append(children[i].files, File{Path: j.blobName, Inner: j.blobName, Kind: KindBlob, Size: int64(len(j.data)), SHA256: digest(j.data), Data: j.data})
			}
		}
		select {
		case u.sem <- struct{}{}:
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-u.sem }()
				run()
			}()
		default:
			run()
		}
	}
	wg.Wait()
	for i, ch := range children {
		if errs[i] != nil {
			return 0, errs[i]
		}
		if ch == nil {
			continue
		}
		// Blob files of a child without layers belong to this layer.
		if len(ch.layers) == 0 {
			for _, bf := range ch.files {
				bf.Layer = idx
				n.files = append(n.files, bf)
			}
			n.warnings = append(n.warnings, ch.warnings...)
			continue
		}
		n.children = append(n.children, ch)
	}
	return c.used, nil
}

// carve looks for known formats at every offset of b.
func (u *unpacker) carve(n *node, b []byte, container string, base int64, depth int) error {
	type cand struct {
		off int64
		f   format
	}
	var cands []cand
	for _, f := range formats() {
		for _, m := range carveMagics[f.name] {
			start := 0
			for start < len(b) {
				i := bytes.Index(b[start:], m.magic)
				if i < 0 {
					break
				}
				off := start + i - m.at
				start += i + 1
				if off < 0 {
					continue
				}
				if f.match(b[off:]) {
					cands = append(cands, cand{int64(off), f})
					if f.name == "ubi" {
						// Every erase block starts with the magic: the
						// run from the first one is one candidate.
						start = off + int(ubiSize(b[off:]))
					}
				}
				if len(cands) > u.lim.MaxCarve {
					break
				}
			}
		}
	}
	sort.Slice(cands, func(i, j int) bool { return cands[i].off < cands[j].off })
	end := int64(-1)
	tries := 0
	for _, c := range cands {
		if c.off < end {
			continue
		}
		if tries++; tries > u.lim.MaxCarve {
			n.warnings = append(n.warnings, fmt.Sprintf("%s: more than %d carving candidates; stopped", orImage(container), u.lim.MaxCarve))
			break
		}
		before := len(n.layers)
		sub := b[c.off:]
		if used := c.f.size(sub); used > 0 && used <= int64(len(sub)) {
			sub = sub[:used]
		}
		_, err := u.layer(n, c.f, sub, base+c.off, container, depth, false)
		if errors.Is(err, ErrLimit) || u.ctx.Err() != nil {
			return err
		}
		if err != nil || len(n.layers) == before {
			continue
		}
		if used := c.f.size(b[c.off:]); used > 0 {
			end = c.off + used
		} else {
			end = c.off + 1
		}
	}
	return nil
}

// size returns the length of the layer at the start of b when the header
// says so (0 when unknown).
func (f format) size(b []byte) int64 {
	if size := layerSizes[f.name]; size != nil {
		return size(b)
	}
	return 0
}

// layerSizes are the formats whose header says how long the layer is.
var layerSizes = map[string]func([]byte) int64{
	"squashfs": squashfsSize, "cramfs": cramfsSize, "ext": extSize, "uimage": uimageSize, "trx": trxSize,
	"zip": zipSize, "fit": fitSize, "android-sparse": sparseSize, "ubi": ubiSize,
	"erofs": erofsSize, "7z": sevenZipSize, "android-boot": androidBootSize, "android-vendor-boot": androidBootSize,
}

type carveMagic struct {
	magic []byte
	at    int // offset of the magic from the start of the format
}

// carveMagics are the byte strings searched for when carving. Each
// candidate is then confirmed by the format's match function.
var carveMagics = map[string][]carveMagic{
	"trx":                 {{[]byte("HDR0"), 0}},
	"uimage":              {{[]byte{0x27, 0x05, 0x19, 0x56}, 0}},
	"squashfs":            {{[]byte("hsqs"), 0}},
	"fit":                 {{[]byte{0xd0, 0x0d, 0xfe, 0xed}, 0}},
	"android-sparse":      {{[]byte{0x3a, 0xff, 0x26, 0xed}, 0}},
	"android-boot":        {{[]byte(bootMagic), 0}},
	"android-vendor-boot": {{[]byte(vendorBootMagic), 0}},
	// UBI by the erase-counter header of every erase block: the first one
	// found takes the run of blocks that follows.
	"ubi": {{[]byte("UBI#"), 0}},
	// JFFS2 by the cleanmarker at the start of each erase block (any node
	// matches at offset 0; carving every node would flood the candidates).
	"jffs2":  {{[]byte{0x85, 0x19, 0x03, 0x20}, 0}, {[]byte{0x19, 0x85, 0x20, 0x03}, 0}},
	"cramfs": {{[]byte{0x45, 0x3d, 0xcd, 0x28}, 0}, {[]byte{0x28, 0xcd, 0x3d, 0x45}, 0}, {[]byte{0x45, 0x3d, 0xcd, 0x28}, 512}, {[]byte{0x28, 0xcd, 0x3d, 0x45}, 512}},
	"ext":    {{[]byte{0x53, 0xef}, 1024 + 56}},
	"erofs":  {{[]byte{0xe2, 0xe1, 0xf5, 0xe0}, erofsSuperOffset}},
	"7z":     {{sevenZipMagic, 0}},
	"cpio":   {{[]byte("070701"), 0}, {[]byte("070702"), 0}},
	// zip by its first local file header; isZip then needs the end record
	// pointing back to it.
	"zip":   {{[]byte{'P', 'K', 3, 4}, 0}},
	"tar":   {{[]byte("ustar"), 257}},
	"gzip":  {{[]byte{0x1f, 0x8b, 0x08}, 0}},
	"xz":    {{[]byte{0xfd, '7', 'z', 'X', 'Z', 0}, 0}},
	"zstd":  {{[]byte{0x28, 0xb5, 0x2f, 0xfd}, 0}},
	"bzip2": {{[]byte("BZh"), 0}},
	"lzma":  {{[]byte{0x5d, 0, 0}, 0}},
	"lz4":   {{[]byte{0x02, 0x21, 0x4c, 0x18}, 0}},
}

// addBytes accounts for n more bytes of content.
func (u *unpacker) addBytes(n int64) error {
	if u.total.Add(n) > u.lim.MaxTotalBytes {
		return fmt.Errorf("%w: more than %d bytes of content", ErrLimit, u.lim.MaxTotalBytes)
	}
	return nil
}

// fileClaims is what the files of one file-system image say they hold.
// Holes and zero-compressed nodes cost no bytes in the image, so it is
// bounded like a compressed stream's output (MaxRatio), not only by the
// total.
type fileClaims struct {
	fs    string // the file system, for the error: "cramfs"
	image int64  // the image's size in bytes
	total int64  // the bytes claimed so far
}

// claimFile accounts for n more bytes of file content in the image of c:
// more than MaxRatio times the image (and 1 MiB) or past MaxTotalBytes is
// ErrLimit.
func (u *unpacker) claimFile(c *fileClaims, n int64) error {
	limit := u.lim.MaxRatio*c.image + 1<<20
	if c.total += n; u.lim.MaxRatio > 0 && c.total > limit {
		return fmt.Errorf("%w: %s of %d bytes holds more than %d bytes of files (ratio limit %d)", ErrLimit, c.fs, c.image, limit, u.lim.MaxRatio)
	}
	return u.addBytes(n)
}

// setContent sets what a file or symlink entry read from its image holds:
// the symlink's target, or the file's data.
func (f *File) setContent(data []byte) {
	if f.Kind == KindSymlink {
		f.Link = string(data)
	} else {
		f.Data = data
	}
}

// addFile accounts for one more entry.
func (u *unpacker) addFile() error {
	if u.files.Add(1) > int64(u.lim.MaxFiles) {
		return fmt.Errorf("%w: more than %d entries", ErrLimit, u.lim.MaxFiles)
	}
	return u.ctx.Err()
}

// cleanPath makes an entry name absolute and clean: "../../etc/x" is
// "/etc/x", so no entry can name a place outside the image.
func cleanPath(name string) string {
	name = strings.TrimPrefix(name, "./")
	return path.Clean("/" + name)
}
