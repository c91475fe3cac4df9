package unpack

import (
	"bufio"
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz/lzma"
)

// erofsZFixtures are the images gen.sh makes with mkfs.erofs 1.9.3 from
// one tree (testdata/erofs-z.manifest; /bin/tool is 102,684 bytes of text,
// 16 KiB of random bytes and text again), each for compression features:
// -zlzma -C32768 (MicroLZMA, big pclusters), -zlzma,level=9 -Eztailpacking,
// -zdeflate -Elegacy-compress (the full index), -zdeflate,level=9 -C16384
// -Eztailpacking, -zzstd -C65536 -Eztailpacking, -zlz4hc -Efragments (tail
// fragments, small files whole in the packed inode, interlaced
// uncompressed pclusters), -zzstd -Eall-fragments and -zlzma
// -Efragments,dedupe -C16384 (copy.txt, the first 40,000 bytes of
// bin/tool, is a partial reference to bin/tool's first pcluster),
// -zzstd -E48bit and -zlzma -C16384 -E48bit,fragments (extent records,
// the root nid in the 16-bit field), -zlz4hc -b1024 -C8192 (1 KiB blocks:
// 2-byte compact records, block counts in 12 low bits), -zlz4hc --zD
// (compressed directories, whole in the packed inode). features pins what each image holds, so each is known to test what it
// is named for.
var erofsZFixtures = []struct {
	file     string
	features string // what the image's compressed inodes use (erofsFeatures)
	detail   string
}{
	{"lzma.erofs", "big compact lzma", "block size 4096, 23 entries, lzma-compressed files"},
	{"lzma-ztail.erofs", "compact inline lzma", "block size 4096, 23 entries, lzma-compressed files"},
	{"deflate.erofs", "deflate full", "block size 4096, 23 entries, deflate-compressed files"},
	{"deflate-big.erofs", "big compact deflate inline", "block size 4096, 23 entries, deflate-compressed files"},
	{"zstd.erofs", "big compact inline zstd", "block size 4096, 23 entries, zstd-compressed files"},
	{"lz4-frag.erofs", "compact fragment full interlaced lz4 whole", "block size 4096, 23 entries, fragments, lz4-compressed files"},
	{"zstd-allfrag.erofs", "compact full interlaced whole zstd", "block size 4096, 23 entries, fragments, zstd-compressed files"},
	{"lzma-dedupe.erofs", "big compact fragment full lzma partial whole", "block size 4096, 23 entries, fragments, lzma-compressed files"},
	{"zstd-48.erofs", "extents4 zstd", "block size 4096, 23 entries, zstd-compressed files"},
	{"lzma-48.erofs", "extents16 extents4 fragment full lzma whole", "block size 4096, 23 entries, fragments, lzma-compressed files"},
	{"lz4-1k.erofs", "big compact lz4", "block size 1024, 23 entries, lz4-compressed files"},
	{"lz4-zdir.erofs", "compact lz4 zdir", "block size 4096, 23 entries, fragments, lz4-compressed files"},
}

