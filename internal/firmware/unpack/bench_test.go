package unpack

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Benchmarks of unpacking a zip, a U-Boot FIT and a UBI image of the size
// of a router or phone update (tens of MB), built in memory from generated
// content (nothing large is committed), and of an EROFS image and a 7z
// archive of a few MB that mkfs.erofs and 7z build from generated files
// (skipped when the tool is not installed). Each reports MB/s of the image and
// the allocations; the figures are in docs/performance.md.

// benchFiles is a root file system of n files of size bytes each: lines
// of text (configuration, scripts) and, every third file, pseudo-random
// bytes (already compressed data, which deflate cannot shrink), so the
// archive's ratio is that of a real firmware tree (about 2:1), not of
// zeros.
func benchFiles(n, size int) []entry {
	rng := rand.New(rand.NewPCG(1, 2))
	es := []entry{{name: "etc/", typ: tar.TypeDir, mode: 0o755}, {name: "usr/lib/", typ: tar.TypeDir, mode: 0o755}}
	for i := 0; i < n; i++ {
		var b bytes.Buffer
		if i%3 == 2 {
			for b.Len() < size {
				b.WriteString(fmt.Sprint(rng.Uint64()))
				var r [8]byte
				for j := range r {
					r[j] = byte(rng.Uint32())
				}
				b.Write(r[:])
			}
		} else {
			for l := 0; b.Len() < size; l++ {
				fmt.Fprintf(&b, "option key%d 'value %d of file %d' # line %d\n", l%40, rng.IntN(1000), i, l)
			}
		}
		es = append(es, entry{name: fmt.Sprintf("usr/lib/mod%d/file%d.so", i%50, i), typ: tar.TypeReg, mode: 0o755, data: string(b.Bytes()[:size])})
	}
	return es
}

func benchUnpack(b *testing.B, img []byte, minFiles int) {
	b.SetBytes(int64(len(img)))
	b.ReportAllocs()
	for b.Loop() {
		r, err := Unpack(context.Background(), img, DefaultLimits())
		if err != nil {
			b.Fatal(err)
		}
		if len(r.Files) < minFiles {
			b.Fatalf("%d files, want at least %d", len(r.Files), minFiles)
		}
	}
}

// BenchmarkUnpackZip unpacks a 2,000-file deflated zip (64 MB of content,
// 21 MB compressed) with a squashfs root file system in it, as a vendor's
// update archive.
func BenchmarkUnpackZip(b *testing.B) {
	es := benchFiles(2000, 32<<10)
	specs := []zipEntrySpec{{name: "rootfs.sqsh", data: fixture(b, "small-xz.sqsh")}}
	for _, e := range es[2:] {
		specs = append(specs, zipEntrySpec{name: e.name, data: []byte(e.data)})
	}
	img := makeZip(b, specs...)
	b.Logf("zip: %d bytes, %d entries", len(img), len(specs))
	benchUnpack(b, img, 2000)
}

// BenchmarkUnpackFIT unpacks a FIT of a gzip kernel (8 MB), a device tree
// and a gzip cpio ramdisk of 1,000 files (16 MB), with the squashfs root
// file system as a fourth image.
func BenchmarkUnpackFIT(b *testing.B) {
	kernel := benchFiles(256, 32<<10)
	var k bytes.Buffer
	for _, e := range kernel[2:] {
		k.WriteString(e.data)
	}
	ramdisk := gz(makeCPIO(benchFiles(1000, 16<<10)))
	img := fitWith(
		fdtSpec{name: "kernel-1", props: [][2]string{{"description", "Linux kernel\x00"}, {"data", string(gz(k.Bytes()))}, {"type", "kernel\x00"}, {"arch", "arm64\x00"}, {"compression", "gzip\x00"}}},
		fdtSpec{name: "fdt-1", props: [][2]string{{"data", string(buildFDT(fdtSpec{props: [][2]string{{"model", "bench board\x00"}}}))}, {"type", "flat_dt\x00"}, {"compression", "none\x00"}}},
		fdtSpec{name: "ramdisk-1", props: [][2]string{{"data", string(ramdisk)}, {"type", "ramdisk\x00"}, {"compression", "none\x00"}}},
		fdtSpec{name: "rootfs-1", props: [][2]string{{"data", string(fixture(b, "small-xz.sqsh"))}, {"type", "filesystem\x00"}, {"compression", "none\x00"}}},
	)
	b.Logf("FIT: %d bytes", len(img))
	benchUnpack(b, img, 1000)
}

