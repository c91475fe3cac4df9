package unpack

// ---- JFFS2 (Linux fs/jffs2, mkfs.jffs2 from mtd-utils) ----
//
// Hand-written: there is no maintained pure-Go JFFS2 reader. A JFFS2 image
// is a log of nodes (include/uapi/linux/jffs2.h), each starting with the
// magic 0x1985, a type, a length and a CRC of that header, at 4-byte
// alignment, with erased flash (0xff) between them. Directory entries
// (dirent nodes) link a name in a parent inode to an inode number, the
// newest version of a name wins and inode 0 unlinks it; inode nodes carry
// metadata and one fragment of data (at most a page), compressed with
// zlib, rtime, LZO (third_party/lzo1x) or not at all, applied in version
// order. Every header, node and data CRC is checked: a node that fails is
// skipped and named in the layer's detail. Either byte order is read.
// Rubin and LZMA compression (not written by mkfs.jffs2) leave the file
// they occur in unreadable, named in the detail.

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"path"
	"sort"

	lzo "github.com/rasky/go-lzo"
)

const (
	jffs2Magic       = 0x1985
	jffs2Dirent      = 0xe001
	jffs2Inode       = 0xe002
	jffs2Cleanmarker = 0x2003
	jffs2MaxNode     = 1 << 20 // a node holds at most a page of data
	// jffs2MaxDevice is the most a device node's data holds: its device
	// number, 2 bytes (old_encode_dev) or 4 (new_encode_dev).
	jffs2MaxDevice = 4
)

// jffs2CRC is the kernel's crc32(0, …): CRC-32 without the initial and
// final inversion.
func jffs2CRC(b []byte) uint32 { return ^crc32.Update(0xffffffff, crc32.IEEETable, b) }

// jffs2Order returns the byte order of a node header at the start of b
// whose header CRC checks.
func jffs2Order(b []byte) (binary.ByteOrder, bool) {
	if len(b) < 12 {
		return nil, false
	}
	for _, o := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		if o.Uint16(b) == jffs2Magic && o.Uint32(b[8:]) == jffs2CRC(b[:8]) {
			return o, true
		}
	}
	return nil, false
}

func isJFFS2(b []byte) bool {
	_, ok := jffs2Order(b)
	return ok
}

type jffs2Frag struct {
	version        uint32
	offset, dsize  uint32
	compr          byte
	data           []byte // compressed
	mode, uid, gid uint32
	isize          uint32
	hasMeta        bool
	nodeAt         int
}

type jffs2Dir struct {
	version, pino, ino uint32
	typ                byte
	name               string
}