// erofsFeatures lists, sorted, what the compressed inodes of an image
// (every one under the root, and the packed inode) use: their algorithms,
// "full" and "compact" indexes, "big" pclusters (a block count in the
// index), "inline" (ztailpacking), "fragment" (the last extent in the
// packed inode), "whole" (the whole file there), "interlaced" and
// "partial" (a partial reference to a deduplicated pcluster), and
// "extentsN" (extent records of N bytes), "zdir" (compressed
// directories).
func erofsFeatures(t *testing.T, b []byte) string {
	t.Helper()
	img := erofsOf(b)
	set := map[string]bool{}
	var visit func(nid uint64, depth int)
	visit = func(nid uint64, depth int) {
		n, err := img.inode(nid)
		if err != nil || depth > 32 {
			t.Fatalf("nid %d: %v", nid, err)
		}
		if n.mode&0o170000 == 0o040000 {
			set["zdir"] = set["zdir"] || n.layout == erofsCompressedFull || n.layout == erofsCompressedComp
			ents, err := img.readDir(nid)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range ents {
				visit(e.nid, depth+1)
			}
			return
		}
		if n.layout != erofsCompressedFull && n.layout != erofsCompressedComp || n.size == 0 {
			return
		}
		m, err := img.zmap(n)
		if err != nil {
			t.Fatalf("nid %d: %v", nid, err)
		}
		if a := img.algorithm(n); a != "" {
			set[a] = true
		}
		if m.extents {
			set[fmt.Sprintf("extents%d", m.recsz())] = true
			recs, err := m.extRecords()
			if err != nil {
				t.Fatalf("nid %d: %v", nid, err)
			}
			for i, x := range recs {
				if f := x.plen >> erofsExtFmtBit; f > 0 && (i < len(recs)-1 || !m.fragment) {
					set[erofsAlgName(byte(f-1))] = true
				}
				set["partial"] = set["partial"] || x.plen&erofsExtPartial != 0
			}
			set["fragment"] = set["fragment"] || m.fragment
			return
		}
		set[map[bool]string{true: "compact", false: "full"}[m.compact]] = true
		set["inline"] = set["inline"] || m.inline > 0
		set["fragment"] = set["fragment"] || m.fragment && !m.whole
		set["whole"] = set["whole"] || m.whole
		set["interlaced"] = set["interlaced"] || m.advise&erofsAdviseInterlaced != 0
		for lcn := int64(0); lcn < m.total && !m.whole; lcn++ {
			l, err := m.lcluster(lcn)
			if err != nil {
				t.Fatalf("nid %d, lcluster %d: %v", nid, lcn, err)
			}
			set["big"] = set["big"] || l.cblks > 1
			set["partial"] = set["partial"] || l.partial
		}
	}
	visit(uint64(binary.LittleEndian.Uint16(b[erofsSuperOffset+14:])), 0)
	if p := binary.LittleEndian.Uint64(b[erofsSuperOffset+96:]); p != 0 {
		visit(p, 0)
	}
	var out []string
	for k, v := range set {
		if v {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// erofsManifestEntry is one line of testdata/erofs-z.manifest (gen.sh
// writes it from the source tree with find, stat, sha256sum, readlink).
type erofsManifestEntry struct {
	path, kind   string
	mode         uint32
	uid, gid     int
	sha256, link string
}

func erofsManifest(t *testing.T) []erofsManifestEntry {
	t.Helper()
	f, err := os.Open("../testdata/erofs-z.manifest")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []erofsManifestEntry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		w := strings.Fields(sc.Text())
		if len(w) < 5 {
			t.Fatalf("manifest line %q", sc.Text())
		}
		mode, _ := strconv.ParseUint(w[2], 8, 32)
		uid, _ := strconv.Atoi(w[3])
		gid, _ := strconv.Atoi(w[4])
		e := erofsManifestEntry{path: w[0], kind: w[1], mode: uint32(mode), uid: uid, gid: gid}
		switch e.kind {
		case "file":
			e.sha256 = w[5]
		case "symlink":
			e.link = w[5]
		}
		out = append(out, e)
	}
	return out
}

// TestErofsAlgorithms reads every image of erofsZFixtures and compares
// each entry with the source tree's manifest: kind, mode, owner, the
// sha256 of every file's bytes, every symlink's target, and no entry
// more. Files with extended attributes (inline ones of 52 and 180 bytes,
// a shared one on four inodes) read like the others: the xattrs are
// skipped by their size.
func TestErofsAlgorithms(t *testing.T) {
	want := erofsManifest(t)
	for _, c := range erofsZFixtures {
		t.Run(c.file, func(t *testing.T) {
			b := fixture(t, c.file)
			r := mustUnpack(t, b)
			if got := layerTypes(r); got != "erofs@0" {
				t.Errorf("layers %q", got)
			}
			if d := r.Layers[0].Detail; d != c.detail {
				t.Errorf("detail %q, want %q", d, c.detail)
			}
			if len(r.Warnings) > 0 {
				t.Errorf("warnings %q", r.Warnings)
			}
			got := map[string]File{}
			for _, f := range r.Files {
				if f.Layer == 0 {
					got[f.Inner] = f
				}
			}
			if len(got) != len(want) {
				t.Errorf("%d entries, want %d", len(got), len(want))
			}
			for _, w := range want {
				f, ok := got[w.path]
				if !ok {
					t.Errorf("%s missing", w.path)
					continue
				}
				if string(f.Kind) != w.kind || (w.kind != "symlink" && f.Mode != w.mode) || f.UID != w.uid || f.GID != w.gid {
					t.Errorf("%s: %s %o %d:%d, want %s %o %d:%d", w.path, f.Kind, f.Mode, f.UID, f.GID, w.kind, w.mode, w.uid, w.gid)
				}
				if w.kind == "file" {
					sum := sha256.Sum256(f.Data)
					if hex.EncodeToString(sum[:]) != w.sha256 || int64(len(f.Data)) != f.Size {
						t.Errorf("%s: %d bytes, sha256 %x, want %s", w.path, len(f.Data), sum, w.sha256)
					}
				}
				if f.Link != w.link {
					t.Errorf("%s: link %q, want %q", w.path, f.Link, w.link)
				}
			}
			if f := erofsFeatures(t, b); f != c.features {
				t.Errorf("features %q, want %q", f, c.features)
			}
		})
	}
}

// erofsText is compressible test data of n bytes.
func erofsText(n int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "line %d of a pcluster, line %d\n", i%89, i)
	}
	return b.Bytes()[:n]
}

