package unpack

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/pierrec/lz4/v4"
)

// ---- Android boot images (AOSP system/tools/mkbootimg, bootimg.h) ----
//
// Hand-written: a little-endian header ("ANDROID!", or "VNDRBOOT" for a
// vendor_boot image) followed by its sections, each starting on a page
// boundary. boot.img/recovery.img header versions 0–2 name their page size
// and hold kernel, ramdisk, second stage, recovery DTBO (v1) and DTB (v2);
// versions 3 and 4 have 4096-byte pages and hold kernel, ramdisk and (v4)
// a boot signature. vendor_boot v3 holds one vendor ramdisk and a DTB; v4
// a ramdisk section of several ramdisks named by a table, and bootconfig.
// The header version is at offset 40 in every boot.img version; boot
// images of older Qualcomm and Samsung devices keep there the size of a
// device-tree table ("dt_size", bootimg.h's union) that follows the second
// stage: a value above 4 is read as that, with the v0 layout.

const (
	bootMagic       = "ANDROID!"
	vendorBootMagic = "VNDRBOOT"
	bootV3Page      = 4096
	bootMaxSections = 64 // vendor ramdisk table entries read at most
)

// bootPageOK: a page size mkbootimg writes (2 KiB to 64 KiB, a power of two).
func bootPageOK(p uint32) bool { return p >= 2048 && p <= 1<<16 && p&(p-1) == 0 }

func isAndroidBoot(b []byte) bool {
	if len(b) < 1660 || !bytes.HasPrefix(b, []byte(bootMagic)) {
		return false
	}
	ver := binary.LittleEndian.Uint32(b[40:])
	return ver >= 3 && ver <= 4 || (ver <= 2 || ver > 4 && bootDTSize(b)) && bootPageOK(binary.LittleEndian.Uint32(b[36:]))
}

// bootDTSize: the header-version field of a v0 image holds a plausible
// dt_size (at most the image, a multiple of 4).
func bootDTSize(b []byte) bool {
	v := binary.LittleEndian.Uint32(b[40:])
	return int64(v) <= int64(len(b)) && v%4 == 0
}

func isVendorBoot(b []byte) bool {
	if len(b) < 2128 || !bytes.HasPrefix(b, []byte(vendorBootMagic)) {
		return false
	}
	ver := binary.LittleEndian.Uint32(b[8:])
	return (ver == 3 || ver == 4) && bootPageOK(binary.LittleEndian.Uint32(b[12:]))
}

// bootSection is one page-aligned part of a boot image.
type bootSection struct {
	name string
	size uint32
}

// bootLayout is the page size, header length and sections of a boot or
// vendor_boot header, in the order they follow the header.
func bootLayout(b []byte) (page, header int64, secs []bootSection) {
	le := binary.LittleEndian
	if bytes.HasPrefix(b, []byte(vendorBootMagic)) {
		page, header = int64(le.Uint32(b[12:])), 2112
		secs = []bootSection{{"vendor_ramdisk", le.Uint32(b[24:])}, {"dtb", le.Uint32(b[2100:])}}
		if le.Uint32(b[8:]) == 4 {
			header = 2128
			secs = append(secs, bootSection{"vendor_ramdisk_table", le.Uint32(b[2112:])}, bootSection{"bootconfig", le.Uint32(b[2124:])})
		}
		return page, header, secs
	}
	switch ver := le.Uint32(b[40:]); {
	case ver > 4:
		page = int64(le.Uint32(b[36:]))
		return page, page, []bootSection{{"kernel", le.Uint32(b[8:])}, {"ramdisk", le.Uint32(b[16:])}, {"second", le.Uint32(b[24:])}, {"dt", ver}}
	case ver >= 3:
		secs = []bootSection{{"kernel", le.Uint32(b[8:])}, {"ramdisk", le.Uint32(b[12:])}}
		if ver == 4 {
			secs = append(secs, bootSection{"boot_signature", le.Uint32(b[1580:])})
		}
		return bootV3Page, bootV3Page, secs
	default:
		page = int64(le.Uint32(b[36:]))
		secs = []bootSection{{"kernel", le.Uint32(b[8:])}, {"ramdisk", le.Uint32(b[16:])}, {"second", le.Uint32(b[24:])}}
		if ver >= 1 {
			secs = append(secs, bootSection{"recovery_dtbo", le.Uint32(b[1632:])})
		}
		if ver == 2 {
			secs = append(secs, bootSection{"dtb", le.Uint32(b[1648:])})
		}
		return page, page, secs
	}
}