func openJFFS2(u *unpacker, b []byte) (contents, error) {
	order, ok := jffs2Order(b)
	if !ok {
		return contents{}, fmt.Errorf("jffs2: no node at the start")
	}
	inodes := map[uint32][]jffs2Frag{}
	dirents := map[string]jffs2Dir{} // "pino/name" → newest
	bad, end := 0, 0
	for p := 0; p+12 <= len(b); {
		if u.ctx.Err() != nil {
			return contents{}, u.ctx.Err()
		}
		if order.Uint16(b[p:]) != jffs2Magic {
			p += 4
			continue
		}
		if order.Uint32(b[p+8:]) != jffs2CRC(b[p:p+8]) {
			bad++ // a node whose header is damaged
			p += 4
			continue
		}
		typ, tot := order.Uint16(b[p+2:]), int(order.Uint32(b[p+4:]))
		if tot < 12 || tot > jffs2MaxNode || p+tot > len(b) {
			bad++
			p += 4
			continue
		}
		n := b[p : p+tot]
		switch typ {
		case jffs2Dirent:
			if tot < 40 || order.Uint32(n[32:]) != jffs2CRC(n[:32]) || 40+int(n[28]) > tot {
				bad++
				break
			}
			name := n[40 : 40+int(n[28])]
			if order.Uint32(n[36:]) != jffs2CRC(name) {
				bad++
				break
			}
			d := jffs2Dir{pino: order.Uint32(n[12:]), version: order.Uint32(n[16:]), ino: order.Uint32(n[20:]), typ: n[29], name: string(name)}
			key := fmt.Sprintf("%d/%s", d.pino, d.name)
			if old, ok := dirents[key]; !ok || d.version >= old.version {
				dirents[key] = d
			}
		case jffs2Inode:
			if tot < 68 || order.Uint32(n[64:]) != jffs2CRC(n[:60]) {
				bad++
				break
			}
			csize := int(order.Uint32(n[48:]))
			if 68+csize > tot {
				bad++
				break
			}
			data := n[68 : 68+csize]
			if order.Uint32(n[60:]) != jffs2CRC(data) {
				bad++
				break
			}
			ino := order.Uint32(n[12:])
			inodes[ino] = append(inodes[ino], jffs2Frag{version: order.Uint32(n[16:]), mode: order.Uint32(n[20:]), uid: uint32(order.Uint16(n[24:])),
				gid: uint32(order.Uint16(n[26:])), isize: order.Uint32(n[28:]), offset: order.Uint32(n[44:]), dsize: order.Uint32(n[52:]),
				compr: n[56], data: data, hasMeta: true, nodeAt: p})
		}
		p += (tot + 3) &^ 3
		end = p
	}
	if len(dirents) == 0 && len(inodes) == 0 {
		return contents{}, fmt.Errorf("jffs2: no readable directory entry or inode")
	}
	var c contents
	c.used = int64(end)
	// What the image may claim to hold is bounded like a compressed
	// stream's output (zero-compressed nodes cost nothing).
	claims := fileClaims{fs: "jffs2", image: int64(end)}
	children := map[uint32][]jffs2Dir{}
	for _, d := range dirents {
		if d.ino != 0 {
			children[d.pino] = append(children[d.pino], d)
		}
	}
	for _, l := range children {
		sort.Slice(l, func(i, j int) bool { return l[i].name < l[j].name })
	}
	damaged := ""
	if bad > 0 {
		damaged = fmt.Sprintf("%d damaged nodes skipped", bad)
	}
	type dir struct {
		ino   uint32
		p     string
		depth int
	}
	visited := map[uint32]bool{1: true}
	// An inode's data is read once, however many entries link it (hard
	// links): reading it per entry made 400 links to an inode of 1200
	// nodes cost 1.5 s and 1.9 GB in a 96 KB image.
	type inodeRead struct {
		data []byte
		err  error
	}
	reads := map[uint32]inodeRead{}
	stack := []dir{{1, "/", 0}}
	for len(stack) > 0 {
		d := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if d.depth > 256 {
			return contents{}, fmt.Errorf("jffs2: directory %s nested deeper than 256 levels", d.p)
		}
		for _, e := range children[d.ino] {
			if e.name == "" || e.name == "." || e.name == ".." || bytes.ContainsRune([]byte(e.name), '/') {
				continue
			}
			if err := u.addFile(); err != nil {
				return contents{}, err
			}
			p := path.Join(d.p, e.name)
			frags := inodes[e.ino]
			if len(frags) == 0 {
				damaged = fmt.Sprintf("entry %s: inode %d has no node", p, e.ino)
				continue
			}
			r, read := reads[e.ino]
			if !read {
				sort.SliceStable(frags, func(i, j int) bool { return frags[i].version < frags[j].version })
			}
			meta := frags[len(frags)-1]
			f, known := modeEntry(p, meta.mode, int(meta.uid), int(meta.gid))
			if !known {
				continue
			}
			switch f.Kind {
			case KindDir:
				if visited[e.ino] {
					return contents{}, fmt.Errorf("jffs2: directory %s loops", p)
				}
				visited[e.ino] = true
				stack = append(stack, dir{e.ino, p, d.depth + 1})
			case KindFile, KindSymlink:
				if err := u.claimFile(&claims, int64(meta.isize)); err != nil {
					return contents{}, err
				}
				if !read {
					r.data, r.err = jffs2Data(frags, meta.isize)
					reads[e.ino] = r
				}
				data, err := r.data, r.err
				if err != nil {
					damaged = fmt.Sprintf("file %s unreadable: %v", p, err)
				}
				f.setContent(data)
			case KindDevice:
				if !read {
					r.data, r.err = jffs2Data(frags, ^uint32(0))
					reads[e.ino] = r
				}
				dev, err := r.data, r.err
				if err != nil {
					damaged = fmt.Sprintf("device %s unreadable: %v", p, err)
				} else {
					switch len(dev) {
					case 2: // old_encode_dev
						v := uint32(order.Uint16(dev))
						f.Major, f.Minor = v>>8, v&0xff
					case 4: // new_encode_dev
						v := order.Uint32(dev)
						f.Major, f.Minor = (v&0xfff00)>>8, (v&0xff)|((v>>12)&0xfff00)
					}
				}
			}
			finish(&f)
			c.files = append(c.files, f)
		}
	}
	c.detail = entriesDetail(order, len(c.files), damaged)
	return c, nil
}

