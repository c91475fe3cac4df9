package feeds

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/vuln"
)

type zipEntry struct {
	name string
	data []byte
	mode os.FileMode
}

func buildZip(t testing.TB, entries ...zipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		if e.mode != 0 {
			h.SetMode(e.mode)
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(e.data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func readFixture(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func extractBytes(data []byte, dir string) ([]string, error) {
	return ExtractBundle(bytes.NewReader(data), int64(len(data)), "bundle.zip", dir)
}

// TestExtractBundle unpacks a bundle of the kinds of files `vulndb import`
// takes (an OSV record in a folder, an NVD record, a KEV catalogue, a CVE 5
// record and a nested OSV all.zip) and loads the folder: every record is
// read.
func TestExtractBundle(t *testing.T) {
	osvZip := buildZip(t, zipEntry{name: "GO-2099-0001.json", data: readFixture(t, "osv/testdata/GO-2099-0001.json")})
	kevJSON := []byte(`{"title":"CISA Catalog of Known Exploited Vulnerabilities","catalogVersion":"2099.01.01","count":1,"vulnerabilities":[
		{"cveID":"CVE-2099-1000","vendorProject":"Example","product":"Widget","vulnerabilityName":"Widget RCE","dateAdded":"2099-01-01","shortDescription":"x","requiredAction":"patch","dueDate":"2099-01-22","knownRansomwareCampaignUse":"Unknown","notes":""}]}`)
	bundle := buildZip(t,
		zipEntry{name: "osv/PYSEC-2099-1.yaml", data: readFixture(t, "osv/testdata/PYSEC-2099-1.yaml")},
		zipEntry{name: "nvd/CVE-2099-1000.json", data: readFixture(t, "nvd/testdata/CVE-2099-1000.json")},
		zipEntry{name: "cve5/CVE-2099-2000.json", data: readFixture(t, "cve5/testdata/CVE-2099-2000.json")},
		zipEntry{name: "go/all.zip", data: osvZip},
		zipEntry{name: "known_exploited_vulnerabilities.json", data: kevJSON},
		zipEntry{name: "__MACOSX/._known_exploited_vulnerabilities.json", data: []byte{0, 5, 22, 7}},
		zipEntry{name: "README.txt", data: []byte("bundle of 2099-01-01")},
	)
	dir := t.TempDir()
	files, err := extractBytes(bundle, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 6 {
		t.Errorf("extracted %d files, want 6 (the resource fork is left out): %v", len(files), files)
	}
	d, err := Load(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if d.Files[FormatOSV] != 2 || d.Files[FormatNVD] != 1 || d.Files[FormatCVE5] != 1 || d.Files[FormatKEV] != 1 {
		t.Errorf("files per format %v", d.Files)
	}
	if _, ok := d.KEV["CVE-2099-1000"]; !ok {
		t.Errorf("KEV entry missing: %v", d.KEV)
	}
}

func TestExtractBundleRefuses(t *testing.T) {
	bomb := bytes.Repeat([]byte{'0'}, 70<<20) // 70 MiB of one byte: ≈70 KiB compressed, 1000:1
	tests := []struct {
		name    string
		data    []byte
		want    string
		isBomb  bool
		entries []zipEntry
	}{
		{name: "not a zip", data: []byte("PK but not really"), want: "zip:"},
		{name: "zip slip", entries: []zipEntry{{name: "../../etc/cron.d/x.json", data: []byte("{}")}}, want: "leaves the bundle's folder"},
		{name: "absolute", entries: []zipEntry{{name: "/tmp/x.json", data: []byte("{}")}}, want: "leaves the bundle's folder"},
		{name: "backslash slip", entries: []zipEntry{{name: `..\x.json`, data: []byte("{}")}}, want: "leaves the bundle's folder"},
		{name: "symlink", entries: []zipEntry{{name: "link.json", data: []byte("/etc/passwd"), mode: os.ModeSymlink | 0o777}}, want: "not a regular file"},
		{name: "duplicate", entries: []zipEntry{{name: "a.json", data: []byte("{}")}, {name: "A.json", data: []byte("{}")}}, want: "appears twice"},
		{name: "empty", entries: nil, want: "no files"},
		{name: "bomb", entries: []zipEntry{{name: "epss.csv", data: bomb}}, want: "decompression bomb", isBomb: true},
		// Two directory entries pointing at one deflate stream (the
		// overlapping-entry zip bomb: thousands of them expand one
		// stream thousands of times).
		{name: "overlapping entries", data: overlapEntries(buildZip(t, zipEntry{name: "a.csv", data: bomb[:1<<20]}, zipEntry{name: "b.csv", data: bomb[:1<<20]})),
			want: "share compressed data", isBomb: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := tt.data
			if data == nil {
				data = buildZip(t, tt.entries...)
			}
			_, err := extractBytes(data, t.TempDir())
			if !errors.Is(err, ErrBadBundle) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want ErrBadBundle with %q", err, tt.want)
			}
			if tt.isBomb && !errors.Is(err, vuln.ErrDecompressionBomb) {
				t.Errorf("a bomb is reported as %v", err)
			}
		})
	}
}

// overlapEntries points every central-directory entry of the zip z at the
// first entry's local header.
func overlapEntries(z []byte) []byte {
	b := bytes.Clone(z)
	for i := 0; ; i += 4 {
		j := bytes.Index(b[i:], []byte("PK\x01\x02"))
		if j < 0 {
			return b
		}
		i += j
		binary.LittleEndian.PutUint32(b[i+42:], 0)
	}
}

// FuzzExtractBundle: no zip makes the extractor panic or write outside
// its folder.
func FuzzExtractBundle(f *testing.F) {
	f.Add(buildZip(f, zipEntry{name: "osv/GO-2099-0001.json", data: readFixture(f, "osv/testdata/GO-2099-0001.json")}))
	f.Add(buildZip(f, zipEntry{name: "../x.json", data: []byte("{}")}))
	f.Add(buildZip(f, zipEntry{name: "a/b/c.csv", data: readFixture(f, "nvd/testdata/CVE-2099-1000.json")}, zipEntry{name: "a/", data: nil}))
	f.Fuzz(func(t *testing.T, data []byte) {
		root := t.TempDir()
		dir := filepath.Join(root, "out")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		files, err := extractBytes(data, dir)
		if err != nil {
			return
		}
		for _, fp := range files {
			if rel, err := filepath.Rel(dir, fp); err != nil || !filepath.IsLocal(rel) {
				t.Fatalf("wrote %s outside %s", fp, dir)
			}
		}
	})
}
