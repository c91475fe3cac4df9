package nvd

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/fuzzseed"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/vuln"
)

func readAll(data []byte, name string, v11 bool) ([]*vuln.Advisory, error) {
	var out []*vuln.Advisory
	fn := func(a *vuln.Advisory) error { out = append(out, a); return nil }
	if v11 {
		return out, Read11(bytes.NewReader(data), name, fn)
	}
	return out, Read(bytes.NewReader(data), name, fn)
}

func TestReadForms(t *testing.T) {
	rec, err := os.ReadFile(filepath.Join("testdata", "CVE-2099-1000.json"))
	if err != nil {
		t.Fatal(err)
	}
	page := []byte(`{"resultsPerPage":2,"startIndex":0,"totalResults":2,"format":"NVD_CVE","version":"2.0","vulnerabilities":[{"cve":` + string(rec) + `},{"cve":` + strings.Replace(string(rec), "CVE-2099-1000", "CVE-2099-1002", 1) + `}]}`)
	wrapped := []byte(`{"cve":` + string(rec) + `}`)
	for _, tc := range []struct {
		name string
		data []byte
		n    int
	}{{"bare", rec, 1}, {"wrapped", wrapped, 1}, {"page", page, 2}} {
		got, err := readAll(tc.data, tc.name, false)
		if err != nil || len(got) != tc.n {
			t.Fatalf("%s: %d records, %v", tc.name, len(got), err)
		}
		a := got[0]
		if a.ID != "CVE-2099-1000" || a.KEV == nil || a.KEV.DueDate.Day() != 22 || a.CWEs[0] != "CWE-78" || len(a.Severity) != 2 || a.Severity[0].Version != "3.1" {
			t.Errorf("%s: %+v", tc.name, a)
		}
		if c := a.Configurations[0]; c.Operator != "AND" || len(c.Nodes) != 2 || c.Nodes[0].Matches[0].VersionEndExcluding != "1.4.2" {
			t.Errorf("%s: configuration %+v", tc.name, c)
		}
	}
}

// TestRunningOnBoundaries matches fixture firmware records across their
// version edges and with and without the hardware platform.
func TestRunningOnBoundaries(t *testing.T) {
	rec, _ := os.ReadFile(filepath.Join("testdata", "CVE-2099-1000.json"))
	feed, _ := os.ReadFile(filepath.Join("testdata", "feed-1.1.json"))
	a1, err := readAll(rec, "rec", false)
	if err != nil {
		t.Fatal(err)
	}
	a2, err := readAll(feed, "feed", true)
	if err != nil {
		t.Fatal(err)
	}
	m := vuln.NewMatcher([]vuln.Advisory{*a1[0], *a2[0]}, vuln.MatcherOptions{})
	fw := func(product, v string) inventory.Component {
		return inventory.Component{Name: product, Version: v, CPEs: []string{"cpe:2.3:o:example:" + product + ":" + v + ":*:*:*:*:*:*:*"}}
	}
	hw := func(product string) inventory.Component {
		return inventory.Component{Name: product, CPEs: []string{"cpe:2.3:h:example:" + product + ":-:*:*:*:*:*:*:*"}}
	}
	tests := []struct {
		name  string
		comps []inventory.Component
		want  string
	}{
		{"start including edge", []inventory.Component{fw("ex-100_firmware", "1.0"), hw("ex-100")}, "CVE-2099-1000"},
		{"below start", []inventory.Component{fw("ex-100_firmware", "0.9"), hw("ex-100")}, ""},
		{"just below end excluding", []inventory.Component{fw("ex-100_firmware", "1.4.1"), hw("ex-100")}, "CVE-2099-1000"},
		{"end excluding edge", []inventory.Component{fw("ex-100_firmware", "1.4.2"), hw("ex-100")}, ""},
		{"other hardware, firmware name implies ex-100", []inventory.Component{fw("ex-100_firmware", "1.2"), hw("ex-300")}, "CVE-2099-1000"},
		{"1.1 feed AND node exact version", []inventory.Component{fw("ex-200_firmware", "2.0.1"), hw("ex-200")}, "CVE-2099-1001"},
		{"1.1 feed other version", []inventory.Component{fw("ex-200_firmware", "2.0.2"), hw("ex-200")}, ""},
	}
	for _, tt := range tests {
		got := m.Match(tt.comps, nil)
		var ids []string
		for _, g := range got {
			ids = append(ids, g.Advisory.ID)
		}
		if strings.Join(ids, ",") != tt.want {
			t.Errorf("%s: got %v, want %s", tt.name, ids, tt.want)
		}
	}
}

