package unpack

import (
	"bytes"
	"context"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"path"
	"strings"
	"testing"

	"github.com/diskfs/go-diskfs/backend"
	"github.com/diskfs/go-diskfs/filesystem/ext4"
)

// extFixtures are every ext image gen.sh makes.
var extFixtures = []string{
	"small-ext2.img.gz", "small-ext3.img.gz", "small-ext4.img.gz", "small-ext4-nocsum.img.gz",
	"sparse-ext2.img.gz", "sparse-ext4.img.gz", "many-small-ext4.img.gz",
}

// extImage is the ext filesystem of a gzip-compressed fixture.
func extImage(t *testing.T, name string) []byte {
	t.Helper()
	b := gunzipFixture(t, name)
	if n := extSize(b); n > 0 {
		b = b[:n]
	}
	return b
}

func testUnpacker() *unpacker {
	return &unpacker{ctx: context.Background(), lim: DefaultLimits(), sem: make(chan struct{}, 1), seen: map[string]bool{}}
}

// imageStorage is a read-only go-diskfs backend.Storage over bytes.
type imageStorage struct{ *bytes.Reader }

func (imageStorage) Stat() (iofs.FileInfo, error) { return nil, backend.ErrNotSuitable }
func (imageStorage) Close() error                 { return nil }
func (imageStorage) Sys() (*os.File, error)       { return nil, backend.ErrNotSuitable }
func (imageStorage) Writable() (backend.WritableFile, error) {
	return nil, backend.ErrIncorrectOpenMode
}
func (imageStorage) Path() string { return "" }

// diskfsList lists an ext4 image with go-diskfs v1.9.4, the reader Rampart
// used for ext4 with metadata checksums before: path, kind, owner, link
// target, device and size of every entry, and the contents of the first
// maxData regular files (its OpenFile re-reads the directory: quadratic).
func diskfsList(b []byte, maxData int) (files map[string]File, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("go-diskfs panicked: %v", r)
		}
	}()
	fsys, err := ext4.Read(imageStorage{bytes.NewReader(b)}, int64(len(b)), 0, 0)
	if err != nil {
		return nil, err
	}
	files = map[string]File{}
	var list func(dir string) error
	list = func(dir string) error {
		ents, err := fsys.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, e := range ents {
			p := path.Join(dir, e.Name())
			info, err := e.Info()
			if err != nil {
				return err
			}
			st := info.Sys().(*ext4.StatT)
			f := File{Inner: cleanPath(p), UID: int(st.UID), GID: int(st.GID), Link: st.LinkTarget, Major: st.Major, Minor: st.Minor}
			f.Kind, _ = fsKind(e.Type())
			switch f.Kind {
			case KindDir:
				if err := list(p); err != nil {
					return err
				}
			case KindFile:
				f.Size = info.Size()
				if maxData > 0 {
					maxData--
					fl, err := fsys.OpenFile(p, 0)
					if err != nil {
						return err
					}
					// go-diskfs never ends reading a hole at the end of
					// a file: it returns no byte and no error.
					buf := make([]byte, f.Size+1)
					n := 0
					for n < len(buf) {
						k, err := fl.Read(buf[n:])
						n += k
						if err == io.EOF || k == 0 {
							break
						}
						if err != nil {
							return err
						}
					}
					f.Data = buf[:n]
				}
			}
			files[f.Inner] = f
		}
		return nil
	}
	return files, list(".")
}

