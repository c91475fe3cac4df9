package feeds

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/corpustest"
	"github.com/rampart-security/rampart/internal/vuln"
)

func TestDetect(t *testing.T) {
	tests := []struct {
		name, head string
		want       Format
	}{
		{"GO-2024-1.json", `{"schema_version":"1.3.1","id":"GO-2024-1","modified":"x"}`, FormatOSV},
		{"PYSEC-1.yaml", `id: PYSEC-1`, FormatOSV},
		{"CVE-2022-1.json", `{"id":"CVE-2022-1","sourceIdentifier":"cve@mitre.org"}`, FormatNVD},
		{"page.json", `{"resultsPerPage":2000,"startIndex":0,"format":"NVD_CVE","vulnerabilities":[]}`, FormatNVD},
		{"nvdcve-1.1-2020.json", `{"CVE_data_type":"CVE","CVE_Items":[]}`, FormatNVD11},
		{"CVE-2024-1.json", `{"dataType":"CVE_RECORD","cveMetadata":{}}`, FormatCVE5},
		{"kev.json", `{"title":"CISA Catalog","catalogVersion":"2025.08.25"}`, FormatKEV},
		{"kev.csv", "cveID,vendorProject,product", FormatKEV},
		{"epss.csv.gz", "\x1f\x8b", FormatEPSS},
		{"x.json", `[1,2]`, FormatUnknown},
	}
	for _, tt := range tests {
		if got := Detect(tt.name, []byte(tt.head)); got != tt.want {
			t.Errorf("Detect(%s) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestCorpusLoad loads corpus feeds of every kind through the dispatcher and
// checks enrichment and merging happen.
func TestCorpusLoad(t *testing.T) {
	nvdDir := corpustest.Dir(t, "nvd", "api-2.0-records")
	kevFile := corpustest.Dir(t, "kev", "known_exploited_vulnerabilities.json")
	epssFile := corpustest.Dir(t, "epss", "epss_scores-2026-09-29-first99rows.csv")
	cve5Dir := corpustest.Dir(t, "nvd", "cve5", "cisagov-vulnrichment", "2022")
	d, err := Load(context.Background(), nvdDir, cve5Dir, kevFile, epssFile)
	if err != nil {
		t.Fatal(err)
	}
	if d.Files[FormatNVD] != 9 || d.Files[FormatKEV] != 1 || d.Files[FormatEPSS] != 1 || d.Files[FormatCVE5] == 0 {
		t.Errorf("files per format: %v", d.Files)
	}
	var busybox *vuln.Advisory
	for i := range d.Advisories {
		if d.Advisories[i].ID == "CVE-2022-48174" {
			busybox = &d.Advisories[i]
		}
	}
	if busybox == nil || len(busybox.Configurations) == 0 {
		t.Fatalf("CVE-2022-48174 missing or without configurations: %+v", busybox)
	}
}

func TestLoadErrorsNameTheFile(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "GO-2099-0001.json")
	os.WriteFile(bad, []byte(`{"id":"GO-2099-0001","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"Go","name":"x"},"ranges":[{"type":"SEMVER","events":[{"fixed":"1.0.0"}]}]}]}`), 0o644)
	_, err := Load(context.Background(), dir)
	var pe *vuln.ParseError
	if !errors.As(err, &pe) || pe.File != bad || pe.Field != "affected[0].ranges[0].events" {
		t.Fatalf("got %v", err)
	}
	trunc := filepath.Join(dir, "CVE-2099-1.json")
	os.Remove(bad)
	os.WriteFile(trunc, []byte(`{"resultsPerPage":1,"vulnerabilities":[{"cve":{"id":"CVE-2099-1"`), 0o644)
	if _, err := Load(context.Background(), dir); !errors.As(err, &pe) || pe.File != trunc {
		t.Fatalf("truncated page: got %v", err)
	}
}

// TestLoadSkipsNonFeedsInFolders: a folder with a JSON Schema and an
// unrecognised file beside real records imports the records and lists the
// other files as skipped; the same schema given by name is refused.
func TestLoadSkipsNonFeedsInFolders(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "GO-2099-0002.json"), []byte(`{"id":"GO-2099-0002","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"Go","name":"example.com/x"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.0.0"}]}]}]}`), 0o644)
	schema := filepath.Join(dir, "osv-schema.json")
	os.WriteFile(schema, []byte(`{"$schema":"http://json-schema.org/draft-07/schema#","id":"https://osv.dev/schema","title":"OSV","type":"object","properties":{"id":{"type":"string"}}}`), 0o644)
	os.WriteFile(filepath.Join(dir, "notes.json"), []byte(`{"hello":"world"}`), 0o644)
	d, err := Load(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Advisories) != 1 || len(d.Skipped) != 2 || !strings.Contains(strings.Join(d.Skipped, "\n"), "JSON Schema") {
		t.Errorf("advisories %d, skipped %q", len(d.Advisories), d.Skipped)
	}
	if _, err := Load(context.Background(), schema); !errors.Is(err, ErrNotFeed) {
		t.Errorf("schema by name: %v", err)
	}
}

// TestGzipBombRefused: a .json.gz that expands far beyond what feeds do
// is refused with the file named, and nothing is loaded.
func TestGzipBombRefused(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "nvdcve-2.0-bomb.json.gz")
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(`{"resultsPerPage":1,"format":"NVD_CVE","vulnerabilities":[`))
	zeros := make([]byte, 1<<20)
	for range 80 { // 80 MiB of spaces compress to ~80 KiB: a ratio of 1000
		for i := range zeros {
			zeros[i] = ' '
		}
		zw.Write(zeros)
	}
	zw.Close()
	os.WriteFile(p, buf.Bytes(), 0o644)
	d, err := Load(context.Background(), p)
	if err == nil || !strings.Contains(err.Error(), p+": decompresses beyond the allowed size") || d != nil {
		t.Fatalf("got %v", err)
	}
}