func TestReadErrors(t *testing.T) {
	tests := []struct{ in, field string }{
		{`{"vulnerabilities":[{"cve":{"id":"CVE-1-1","published":"x"}}]}`, "vulnerabilities[0].cve.published"},
		{`{"vulnerabilities":[{"nope":1}]}`, "vulnerabilities[0].cve"},
		{`{"vulnerabilities":[{"cve":{"id":"CVE-1-1"}},`, "vulnerabilities[1]"},
		{`{"id":"X-1"}`, "id"},
		{`{"id":"CVE-1-1","configurations":[{"nodes":[{"cpeMatch":[{"criteria":"cpe:/a:x:y"}]}]}]}`, "configurations[0].nodes[0].cpeMatch[0].criteria"},
		{`{"id":"CVE-1-1","metrics":{"cvssMetricV31":[{"cvssData":{"vectorString":"CVSS:3.1/AV:Q"}}]}}`, "metrics.cvssMetricV31[0].cvssData.vectorString"},
	}
	for _, tt := range tests {
		_, err := readAll([]byte(tt.in), "in.json", false)
		var pe *vuln.ParseError
		if !errors.As(err, &pe) || pe.Field != tt.field {
			t.Errorf("%s: got %v, want field %s", tt.in, err, tt.field)
		}
	}
	if _, err := readAll([]byte(`{"CVE_Items":[{"cve":{"CVE_data_meta":{"ID":"nope"}}}]}`), "f.json", true); err == nil || !strings.Contains(err.Error(), "CVE_Items[0].cve.CVE_data_meta.ID") {
		t.Errorf("1.1 bad id: %v", err)
	}
}

func FuzzRead(f *testing.F) {
	fuzzseed.Files(f, "testdata/CVE-2099-1000.json", "testdata/feed-1.1.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		var advs []vuln.Advisory
		fn := func(a *vuln.Advisory) error { advs = append(advs, *a); return nil }
		_ = Read(bytes.NewReader(data), "fuzz", fn)
		_ = Read11(bytes.NewReader(data), "fuzz", fn)
		m := vuln.NewMatcher(advs, vuln.MatcherOptions{})
		m.Match([]inventory.Component{{Name: "busybox", Version: "1.0"}, {Name: "x", CPEs: []string{"cpe:2.3:o:example:ex-100_firmware:1.2:*:*:*:*:*:*:*"}}}, nil)
	})
}

// TestCVETagsAndV4 reads an API 2.0 record (NVD CVE API 2.0 schema) with
// cveTags "disputed" and a cvssMetricV40 from its CNA. Before, the tags
// were dropped; merged with a CVE 5 record, they stay once.
func TestCVETagsAndV4(t *testing.T) {
	rec := `{"id":"CVE-2099-1100","sourceIdentifier":"cve@mitre.org","published":"2099-01-01T00:00:00.000","lastModified":"2099-01-02T00:00:00.000","vulnStatus":"Deferred",
"cveTags":[{"sourceIdentifier":"cve@mitre.org","tags":["disputed"]},{"sourceIdentifier":"security@example.com","tags":["disputed","unsupported-when-assigned"]}],
"descriptions":[{"lang":"en","value":"** DISPUTED ** A flaw."}],
"metrics":{"cvssMetricV40":[{"source":"security@example.com","type":"Secondary","cvssData":{"version":"4.0","vectorString":"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N","baseScore":9.3}}]},
"references":[]}`
	out, err := readAll([]byte(rec), "CVE-2099-1100.json", false)
	if err != nil {
		t.Fatal(err)
	}
	a := out[0]
	if strings.Join(a.Tags, ",") != "disputed,unsupported-when-assigned" || !a.Withdrawn.IsZero() {
		t.Errorf("tags %v withdrawn %v", a.Tags, a.Withdrawn)
	}
	if len(a.Severity) != 1 || a.Severity[0].Version != "4.0" || a.Severity[0].Score != 9.3 {
		t.Errorf("severity %+v", a.Severity)
	}
	m := vuln.Merge([]vuln.Advisory{*a, {ID: "CVE-2099-1100", Sources: []vuln.Source{vuln.SourceCVE5}, Tags: []string{"disputed"}}})
	if len(m) != 1 || strings.Join(m[0].Tags, ",") != "disputed,unsupported-when-assigned" {
		t.Errorf("merged %+v", m)
	}
}
