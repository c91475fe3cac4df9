package csaf

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/fuzzseed"
	"github.com/rampart-security/rampart/internal/vuln"
)

func readFile(t *testing.T, name string) map[string]vuln.Exploitation {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]vuln.Exploitation{}
	if err := Read(bytes.NewReader(data), name, func(c string, x vuln.Exploitation) error { got[c] = x; return nil }); err != nil {
		t.Fatal(err)
	}
	return got
}

func TestExploitStatusThreat(t *testing.T) {
	got := readFile(t, "exploited.json")
	if len(got) != 1 {
		t.Fatalf("only CVE-2021-23337 is exploited (the others: 'Exploited:No', a remediation only), got %v", got)
	}
	x := got["CVE-2021-23337"]
	if x.Source != vuln.SourceCSAF || x.Reference != "EXCERT-SA-2026-0042" || x.Publisher != "Example CERT" ||
		!x.Since.Equal(time.Date(2026, 9, 14, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("got %+v", x)
	}
}

func TestSSVCAndMicrosoftStyle(t *testing.T) {
	got := readFile(t, "ssvc-2.1.json")
	if x, ok := got["CVE-2026-3333"]; !ok || x.Since.Format(time.RFC3339) != "2026-10-01T12:00:00Z" {
		t.Errorf("SSVC Exploitation: active not read: %+v", got)
	}
	if x, ok := got["CVE-2026-4444"]; !ok || !x.Since.Equal(time.Date(2026, 10, 2, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("Exploited:Yes not read (or no fallback date): %+v", got)
	}
}

func TestExploited(t *testing.T) {
	for details, want := range map[string]bool{
		"Exploited:Yes": true,
		"Publicly Disclosed:No;Exploited:No;Latest Software Release:Exploitation More Likely": false,
		"Exploitation: active":                        true,
		"Exploitation: PoC":                           false,
		"Actively exploited":                          true,
		"CISA reports exploitation in the wild":       true,
		"No known exploitation":                       false,
		"Proof of concept code is publicly available": false,
		"The vulnerability is not actively exploited": false,
		"": false,
	} {
		if got := Exploited(details); got != want {
			t.Errorf("Exploited(%q) = %v, want %v", details, got, want)
		}
	}
}

func TestReadErrors(t *testing.T) {
	for _, tc := range []struct{ in, field string }{
		{`{"document":{"title":"x"}}`, "document.csaf_version"},
		{`{"document":{"csaf_version":"1.2","tracking":{"id":"A"}}}`, "document.csaf_version"},
		{`{"document":{"csaf_version":"2.0","tracking":{}}}`, "document.tracking.id"},
		{`{"document":{"csaf_version":"2.0","tracking":{"id":"A"}},"vulnerabilities":[{"cve":"X-1"}]}`, "vulnerabilities[0].cve"},
		{`{"document":{"csaf_version":"2.0","tracking":{"id":"A"}},"vulnerabilities":[{"cve":7}]}`, "vulnerabilities.cve"},
		{`{"document":`, ""},
	} {
		err := Read(bytes.NewReader([]byte(tc.in)), "a.json", func(string, vuln.Exploitation) error { return nil })
		var pe *vuln.ParseError
		if !errors.As(err, &pe) || pe.Field != tc.field {
			t.Errorf("%s: want ParseError on field %q, got %v", tc.in, tc.field, err)
		}
	}
}

func FuzzRead(f *testing.F) {
	fuzzseed.Files(f, "testdata/exploited.json", "testdata/ssvc-2.1.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = Read(bytes.NewReader(data), "fuzz.json", func(string, vuln.Exploitation) error { return nil })
		_ = Exploited(string(data))
	})
}

// TestExploitationNote reads an advisory that states exploitation only in
// a note (Cisco's "Exploitation and Public Announcements"). Before, such
// advisories never reported exploitation. A vulnerability's own note and
// an exploit_status threat speak for it over the document's note, and
// a document note naming CVE ids speaks for those only.
func TestExploitationNote(t *testing.T) {
	got := readFile(t, "notes-exploitation.json")
	if len(got) != 1 {
		t.Fatalf("want CVE-2099-5001 only, got %v", got)
	}
	x, ok := got["CVE-2099-5001"]
	if !ok || x.Publisher != "Example Networks" || !x.Since.Equal(time.Date(2099, 3, 2, 16, 0, 0, 0, time.UTC)) {
		t.Errorf("got %+v", got)
	}
	if !Exploited("The Cisco PSIRT is aware of attempted exploitation of this vulnerability.") {
		t.Error("attempted exploitation is exploitation")
	}
	if Exploited("The Cisco PSIRT is not aware of any attempted exploitation of this vulnerability.") {
		t.Error("a denial of attempted exploitation is not")
	}
}

// TestManyVulnerabilitiesOneNote: the document's exploitation note is read
// once, not once per vulnerability: 20,000 vulnerabilities under a note of
// 20,000 CVE ids (about 3 MB) read in well under a second (per-vulnerability
// reading was 20,000 scans of the note).
func TestManyVulnerabilitiesOneNote(t *testing.T) {
	const n = 20000
	var ids, vulns []string
	for i := range n {
		ids = append(ids, fmt.Sprintf("CVE-2099-%05d", i))
		vulns = append(vulns, fmt.Sprintf(`{"cve":"CVE-2099-%05d"}`, i))
	}
	doc := `{"document":{"csaf_version":"2.0","publisher":{"name":"P"},"tracking":{"id":"T"},"notes":[{"title":"Exploitation and Public Announcements",` +
		`"text":"The PSIRT is aware of attempted exploitation of ` + strings.Join(ids, ", ") + `."}]},"vulnerabilities":[` + strings.Join(vulns, ",") + `]}`
	start := time.Now()
	got := 0
	if err := Read(strings.NewReader(doc), "big.json", func(string, vuln.Exploitation) error { got++; return nil }); err != nil {
		t.Fatal(err)
	}
	if got != n {
		t.Errorf("%d exploited, want %d", got, n)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}
