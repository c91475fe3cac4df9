package firmware

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
)

// A binary whose tables cannot be read safely (here: a compressed .symtab
// that would inflate far past the file, elfcheck's fuzz seed) is not listed
// among the checked binaries, and the result says so in a warning naming
// the file instead of leaving it out silently.
func TestCorruptELFIsWarned(t *testing.T) {
	seed, err := os.ReadFile("elfcheck/testdata/fuzz/FuzzCheck/compressed-symtab")
	if err != nil {
		t.Fatal(err)
	}
	lit, ok := strings.CutPrefix(string(seed), "go test fuzz v1\n[]byte(")
	if !ok {
		t.Fatal("the seed is not a go fuzz corpus file of one []byte")
	}
	corrupt, err := strconv.Unquote(strings.TrimSuffix(strings.TrimSpace(lit), ")"))
	if err != nil {
		t.Fatal(err)
	}
	var img bytes.Buffer
	tw := tar.NewWriter(&img)
	for name, data := range map[string][]byte{"etc/hostname": []byte("r\n"), "usr/bin/broken": []byte(corrupt)} {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, Size: int64(len(data)), Typeflag: tar.TypeReg})
		tw.Write(data)
	}
	tw.Close()
	res, err := Analyze(context.Background(), "corrupt.tar", img.Bytes(), Options{Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range res.Binaries {
		if strings.HasSuffix(b.Path, "/usr/bin/broken") {
			t.Errorf("the corrupt binary is listed as checked: %+v", b)
		}
	}
	var warned bool
	for _, w := range res.Warnings {
		warned = warned || (strings.Contains(w, "/usr/bin/broken") && strings.Contains(w, "corrupt ELF file") && strings.Contains(w, "not checked"))
	}
	if !warned {
		t.Errorf("no warning names the corrupt binary: %q", res.Warnings)
	}
}