// erofsStreams compresses data as mkfs.erofs would for each algorithm
// (MicroLZMA: an LZMA stream without end marker whose first byte is the
// negated properties byte), right-aligned after zero padding.
func erofsStreams(t testing.TB, data []byte) map[byte][]byte {
	t.Helper()
	out := map[byte][]byte{}
	var l bytes.Buffer
	w, err := lzma.WriterConfig{DictCap: 1 << 16, Size: int64(len(data))}.NewWriter(&l)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	classic := l.Bytes()
	out[erofsAlgLZMA] = append([]byte{^classic[0]}, classic[lzma.HeaderLen+1:]...)
	var d bytes.Buffer
	fw, _ := flate.NewWriter(&d, 9)
	fw.Write(data)
	fw.Close()
	out[erofsAlgDeflate] = d.Bytes()
	enc, _ := zstd.NewWriter(nil)
	out[erofsAlgZstd] = enc.EncodeAll(data, nil)
	for alg, s := range out {
		out[alg] = append(make([]byte, 100), s...)
	}
	return out
}

// TestErofsDecompressBounded: each decoder fills the extent exactly; a
// pcluster that decodes to more than its extent is refused (but as a
// partial reference, where the extent is its start), one that decodes to
// less, is cut short or damaged is an error naming the algorithm.
func TestErofsDecompressBounded(t *testing.T) {
	img := &erofsImage{blk: 4096, blkBits: 12, incompat: erofsLZ4ZeroPadding}
	data := erofsText(30000)
	for alg, src := range erofsStreams(t, data) {
		name := erofsAlgName(alg)
		dst := make([]byte, len(data))
		if err := img.decompress(alg, src, dst, false); err != nil || !bytes.Equal(dst, data) {
			t.Errorf("%s: %v", name, err)
		}
		short := make([]byte, 20000)
		if err := img.decompress(alg, src, short, false); err == nil || !strings.HasPrefix(err.Error(), name) {
			t.Errorf("%s: 30000 bytes into an extent of 20000: %v", name, err)
		}
		if err := img.decompress(alg, src, short, true); err != nil || !bytes.Equal(short, data[:20000]) {
			t.Errorf("%s: partial reference: %v", name, err)
		}
		if err := img.decompress(alg, src, make([]byte, 40000), false); err == nil {
			t.Errorf("%s: 30000 bytes filled an extent of 40000", name)
		}
		if err := img.decompress(alg, src[:len(src)*2/3], make([]byte, len(data)), false); err == nil {
			t.Errorf("%s: a truncated stream decoded", name)
		}
		bad := append([]byte(nil), src...)
		for i := 120; i < len(bad); i += 7 {
			bad[i] ^= 0x5a
		}
		if err := img.decompress(alg, bad, make([]byte, len(data)), false); err == nil {
			t.Errorf("%s: a damaged stream decoded", name)
		}
		if err := img.decompress(alg, make([]byte, 4096), make([]byte, 10), false); err == nil {
			t.Errorf("%s: a pcluster of zeros decoded", name)
		}
	}
}

// TestErofsCompressedHostile: a packed inode claiming 4 GiB is ErrLimit
// before anything is allocated; damage anywhere in the new images fails
// the layer or names the file, never panics, and a file read whole has its
// size.
func TestErofsCompressedHostile(t *testing.T) {
	b := fixture(t, "zstd-allfrag.erofs")
	img := erofsOf(b)
	packed, err := img.inode(binary.LittleEndian.Uint64(b[erofsSuperOffset+96:]))
	if err != nil {
		t.Fatal(err)
	}
	bomb := append([]byte(nil), b...)
	if bomb[packed.at]&1 == 0 {
		binary.LittleEndian.PutUint32(bomb[packed.at+8:], 0xfffffff0)
	} else {
		binary.LittleEndian.PutUint64(bomb[packed.at+8:], 0xfffffff0)
	}
	if got := allocated(func() { _, err = openErofs(fuzzUnpacker(), bomb) }); got > 8<<20 || !errors.Is(err, ErrLimit) {
		t.Errorf("4 GiB packed inode: %v, %d bytes allocated", err, got)
	}
	for _, c := range erofsZFixtures {
		b := fixture(t, c.file)
		erofsDamaged(t, c.file, b, 131, func(off int, got contents) {
			for _, f := range got.files {
				if f.Kind == KindFile && f.Data != nil && int64(len(f.Data)) != f.Size {
					t.Errorf("%s, damage at %d: %s has %d bytes, size %d", c.file, off, f.Inner, len(f.Data), f.Size)
				}
			}
		})
	}
}
