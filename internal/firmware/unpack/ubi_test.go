package unpack

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"
)

// TestUBI reads the image gen.sh makes with ubinize: the static kernel
// volume is exactly the gzip'd banner, the dynamic rootfs volume exactly
// the squashfs it was made from (and is unpacked), the UBIFS volume is
// read; each is named by its volume.
func TestUBI(t *testing.T) {
	img := gunzipFixture(t, "openwrt.ubi.gz")
	c, err := openUBI(fuzzUnpacker(), img)
	if err != nil {
		t.Fatal(err)
	}
	if c.detail != "erase blocks of 16384 bytes, 3 volumes: kernel (id 0, static, 1 LEBs); rootfs (id 1, dynamic, 1 LEBs); rootfs_data (id 2, dynamic, 13 LEBs)" {
		t.Errorf("detail %q", c.detail)
	}
	vols := map[string][]byte{}
	for _, nb := range c.nested {
		vols[nb.name] = nb.data
	}
	if !bytes.Equal(vols["/rootfs"], fixture(t, "small-xz.sqsh")) {
		t.Errorf("rootfs volume: %d bytes", len(vols["/rootfs"]))
	}
	if k, err := gzip.NewReader(bytes.NewReader(vols["/kernel"])); err != nil || len(vols["/kernel"]) != 55 {
		t.Errorf("kernel volume: %d bytes, %v", len(vols["/kernel"]), err)
	} else if b, _ := io.ReadAll(k); string(b) != "Linux version 5.15.0 (ubi@test) #1\n" {
		t.Errorf("kernel: %q", b)
	}
	if d := vols["/rootfs_data"]; len(d) < 15360 || binary.LittleEndian.Uint32(d) != 0x06101831 {
		t.Errorf("rootfs_data: %d bytes", len(d))
	}

	r := mustUnpack(t, img)
	if got := layerTypes(r); got != "ubi@0, gzip@0 in /kernel, squashfs@0 in /rootfs, ubifs@0 in /rootfs_data" {
		t.Errorf("layers %q", got)
	}
	m := byPath(r)
	if f := m["/rootfs!/etc/passwd"]; f.Kind != KindFile || !strings.HasPrefix(string(f.Data), "root:") {
		t.Errorf("passwd: %+v", f)
	}
	if f := m["/rootfs_data!/hello"]; string(f.Data) != "ubifs data file\n" {
		t.Errorf("UBIFS file: %+v", f)
	}
	// Carved after a boot loader.
	blob := append(bytes.Repeat([]byte{0x11}, 4096), img...)
	if got := layerTypes(mustUnpack(t, blob)); got != "ubi@4096, gzip@0 in /kernel, squashfs@0 in /rootfs, ubifs@0 in /rootfs_data" {
		t.Errorf("carved: %q", got)
	}
}

// ubiPeb writes one erase block as ubi-media.h lays it out: EC header at
// 0, VID header at 64, data at 128.
func ubiPeb(size int, vol, lnum uint32, sqnum uint64, static bool, data []byte) []byte {
	b := bytes.Repeat([]byte{0xff}, size)
	ec := make([]byte, 64)
	binary.BigEndian.PutUint32(ec, ubiECMagic)
	ec[4] = 1
	binary.BigEndian.PutUint32(ec[16:], 64)
	binary.BigEndian.PutUint32(ec[20:], 128)
	binary.BigEndian.PutUint32(ec[60:], ubiCRC(ec[:60]))
	copy(b, ec)
	vid := make([]byte, 64)
	binary.BigEndian.PutUint32(vid, ubiVIDMagic)
	vid[4], vid[5] = 1, 1
	if static {
		vid[5] = 2
		binary.BigEndian.PutUint32(vid[20:], uint32(len(data)))
		binary.BigEndian.PutUint32(vid[24:], 1)
		binary.BigEndian.PutUint32(vid[32:], ubiCRC(data))
	}
	binary.BigEndian.PutUint32(vid[8:], vol)
	binary.BigEndian.PutUint32(vid[12:], lnum)
	binary.BigEndian.PutUint64(vid[40:], sqnum)
	binary.BigEndian.PutUint32(vid[60:], ubiCRC(vid[:60]))
	copy(b[64:], vid)
	copy(b[128:], data)
	return b
}

// ubiTableLEB is a volume table with one record per name (reserved LEBs
// each).
func ubiTableLEB(reserved uint32, names ...string) []byte {
	var t []byte
	for _, n := range names {
		r := make([]byte, ubiVtblRec)
		binary.BigEndian.PutUint32(r, reserved)
		r[12] = 1
		binary.BigEndian.PutUint16(r[14:], uint16(len(n)))
		copy(r[16:], n)
		binary.BigEndian.PutUint32(r[168:], ubiCRC(r[:168]))
		t = append(t, r...)
	}
	return t
}

