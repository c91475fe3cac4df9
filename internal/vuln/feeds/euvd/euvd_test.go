package euvd

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/fuzzseed"
	"github.com/rampart-security/rampart/internal/vuln"
)

func read(t *testing.T, data []byte) (map[string]vuln.Exploitation, error) {
	t.Helper()
	got := map[string]vuln.Exploitation{}
	err := Read(bytes.NewReader(data), "list.json", func(cve string, x vuln.Exploitation) error { got[cve] = x; return nil })
	return got, err
}

// readTestdata reads testdata/name, which must read without error.
func readTestdata(t *testing.T, name string) map[string]vuln.Exploitation {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	got, err := read(t, data)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestReadExploitedList(t *testing.T) {
	got := readTestdata(t, "exploitedvulnerabilities.json")
	if len(got) != 1 {
		t.Fatalf("want one CVE (the entry without a CVE alias is skipped), got %v", got)
	}
	x := got["CVE-2021-23337"]
	if x.Source != vuln.SourceEUVD || x.Reference != "EUVD-2026-10001" || !x.Since.Equal(time.Date(2026, 9, 12, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("entry = %+v", x)
	}
	if !strings.Contains(x.Detail, "EU Vulnerability Database") || !strings.Contains(x.Detail, "Command injection") {
		t.Errorf("detail = %q", x.Detail)
	}
}

func TestReadSearchAnswer(t *testing.T) {
	got := readTestdata(t, "search-exploited.json")
	if x, ok := got["CVE-2026-0001"]; !ok || x.Reference != "EUVD-2026-20001" || x.Since.Format("2006-01-02") != "2026-10-01" {
		t.Errorf("got %+v", got)
	}
}

func TestReadErrorsNameTheField(t *testing.T) {
	for _, tc := range []struct{ in, field string }{
		{`[{"id":"CVE-2026-1","aliases":"CVE-2026-1"}]`, "[0].id"},
		{`[{"id":"EUVD-2026-1","aliases":"CVE-2026-1","exploitedSince":"yesterday"}]`, "[0].exploitedSince"},
		{`{"items":[{"id":"EUVD-1"},{"id":7}]}`, "items[1].id"},
		{`{"total":0}`, "items"},
		{`"x"`, ""},
		{`[{"id":"EUVD-1"}`, ""},
	} {
		_, err := read(t, []byte(tc.in))
		var pe *vuln.ParseError
		if !errors.As(err, &pe) {
			t.Errorf("%s: want a ParseError, got %v", tc.in, err)
			continue
		}
		if tc.field != "" && pe.Field != tc.field {
			t.Errorf("%s: field %q, want %q (%v)", tc.in, pe.Field, tc.field, err)
		}
	}
}

func FuzzRead(f *testing.F) {
	fuzzseed.Files(f, "testdata/exploitedvulnerabilities.json", "testdata/search-exploited.json")
	f.Add([]byte(`{"items":[{"id":"EUVD-1","aliases":"CVE-1\nCVE-1","exploitedSince":""}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = Read(bytes.NewReader(data), "fuzz.json", func(string, vuln.Exploitation) error { return nil })
	})
}