func alignUp(n, page int64) int64 { return (n + page - 1) / page * page }

// androidBootSize is the header and every section, page-aligned.
func androidBootSize(b []byte) int64 {
	if !isAndroidBoot(b) && !isVendorBoot(b) {
		return 0
	}
	page, header, secs := bootLayout(b)
	end := alignUp(header, page)
	for _, s := range secs {
		end += alignUp(int64(s.size), page)
	}
	return end
}

func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return strings.ToValidUTF8(string(b), "?")
}

// bootOSVersion reads os_version: A.B.C in bits 31–11, the patch level's
// year-2000 and month in bits 10–0.
func bootOSVersion(v uint32) string {
	if v == 0 {
		return ""
	}
	s := fmt.Sprintf("os %d.%d.%d", v>>25, v>>18&0x7f, v>>11&0x7f)
	if lvl := v & 0x7ff; lvl != 0 {
		s += fmt.Sprintf(", patch level %d-%02d", 2000+lvl>>4, lvl&0xf)
	}
	return s
}

// openAndroidBoot lists the sections of a boot, recovery or vendor_boot
// image as nested blobs named after them ("/kernel", "/ramdisk", "/dtb"):
// a compressed or cpio ramdisk becomes its own layer, a kernel stays a
// blob. A section past the end of the image is an error naming it.
func openAndroidBoot(u *unpacker, b []byte) (contents, error) {
	vendor := bytes.HasPrefix(b, []byte(vendorBootMagic))
	kind := "boot"
	if vendor {
		kind = "vendor_boot"
	}
	page, header, secs := bootLayout(b)
	off := alignUp(header, page)
	at := map[string]int64{}
	var c contents
	var parts []string
	for _, s := range secs {
		if off+int64(s.size) > int64(len(b)) {
			return contents{}, fmt.Errorf("android %s: %s of %d bytes at offset %d past the end of the image (%d bytes)", kind, s.name, s.size, off, len(b))
		}
		at[s.name] = off
		if s.size > 0 {
			parts = append(parts, fmt.Sprintf("%s %d bytes", s.name, s.size))
			if s.name != "vendor_ramdisk_table" {
				c.nested = append(c.nested, nestedBlob{data: b[off : off+int64(s.size)], offset: off, name: "/" + s.name})
			}
		}
		off += alignUp(int64(s.size), page)
	}
	c.used = off
	le := binary.LittleEndian
	var ver uint32
	var name, cmdline, osv string
	if vendor {
		ver = le.Uint32(b[8:])
		name, cmdline = cString(b[2080:2096]), cString(b[28:2076])
	} else {
		ver = le.Uint32(b[40:])
		if ver == 3 || ver == 4 {
			osv, cmdline = bootOSVersion(le.Uint32(b[16:])), cString(b[44:1580])
		} else {
			if ver > 4 { // dt_size: a v0 image with a device-tree table
				ver = 0
			}
			osv = bootOSVersion(le.Uint32(b[44:]))
			name, cmdline = cString(b[48:64]), cString(b[64:576])+cString(b[608:1632])
		}
	}
	if vendor && ver == 4 {
		rds, notes, err := vendorRamdisks(b, at["vendor_ramdisk"], int64(le.Uint32(b[24:])), at["vendor_ramdisk_table"])
		if err != nil {
			return contents{}, err
		}
		if len(rds) > 0 { // the table splits the section: its ramdisks replace it
			for _, nb := range c.nested {
				if nb.name != "/vendor_ramdisk" {
					rds = append(rds, nb)
				}
			}
			c.nested = rds
		}
		parts = append(parts, fmt.Sprintf("vendor ramdisks [%s]", strings.Join(notes, "; ")))
	}
	detail := fmt.Sprintf("%s header v%d, page size %d", kind, ver, page)
	for _, s := range []string{strings.Join(parts, ", "), osv} {
		if s != "" {
			detail += ", " + s
		}
	}
	if name != "" {
		detail += fmt.Sprintf(", board %q", name)
	}
	if cmdline != "" {
		detail += fmt.Sprintf(", cmdline %q", cmdline)
	}
	c.detail = detail
	return c, nil
}

