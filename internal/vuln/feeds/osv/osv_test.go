package osv

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/fuzzseed"
	"github.com/rampart-security/rampart/internal/vuln"
)

func TestParseFixtures(t *testing.T) {
	a, err := readFixture(t, "GO-2099-0001.json")
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != "GO-2099-0001" || len(a.Aliases) != 2 || a.CWEs[0] != "CWE-22" || a.DatabaseSeverity != "HIGH" {
		t.Errorf("got %+v", a)
	}
	if len(a.Severity) != 1 || a.Severity[0].Score != 7.5 || a.Severity[0].Version != "3.1" {
		t.Errorf("severity %+v", a.Severity)
	}
	if r := a.Affected[0].Ranges[0]; r.Type != vuln.RangeSemver || len(r.Events) != 4 || r.Events[3].Fixed != "2.1.1" {
		t.Errorf("range %+v", r)
	}
	y, err := readFixture(t, "PYSEC-2099-1.yaml")
	if err != nil {
		t.Fatal(err)
	}
	af := y.Affected[0]
	if af.Ranges[1].Events[1].Fixed != "1.10" || af.Versions[1] != "1.10rc1" || af.Versions[0] != "1.9" {
		t.Errorf("YAML scalars changed: %+v", af)
	}
	if y.Published.Year() != 2024 {
		t.Errorf("published %v", y.Published)
	}
}

func readFixture(t *testing.T, name string) (*vuln.Advisory, error) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return ParseFile(f, name)
}

