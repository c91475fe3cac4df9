package unpack

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"testing"

	lzo "github.com/rasky/go-lzo" // Rampart's own LZO1X decoder (third_party/lzo1x), not the GPL module
)

// TestSquashfsLZO: LZO squashfs images (lzo1x_999, mksquashfs's default,
// and lzo1x_1) made by testdata/gen.sh decode to the exact files: a
// 164 KB compressible text (long matches), base64 noise (literal runs) and a
// repetitive passwd. Built with mksquashfs 4.5: see gen.sh.
func TestSquashfsLZO(t *testing.T) {
	want := map[string]string{
		"/big.txt":    "f989217b6ea85aa9f0a74f6b53bde2b141833a7b5c4fac516bcc97f4ec5b0203",
		"/random.txt": "78abff7a0c37471e7a7c0ee8e1d67ffa17dabf6aca21f2414d0df123f12fe702",
		"/etc/passwd": "57df8f205edb44e390b179f1bf01032923c75a2e3f93c08db5ae9d55b18be767",
	}
	for _, img := range []string{"text-lzo999.sqsh", "text-lzo1.sqsh"} {
		b := fixture(t, img)
		m := byPath(mustUnpack(t, b))
		for p, sum := range want {
			got := sha256.Sum256(m[p].Data)
			if hex.EncodeToString(got[:]) != sum {
				t.Errorf("%s %s: %d bytes, sha256 %x", img, p, len(m[p].Data), got)
			}
		}
	}
}

func TestLZOErrors(t *testing.T) {
	for name, in := range map[string][]byte{
		"empty":            {},
		"no end marker":    {0x15, 'a', 'b', 'c', 'd'},
		"match before out": {0x12, 'a', 0x40, 0x10},
		"cut end marker":   {0x12, 'a', 0x11, 0x00},
		"lzo-rle":          {17, 1},
	} {
		if out, err := lzo.Decompress(in, 1<<20); err == nil {
			t.Errorf("%s: decoded %q", name, out)
		}
	}
	// A literal run and the end marker.
	out, err := lzo.Decompress([]byte{0x15, 'a', 'b', 'c', 'd', 0x11, 0x00, 0x00}, 1<<20)
	if err != nil || string(out) != "abcd" {
		t.Errorf("literals: %q %v", out, err)
	}
	// The output bound holds for a stream that expands.
	if _, err := lzo.Decompress([]byte{0x12, 'a', 0x20, 0x00, 0x00, 0xff, 0x00, 0x00, 0x11, 0x00, 0x00}, 100); err == nil {
		t.Error("output bound ignored")
	}
}

func FuzzLZO(f *testing.F) {
	f.Add([]byte{0x15, 'a', 'b', 'c', 'd', 0x11, 0x00, 0x00})
	if b, err := os.ReadFile("../testdata/text-lzo1.sqsh"); err == nil && len(b) > 200 {
		f.Add(b[96:200])
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := lzo.Decompress1X(bytes.NewReader(in), len(in), 1<<16)
		if err == nil && len(out) > 1<<16 {
			t.Fatalf("output %d beyond the bound", len(out))
		}
	})
}
