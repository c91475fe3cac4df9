package unpack

// ---- UBI images (Linux drivers/mtd/ubi/ubi-media.h; ubinize) ----
//
// Hand-written (no pure-Go UBI reader exists): an image is a run of
// physical erase blocks (PEBs), each starting with a 64-byte big-endian
// erase-counter header ("UBI#": version, erase count, the offsets of the
// volume-ID header and of the data, image sequence, CRC) and, when mapped,
// a 64-byte volume-ID header ("UBI!": volume type, volume id, logical
// erase block number, data size and CRC for static volumes, sequence
// number, CRC). The layout volume (id 0x7fffefff) holds the volume table:
// 172-byte records (reserved PEBs, alignment, data padding, type, name,
// CRC). Each volume is rebuilt from its LEBs in order (the highest sequence
// number wins when a LEB was written twice; unmapped LEBs read as erased
// 0xFF) and becomes a nested layer named by its volume name. Header CRCs
// are UBI's: crc32 (IEEE) seeded with 0xffffffff, not inverted at the end.
// UBIFS inside a volume is read by ubifs.go.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"sort"
	"strings"
)

const (
	ubiECMagic   = 0x55424923 // "UBI#"
	ubiVIDMagic  = 0x55424921 // "UBI!"
	ubiHdrLen    = 64
	ubiLayoutVol = 0x7fffefff
	ubiVtblRec   = 172
	ubiMaxVols   = 128
	ubiMinPEB    = 1 << 10
	ubiMaxPEB    = 16 << 20
)

// ubiCRC is crc32_le(0xffffffff, b) as the kernel computes it.
func ubiCRC(b []byte) uint32 { return ^crc32.ChecksumIEEE(b) }

// ubiEC checks the erase-counter header at the start of b and returns its
// VID header and data offsets.
func ubiEC(b []byte) (vid, data int64, ok bool) {
	if len(b) < ubiHdrLen || binary.BigEndian.Uint32(b) != ubiECMagic || b[4] != 1 {
		return 0, 0, false
	}
	if ubiCRC(b[:60]) != binary.BigEndian.Uint32(b[60:]) {
		return 0, 0, false
	}
	return int64(binary.BigEndian.Uint32(b[16:])), int64(binary.BigEndian.Uint32(b[20:])), true
}

func isUBI(b []byte) bool {
	vid, data, ok := ubiEC(b)
	return ok && vid >= ubiHdrLen && data >= vid+ubiHdrLen
}

// ubiPEB is the erase block size: the distance to the next valid EC
// header at a power of two, or the whole blob when it holds one block.
func ubiPEB(b []byte) int64 {
	_, data, _ := ubiEC(b)
	for peb := int64(ubiMinPEB); peb <= ubiMaxPEB && peb < int64(len(b)); peb <<= 1 {
		if peb > data {
			if _, _, ok := ubiEC(b[peb:]); ok {
				return peb
			}
		}
	}
	return int64(len(b))
}

// ubiSize is the run of erase blocks with valid EC headers from b[0].
func ubiSize(b []byte) int64 {
	if !isUBI(b) {
		return 0
	}
	peb := ubiPEB(b)
	n := int64(0)
	for n+peb <= int64(len(b)) {
		if _, _, ok := ubiEC(b[n:]); !ok {
			break
		}
		n += peb
	}
	return n
}

type ubiLEB struct {
	data  []byte
	sqnum uint64
}

type ubiVolume struct {
	id         uint32
	static     bool
	name       string
	reserved   int64
	dataPad    int64
	lebs       map[int64]ubiLEB
	usedEBs    int64
	badDataCRC int
}