// TestUBIHostile: the newer copy of a LEB wins, a damaged VID header is
// counted, a LEB past its volume's reservation is an error naming the
// volume, and a volume claiming LEB 2^31 is ErrLimit without allocating.
func TestUBIHostile(t *testing.T) {
	const peb = 1024
	tbl := ubiPeb(peb, ubiLayoutVol, 0, 1, false, ubiTableLEB(4, "data"))
	img := bytes.Join([][]byte{tbl, ubiPeb(peb, 0, 1, 5, false, []byte("new second")), ubiPeb(peb, 0, 0, 2, false, []byte("first")), ubiPeb(peb, 0, 1, 3, false, []byte("old second"))}, nil)
	c, err := openUBI(fuzzUnpacker(), img)
	if err != nil {
		t.Fatal(err)
	}
	want := append(append([]byte("first"), bytes.Repeat([]byte{0xff}, peb-128-5)...), "new second"...)
	if len(c.nested) != 1 || c.nested[0].name != "/data" || !bytes.Equal(c.nested[0].data, want) {
		t.Errorf("volume data %+v", c.nested)
	}
	bad := append([]byte(nil), img...)
	bad[2*peb+64+12] ^= 1 // LEB 0's VID header
	if c, err := openUBI(fuzzUnpacker(), bad); err != nil || !strings.Contains(c.detail, "0 erase blocks unmapped, 1 with bad headers") {
		t.Errorf("bad VID: %v %q", err, c.detail)
	}
	past := append(append([]byte(nil), img...), ubiPeb(peb, 0, 9, 6, false, []byte("x"))...)
	if _, err := openUBI(fuzzUnpacker(), past); err == nil || err.Error() != "UBI volume data: LEB 9 past its 4 reserved erase blocks" {
		t.Errorf("past reservation: %v", err)
	}
	far := append(append([]byte(nil), tbl...), ubiPeb(peb, 7, 1<<31, 1, false, []byte("x"))...)
	var ferr error
	if got := allocated(func() { _, ferr = Unpack(context.Background(), far, DefaultLimits()) }); got > 1<<20 {
		t.Errorf("LEB 2^31 allocated %d MiB", got>>20)
	}
	if !errors.Is(ferr, ErrLimit) || !strings.Contains(ferr.Error(), "UBI volume volume-7") {
		t.Errorf("LEB 2^31: %v", ferr)
	}
	if _, err := openUBI(fuzzUnpacker(), ubiPeb(peb, 0, 0, 1, false, []byte("no table"))); err == nil || err.Error() != "UBI: no layout volume (volume table)" {
		t.Errorf("no table: %v", err)
	}
}

func FuzzUBI(f *testing.F) {
	tbl := ubiPeb(1024, ubiLayoutVol, 0, 1, false, ubiTableLEB(4, "data", "k"))
	// The first five erase blocks of the ubinize fixture (the whole image is
	// past the fuzzer's input size).
	fixed := gunzipFixture(f, "openwrt.ubi.gz")[:5*16384]
	fuzzMatched(f, isUBI, openUBI, fixed, bytes.Join([][]byte{tbl, ubiPeb(1024, 0, 0, 2, false, []byte("first")), ubiPeb(1024, 1, 0, 3, true, []byte("static"))}, nil))
}

// TestUBICarveOneCandidate: the erase blocks of a UBI image inside a blob
// are one carving candidate, not one each (which would use up MaxCarve and
// hide the other formats of the blob: the second gzip stream was lost).
func TestUBICarveOneCandidate(t *testing.T) {
	const peb = 1024
	parts := [][]byte{bytes.Repeat([]byte{0x11}, 512), ubiPeb(peb, ubiLayoutVol, 0, 1, false, ubiTableLEB(100, "data"))}
	for i := 0; i < 40; i++ {
		parts = append(parts, ubiPeb(peb, 0, uint32(i), uint64(i+2), false, []byte("leb")))
	}
	parts = append(parts, gz(makeTar(t, treeEntries)), gz(makeCPIO(treeEntries)))
	u := &unpacker{ctx: context.Background(), lim: Limits{MaxTotalBytes: 1 << 30, MaxFiles: 1000, MaxDepth: 4, MaxRatio: 200, MaxCarve: 8}, sem: make(chan struct{}, 1), seen: map[string]bool{}}
	n, err := u.blob(bytes.Join(parts, nil), "", 0, 0, true, false)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range n.layers {
		got = append(got, l.Type)
	}
	if strings.Join(got, ",") != "ubi,gzip,gzip" || len(n.warnings) != 0 {
		t.Errorf("layers %v, warnings %v", got, n.warnings)
	}
}
