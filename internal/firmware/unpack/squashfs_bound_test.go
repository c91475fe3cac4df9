package unpack

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// TestSquashfsCorruptSizesBounded: a 600-byte squashfs whose fragment
// entry claims a 4 GiB block once made the reader allocate 16 GiB (the
// fuzzer found it). Block sizes, fragment offsets and symlink targets are
// now checked before anything is allocated.
func TestSquashfsCorruptSizesBounded(t *testing.T) {
	raw, err := os.ReadFile("testdata/fuzz/FuzzUnpack/025d286c4a4a7c37")
	if err != nil {
		t.Fatal(err)
	}
	lit := strings.TrimSpace(strings.SplitN(string(raw), "\n", 2)[1])
	img, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lit, "[]byte("), ")"))
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, _ = Unpack(context.Background(), []byte(img), fuzzLimits())
	runtime.ReadMemStats(&after)
	if got := after.TotalAlloc - before.TotalAlloc; got > 64<<20 {
		t.Errorf("unpacking %d bytes allocated %d MiB", len(img), got>>20)
	}
}
