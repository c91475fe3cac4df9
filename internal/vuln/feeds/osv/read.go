package osv

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/rampart-security/rampart/internal/vuln"
)

// maxRecordSize bounds one record read from an archive (the largest real
// OSV records are a few MB).
const maxRecordSize = 64 << 20

// IsRecordFile reports whether a file name looks like an OSV record.
func IsRecordFile(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".json", ".yaml", ".yml":
		return true
	}
	return false
}

// ParseFile decodes one record choosing JSON or YAML from the name.
func ParseFile(r io.Reader, name string) (*vuln.Advisory, error) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml":
		return ParseYAML(r, name)
	}
	return Parse(r, name)
}

// ReadPath reads a record file, every record file under a folder (walked in
// lexical order), or every record in a zip archive, calling fn for each
// advisory. It stops at the first error, which names the file and field.
func ReadPath(ctx context.Context, path string, fn func(*vuln.Advisory) error) error {
	return vuln.WalkFiles(ctx, path, "osv", func(p string, inFolder bool) error {
		if strings.EqualFold(filepath.Ext(p), ".zip") {
			return ReadZipFile(ctx, p, fn)
		}
		if inFolder && !IsRecordFile(p) {
			return nil
		}
		return readOne(p, fn)
	})
}

func readOne(p string, fn func(*vuln.Advisory) error) error {
	f, err := os.Open(p)
	if err != nil {
		return fmt.Errorf("osv: %w", err)
	}
	defer f.Close()
	a, err := ParseFile(f, p)
	if err != nil {
		return err
	}
	return fn(a)
}

// ReadZipFile reads every record of an osv.dev-style zip (all.zip).
func ReadZipFile(ctx context.Context, path string, fn func(*vuln.Advisory) error) error {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return &vuln.ParseError{File: path, Err: fmt.Errorf("zip: %w", err)}
	}
	defer zr.Close()
	return ReadZip(ctx, &zr.Reader, path, fn)
}

// ReadZip reads every record file of an opened zip archive; name is the
// archive's name for errors ("all.zip!GO-2024-0001.json"). One record
// decompresses to at most 64 MiB, all of them to at most what
// vuln.ZipBudget allows (200 times the compressed bytes), and an archive
// whose entries overlap is refused.
func ReadZip(ctx context.Context, zr *zip.Reader, name string, fn func(*vuln.Advisory) error) error {
	left, err := vuln.ZipBudget(zr, name)
	if err != nil {
		return err
	}
	budget := left
	files := make([]*zip.File, 0, len(zr.File))
	for _, f := range zr.File {
		if !f.FileInfo().IsDir() && IsRecordFile(f.Name) {
			files = append(files, f)
		}
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	for _, f := range files {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		entry := name + "!" + f.Name
		rc, err := f.Open()
		if err != nil {
			return &vuln.ParseError{File: entry, Err: fmt.Errorf("zip entry: %w", err)}
		}
		lr := &limitedReader{r: rc, n: min(maxRecordSize, left), err: errTooLarge}
		if left < maxRecordSize {
			lr.err = fmt.Errorf("%w: the archive expands beyond %d MiB in all", vuln.ErrDecompressionBomb, budget>>20)
		}
		a, err := ParseFile(lr, entry)
		rc.Close()
		left -= lr.read
		if err != nil {
			return err
		}
		if err := fn(a); err != nil {
			return err
		}
	}
	return nil
}

var errTooLarge = errors.New("record larger than 64 MiB")

// limitedReader reads at most n bytes of r and then fails with err.
type limitedReader struct {
	r    io.Reader
	n    int64
	read int64
	err  error
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, l.err
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	l.read += int64(n)
	return n, err
}
