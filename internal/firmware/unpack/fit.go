package unpack

// ---- U-Boot FIT images (flattened image tree) ----
//
// A FIT image is a flattened device tree (Devicetree Specification v0.4,
// chapter 5: a 40-byte big-endian header, a structure block of
// BEGIN_NODE/PROP/END_NODE tokens, a strings block of property names) whose
// /images node has one subnode per image (U-Boot doc/usage/fit/
// source_file_format.rst): its bytes in a `data` property, or outside the
// tree (`mkimage -E`) at `data-offset` from the tree's 4-aligned end or at
// the absolute `data-position`, `data-size` bytes long; `compression` says
// how they are packed (none, gzip, bzip2, lzma, lzo, lz4, zstd, xz) and
// hash-N subnodes carry a checksum (crc32, sha1, sha256, md5).
//
// Hand-written: no maintained pure-Go FDT reader is on the module proxy
// list (/work/.library/env/packages/go-partial.tsv has neither u-root's
// pkg/dt nor another), and u-root would bring a very large module for 100
// lines. The reader is bounded: every offset and length is checked against
// the blob, nesting is limited to fdtMaxDepth and nodes to fdtMaxNodes.

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"strings"

	"github.com/pierrec/lz4/v4"
)

const (
	fdtMagic     = 0xd00dfeed
	fdtHeaderLen = 40
	fdtMaxDepth  = 32
	fdtMaxNodes  = 10000

	fdtBeginNode = 1
	fdtEndNode   = 2
	fdtProp      = 3
	fdtNop       = 4
	fdtEnd       = 9
)

type fdtNode struct {
	name     string
	at       int64 // offset of its BEGIN_NODE token in the blob
	props    map[string][]byte
	children []*fdtNode
}

func (n *fdtNode) child(name string) *fdtNode {
	for _, c := range n.children {
		if c.name == name {
			return c
		}
	}
	return nil
}

// str is a string property without its terminating NUL.
func (n *fdtNode) str(name string) string {
	return string(bytes.TrimRight(n.props[name], "\x00"))
}

// u32 is a one-cell property; false when absent or not 4 bytes.
func (n *fdtNode) u32(name string) (int64, bool) {
	v, ok := n.props[name]
	if !ok || len(v) != 4 {
		return 0, false
	}
	return int64(binary.BigEndian.Uint32(v)), true
}

// fdtTotal is the tree's totalsize when b starts with a plausible FDT
// header, else 0.
func fdtTotal(b []byte) int64 {
	if len(b) < fdtHeaderLen || binary.BigEndian.Uint32(b) != fdtMagic {
		return 0
	}
	total := int64(binary.BigEndian.Uint32(b[4:]))
	if total < fdtHeaderLen || total > int64(len(b)) {
		return 0
	}
	return total
}

// fdtHeader is what the walk needs of the 40-byte header.
type fdtHeader struct {
	offStruct, sizeStruct, offStrings, sizeStrings int64
}

// fdtToken is one token of the structure block: at and end are its
// offsets in the blob (end is where the next token starts), name is the
// node's name (BEGIN_NODE) or the property's (PROP), value the property's.
type fdtToken struct {
	kind    uint32
	at, end int64
	name    string
	value   []byte
}