// jffs2Data applies an inode's data fragments in version order and cuts
// the result to isize (^0: the fragments' own extent, for device nodes,
// which is at most jffs2MaxDevice bytes: a fragment's offset comes from
// the image and must not decide what is allocated).
func jffs2Data(frags []jffs2Frag, isize uint32) ([]byte, error) {
	var out []byte
	limit := uint64(jffs2MaxDevice)
	if isize != ^uint32(0) {
		out = make([]byte, 0, isize)
		limit = uint64(isize)
	}
	var firstErr error
	for _, fr := range frags {
		if fr.dsize == 0 {
			if isize != ^uint32(0) && fr.isize < uint32(len(out)) { // a truncation
				out = out[:fr.isize]
			}
			continue
		}
		if fr.dsize > jffs2MaxNode || uint64(fr.offset)+uint64(fr.dsize) > limit {
			if firstErr == nil && isize == ^uint32(0) {
				firstErr = fmt.Errorf("node at %d: fragment at %d of %d bytes outside the %d bytes of a device number", fr.nodeAt, fr.offset, fr.dsize, jffs2MaxDevice)
			} else if firstErr == nil {
				firstErr = fmt.Errorf("fragment at %d of %d bytes outside the file", fr.offset, fr.dsize)
			}
			continue
		}
		endAt := int(fr.offset) + int(fr.dsize)
		if fr.compr == 0x01 { // zero: no bytes to decode (or allocate)
			if endAt > len(out) {
				out = append(out, make([]byte, endAt-len(out))...)
			}
			clear(out[fr.offset:endAt])
			continue
		}
		data, err := jffs2Decompress(fr.compr, fr.data, int(fr.dsize))
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("node at %d: %w", fr.nodeAt, err)
			}
			continue
		}
		endAt = int(fr.offset) + len(data)
		if endAt > len(out) {
			out = append(out, make([]byte, endAt-len(out))...)
		}
		copy(out[fr.offset:], data)
	}
	if isize != ^uint32(0) && firstErr == nil {
		if gap, ok := jffs2Gap(frags, isize); ok {
			firstErr = fmt.Errorf("bytes from %d are in no node (a lost or damaged node)", gap)
		}
	}
	if isize != ^uint32(0) && uint32(len(out)) < isize {
		out = append(out, make([]byte, int(isize)-len(out))...) // a hole at the end
	} else if isize != ^uint32(0) && uint32(len(out)) > isize {
		out = out[:isize]
	}
	return out, firstErr
}

// jffs2Gap returns the first byte of [0, isize) that no fragment covers
// (the kernel writes holes as zero-compressed nodes, so a gap is a lost
// node).
func jffs2Gap(frags []jffs2Frag, isize uint32) (uint32, bool) {
	type span struct{ a, b uint64 }
	var spans []span
	for _, fr := range frags {
		if fr.dsize > 0 {
			spans = append(spans, span{uint64(fr.offset), uint64(fr.offset) + uint64(fr.dsize)})
		}
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].a < spans[j].a })
	var covered uint64
	for _, sp := range spans {
		if sp.a > covered {
			break
		}
		covered = max(covered, sp.b)
	}
	if covered < uint64(isize) {
		return uint32(covered), true
	}
	return 0, false
}

func jffs2Decompress(compr byte, in []byte, dsize int) ([]byte, error) {
	switch compr {
	case 0x00: // none
		if len(in) != dsize {
			return nil, fmt.Errorf("uncompressed node holds %d bytes, says %d", len(in), dsize)
		}
		return in, nil
	case 0x01: // zero
		return make([]byte, dsize), nil
	case 0x02:
		return rtimeDecompress(in, dsize)
	case 0x06:
		zr, err := zlib.NewReader(bytes.NewReader(in))
		if err != nil {
			return nil, fmt.Errorf("zlib: %w", err)
		}
		out, err := io.ReadAll(io.LimitReader(zr, int64(dsize)+1))
		if err != nil {
			return nil, fmt.Errorf("zlib: %w", err)
		}
		if len(out) != dsize {
			return nil, fmt.Errorf("zlib: %d bytes, node says %d", len(out), dsize)
		}
		return out, nil
	case 0x07:
		out, err := lzo.Decompress1X(bytes.NewReader(in), len(in), dsize)
		if err != nil {
			return nil, fmt.Errorf("lzo: %w", err)
		}
		if len(out) != dsize {
			return nil, fmt.Errorf("lzo: %d bytes, node says %d", len(out), dsize)
		}
		return out, nil
	}
	return nil, fmt.Errorf("compression %d (rubin or lzma) is not supported", compr)
}

// rtimeDecompress is JFFS2's "rtime" run-length scheme (fs/jffs2/compr_rtime.c):
// pairs of (byte, repeat) where repeat copies from the previous position
// of that byte value.
func rtimeDecompress(in []byte, dsize int) ([]byte, error) {
	var positions [256]int
	out := make([]byte, 0, dsize)
	for pos := 0; len(out) < dsize; {
		if pos+2 > len(in) {
			return nil, fmt.Errorf("rtime: input ends after %d of %d bytes", len(out), dsize)
		}
		value, repeat := in[pos], int(in[pos+1])
		pos += 2
		out = append(out, value)
		back := positions[value]
		positions[value] = len(out)
		if len(out)+repeat > dsize {
			return nil, fmt.Errorf("rtime: run past the %d bytes of the node", dsize)
		}
		for ; repeat > 0; repeat-- {
			out = append(out, out[back])
			back++
		}
	}
	return out, nil
}
