package unpack

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
)

// filesTree is what testdata/files-*.sqsh hold (gen.sh builds them with
// mksquashfs): big.txt spans several 128 KiB blocks, hex.txt is poorly
// compressible, the /etc files sit in fragments.
func filesTree() map[string][]byte {
	var big, hex bytes.Buffer
	for i := 1; i <= 20000; i++ {
		fmt.Fprintf(&big, "line %07d of a compressible text file\n", i)
	}
	for i := uint64(0); i < 4096; i++ {
		fmt.Fprintf(&hex, "%08x", i*2654435761%4294967296)
	}
	return map[string][]byte{"/usr/share/big.txt": big.Bytes(), "/usr/share/hex.txt": hex.Bytes(), "/etc/hello": []byte("lz4\n")}
}

// TestSquashfsCompressors: the same tree in every compression mksquashfs
// writes (raw-block LZ4, LZ4 HC, legacy LZMA, gzip; xz, lzo and zstd in
// TestCommittedImages) reads back byte for byte.
func TestSquashfsCompressors(t *testing.T) {
	want := filesTree()
	for _, c := range []string{"lz4", "lz4hc", "lzma", "gzip"} {
		t.Run(c, func(t *testing.T) {
			b, err := os.ReadFile("../testdata/files-" + c + ".sqsh")
			if err != nil {
				t.Fatal(err)
			}
			r := mustUnpack(t, b)
			if len(r.Warnings) > 0 {
				t.Errorf("warnings %v", r.Warnings)
			}
			m := byPath(r)
			for p, w := range want {
				if got := m[p].Data; !bytes.Equal(got, w) {
					t.Errorf("%s: %d bytes, want %d (equal prefix %v)", p, len(got), len(w), bytes.HasPrefix(w, got[:min(len(got), 64)]))
				}
			}
		})
	}
}

// TestSquashfsLZ4Corrupt: a damaged LZ4 block never yields wrong bytes
// silently: a file that does not decode is missing or short, and the
// layer's detail names it unreadable.
func TestSquashfsLZ4Corrupt(t *testing.T) {
	b := fixture(t, "files-lz4.sqsh")
	want := filesTree()
	for _, at := range []int{200, 4096, 40000, 90000} {
		bad := append([]byte(nil), b...)
		for i := at; i < at+64 && i < len(bad); i++ {
			bad[i] ^= 0xa5
		}
		r, err := Unpack(context.Background(), bad, DefaultLimits())
		if err != nil {
			continue // the layer itself did not read: reported as such
		}
		m := byPath(r)
		for p, w := range want {
			f, ok := m[p]
			if !ok || bytes.Equal(f.Data, w) {
				continue
			}
			if len(r.Layers) == 0 || !strings.Contains(r.Layers[0].Detail, "unreadable") {
				t.Errorf("damage at %d: %s has %d wrong bytes and the layer says %q", at, p, len(f.Data), r.Layers[0].Detail)
			}
		}
	}
}
