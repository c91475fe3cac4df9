package feeds

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/rampart-security/rampart/internal/vuln"
)

// Bounds on an offline bundle (a zip of `vulndb import` inputs uploaded to
// an air-gapped server).
const (
	MaxBundleEntries = 500_000              // a full OSV mirror of every ecosystem has ≈450,000 records
	MaxBundleTotal   = vuln.MaxDecompressed // bytes extracted in all
)

// ErrBadBundle is returned for a bundle that is not a safe zip of feed
// files: unreadable, with an entry escaping the folder (zip slip), a link,
// too many entries, or expanding beyond the bounds.
var ErrBadBundle = errors.New("not a usable offline bundle")

// ExtractBundle unpacks the offline bundle zip r (size bytes, called name
// in errors) into dir (which
// must exist and be empty) and returns the files written. It never trusts
// the sizes the zip declares: every entry is bounded while it is copied
// (its compressed size times vuln.MaxRatio, at least 64 MiB) and so is the
// total (MaxBundleTotal). Entries that leave dir, links and devices are
// refused; folders are recreated, so `vulndb import` of dir reads the
// same files as of the unpacked bundle. The total is also bounded by
// vuln.ZipBudget (200 times the compressed bytes), which refuses entries
// that share compressed data.
func ExtractBundle(r io.ReaderAt, size int64, name, dir string) ([]string, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: zip: %v", ErrBadBundle, filepath.Base(name), err)
	}
	return extract(zr, name, dir)
}

func extract(zr *zip.Reader, name, dir string) ([]string, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrBadBundle, filepath.Base(name), fmt.Sprintf(format, args...))
	}
	if len(zr.File) > MaxBundleEntries {
		return nil, bad("%d entries, more than the %d allowed", len(zr.File), MaxBundleEntries)
	}
	budget, err := vuln.ZipBudget(zr, filepath.Base(name))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadBundle, err)
	}
	budget = min(budget, MaxBundleTotal)
	var files []string
	seen := map[string]bool{}
	var total int64
	for _, f := range zr.File {
		entry := strings.ReplaceAll(f.Name, `\`, "/")
		clean := path.Clean(entry)
		if entry == "" || strings.HasPrefix(entry, "/") || !filepath.IsLocal(filepath.FromSlash(clean)) {
			return nil, bad("entry %q leaves the bundle's folder", f.Name)
		}
		mode := f.Mode()
		if mode.IsDir() {
			continue
		}
		if !mode.IsRegular() {
			return nil, bad("entry %q is not a regular file (%s)", f.Name, mode.Type())
		}
		if strings.HasPrefix(clean, "__MACOSX/") {
			continue // Finder's resource forks, not data
		}
		if seen[strings.ToLower(clean)] {
			return nil, bad("entry %q appears twice", f.Name)
		}
		seen[strings.ToLower(clean)] = true
		dst := filepath.Join(dir, filepath.FromSlash(clean))
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			return nil, err
		}
		n, err := copyEntry(f, dst, budget-total, budget)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: entry %q: %w", ErrBadBundle, filepath.Base(name), f.Name, err)
		}
		total += n
		files = append(files, dst)
	}
	if len(files) == 0 {
		return nil, bad("no files in the zip")
	}
	return files, nil
}

// copyEntry writes one entry, reading at most its ratio bound and at most
// left bytes of the bundle's budget.
func copyEntry(f *zip.File, dst string, left, budget int64) (int64, error) {
	rc, err := f.Open()
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, err
	}
	r := vuln.BoundDecompressed(rc, f.Name, int64(f.CompressedSize64))
	n, err := io.Copy(out, io.LimitReader(r, left+1))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > left {
		err = fmt.Errorf("the bundle expands beyond %d MiB in all (200 times its compressed size, at most %d GiB): %w", budget>>20, MaxBundleTotal>>30, vuln.ErrDecompressionBomb)
	}
	return n, err
}
