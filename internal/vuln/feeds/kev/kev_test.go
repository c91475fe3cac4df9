package kev

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/corpustest"
	"github.com/rampart-security/rampart/internal/vuln"
)

func TestCorpusKEV(t *testing.T) {
	dir := corpustest.Dir(t, "kev")
	got := map[string]map[string]vuln.KEV{}
	for _, tc := range []struct {
		file string
		read func(f *os.File, name string, fn func(string, vuln.KEV) error) error
	}{
		{"known_exploited_vulnerabilities.json", func(f *os.File, n string, fn func(string, vuln.KEV) error) error { return Read(f, n, fn) }},
		{"known_exploited_vulnerabilities.csv", func(f *os.File, n string, fn func(string, vuln.KEV) error) error { return ReadCSV(f, n, fn) }},
	} {
		f, err := os.Open(filepath.Join(dir, tc.file))
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]vuln.KEV{}
		if err := tc.read(f, tc.file, func(id string, k vuln.KEV) error { m[id] = k; return nil }); err != nil {
			t.Fatal(err)
		}
		f.Close()
		got[tc.file] = m
		if len(m) != 1404 {
			t.Errorf("%s: %d entries, want 1404", tc.file, len(m))
		}
	}
	j, c := got["known_exploited_vulnerabilities.json"], got["known_exploited_vulnerabilities.csv"]
	for id, k := range j {
		if !reflect.DeepEqual(c[id], k) {
			t.Errorf("%s: JSON %+v != CSV %+v", id, k, c[id])
			break
		}
	}
	k := j["CVE-2025-48384"]
	if k.DateAdded.Format("2006-01-02") != "2025-08-25" || k.DueDate.Format("2006-01-02") != "2025-09-15" || k.RansomwareUse != "Unknown" {
		t.Errorf("CVE-2025-48384: %+v", k)
	}
	// The catalog's cwes (a JSON array; "CWE-59, CWE-436" in the CSV):
	// before, they were not read.
	if strings.Join(k.CWEs, " ") != "CWE-59 CWE-436" {
		t.Errorf("CVE-2025-48384 CWEs %q", k.CWEs)
	}
}

func TestKEVErrors(t *testing.T) {
	tests := []struct{ in, field string }{
		{`{"vulnerabilities":[{"cveID":"CVE-1-1","dateAdded":"2024-13-01"}]}`, "vulnerabilities[0].dateAdded"},
		{`{"vulnerabilities":[{"cveID":"X","dateAdded":"2024-01-01"}]}`, "vulnerabilities[0].cveID"},
		{`{"vulnerabilities":[{"cveID":"CVE-1-1","dateAdded":"2024-01-01"},`, "vulnerabilities[1]"},
		{`{"title":"no list"}`, "vulnerabilities"},
		{`{"vulnerabilities":[{"cveID":7}]}`, "vulnerabilities[0].cveID"},
		{`{"vulnerabilities":[{"cveID":"CVE-1-1","dateAdded":"2024-01-01","cwes":["CWE-79","XSS"]}]}`, "vulnerabilities[0].cwes[1]"},
	}
	for _, tt := range tests {
		err := Read(strings.NewReader(tt.in), "kev.json", func(string, vuln.KEV) error { return nil })
		var pe *vuln.ParseError
		if !errors.As(err, &pe) || pe.Field != tt.field || pe.File != "kev.json" {
			t.Errorf("%s: got %v, want field %s", tt.in, err, tt.field)
		}
	}
}

func FuzzRead(f *testing.F) {
	f.Add([]byte(`{"vulnerabilities":[{"cveID":"CVE-2024-1","dateAdded":"2024-01-01","dueDate":"2024-01-22"}]}`))
	f.Add([]byte(`{"vulnerabilities":[`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = Read(strings.NewReader(string(b)), "fuzz", func(string, vuln.KEV) error { return nil })
		_ = ReadCSV(strings.NewReader(string(b)), "fuzz", func(string, vuln.KEV) error { return nil })
	})
}

// TestManyCWEs: an entry's cwes are de-duplicated in linear time (a
// hostile entry of 100,000 ids was 10^10 comparisons with a list scan).
func TestManyCWEs(t *testing.T) {
	var cwes []string
	for i := range 100000 {
		cwes = append(cwes, fmt.Sprintf(`"CWE-%d"`, i%60000))
	}
	in := `{"vulnerabilities":[{"cveID":"CVE-2099-1","dateAdded":"2099-01-01","cwes":[` + strings.Join(cwes, ",") + `]}]}`
	start := time.Now()
	var got vuln.KEV
	if err := Read(strings.NewReader(in), "kev.json", func(_ string, k vuln.KEV) error { got = k; return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got.CWEs) != 60000 || got.CWEs[0] != "CWE-0" || got.CWEs[59999] != "CWE-59999" {
		t.Errorf("%d CWEs", len(got.CWEs))
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}