func TestParseErrorsNameField(t *testing.T) {
	f, err := os.Open("testdata/bad-cases.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	var lines []string
	for sc.Scan() {
		if l := sc.Text(); l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	for i := 0; i+1 < len(lines); i += 2 {
		field, in := lines[i], lines[i+1]
		_, err := Parse(strings.NewReader(in), "case.json")
		var pe *vuln.ParseError
		if !errors.As(err, &pe) || pe.Field != field || pe.File != "case.json" || !errors.Is(err, vuln.ErrInvalid) {
			t.Errorf("%s: got %v, want error naming %s", in, err, field)
		}
	}
	if _, err := Parse(strings.NewReader(`{"id":"X-1","modified":"2024-01-01T00:00:00Z"`), "t.json"); err == nil || !strings.Contains(err.Error(), "t.json") {
		t.Errorf("truncated JSON: %v", err)
	}
}

func TestReadZipAndFolder(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range []string{"GO-2099-0001.json", "PYSEC-2099-1.yaml"} {
		data, _ := os.ReadFile(filepath.Join("testdata", n))
		w, _ := zw.Create(n)
		w.Write(data)
	}
	zw.Close()
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	if err := ReadZip(context.Background(), zr, "all.zip", func(a *vuln.Advisory) error { ids = append(ids, a.ID); return nil }); err != nil {
		t.Fatal(err)
	}
	if strings.Join(ids, ",") != "GO-2099-0001,PYSEC-2099-1" {
		t.Errorf("zip ids %v", ids)
	}
	ids = nil
	if err := ReadPath(context.Background(), "testdata", func(a *vuln.Advisory) error { ids = append(ids, a.ID); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(ids) != 2 {
		t.Errorf("folder ids %v", ids)
	}
}

func FuzzParse(f *testing.F) {
	fuzzseed.Files(f, "testdata/GO-2099-0001.json", "testdata/PYSEC-2099-1.yaml", "testdata/bad-cases.txt")
	f.Fuzz(func(t *testing.T, data []byte) {
		if a, err := Parse(bytes.NewReader(data), "fuzz.json"); err == nil {
			_ = Lint(a, "fuzz.json")
			_ = a.IndexKeys()
		}
		if a, err := ParseYAML(bytes.NewReader(data), "fuzz.yaml"); err == nil {
			_ = vuln.NewMatcher([]vuln.Advisory{*a}, vuln.MatcherOptions{})
		}
	})
}

// TestUpstream follows the OSV schema (1.6+, "upstream"): the ids a record
// is derived from. A distribution's view of one CVE (UBUNTU-CVE-…) is that
// CVE, an alias; an advisory fixing several CVEs (a Red Hat RHSA, as
// osv-schema's tools/redhat converts it) is related to each but none is
// the same vulnerability. Before, every upstream id was an alias, and
// vuln.Merge folded the two CVEs' own records into one vulnerability.
func TestUpstream(t *testing.T) {
	rhsa := `{"schema_version":"1.6.0","id":"RHSA-2099:0001","modified":"2099-01-02T00:00:00Z","published":"2099-01-02T00:00:00Z",
"upstream":["CVE-2099-1001","CVE-2099-1002"],"related":["CVE-2099-1001"],
"affected":[{"package":{"ecosystem":"Red Hat:enterprise_linux:9::appstream","name":"examplepkg","purl":"pkg:rpm/redhat/examplepkg"},
"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"0:1.2-3.el9"}]}]}]}`
	ubuntu := `{"schema_version":"1.6.0","id":"UBUNTU-CVE-2099-1001","modified":"2099-01-02T00:00:00Z","upstream":["CVE-2099-1001"],
"affected":[{"package":{"ecosystem":"Ubuntu:22.04:LTS","name":"examplepkg"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.2-3ubuntu1"}]}]}]}`
	r, err := Parse(strings.NewReader(rhsa), "RHSA-2099_0001.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Aliases) != 0 || strings.Join(r.Related, ",") != "CVE-2099-1001,CVE-2099-1002" {
		t.Errorf("RHSA aliases %v related %v", r.Aliases, r.Related)
	}
	u, err := Parse(strings.NewReader(ubuntu), "UBUNTU-CVE-2099-1001.json")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(u.Aliases, ",") != "CVE-2099-1001" {
		t.Errorf("Ubuntu aliases %v", u.Aliases)
	}
	merged := vuln.Merge([]vuln.Advisory{*r, *u, {ID: "CVE-2099-1001", Sources: []vuln.Source{vuln.SourceNVD}}, {ID: "CVE-2099-1002", Sources: []vuln.Source{vuln.SourceNVD}}})
	var ids []string
	for _, m := range merged {
		ids = append(ids, m.ID)
	}
	if strings.Join(ids, " ") != "RHSA-2099:0001 CVE-2099-1001 CVE-2099-1002" {
		t.Errorf("merged into %v, want the RHSA, CVE-2099-1001 (with its Ubuntu record) and CVE-2099-1002", ids)
	}
}

// TestUbuntuSeverity follows the OSV schema (1.6+): a severity of type
// "Ubuntu" carries Ubuntu's priority as its score, not a vector. Before, it
// was dropped and a record rated only by Ubuntu had no severity.
func TestUbuntuSeverity(t *testing.T) {
	rec := `{"schema_version":"1.6.0","id":"UBUNTU-CVE-2099-1002","modified":"2099-01-02T00:00:00Z","upstream":["CVE-2099-1002"],
"severity":[{"type":"Ubuntu","score":"high"}],
"affected":[{"package":{"ecosystem":"Ubuntu:Pro:22.04:LTS","name":"examplepkg"},"severity":[{"type":"Ubuntu","score":"medium"}],
"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.2-3ubuntu1"}]}]}]}`
	a, err := Parse(strings.NewReader(rec), "UBUNTU-CVE-2099-1002.json")
	if err != nil {
		t.Fatal(err)
	}
	if a.DatabaseSeverity != "high" || a.Affected[0].Severity != "medium" || len(a.Severity) != 0 {
		t.Errorf("db severity %q, affected severity %q, cvss %v", a.DatabaseSeverity, a.Affected[0].Severity, a.Severity)
	}
	if l, _ := a.Rating(); l != vuln.LevelHigh {
		t.Errorf("rating %v, want high", l)
	}
}

// TestAffectedCWEs reads the CWEs osv-schema's GHSA converter writes per
// affected package (database_specific.cwes, objects with cweId) beside
// osv.dev's top-level database_specific.cwe_ids. Before, only cwe_ids was
// read.
func TestAffectedCWEs(t *testing.T) {
	rec := `{"schema_version":"1.5.0","id":"GHSA-xxxx-yyyy-zzzz","modified":"2099-01-02T00:00:00Z","database_specific":{"cwe_ids":["CWE-79"],"severity":"MODERATE"},
"affected":[{"package":{"ecosystem":"npm","name":"examplepkg"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.2.3"}]}],
"database_specific":{"ghsa":"https://github.com/advisories/GHSA-xxxx-yyyy-zzzz","cwes":[{"cweId":"CWE-338","name":"Use of Cryptographically Weak PRNG"},{"cweId":"CWE-79"}]}},
{"package":{"ecosystem":"npm","name":"otherpkg"},"versions":["1.0.0"],"database_specific":{"cwes":["CWE-20"]}}]}`
	a, err := Parse(strings.NewReader(rec), "GHSA-xxxx-yyyy-zzzz.json")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(a.CWEs, ","); got != "CWE-79,CWE-338,CWE-20" {
		t.Errorf("CWEs %s", got)
	}
	if a.DatabaseSeverity != "MODERATE" {
		t.Errorf("db severity %q", a.DatabaseSeverity)
	}
}
