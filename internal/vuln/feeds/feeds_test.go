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
		{"exploitedvulnerabilities.json", `[{"id":"EUVD-2025-1","enisaUuid":"u","exploitedSince":"Apr 9, 2025, 12:00:00 AM"}]`, FormatEUVD},
		{"search.json", `{"items":[{"id":"EUVD-2025-1","aliases":"CVE-2025-1\n","exploitedSince":"x"}],"total":1}`, FormatEUVD},
		{"cert-sa-2026-1.json", `{"document":{"category":"csaf_security_advisory","csaf_version":"2.0"},"vulnerabilities":[{"cve":"CVE-1"}]}`, FormatCSAF},
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

// TestLoadExploitationReports: an EUVD list and a CSAF advisory mark the
// advisory of their CVE (found through its alias) as exploited, once per
// source and reference, next to the KEV entry.
func TestLoadExploitationReports(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"GHSA-35jh-r3h4-6jhm.json": `{"id":"GHSA-35jh-r3h4-6jhm","aliases":["CVE-2021-23337"],"modified":"2024-01-01T00:00:00Z",
			"affected":[{"package":{"ecosystem":"npm","name":"lodash"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"4.17.21"}]}]}]}`,
		"exploitedvulnerabilities.json": `[{"id":"EUVD-2026-1","aliases":"CVE-2021-23337\n","exploitedSince":"Sep 12, 2026, 12:00:00 AM"},
			{"id":"EUVD-2026-1","aliases":"CVE-2021-23337\n","exploitedSince":"Sep 12, 2026, 12:00:00 AM"}]`,
		"advisory.json": `{"document":{"csaf_version":"2.0","publisher":{"name":"CERT"},"tracking":{"id":"CERT-1"}},
			"vulnerabilities":[{"cve":"CVE-2021-23337","threats":[{"category":"exploit_status","details":"Exploited:Yes"}]}]}`,
	}
	for n, c := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(c), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	d, err := Load(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if d.Files[FormatEUVD] != 1 || d.Files[FormatCSAF] != 1 || len(d.Advisories) != 1 {
		t.Fatalf("files %v, %d advisories", d.Files, len(d.Advisories))
	}
	ex := d.Advisories[0].Exploited
	if len(ex) != 2 || ex[0].Source == ex[1].Source {
		t.Fatalf("want one EUVD and one CSAF report, got %+v", ex)
	}
}

// TestKEVCatalogOverRecordListing loads a CVE 5 record whose CISA-ADP
// container lists it in KEV (date only) with the KEV catalog: the catalog's
// entry, with its ransomware use and vendor, is the one kept. Before, the
// record's date-only listing won and knownRansomwareCampaignUse was lost.
func TestKEVCatalogOverRecordListing(t *testing.T) {
	dir := t.TempDir()
	// The KEV catalog's JSON form (CISA's known_exploited_vulnerabilities_schema.json).
	catalog := `{"title":"CISA Catalog of Known Exploited Vulnerabilities","catalogVersion":"2099.01.03","dateReleased":"2099-01-03T00:00:00.000Z","count":1,
"vulnerabilities":[{"cveID":"CVE-2099-2001","vendorProject":"Example","product":"exampled","vulnerabilityName":"Example exampled Heap Overflow",
"dateAdded":"2099-01-03","shortDescription":"x","requiredAction":"Apply updates.","dueDate":"2099-01-24","knownRansomwareCampaignUse":"Known","notes":"","cwes":["CWE-122"]}]}`
	if err := os.WriteFile(filepath.Join(dir, "kev.json"), []byte(catalog), 0o600); err != nil {
		t.Fatal(err)
	}
	d, err := Load(context.Background(), filepath.Join("cve5", "testdata", "CVE-2099-2001.json"), filepath.Join(dir, "kev.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Advisories) != 1 || d.Advisories[0].KEV == nil {
		t.Fatalf("advisories = %+v", d.Advisories)
	}
	if k := d.Advisories[0].KEV; k.RansomwareUse != "Known" || k.VendorProject != "Example" || k.DueDate.IsZero() {
		t.Errorf("KEV = %+v, want the catalog's entry", k)
	}
	if cwes := d.Advisories[0].CWEs; len(cwes) != 1 || cwes[0] != "CWE-122" {
		t.Errorf("CWEs %v, want the catalog's CWE-122 (the record names none)", cwes)
	}
}
