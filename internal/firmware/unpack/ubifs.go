package unpack

// ---- UBIFS (Linux fs/ubifs/ubifs-media.h; mkfs.ubifs) ----
//
// Hand-written (no pure-Go reader exists), and read as a node log, the way
// the JFFS2 reader is: every logical erase block of the volume is scanned
// at UBIFS's 8-byte node alignment for the common node header (magic
// 0x06101831, CRC, sequence number, length, type); a node whose CRC fails
// is skipped and counted. Of inode, directory-entry and data nodes the one
// with the highest sequence number wins for its key, and a directory entry
// whose inode number is 0 is a deletion. The on-flash B-tree index is not
// used: an image that garbage collection has not yet reclaimed may still
// hold obsolete nodes, which the sequence numbers order. Data nodes are
// 4 KiB blocks, stored, LZO, zlib (raw deflate) or zstd; blocks no node
// covers are holes. Extended attributes and encryption are not read.

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"sync"

	"github.com/klauspost/compress/zstd"

	lzo "github.com/rasky/go-lzo"
)

const (
	ubifsMagic     = 0x06101831
	ubifsChLen     = 24
	ubifsBlockSize = 4096
	ubifsRootIno   = 1
	ubifsInoLen    = 160
	ubifsDentLen   = 56
	ubifsDataLen   = 48
	ubifsSBLen     = 4096

	ubifsInoNode  = 0
	ubifsDataNode = 1
	ubifsDentNode = 2
	ubifsSBNode   = 6
)

func isUBIFS(b []byte) bool {
	if len(b) < ubifsChLen+64 || binary.LittleEndian.Uint32(b) != ubifsMagic || b[20] != ubifsSBNode {
		return false
	}
	n := int64(binary.LittleEndian.Uint32(b[16:]))
	return n >= ubifsChLen+64 && n <= int64(len(b)) && ubiCRC(b[8:n]) == binary.LittleEndian.Uint32(b[4:])
}

// ubifsZstd decodes zstd data nodes (DecodeAll is safe for concurrent use).
var ubifsZstd = sync.OnceValues(func() (*zstd.Decoder, error) {
	return zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(1<<20))
})

type ubifsIno struct {
	sqnum          uint64
	size           int64
	mode, uid, gid uint32
	data           []byte
}

type ubifsDent struct {
	sqnum uint64
	inum  uint64
	name  string
}

type ubifsBlock struct {
	sqnum uint64
	size  int
	compr uint16
	data  []byte
}