// vendorRamdisks reads the vendor ramdisk table of a vendor_boot v4
// image: entries of entry_size bytes (size, offset inside the ramdisk
// section, type, 32-byte name, board ids), each ramdisk a nested blob
// named "/vendor_ramdisk/NAME", and a note for each ("NAME (type, N
// bytes)").
func vendorRamdisks(b []byte, section, sectionSize, table int64) ([]nestedBlob, []string, error) {
	le := binary.LittleEndian
	tableSize := int64(le.Uint32(b[2112:]))
	num, entry := int64(le.Uint32(b[2116:])), int64(le.Uint32(b[2120:]))
	if num == 0 {
		return nil, nil, nil
	}
	if entry < 44 || num > bootMaxSections || num*entry > tableSize {
		return nil, nil, fmt.Errorf("android vendor_boot: vendor ramdisk table of %d entries of %d bytes does not fit its %d bytes (or more than %d entries)", num, entry, tableSize, bootMaxSections)
	}
	types := map[uint32]string{0: "none", 1: "platform", 2: "recovery", 3: "dlkm"}
	var out []nestedBlob
	var notes []string
	seen := map[string]bool{}
	for i := int64(0); i < num; i++ {
		e := b[table+i*entry : table+(i+1)*entry]
		size, off := int64(le.Uint32(e)), int64(le.Uint32(e[4:]))
		if off+size > sectionSize {
			return nil, nil, fmt.Errorf("android vendor_boot: vendor ramdisk %d (%d bytes at %d) past the end of the ramdisk section (%d bytes)", i, size, off, sectionSize)
		}
		name := cleanPath(cString(e[12:44]))
		if name == "/" || seen[name] {
			name = fmt.Sprintf("/%d", i)
		}
		seen[name] = true
		typ := types[le.Uint32(e[8:])]
		if typ == "" {
			typ = fmt.Sprint(le.Uint32(e[8:]))
		}
		notes = append(notes, fmt.Sprintf("%s (%s, %d bytes)", name[1:], typ, size))
		if size > 0 {
			out = append(out, nestedBlob{data: b[section+off : section+off+size], offset: section + off, name: "/vendor_ramdisk" + name})
		}
	}
	return out, notes, nil
}

// ---- LZ4 legacy frames (lz4 -l, the Linux kernel's and Android's
// ramdisk compression) ----
//
// Magic 0x184C2102, then blocks of a 4-byte little-endian compressed size
// and an LZ4 block of at most 8 MiB of output, until the end of the input
// or a size field that is the magic again (a concatenated frame).

const lz4LegacyMagic = 0x184C2102

func isLZ4Legacy(b []byte) bool {
	if len(b) < 9 || binary.LittleEndian.Uint32(b) != lz4LegacyMagic {
		return false
	}
	n := binary.LittleEndian.Uint32(b[4:])
	return n > 0 && int64(n) <= int64(lz4.CompressBlockBound(8<<20))
}

func openLZ4Legacy(u *unpacker, b []byte) (contents, error) {
	max := u.readLimit(len(b))
	var out, blk []byte
	off := 4
	for off+4 <= len(b) {
		n := int(binary.LittleEndian.Uint32(b[off:]))
		if n == lz4LegacyMagic {
			off += 4
			continue
		}
		if n == 0 || n > len(b)-off-4 {
			if len(out) == 0 {
				return contents{}, fmt.Errorf("lz4 legacy: block of %d bytes at offset %d past the end (%d bytes)", n, off, len(b))
			}
			break // padding after the last block (a kernel's appended size, zeros)
		}
		// A block holds at most 8 MiB of output, and an LZ4 block of n
		// bytes no more than 255 × n: the buffer is the smaller.
		if need := min(8<<20, 255*n+64); len(blk) < need {
			blk = make([]byte, need)
		}
		got, err := lz4.UncompressBlock(b[off+4:off+4+n], blk)
		if err != nil {
			return contents{}, fmt.Errorf("lz4 legacy: block at offset %d (%d bytes): %w", off, n, err)
		}
		if int64(len(out)+got) > max {
			return contents{}, fmt.Errorf("%w: lz4 stream of %d bytes decompresses past %d bytes (ratio limit %d)", ErrLimit, len(b), max, u.lim.MaxRatio)
		}
		out = append(out, blk[:got]...)
		off += 4 + n
	}
	if len(out) == 0 {
		return contents{}, errors.New("lz4 legacy: no blocks")
	}
	if err := u.addBytes(int64(len(out))); err != nil {
		return contents{}, err
	}
	return contents{nested: []nestedBlob{{data: out}}, used: int64(off), detail: fmt.Sprintf("%d bytes decompressed", len(out))}, nil
}
