package unpack

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// fuzzLimits keep one execution small: 40000 executions must be quick.
func fuzzLimits() Limits {
	return Limits{MaxTotalBytes: 1 << 20, MaxFiles: 1000, MaxDepth: 4, MaxRatio: 50, MaxCarve: 64, Workers: 1}
}

func seeds(f *testing.F, extra ...[]byte) {
	files, _ := filepath.Glob("../testdata/*")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil && len(b) < 64<<10 && filepath.Ext(p) != ".sh" {
			f.Add(b)
		}
	}
	for _, b := range extra {
		f.Add(b)
	}
}

func fuzzUnpacker() *unpacker {
	return &unpacker{ctx: context.Background(), lim: fuzzLimits(), sem: make(chan struct{}, 1), seen: map[string]bool{}}
}

// FuzzUnpack drives the whole dispatcher: identification, nesting and carving.
func FuzzUnpack(f *testing.F) {
	seeds(f, makeTar(f, treeEntries), gz(makeCPIO(treeEntries)), trx(gz(makeTar(f, treeEntries[:2]))), uimage(2, 1, gz([]byte("Linux version 5.4.1 (x) #1"))))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 256<<10 {
			return
		}
		r, err := Unpack(context.Background(), b, fuzzLimits())
		if err == nil {
			for _, fl := range r.Files {
				if len(fl.Inner) == 0 || fl.Inner[0] != '/' && fl.Kind != KindBlob {
					t.Fatalf("path %q not absolute", fl.Inner)
				}
			}
		}
	})
}

func fuzzOpen(f *testing.F, open func(*unpacker, []byte) (contents, error), extra ...[]byte) {
	seeds(f, extra...)
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 256<<10 {
			return
		}
		open(fuzzUnpacker(), b)
	})
}

// fuzzMatched fuzzes open on the inputs match recognises, as unpack only
// opens a blob with a format whose magic it has.
func fuzzMatched(f *testing.F, match func([]byte) bool, open func(*unpacker, []byte) (contents, error), extra ...[]byte) {
	fuzzOpen(f, func(u *unpacker, b []byte) (contents, error) {
		if !match(b) {
			return contents{}, nil
		}
		return open(u, b)
	}, extra...)
}

func FuzzTar(f *testing.F)      { fuzzOpen(f, openTar, makeTar(f, treeEntries)) }
func FuzzCPIO(f *testing.F)     { fuzzMatched(f, isCPIO, openCPIO, makeCPIO(treeEntries)) }
func FuzzSquashfs(f *testing.F) { fuzzMatched(f, isSquashfs, openSquashfs) }
func FuzzCramfs(f *testing.F)   { fuzzMatched(f, isCramfs, openCramfs) }
func FuzzJFFS2(f *testing.F)    { fuzzMatched(f, isJFFS2, openJFFS2) }
func FuzzExt(f *testing.F)      { fuzzMatched(f, isExt, openExt) }
func FuzzUImage(f *testing.F) {
	fuzzMatched(f, isUImage, openUImage, uimage(2, 1, []byte("payload")), uimage(4, 0, []byte{0, 0, 0, 3, 0, 0, 0, 0, 'a', 'b', 'c'}))
}
func FuzzTRX(f *testing.F) { fuzzMatched(f, isTRX, openTRX, trx([]byte("kernel"), []byte("rootfs"))) }

// FuzzAndroidBoot opens boot, recovery and vendor_boot images (the
// mkbootimg fixtures are seeds, as every small file of testdata is).
func FuzzAndroidBoot(f *testing.F) {
	fuzzMatched(f, func(b []byte) bool { return isAndroidBoot(b) || isVendorBoot(b) }, openAndroidBoot)
}
func FuzzLZ4Legacy(f *testing.F) { fuzzMatched(f, isLZ4Legacy, openLZ4Legacy) }