// fdtWalk checks the header of the tree at the start of b and hands visit
// every token of its structure block up to and including END, each one
// checked against its block; nesting and the number of nodes are bounded.
func fdtWalk(b []byte, visit func(t fdtToken) error) (fdtHeader, error) {
	total := fdtTotal(b)
	if total == 0 {
		return fdtHeader{}, errors.New("FDT: bad header or totalsize past the end")
	}
	h := func(i int) int64 { return int64(binary.BigEndian.Uint32(b[4*i:])) }
	offStruct, offStrings, version := h(2), h(3), h(5)
	if version < 16 {
		return fdtHeader{}, fmt.Errorf("FDT: version %d not supported (16 and later)", version)
	}
	sizeStrings := total - offStrings
	if version >= 3 {
		sizeStrings = h(8)
	}
	sizeStruct := total - offStruct
	if version >= 17 {
		sizeStruct = h(9)
	}
	if offStruct < fdtHeaderLen || sizeStruct < 0 || offStruct+sizeStruct > total {
		return fdtHeader{}, fmt.Errorf("FDT: structure block at offset %d (%d bytes) outside the tree of %d bytes", offStruct, sizeStruct, total)
	}
	if offStrings < fdtHeaderLen || sizeStrings < 0 || offStrings+sizeStrings > total {
		return fdtHeader{}, fmt.Errorf("FDT: strings block at offset %d (%d bytes) outside the tree of %d bytes", offStrings, sizeStrings, total)
	}
	hdr := fdtHeader{offStruct: offStruct, sizeStruct: sizeStruct, offStrings: offStrings, sizeStrings: sizeStrings}
	st := b[offStruct : offStruct+sizeStruct]
	strs := b[offStrings : offStrings+sizeStrings]
	depth, nodes := 0, 0
	p := int64(0)
	for {
		if p+4 > int64(len(st)) {
			return hdr, fmt.Errorf("FDT: structure block ends at offset %d without an END token", offStruct+p)
		}
		t := fdtToken{kind: binary.BigEndian.Uint32(st[p:]), at: offStruct + p}
		p += 4
		switch t.kind {
		case fdtBeginNode:
			end := bytes.IndexByte(st[p:], 0)
			if end < 0 {
				return hdr, fmt.Errorf("FDT: node name at offset %d not terminated", offStruct+p)
			}
			if nodes++; nodes > fdtMaxNodes || depth >= fdtMaxDepth {
				return hdr, fmt.Errorf("FDT: more than %d nodes or %d levels at offset %d", fdtMaxNodes, fdtMaxDepth, t.at)
			}
			depth++
			t.name = string(st[p : p+int64(end)])
			p += int64(pad4(end + 1))
		case fdtEndNode:
			if depth == 0 {
				return hdr, fmt.Errorf("FDT: END_NODE without a node at offset %d", t.at)
			}
			depth--
		case fdtProp:
			if p+8 > int64(len(st)) {
				return hdr, fmt.Errorf("FDT: property header at offset %d past the structure block", t.at)
			}
			n, nameOff := int64(binary.BigEndian.Uint32(st[p:])), int64(binary.BigEndian.Uint32(st[p+4:]))
			p += 8
			if n > int64(len(st))-p {
				return hdr, fmt.Errorf("FDT: property at offset %d claims %d bytes past the structure block", t.at, n)
			}
			if depth == 0 {
				return hdr, fmt.Errorf("FDT: property outside a node at offset %d", t.at)
			}
			if nameOff >= int64(len(strs)) {
				return hdr, fmt.Errorf("FDT: property at offset %d names string %d past the strings block", t.at, nameOff)
			}
			name := strs[nameOff:]
			if i := bytes.IndexByte(name, 0); i >= 0 {
				name = name[:i]
			}
			t.name, t.value = string(name), st[p:p+n]
			p += int64(pad4(int(n)))
		case fdtNop:
		case fdtEnd:
			if depth != 0 {
				return hdr, fmt.Errorf("FDT: END at offset %d inside an open node", t.at)
			}
		default:
			return hdr, fmt.Errorf("FDT: unknown token 0x%x at offset %d", t.kind, t.at)
		}
		t.end = offStruct + min(p, int64(len(st)))
		if err := visit(t); err != nil {
			return hdr, err
		}
		if t.kind == fdtEnd {
			return hdr, nil
		}
	}
}