// TestExtReadersAgree: on every ext fixture go-diskfs can list (it refuses
// ext2, ext3 and ext4 without metadata checksums), the built-in reader finds the same entries
// with the same kinds, owners, link targets, devices, sizes and contents.
// go-diskfs reports no permission bits (its FileInfo.Mode is the type
// alone): the modes are checked against what gen.sh made.
func TestExtReadersAgree(t *testing.T) {
	compared := 0
	for _, name := range extFixtures {
		b := extImage(t, name)
		c, err := openExt(testUnpacker(), b)
		want, derr := diskfsList(b, 300)
		if derr != nil {
			t.Logf("%s: go-diskfs: %v (built-in reader: %v)", name, derr, err)
			continue
		}
		if err != nil {
			t.Errorf("%s: go-diskfs lists it, the built-in reader fails: %v", name, err)
			continue
		}
		compared++
		if len(c.files) != len(want) {
			t.Errorf("%s: built-in reader %d entries, go-diskfs %d", name, len(c.files), len(want))
		}
		for _, f := range c.files {
			d, ok := want[f.Inner]
			switch {
			case !ok:
				t.Errorf("%s: %s not listed by go-diskfs", name, f.Inner)
			case f.Kind != d.Kind || f.UID != d.UID || f.GID != d.GID || f.Link != d.Link || f.Major != d.Major || f.Minor != d.Minor || f.Kind == KindFile && f.Size != d.Size:
				t.Errorf("%s: %s: built-in %s %d:%d %q %d:%d %d bytes, go-diskfs %s %d:%d %q %d:%d %d bytes",
					name, f.Inner, f.Kind, f.UID, f.GID, f.Link, f.Major, f.Minor, f.Size, d.Kind, d.UID, d.GID, d.Link, d.Major, d.Minor, d.Size)
			case d.Data != nil && !bytes.Equal(f.Data, d.Data) && name != "sparse-ext4.img.gz":
				// (go-diskfs misreads holes: TestExt4SparseFiles checks
				// that image's contents.)
				t.Errorf("%s: %s: built-in reads %d bytes, go-diskfs %d", name, f.Inner, len(f.Data), len(d.Data))
			}
		}
	}
	if compared == 0 {
		t.Error("go-diskfs listed no fixture, want many-small-ext4")
	}
}

// TestExtManySmallFiles: go-diskfs's OpenFile reads and parses the parent
// directory again for every file it opens, so an ext4 image (metadata_csum,
// read by go-diskfs) whose one directory holds 5 000 small files took 7 s
// and allocated 5.7 GB, quadratic in the directory's size. File data is
// read by inode through the built-in reader.
func TestExtManySmallFiles(t *testing.T) {
	img := fixture(t, "many-small-ext4.img.gz")
	r := unpackBounded(t, img, 256<<20)
	if got := layerTypes(r); got != "gzip@0, ext4@0" {
		t.Errorf("layers %q", got)
	}
	if d := r.Layers[1].Detail; d != "5012 entries (built-in reader)" {
		t.Errorf("detail %q", d)
	}
	files := 0
	for _, f := range r.Files {
		if f.Kind != KindFile || !strings.HasPrefix(f.Inner, "/d/") {
			continue
		}
		files++
		if want := fmt.Sprintf("file %s\n", strings.TrimPrefix(f.Inner, "/d/f")); string(f.Data) != want || f.Mode != 0o644 {
			t.Fatalf("%s: %o %q, want 644 %q", f.Inner, f.Mode, f.Data, want)
		}
	}
	if files != 5000 {
		t.Errorf("%d files", files)
	}
	// What go-diskfs lost (it reported every mode as 0) or misread.
	m := map[string]File{}
	for _, f := range r.Files {
		m[f.Inner] = f
	}
	for p, want := range map[string]File{
		"/bin/su":          {Kind: KindFile, Mode: 0o4755},
		"/etc/big.txt":     {Kind: KindFile, Mode: 0o644, UID: 1000, GID: 100, Size: 12500 * 8},
		"/d":               {Kind: KindDir, Mode: 0o755},
		"/lost+found":      {Kind: KindDir, Mode: 0o700},
		"/bin/passwd-link": {Kind: KindSymlink, Mode: 0o777, Link: "../etc/passwd"},
		"/bin/long-link":   {Kind: KindSymlink, Mode: 0o777, Link: "/a/very/long/symlink/target/that/does/not/fit/into/the/inode/itself/at/all"},
		"/dev/console":     {Kind: KindDevice, Mode: 0o644, Major: 5, Minor: 1},
		"/dev/initctl":     {Kind: KindFifo, Mode: 0o644},
	} {
		f := m[p]
		if f.Kind != want.Kind || f.Mode != want.Mode || f.UID != want.UID || f.GID != want.GID || f.Link != want.Link ||
			f.Major != want.Major || f.Minor != want.Minor || want.Size != 0 && f.Size != want.Size {
			t.Errorf("%s: %s %o %d:%d %q %d:%d %d bytes, want %+v", p, f.Kind, f.Mode, f.UID, f.GID, f.Link, f.Major, f.Minor, f.Size, want)
		}
	}
}