// BenchmarkUnpackUBI unpacks a UBI image of 128 KiB erase blocks: a
// kernel volume (gzip, 8 MB of content) and a dynamic rootfs
// volume holding a gzip tar of 1,000 files (32 MB), its erase blocks
// shuffled and every tenth LEB also present in an older copy, as after
// wear levelling.
func BenchmarkUnpackUBI(b *testing.B) {
	const peb = 128 << 10
	const leb = peb - 128
	kernel := benchFiles(256, 32<<10)
	var k bytes.Buffer
	for _, e := range kernel[2:] {
		k.WriteString(e.data)
	}
	kgz := gz(k.Bytes())
	rootfs := gz(makeTar(b, benchFiles(1000, 32<<10)))
	lebs := func(d []byte) int { return (len(d) + leb - 1) / leb }
	nk, nr := lebs(kgz), lebs(rootfs)
	pebs := [][]byte{ubiPeb(peb, ubiLayoutVol, 0, 1, false, ubiTableLEB(uint32(max(nk, nr)+1), "kernel", "rootfs")),
		ubiPeb(peb, ubiLayoutVol, 1, 1, false, ubiTableLEB(uint32(max(nk, nr)+1), "kernel", "rootfs"))}
	sq := uint64(10)
	for _, v := range []struct {
		id   uint32
		data []byte
	}{{0, kgz}, {1, rootfs}} {
		for l := 0; l*leb < len(v.data); l++ {
			chunk := v.data[l*leb : min(len(v.data), (l+1)*leb)]
			if l%10 == 0 {
				pebs = append(pebs, ubiPeb(peb, v.id, uint32(l), sq, false, bytes.Repeat([]byte{0x5a}, len(chunk))))
				sq++
			}
			pebs = append(pebs, ubiPeb(peb, v.id, uint32(l), sq, false, chunk))
			sq++
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	rng.Shuffle(len(pebs)-2, func(i, j int) { pebs[i+2], pebs[j+2] = pebs[j+2], pebs[i+2] })
	img := bytes.Join(pebs, nil)
	b.Logf("UBI: %d bytes, %d erase blocks", len(img), len(pebs))
	benchUnpack(b, img, 1000)
}

// writeBenchTree writes benchFiles' regular files under dir.
func writeBenchTree(b *testing.B, dir string, es []entry) {
	for _, e := range es {
		if e.typ != tar.TypeReg {
			continue
		}
		p := filepath.Join(dir, e.name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(e.data), 0o755); err != nil {
			b.Fatal(err)
		}
	}
}

// toolImage runs a fixture builder (mkfs.erofs, 7z) on a tree of n files
// written to a temporary folder and returns the image it writes; the
// benchmark is skipped when the tool is not installed.
func toolImage(b *testing.B, n, size int, tool string, args ...string) []byte {
	if _, err := exec.LookPath(tool); err != nil {
		b.Skipf("%s not installed", tool)
	}
	dir := b.TempDir()
	writeBenchTree(b, filepath.Join(dir, "tree"), benchFiles(n, size))
	out, tree := filepath.Join(dir, "image.erofs"), filepath.Join(dir, "tree")
	if tool == "7z" { // names the archive .7z, and takes the tree's contents
		out, tree = filepath.Join(dir, "image.7z"), tree+"/."
	}
	if msg, err := exec.Command(tool, append(args, out, tree)...).CombinedOutput(); err != nil {
		b.Fatalf("%s: %v\n%s", tool, err, msg)
	}
	img, err := os.ReadFile(out)
	if err != nil {
		b.Fatal(err)
	}
	return img
}

// BenchmarkUnpackErofs unpacks an uncompressed EROFS image (mkfs.erofs,
// as an Android system partition without compression) of 500 files of
// 8 KB (4 MB).
func BenchmarkUnpackErofs(b *testing.B) {
	img := toolImage(b, 500, 8<<10, "mkfs.erofs", "--quiet", "-T0")
	b.Logf("EROFS: %d bytes", len(img))
	benchUnpack(b, img, 500)
}

// BenchmarkUnpackErofsLZ4 unpacks the same tree compressed with LZ4HC
// (mkfs.erofs -zlz4hc, the Android default).
func BenchmarkUnpackErofsLZ4(b *testing.B) {
	img := toolImage(b, 500, 8<<10, "mkfs.erofs", "--quiet", "-T0", "-zlz4hc")
	b.Logf("EROFS (lz4hc): %d bytes", len(img))
	benchUnpack(b, img, 500)
}

// BenchmarkUnpackSevenZip unpacks a solid LZMA2 7z archive (7z a -mx5)
// of 500 files of 8 KB (4 MB of content).
func BenchmarkUnpackSevenZip(b *testing.B) {
	img := toolImage(b, 500, 8<<10, "7z", "a", "-t7z", "-mx5", "-bd", "-bso0")
	b.Logf("7z: %d bytes", len(img))
	benchUnpack(b, img, 500)
}

// BenchmarkUnpackErofsFixtures unpacks each image of erofsZFixtures
// (mkfs.erofs 1.9.3: LZMA, DEFLATE, Zstandard, fragments, deduplication,
// extent records, 1 KiB blocks, compressed directories; the largest are
// 52 KB, each holding the same 180 KB of files).
func BenchmarkUnpackErofsFixtures(b *testing.B) {
	for _, c := range erofsZFixtures {
		b.Run(c.file, func(b *testing.B) { benchUnpack(b, fixture(b, c.file), 23) })
	}
}

// BenchmarkUnpackErofsAlgorithms unpacks the tree of BenchmarkUnpackErofs
// compressed by the mkfs.erofs that MKFS_EROFS names (1.6 or later, which
// knows lzma, deflate and zstd; skipped when unset) with each algorithm,
// and with -Efragments.
func BenchmarkUnpackErofsAlgorithms(b *testing.B) {
	tool := os.Getenv("MKFS_EROFS")
	if tool == "" {
		b.Skip("MKFS_EROFS (a mkfs.erofs with lzma, deflate and zstd) not set")
	}
	for _, opts := range [][]string{{"-zlz4hc"}, {"-zlzma"}, {"-zdeflate"}, {"-zzstd"}, {"-zlz4hc", "-Efragments"}} {
		b.Run(opts[len(opts)-1], func(b *testing.B) {
			img := toolImage(b, 500, 8<<10, tool, append([]string{"--quiet", "-T0"}, opts...)...)
			b.Logf("EROFS %v: %d bytes", opts, len(img))
			benchUnpack(b, img, 500)
		})
	}
}

// bootImage runs mkbootimg (header version 2, 4 KiB pages) on a kernel of
// 8 MB of text and the cpio ramdisk of 1,000 files of 16 KiB (16 MB)
// compressed by compress ("gzip -6", "lz4 -l"), both written to a
// temporary folder; skipped when mkbootimg or the compressor is not
// installed.
func bootImage(b *testing.B, compress ...string) []byte {
	for _, tool := range []string{"mkbootimg", compress[0]} {
		if _, err := exec.LookPath(tool); err != nil {
			b.Skipf("%s not installed", tool)
		}
	}
	dir := b.TempDir()
	var k bytes.Buffer
	for _, e := range benchFiles(256, 32<<10)[2:] {
		k.WriteString(e.data)
	}
	cmd := exec.Command(compress[0], compress[1:]...)
	cmd.Stdin = bytes.NewReader(makeCPIO(benchFiles(1000, 16<<10)))
	ramdisk, err := cmd.Output()
	if err != nil {
		b.Fatalf("%s: %v", compress[0], err)
	}
	kernel, rd, out := filepath.Join(dir, "kernel"), filepath.Join(dir, "ramdisk"), filepath.Join(dir, "boot.img")
	for p, data := range map[string][]byte{kernel: k.Bytes(), rd: ramdisk} {
		if err := os.WriteFile(p, data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	if msg, err := exec.Command("mkbootimg", "--header_version", "2", "--pagesize", "4096", "--kernel", kernel, "--ramdisk", rd,
		"--dtb", "../testdata/fit.itb", "-o", out).CombinedOutput(); err != nil {
		b.Fatalf("mkbootimg: %v\n%s", err, msg)
	}
	img, err := os.ReadFile(out)
	if err != nil {
		b.Fatal(err)
	}
	return img
}

// BenchmarkUnpackAndroidBoot unpacks a boot.img (mkbootimg, header v2)
// whose ramdisk is a gzip'd cpio of 1,000 files of 16 KiB.
func BenchmarkUnpackAndroidBoot(b *testing.B) {
	img := bootImage(b, "gzip", "-6n")
	b.Logf("boot.img (gzip ramdisk): %d bytes", len(img))
	benchUnpack(b, img, 1000)
}

// BenchmarkUnpackAndroidBootLZ4 is the same with an lz4 -l (legacy frame)
// ramdisk, as Android 12 and later build them.
func BenchmarkUnpackAndroidBootLZ4(b *testing.B) {
	img := bootImage(b, "lz4", "-l", "-9", "-q")
	b.Logf("boot.img (lz4 ramdisk): %d bytes", len(img))
	benchUnpack(b, img, 1000)
}