// parseFDT reads the structure block of the tree at the start of b.
func parseFDT(b []byte) (*fdtNode, error) {
	var root *fdtNode
	var stack []*fdtNode
	_, err := fdtWalk(b, func(t fdtToken) error {
		switch t.kind {
		case fdtBeginNode:
			n := &fdtNode{name: t.name, at: t.at, props: map[string][]byte{}}
			if len(stack) == 0 {
				if root != nil {
					return fmt.Errorf("FDT: second root node at offset %d", t.at)
				}
				root = n
			} else {
				parent := stack[len(stack)-1]
				parent.children = append(parent.children, n)
			}
			stack = append(stack, n)
		case fdtEndNode:
			stack = stack[:len(stack)-1]
		case fdtProp:
			stack[len(stack)-1].props[t.name] = t.value
		case fdtEnd:
			if root == nil {
				return fmt.Errorf("FDT: END at offset %d before any node", t.at)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return root, nil
}

// isFIT accepts a device tree whose /images node has at least one subnode:
// a plain device tree blob (a .dtb) is not a container.
func isFIT(b []byte) bool {
	if fdtTotal(b) == 0 {
		return false
	}
	root, err := parseFDT(b)
	if err != nil {
		return false
	}
	img := root.child("images")
	return img != nil && len(img.children) > 0
}

// fitSize is the tree and the external data after it.
func fitSize(b []byte) int64 {
	total := fdtTotal(b)
	if total == 0 {
		return 0
	}
	root, err := parseFDT(b)
	if err != nil || root.child("images") == nil {
		return total
	}
	end := total
	for _, n := range root.child("images").children {
		if s, e, err := fitExternal(n, total, int64(len(b))); err == nil && s >= 0 && e > end {
			end = e
		}
	}
	return end
}

// fitExternal is where the data of an image node stored outside the tree
// lies: start and end, or -1 when its data is inside the tree.
func fitExternal(n *fdtNode, total, size int64) (int64, int64, error) {
	length, hasSize := n.u32("data-size")
	var start int64 = -1
	if off, ok := n.u32("data-offset"); ok {
		start = (total+3)&^3 + off
	} else if pos, ok := n.u32("data-position"); ok {
		start = pos
	}
	if start < 0 {
		return -1, -1, nil
	}
	if !hasSize {
		return 0, 0, fmt.Errorf("image %s: external data without data-size", n.name)
	}
	if start+length > size {
		return 0, 0, fmt.Errorf("image %s: external data at offset %d (%d bytes) past the end of the image (%d bytes)", n.name, start, length, size)
	}
	return start, start + length, nil
}

func openFIT(u *unpacker, b []byte) (contents, error) {
	root, err := parseFDT(b)
	if err != nil {
		return contents{}, err
	}
	images := root.child("images")
	if images == nil {
		return contents{}, errors.New("FIT: no /images node")
	}
	total := fdtTotal(b)
	c := contents{used: fitSize(b)}
	var notes []string
	if d := root.str("description"); d != "" {
		notes = append(notes, fmt.Sprintf("%q", d))
	}
	for _, n := range images.children {
		data, at, err := fitData(n, b, total)
		if err != nil {
			return contents{}, fmt.Errorf("FIT: %w", err)
		}
		comp := n.str("compression")
		if comp == "" {
			comp = "none"
		}
		note := fmt.Sprintf("%s: %s, %s, %d bytes at 0x%x", n.name, orDefault(n.str("type"), "no type"), comp, len(data), at)
		if bad := fitHashMismatch(n, data); bad != "" {
			note += ", " + bad
		}
		out, err := u.fitDecompress(comp, data)
		if errors.Is(err, ErrLimit) {
			return contents{}, fmt.Errorf("FIT image %s at offset %d: %w", n.name, at, err)
		}
		if err != nil {
			// Kept as it is stored, so its banners can still be read.
			note += fmt.Sprintf(" (not decompressed: %v)", err)
			c.unread = append(c.unread, fmt.Sprintf("image %s (%s compression)", n.name, comp))
			out = data
		}
		notes = append(notes, note)
		c.nested = append(c.nested, nestedBlob{data: out, offset: at, name: cleanPath(n.name)})
	}
	c.detail = fmt.Sprintf("%d images: %s", len(images.children), strings.Join(notes, "; "))
	return c, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// fitData is the stored bytes of an image node and their offset in b.
func fitData(n *fdtNode, b []byte, total int64) ([]byte, int64, error) {
	start, end, err := fitExternal(n, total, int64(len(b)))
	if err != nil {
		return nil, 0, err
	}
	if start >= 0 {
		return b[start:end], start, nil
	}
	d, ok := n.props["data"]
	if !ok {
		return nil, 0, fmt.Errorf("image %s (node at offset %d): no data, data-offset or data-position", n.name, n.at)
	}
	// The property's value is a sub-slice of b: its offset is where it lies.
	at := int64(0)
	if len(d) > 0 {
		at = int64(cap(b) - cap(d))
	}
	return d, at, nil
}

// fitHashMismatch checks the hash-N subnodes that U-Boot would verify;
// "" when every known algorithm matches.
func fitHashMismatch(n *fdtNode, data []byte) string {
	var bad []string
	for _, h := range n.children {
		if !strings.HasPrefix(h.name, "hash") {
			continue
		}
		want := h.props["value"]
		var got []byte
		switch h.str("algo") {
		case "crc32":
			got = binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(data))
		case "sha1":
			s := sha1.Sum(data)
			got = s[:]
		case "sha256":
			s := sha256.Sum256(data)
			got = s[:]
		case "md5":
			s := md5.Sum(data)
			got = s[:]
		default:
			continue
		}
		if !bytes.Equal(got, want) {
			bad = append(bad, h.str("algo")+" mismatch")
		}
	}
	return strings.Join(bad, ", ")
}

// fitDecompress unpacks an image's data as its compression property says,
// through the stream readers of the compressed layers (bounded by
// readBounded like every stream).
func (u *unpacker) fitDecompress(comp string, data []byte) ([]byte, error) {
	var open func(*unpacker, []byte) (contents, error)
	switch comp {
	case "none":
		return data, nil
	case "gzip":
		open = openGzip
	case "bzip2":
		open = openBzip2
	case "lzma":
		open = openLZMA
	case "xz":
		open = openXZ
	case "zstd":
		open = openZstd
	case "lz4": // U-Boot's lib/lz4_wrapper.c reads the LZ4 frame format
		return u.readBounded(lz4.NewReader(bytes.NewReader(data)), len(data))
	default:
		return nil, fmt.Errorf("compression %q not read", comp)
	}
	c, err := open(u, data)
	if err != nil {
		return nil, err
	}
	return c.nested[0].data, nil
}