func openUBI(u *unpacker, b []byte) (contents, error) {
	size := ubiSize(b)
	if size == 0 {
		return contents{}, errors.New("UBI: no erase-counter header at offset 0")
	}
	peb := ubiPEB(b)
	vidOff, dataOff, _ := ubiEC(b)
	if dataOff >= peb {
		return contents{}, fmt.Errorf("UBI: data offset %d past the erase block size %d", dataOff, peb)
	}
	leb := peb - dataOff
	vols := map[uint32]*ubiVolume{}
	var empty, badVID int
	for at := int64(0); at < size; at += peb {
		blk := b[at : at+peb]
		v, d, _ := ubiEC(blk)
		if v != vidOff || d != dataOff {
			badVID++
			continue
		}
		h := blk[vidOff : vidOff+ubiHdrLen]
		if binary.BigEndian.Uint32(h) != ubiVIDMagic {
			empty++
			continue
		}
		if ubiCRC(h[:60]) != binary.BigEndian.Uint32(h[60:]) || h[4] != 1 {
			badVID++
			continue
		}
		id, lnum := binary.BigEndian.Uint32(h[8:]), int64(binary.BigEndian.Uint32(h[12:]))
		dataSize, usedEBs, dataPad := int64(binary.BigEndian.Uint32(h[20:])), int64(binary.BigEndian.Uint32(h[24:])), int64(binary.BigEndian.Uint32(h[28:]))
		sq := binary.BigEndian.Uint64(h[40:])
		if dataPad >= leb {
			badVID++
			continue
		}
		vol := vols[id]
		if vol == nil {
			if len(vols) > ubiMaxVols+1 {
				return contents{}, fmt.Errorf("UBI: more than %d volumes (erase block at offset %d)", ubiMaxVols, at)
			}
			vol = &ubiVolume{id: id, static: h[5] == 2, dataPad: dataPad, lebs: map[int64]ubiLEB{}}
			vols[id] = vol
		}
		data := blk[dataOff : dataOff+leb-dataPad]
		if vol.static {
			vol.usedEBs = usedEBs
			if dataSize > int64(len(data)) {
				badVID++
				continue
			}
			data = data[:dataSize]
			if ubiCRC(data) != binary.BigEndian.Uint32(h[32:]) {
				vol.badDataCRC++
			}
		}
		if old, ok := vol.lebs[lnum]; !ok || sq > old.sqnum {
			vol.lebs[lnum] = ubiLEB{data: data, sqnum: sq}
		}
	}
	layout := vols[ubiLayoutVol]
	if layout == nil {
		return contents{}, errors.New("UBI: no layout volume (volume table)")
	}
	delete(vols, ubiLayoutVol)
	if err := ubiTable(layout, vols); err != nil {
		return contents{}, err
	}
	ids := make([]uint32, 0, len(vols))
	for id := range vols {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	c := contents{used: size}
	var notes []string
	claims := fileClaims{fs: "UBI", image: size}
	for _, id := range ids {
		vol := vols[id]
		data, note, err := u.ubiVolumeData(&claims, vol, leb)
		if err != nil {
			return contents{}, err
		}
		notes = append(notes, note)
		if data != nil {
			c.nested = append(c.nested, nestedBlob{data: data, name: cleanPath(vol.name)})
		}
	}
	c.detail = fmt.Sprintf("erase blocks of %d bytes, %d volumes: %s", peb, len(ids), strings.Join(notes, "; "))
	if empty+badVID > 0 {
		c.detail += fmt.Sprintf("; %d erase blocks unmapped, %d with bad headers", empty, badVID)
	}
	return c, nil
}

// ubiTable reads the volume table records of the layout volume's LEB 0
// (LEB 1 is a copy) into the volumes' names and reserved sizes. A volume
// without a record is named by its id.
func ubiTable(layout *ubiVolume, vols map[uint32]*ubiVolume) error {
	tbl, ok := layout.lebs[0]
	if !ok {
		if tbl, ok = layout.lebs[1]; !ok {
			return errors.New("UBI: layout volume without its volume table")
		}
	}
	for i := 0; i < ubiMaxVols && (i+1)*ubiVtblRec <= len(tbl.data); i++ {
		r := tbl.data[i*ubiVtblRec : (i+1)*ubiVtblRec]
		if ubiCRC(r[:168]) != binary.BigEndian.Uint32(r[168:]) {
			continue
		}
		reserved, n := int64(binary.BigEndian.Uint32(r)), int(binary.BigEndian.Uint16(r[14:]))
		if reserved == 0 || n == 0 || n > 127 {
			continue
		}
		vol := vols[uint32(i)]
		if vol == nil { // a volume with no LEB written: empty
			vol = &ubiVolume{id: uint32(i), static: r[12] == 2, lebs: map[int64]ubiLEB{}}
			vols[uint32(i)] = vol
		}
		vol.name, vol.reserved = string(r[16:16+n]), reserved
	}
	for id, vol := range vols {
		if vol.name == "" {
			vol.name = fmt.Sprintf("volume-%d", id)
		}
	}
	return nil
}

// ubiVolumeData joins a volume's LEBs in order: static volumes up to their
// used erase blocks, dynamic ones up to the last LEB written (the reserved
// size beyond is erased flash). An LEB number past the volume's reserved
// size is refused; what the volume claims is bounded by the ratio limit.
func (u *unpacker) ubiVolumeData(claims *fileClaims, vol *ubiVolume, leb int64) ([]byte, string, error) {
	kind := "dynamic"
	if vol.static {
		kind = "static"
	}
	var last int64 = -1
	for n := range vol.lebs {
		if n > last {
			last = n
		}
	}
	if vol.static && vol.usedEBs > 0 && vol.usedEBs-1 > last {
		last = vol.usedEBs - 1
	}
	note := fmt.Sprintf("%s (id %d, %s, %d LEBs)", vol.name, vol.id, kind, len(vol.lebs))
	if last < 0 {
		return nil, note + " empty", nil
	}
	if vol.reserved > 0 && last >= vol.reserved {
		return nil, "", fmt.Errorf("UBI volume %s: LEB %d past its %d reserved erase blocks", vol.name, last, vol.reserved)
	}
	per := leb - vol.dataPad
	if err := u.claimFile(claims, (last+1)*per); err != nil {
		return nil, "", fmt.Errorf("UBI volume %s: %w", vol.name, err)
	}
	var out bytes.Buffer
	missing := 0
	for n := int64(0); n <= last; n++ {
		l, ok := vol.lebs[n]
		switch {
		case ok:
			out.Write(l.data)
		case vol.static:
			missing++
		default:
			out.Write(bytes.Repeat([]byte{0xff}, int(per)))
		}
	}
	if missing > 0 {
		note += fmt.Sprintf(", %d LEBs missing", missing)
	}
	if vol.badDataCRC > 0 {
		note += fmt.Sprintf(", %d LEBs fail their data CRC", vol.badDataCRC)
	}
	data := out.Bytes()
	if !vol.static {
		data = bytes.TrimRight(data, "\xff") // erased flash after the data
	}
	return data, note, nil
}
