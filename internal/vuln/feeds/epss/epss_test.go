package epss

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/corpustest"
	"github.com/rampart-security/rampart/internal/vuln"
)

func TestCorpusEPSS(t *testing.T) {
	dir := corpustest.Dir(t, "epss")
	fixtures := filepath.Join(dir, "vunnel-fixtures", "tests", "unit", "providers", "epss", "test-fixtures")
	tests := []struct {
		path  string
		n     int
		field string // for bad files
	}{
		{filepath.Join(dir, "epss_scores-2026-09-29-first99rows.csv"), 99, ""},
		{filepath.Join(fixtures, "example-1.csv"), 5, ""},
		{filepath.Join(fixtures, "invalid-header.csv"), 0, "line 2 header"},
		{filepath.Join(fixtures, "missing-date.csv"), 0, "line 1 score_date"},
	}
	for _, tt := range tests {
		data, err := os.ReadFile(tt.path)
		if err != nil {
			t.Fatal(err)
		}
		for _, gz := range []bool{false, true} {
			in := data
			if gz {
				var b bytes.Buffer
				w := gzip.NewWriter(&b)
				w.Write(data)
				w.Close()
				in = b.Bytes()
			}
			n := 0
			var first vuln.EPSS
			err := Read(bytes.NewReader(in), tt.path, func(id string, e vuln.EPSS) error {
				if n == 0 {
					first = e
				}
				n++
				return nil
			})
			if tt.field != "" {
				var pe *vuln.ParseError
				if !errors.As(err, &pe) || pe.Field != tt.field {
					t.Errorf("%s: got %v, want error in %s", tt.path, err, tt.field)
				}
				continue
			}
			if err != nil || n != tt.n {
				t.Errorf("%s (gzip %v): %d rows, err %v", tt.path, gz, n, err)
			}
			if first.Date.IsZero() || first.Model == "" || first.Score <= 0 {
				t.Errorf("%s: first row %+v", tt.path, first)
			}
		}
	}
}

func FuzzRead(f *testing.F) {
	f.Add([]byte("#model_version:v2023.03.01,score_date:2025-02-20T00:00:00+0000\ncve,epss,percentile\nCVE-1999-0001,0.00383,0.73075\n"))
	f.Add([]byte("#model_version:v1\ncve,epss,percentile\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = Read(strings.NewReader(string(b)), "fuzz", func(string, vuln.EPSS) error { return nil })
	})
}

// "NaN" parses as a float and passes "v < 0 || v > 1": such a row is an
// error naming its line, like any other value that is no probability.
func TestNotANumber(t *testing.T) {
	for _, tc := range []struct{ row, field string }{
		{"CVE-2024-0001,NaN,0.5", "line 3 epss"},
		{"CVE-2024-0001,0.5,NaN", "line 3 percentile"},
		{"CVE-2024-0001,Inf,0.5", "line 3 epss"},
	} {
		in := "#model_version:v2025.03.14,score_date:2026-09-29T00:00:00+0000\ncve,epss,percentile\n" + tc.row + "\n"
		err := Read(strings.NewReader(in), "epss.csv", func(string, vuln.EPSS) error { return nil })
		var pe *vuln.ParseError
		if !errors.As(err, &pe) || pe.Field != tc.field {
			t.Errorf("%s: got %v, want an error in %s", tc.row, err, tc.field)
		}
	}
}
