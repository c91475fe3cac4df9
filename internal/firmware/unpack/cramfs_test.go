package unpack

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// TestCramfs reads the images gen.sh makes with mkfs.cramfs in both byte
// orders, padded for a boot loader and with explicit holes: every entry
// kind, owners, modes and contents (a multi-block file and a sparse one).
func TestCramfs(t *testing.T) {
	for _, c := range []struct{ file, order string }{{"le.cramfs", "little-endian"}, {"be.cramfs", "big-endian"}, {"padded.cramfs", "little-endian"}} {
		t.Run(c.file, func(t *testing.T) {
			checkGenImage(t, c.file, "cramfs", c.order, true)
		})
	}
}

// TestCramfsCarvedAndDamaged: a cramfs behind a vendor header is carved
// at its offset; damage fails the layer or names the file, never panics
// nor yields wrong bytes silently.
func TestCramfsCarvedAndDamaged(t *testing.T) {
	b := fixture(t, "be.cramfs")
	blob := append(append([]byte("VENDORHDR"), make([]byte, 1000)...), b...)
	r := mustUnpack(t, blob)
	if got := layerTypes(r); got != "cramfs@1009" {
		t.Errorf("carved layers %q", got)
	}
	for at := 76; at < len(b); at += 97 {
		bad := append([]byte(nil), b...)
		for i := at; i < at+8 && i < len(bad); i++ {
			bad[i] ^= 0x5a
		}
		c, err := openCramfs(fuzzUnpacker(), bad)
		if err != nil {
			continue
		}
		for _, f := range c.files {
			if f.Inner == "/usr/share/doc/big.txt" && f.Size != 0 && f.Size != 38000 && !strings.Contains(c.detail, "unreadable") {
				t.Errorf("damage at %d: big.txt %d bytes and no word of it (%s)", at, f.Size, c.detail)
			}
		}
	}
}

// TestCramfsHoleBomb: files made of holes cost nothing in the image; what
// an image may claim is bounded by the ratio limit.
func TestCramfsHoleBomb(t *testing.T) {
	b := fixture(t, "le.cramfs")
	u := fuzzUnpacker()
	u.lim.MaxRatio, u.lim.MaxTotalBytes = 1, 1<<30 // 8 KiB image: at most ~1 MiB of files
	bomb := append([]byte(nil), b...)
	// Find sparse.bin's inode and claim 16 MiB (all holes past its table).
	at := bytes.Index(bomb, []byte("sparse.bin"))
	if at < 12 {
		t.Fatal("no sparse.bin entry")
	}
	w1 := at - 12 + 4
	bomb[w1], bomb[w1+1], bomb[w1+2] = 0xff, 0xff, 0xff // size: 16 MiB - 1
	if _, err := openCramfs(u, bomb); err == nil || !errors.Is(err, ErrLimit) {
		t.Errorf("err %v, want ErrLimit", err)
	}
}