func openUBIFS(u *unpacker, b []byte) (contents, error) {
	if !isUBIFS(b) {
		return contents{}, errors.New("UBIFS: no superblock node at offset 0")
	}
	leb := int64(binary.LittleEndian.Uint32(b[36:]))
	if leb < ubifsSBLen || leb > ubiMaxPEB {
		return contents{}, fmt.Errorf("UBIFS: superblock LEB size %d out of range", leb)
	}
	inodes := map[uint64]*ubifsIno{}
	dents := map[string]*ubifsDent{} // parent inum + "/" + name
	children := map[uint64][]string{}
	blocks := map[uint64]map[uint32]*ubifsBlock{}
	bad := 0
	for base := int64(0); base < int64(len(b)); base += leb {
		l := b[base:min(base+leb, int64(len(b)))]
		for p := 0; p+ubifsChLen <= len(l); {
			h := l[p:]
			if binary.LittleEndian.Uint32(h) != ubifsMagic {
				p += 8
				continue
			}
			n := int(binary.LittleEndian.Uint32(h[16:]))
			if n < ubifsChLen || n > len(h) || ubiCRC(h[8:n]) != binary.LittleEndian.Uint32(h[4:]) {
				bad++
				p += 8
				continue
			}
			node, sq := h[:n], binary.LittleEndian.Uint64(h[8:])
			p += (n + 7) &^ 7
			switch node[20] {
			case ubifsInoNode:
				if n < ubifsInoLen {
					continue // not a node of this type (mkfs.ubifs writes a 64-byte one after the superblock)
				}
				inum := uint64(binary.LittleEndian.Uint32(node[24:]))
				dl := int(binary.LittleEndian.Uint32(node[112:]))
				if dl > n-ubifsInoLen {
					bad++
					continue
				}
				if old := inodes[inum]; old == nil || sq > old.sqnum {
					inodes[inum] = &ubifsIno{sqnum: sq, size: int64(binary.LittleEndian.Uint64(node[48:])),
						uid: binary.LittleEndian.Uint32(node[96:]), gid: binary.LittleEndian.Uint32(node[100:]),
						mode: binary.LittleEndian.Uint32(node[104:]), data: node[ubifsInoLen : ubifsInoLen+dl]}
				}
			case ubifsDentNode:
				if n < ubifsDentLen {
					continue // not a node of this type (mkfs.ubifs writes a 64-byte one after the superblock)
				}
				parent := uint64(binary.LittleEndian.Uint32(node[24:]))
				nlen := int(binary.LittleEndian.Uint16(node[50:]))
				if nlen == 0 || nlen > n-ubifsDentLen {
					bad++
					continue
				}
				name := string(node[ubifsDentLen : ubifsDentLen+nlen])
				key := fmt.Sprintf("%d/%s", parent, name)
				if old := dents[key]; old == nil || sq > old.sqnum {
					if old == nil {
						children[parent] = append(children[parent], name)
					}
					dents[key] = &ubifsDent{sqnum: sq, inum: binary.LittleEndian.Uint64(node[40:]), name: name}
				}
			case ubifsDataNode:
				if n < ubifsDataLen {
					continue // not a node of this type (mkfs.ubifs writes a 64-byte one after the superblock)
				}
				inum := uint64(binary.LittleEndian.Uint32(node[24:]))
				blk := binary.LittleEndian.Uint32(node[28:]) & (1<<29 - 1)
				if blocks[inum] == nil {
					blocks[inum] = map[uint32]*ubifsBlock{}
				}
				if old := blocks[inum][blk]; old == nil || sq > old.sqnum {
					blocks[inum][blk] = &ubifsBlock{sqnum: sq, size: int(binary.LittleEndian.Uint32(node[40:])),
						compr: binary.LittleEndian.Uint16(node[44:]), data: node[ubifsDataLen:]}
				}
			}
		}
	}
	if inodes[ubifsRootIno] == nil {
		return contents{}, errors.New("UBIFS: no root inode node")
	}
	var c contents
	claims := fileClaims{fs: "UBIFS", image: int64(len(b))}
	unreadable := 0
	// Walk from the root; a directory is entered once (a loop of entries
	// pointing back up is not followed).
	seen := map[uint64]bool{ubifsRootIno: true}
	type dir struct {
		inum uint64
		path string
	}
	queue := []dir{{ubifsRootIno, "/"}}
	for len(queue) > 0 {
		d := queue[0]
		queue = queue[1:]
		names := children[d.inum]
		sort.Strings(names)
		for _, name := range names {
			de := dents[fmt.Sprintf("%d/%s", d.inum, name)]
			ino := inodes[de.inum]
			if de.inum == 0 || ino == nil {
				continue // deleted, or its inode node is lost
			}
			if err := u.addFile(); err != nil {
				return contents{}, err
			}
			f, known := modeEntry(path.Join(d.path, name), ino.mode, int(ino.uid), int(ino.gid))
			if !known {
				continue
			}
			switch f.Kind {
			case KindDir:
				if !seen[de.inum] {
					seen[de.inum] = true
					queue = append(queue, dir{de.inum, f.Inner})
				}
			case KindSymlink:
				f.Link = string(ino.data)
			case KindDevice:
				f.Major, f.Minor = ubifsDev(ino.data)
			case KindFile:
				data, err := u.ubifsFile(&claims, ino, blocks[de.inum])
				if errors.Is(err, ErrLimit) {
					return contents{}, fmt.Errorf("UBIFS file %s (inode %d): %w", f.Inner, de.inum, err)
				}
				if err != nil {
					unreadable++
					c.unread = append(c.unread, fmt.Sprintf("file %s (inode %d): %v", f.Inner, de.inum, err))
				}
				f.Data = data
			}
			finish(&f)
			c.files = append(c.files, f)
		}
	}
	c.used = int64(len(b))
	c.detail = fmt.Sprintf("LEBs of %d bytes, %d entries, %d inodes", leb, len(c.files), len(inodes))
	if bad > 0 {
		c.detail += fmt.Sprintf(", %d damaged nodes skipped", bad)
	}
	if unreadable > 0 {
		c.detail += fmt.Sprintf(", %d files unreadable", unreadable)
	}
	return c, nil
}

// ubifsDev decodes the new_encode_dev device number of a device inode.
func ubifsDev(d []byte) (uint32, uint32) {
	if len(d) < 4 {
		return 0, 0
	}
	dev := binary.LittleEndian.Uint32(d)
	return (dev & 0xfff00) >> 8, (dev & 0xff) | ((dev >> 12) & 0xfff00)
}

// ubifsFile assembles a file's 4 KiB blocks up to its inode's size; the
// size counts against the ratio limit before anything is allocated.
func (u *unpacker) ubifsFile(claims *fileClaims, ino *ubifsIno, blocks map[uint32]*ubifsBlock) ([]byte, error) {
	if ino.size < 0 {
		return nil, fmt.Errorf("%w: size %d", ErrLimit, ino.size)
	}
	if err := u.claimFile(claims, ino.size); err != nil {
		return nil, err
	}
	out := make([]byte, ino.size)
	for n, blk := range blocks {
		at := int64(n) * ubifsBlockSize
		if at >= ino.size {
			continue // truncated away
		}
		if blk.size > ubifsBlockSize {
			return out, fmt.Errorf("block %d claims %d bytes", n, blk.size)
		}
		data, err := ubifsDecompress(blk)
		if err != nil {
			return out, fmt.Errorf("block %d: %w", n, err)
		}
		copy(out[at:], data)
	}
	return out, nil
}

func ubifsDecompress(blk *ubifsBlock) ([]byte, error) {
	var out []byte
	var err error
	switch blk.compr {
	case 0:
		out = blk.data
	case 1:
		out, err = lzo.Decompress1X(bytes.NewReader(blk.data), len(blk.data), blk.size)
	case 2: // the kernel's "deflate": raw deflate, no zlib header
		out, err = io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(blk.data)), int64(blk.size)+1))
	case 3:
		var d *zstd.Decoder
		if d, err = ubifsZstd(); err == nil {
			out, err = d.DecodeAll(blk.data, make([]byte, 0, blk.size))
		}
	default:
		return nil, fmt.Errorf("compression %d not read", blk.compr)
	}
	if err != nil {
		return nil, err
	}
	if len(out) != blk.size {
		return nil, fmt.Errorf("%d bytes, node says %d", len(out), blk.size)
	}
	return out, nil
}
