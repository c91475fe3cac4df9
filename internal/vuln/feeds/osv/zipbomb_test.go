package osv

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/vuln"
)

// bigRecord is a valid OSV record of about size bytes (its details are
// one long run of a letter, which deflate shrinks a thousand times).
func bigRecord(id string, size int) []byte {
	return fmt.Appendf(nil, `{"id":%q,"modified":"2024-05-01T00:00:00Z","details":"%s"}`, id, strings.Repeat("a", size))
}

// overlappingZip is the overlapping-entry zip bomb: one deflate stream of
// data and n central-directory entries (distinct names) pointing at it.
func overlappingZip(data []byte, n int) []byte {
	var comp bytes.Buffer
	fw, _ := flate.NewWriter(&comp, flate.BestCompression)
	fw.Write(data)
	fw.Close()
	crc := crc32.ChecksumIEEE(data)
	le := binary.LittleEndian
	var b []byte
	b = le.AppendUint32(b, 0x04034b50) // local file header
	b = le.AppendUint16(b, 20)
	b = le.AppendUint16(b, 0)
	b = le.AppendUint16(b, 8) // deflate
	b = le.AppendUint32(b, 0)
	b = le.AppendUint32(b, crc)
	b = le.AppendUint32(b, uint32(comp.Len()))
	b = le.AppendUint32(b, uint32(len(data)))
	b = le.AppendUint16(b, 6)
	b = le.AppendUint16(b, 0)
	b = append(b, "a.json"...)
	b = append(b, comp.Bytes()...)
	cdStart := len(b)
	for i := range n {
		name := fmt.Sprintf("r%05d.json", i)
		b = le.AppendUint32(b, 0x02014b50) // central directory header
		b = le.AppendUint16(b, 20)
		b = le.AppendUint16(b, 20)
		b = le.AppendUint16(b, 0)
		b = le.AppendUint16(b, 8)
		b = le.AppendUint32(b, 0)
		b = le.AppendUint32(b, crc)
		b = le.AppendUint32(b, uint32(comp.Len()))
		b = le.AppendUint32(b, uint32(len(data)))
		b = le.AppendUint16(b, uint16(len(name)))
		b = append(b, make([]byte, 12)...) // extra, comment, disk, attributes
		b = le.AppendUint32(b, 0)          // the one local header
		b = append(b, name...)
	}
	cdSize := len(b) - cdStart
	b = le.AppendUint32(b, 0x06054b50)
	b = le.AppendUint32(b, 0)
	b = le.AppendUint16(b, uint16(n))
	b = le.AppendUint16(b, uint16(n))
	b = le.AppendUint32(b, uint32(cdSize))
	b = le.AppendUint32(b, uint32(cdStart))
	b = le.AppendUint16(b, 0)
	return b
}

func readZipBytes(t *testing.T, b []byte) (int, uint64, error) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	n := 0
	err = ReadZip(context.Background(), zr, "all.zip", func(*vuln.Advisory) error { n++; return nil })
	runtime.ReadMemStats(&after)
	return n, after.TotalAlloc - before.TotalAlloc, err
}

// TestZipBombsBounded: a 16 KB zip of 200 entries sharing one 4 MiB
// record (800 MiB of JSON decoded: 4,000 MiB allocated and about 25 s
// before vuln.ZipBudget) is refused before any record is read; an 85 KB
// zip of 20 distinct 4 MiB records (4 KB each compressed) stops at the
// archive's budget of 64 MiB instead of decoding all 80 MiB.
func TestZipBombsBounded(t *testing.T) {
	bomb := overlappingZip(bigRecord("GHSA-bomb", 4<<20), 200)
	n, alloc, err := readZipBytes(t, bomb)
	t.Logf("bomb %d bytes: %d records, %d MiB, %v", len(bomb), n, alloc>>20, err)
	if !errors.Is(err, vuln.ErrDecompressionBomb) || n != 0 || !strings.Contains(err.Error(), "all.zip") {
		t.Errorf("overlapping entries (%d bytes): %d records, %v; want ErrDecompressionBomb naming all.zip", len(bomb), n, err)
	}
	if alloc > 16<<20 {
		t.Errorf("overlapping entries: allocated %d MiB, want < 16", alloc>>20)
	}

	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := range 20 {
		w, _ := zw.Create(fmt.Sprintf("GHSA-%02d.json", i))
		w.Write(bigRecord(fmt.Sprintf("GHSA-%02d", i), 4<<20))
	}
	zw.Close()
	n, alloc, err = readZipBytes(t, buf.Bytes())
	t.Logf("distinct %d bytes: %d records, %d MiB, %v", buf.Len(), n, alloc>>20, err)
	if !errors.Is(err, vuln.ErrDecompressionBomb) || n >= 16 || !strings.Contains(err.Error(), "64 MiB in all") {
		t.Errorf("20 records of 4 MiB in %d bytes: %d read, %v; want ErrDecompressionBomb at 64 MiB", buf.Len(), n, err)
	}
}

// FuzzReadZip: no archive makes ReadZip panic; the seeds are a valid
// archive of the two fixtures and an overlapping one.
func FuzzReadZip(f *testing.F) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range []string{"GO-2099-0001.json", "PYSEC-2099-1.yaml"} {
		data, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			f.Fatal(err)
		}
		w, _ := zw.Create(n)
		w.Write(data)
	}
	zw.Close()
	f.Add(buf.Bytes())
	f.Add(overlappingZip(bigRecord("GHSA-x", 100), 3))
	f.Fuzz(func(t *testing.T, b []byte) {
		zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		_ = ReadZip(context.Background(), zr, "all.zip", func(*vuln.Advisory) error { return nil })
	})
}
