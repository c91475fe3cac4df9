package cve5

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/fuzzseed"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/vuln"
)

func TestParseFixture(t *testing.T) {
	a := parseFixture(t, "CVE-2099-2000.json")
	if a.ID != "CVE-2099-2000" || a.Summary == "" || a.CWEs[0] != "CWE-122" || len(a.Severity) != 1 || a.Severity[0].Source != "cisa-adp" {
		t.Errorf("got %+v", a)
	}
	m := vuln.NewMatcher([]vuln.Advisory{*a}, vuln.MatcherOptions{})
	for _, tt := range []struct {
		c    inventory.Component
		want bool
	}{
		{inventory.Component{Name: "examplelib", Version: "2.3.0", CPEs: []string{"cpe:2.3:a:example:examplelib:2.3.0:*:*:*:*:*:*:*"}}, true},
		{inventory.Component{Name: "examplelib", Version: "2.3.1", CPEs: []string{"cpe:2.3:a:example:examplelib:2.3.1:*:*:*:*:*:*:*"}}, false},
		{inventory.Component{Name: "examplelib", Version: "1.9", CPEs: []string{"cpe:2.3:a:example:examplelib:1.9:*:*:*:*:*:*:*"}}, false},
		{inventory.Component{Name: "example.com/lib", Version: "v2.3.0", PURL: "pkg:golang/example.com/lib@v2.3.0"}, true},
		{inventory.Component{Name: "example.com/lib", Version: "v2.3.1", PURL: "pkg:golang/example.com/lib@v2.3.1"}, false},
	} {
		got := len(m.Match([]inventory.Component{tt.c}, nil)) == 1
		if got != tt.want {
			t.Errorf("%s %s: matched %v, want %v", tt.c.Name, tt.c.Version, got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ in, field string }{
		{`{"dataType":"CVE_RECORD","dataVersion":"4.0"}`, "dataVersion"},
		{`{"dataType":"OSV"}`, "dataType"},
		{`{"dataType":"CVE_RECORD","dataVersion":"5.1","cveMetadata":{"cveId":"X"}}`, "cveMetadata.cveId"},
		{`{"dataType":"CVE_RECORD","dataVersion":"5.1","cveMetadata":{"cveId":"CVE-1-1"},"containers":{"adp":[{"affected":[{"cpes":["nope"],"versions":[{"version":"1","status":"affected"}]}]}]}}`, "containers.adp[0].affected[0].cpes[0]"},
	}
	for _, tt := range tests {
		_, err := Parse(strings.NewReader(tt.in), "r.json")
		var pe *vuln.ParseError
		if !errors.As(err, &pe) || pe.Field != tt.field {
			t.Errorf("%s: got %v, want field %s", tt.in, err, tt.field)
		}
	}
}

func FuzzParse(f *testing.F) {
	fuzzseed.Files(f, "testdata/CVE-2099-2000.json")
	f.Fuzz(func(t *testing.T, b []byte) {
		if a, err := Parse(bytes.NewReader(b), "fuzz"); err == nil {
			vuln.NewMatcher([]vuln.Advisory{*a}, vuln.MatcherOptions{}).Match([]inventory.Component{{Name: "examplelib", Version: "2.0", CPEs: []string{"cpe:2.3:a:example:examplelib:2.0:*:*:*:*:*:*:*"}}}, nil)
		}
	})
}

// TestKernelCommitRanges: the Linux CNA publishes git commit ranges, which
// CISA-ADP copies next to kernel CPEs as "custom" versions; they must not be
// compared with release versions (CVE-2022-48716 was introduced in 5.14).
func TestKernelCommitRanges(t *testing.T) {
	rec := `{"dataType":"CVE_RECORD","dataVersion":"5.1","cveMetadata":{"cveId":"CVE-2022-48716","state":"PUBLISHED"},
	"containers":{"cna":{"affected":[]},"adp":[{"providerMetadata":{"shortName":"CISA-ADP"},"affected":[
	 {"cpes":["cpe:2.3:o:linux:linux_kernel:*:*:*:*:*:*:*:*"],"versions":[{"status":"affected","version":"e8ba1e05bdc0","lessThan":"9167f2712dc8","versionType":"custom"}],"defaultStatus":"unknown"},
	 {"cpes":["cpe:2.3:o:linux:linux_kernel:*:*:*:*:*:*:*:*"],"versions":[{"status":"affected","version":"5.14"}],"defaultStatus":"unknown"}]}]}}`
	a, err := Parse(strings.NewReader(rec), "CVE-2022-48716.json")
	if err != nil {
		t.Fatal(err)
	}
	m := vuln.NewMatcher([]vuln.Advisory{*a}, vuln.MatcherOptions{})
	for v, want := range map[string]bool{"5.10.100": false, "5.14": true, "5.15.0": false} {
		got := len(m.Match([]inventory.Component{{Name: "linux", Version: v}}, nil)) == 1
		if got != want {
			t.Errorf("kernel %s matched %v, want %v", v, got, want)
		}
	}
}

// TestTitleFromCNA: a record whose CNA gave no title is titled from its
// description, never from an ADP container's own title ("CVE Program
// Container"); references repeated by the containers are listed once.
func TestTitleFromCNA(t *testing.T) {
	rec := `{"dataType":"CVE_RECORD","dataVersion":"5.1","cveMetadata":{"cveId":"CVE-2099-3000","state":"PUBLISHED","datePublished":"2024-01-02T00:00:00Z","dateUpdated":"2024-02-01T00:00:00Z"},
	"containers":{"cna":{"descriptions":[{"lang":"en","value":"A heap overflow in the frobnicator of Example Router 2.x lets a remote attacker run code. Versions before 2.4 are affected."}],
	"references":[{"url":"https://example.com/advisory/1"},{"url":"https://example.com/advisory/1","tags":["vendor-advisory"]}]},
	"adp":[{"title":"CVE Program Container","providerMetadata":{"shortName":"CVE"},"references":[{"url":"https://example.com/advisory/1","tags":["x_transferred"]},{"url":"https://example.com/patch"}]}]}}`
	a, err := Parse(strings.NewReader(rec), "CVE-2099-3000.json")
	if err != nil {
		t.Fatal(err)
	}
	if a.Summary != "A heap overflow in the frobnicator of Example Router 2.x lets a remote attacker run code" {
		t.Errorf("summary = %q", a.Summary)
	}
	if len(a.References) != 2 || a.References[0].Type != "vendor-advisory" {
		t.Errorf("references = %+v", a.References)
	}
	if got := firstSentence(strings.Repeat("word ", 100), 40); len(got) > 44 || !strings.HasSuffix(got, "…") {
		t.Errorf("long description cut to %q", got)
	}
}

// TestADPExploitationAndChanges reads a record whose ranges switch status
// inside (versions[].changes) and whose CISA-ADP container says, in its
// "other" metrics, that the CVE is actively exploited (SSVC) and in KEV.
// Before: the ranges covered 1.0–2.0 whole (1.4 matched) and both metrics
// were dropped.
func TestADPExploitationAndChanges(t *testing.T) {
	a := parseFixture(t, "CVE-2099-2001.json")
	if a.KEV == nil || a.KEV.DateAdded.Format("2006-01-02") != "2099-01-03" {
		t.Errorf("KEV = %+v, want the ADP kev metric's dateAdded", a.KEV)
	}
	if len(a.Exploited) != 1 || a.Exploited[0].Source != vuln.SourceCVE5 || a.Exploited[0].Publisher != "CISA-ADP" ||
		a.Exploited[0].Since.Format(time.RFC3339) != "2099-01-04T10:00:00Z" {
		t.Errorf("Exploited = %+v, want one CISA-ADP SSVC report", a.Exploited)
	}
	if len(a.Affected) != 1 || len(a.Affected[0].Versions) != 0 || len(a.Affected[0].Ranges) != 1 ||
		a.Affected[0].Ranges[0].Events[0].Introduced != "0" || a.Affected[0].Ranges[0].Events[1].Fixed != "2.9.4" {
		t.Errorf("Affected = %+v, want one range 0 → fixed 2.9.4 (n/a and unspecified are no versions)", a.Affected)
	}
	m := vuln.NewMatcher([]vuln.Advisory{*a}, vuln.MatcherOptions{})
	for v, want := range map[string]bool{"0.9": false, "1.0": true, "1.3.9": true, "1.4": false, "1.5.2": false, "1.6": true, "1.9": true, "2.0": false} {
		c := inventory.Component{Name: "exampled", Version: v, CPEs: []string{"cpe:2.3:a:example:exampled:" + v + ":*:*:*:*:*:*:*"}}
		if got := len(m.Match([]inventory.Component{c}, nil)) == 1; got != want {
			t.Errorf("exampled %s: matched %v, want %v", v, got, want)
		}
	}
	for v, want := range map[string]bool{"2.9.3": true, "2.9.4": false, "3.0": false} {
		c := inventory.Component{Name: "libexample", Version: v, PURL: "pkg:pypi/libexample@" + v}
		if got := len(m.Match([]inventory.Component{c}, nil)) == 1; got != want {
			t.Errorf("libexample %s: matched %v, want %v", v, got, want)
		}
	}
}

// parseFixture parses testdata/name.
func parseFixture(t *testing.T, name string) *vuln.Advisory {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	a, err := Parse(bytes.NewReader(data), name)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestCWEFromDescriptionAndRejected follows the CVE JSON 5.1 schema:
// problemTypes[].descriptions[] requires only lang and description (cweId
// is optional, and 236 descriptions of the corpus name their CWE in the
// text only), and a REJECTED record's CNA container carries
// rejectedReasons instead of descriptions. Before, those CWEs were lost
// and a rejected record had no details.
func TestCWEFromDescriptionAndRejected(t *testing.T) {
	rec := `{"dataType":"CVE_RECORD","dataVersion":"5.1","cveMetadata":{"cveId":"CVE-2099-3000","state":"PUBLISHED","datePublished":"2099-01-01T00:00:00Z"},
"containers":{"cna":{"providerMetadata":{"orgId":"00000000-0000-4000-8000-000000000000"},"descriptions":[{"lang":"en","value":"A use after free."}],
"problemTypes":[{"descriptions":[{"lang":"en","description":"CWE-416: Use After Free"},{"lang":"en","type":"CWE","description":"CWE-126 Buffer Over-read "},{"lang":"en","type":"text","description":"Memory corruption"}]},
{"descriptions":[{"lang":"en","type":"CWE","cweId":"CWE-787","description":"Out-of-bounds Write"}]}]}}}`
	a, err := Parse(strings.NewReader(rec), "r.json")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(a.CWEs, ","); got != "CWE-416,CWE-126,CWE-787" {
		t.Errorf("CWEs = %s", got)
	}
	rej := `{"dataType":"CVE_RECORD","dataVersion":"5.1","cveMetadata":{"cveId":"CVE-2099-3001","state":"REJECTED","datePublished":"2099-01-01T00:00:00Z",
"dateUpdated":"2099-02-01T00:00:00Z","dateRejected":"2099-01-15T00:00:00Z"},
"containers":{"cna":{"providerMetadata":{"orgId":"00000000-0000-4000-8000-000000000000"},"rejectedReasons":[{"lang":"en","value":"This candidate is a duplicate of CVE-2099-3000."}]}}}`
	a, err = Parse(strings.NewReader(rej), "rej.json")
	if err != nil {
		t.Fatal(err)
	}
	if a.Withdrawn.Format("2006-01-02") != "2099-01-15" || !strings.Contains(a.Details, "duplicate of CVE-2099-3000") {
		t.Errorf("withdrawn %v, details %q", a.Withdrawn, a.Details)
	}
}

// TestCollectionURLs reads packages named by the collectionURL spellings
// of the CVE JSON 5 schema's examples ("https://pypi.python.org",
// "https://nuget.org/packages", "https://repo.hex.pm", …) and with
// "http://", "www." or a trailing slash. Before, only nine exact spellings
// were known and the others' packages were dropped.
func TestCollectionURLs(t *testing.T) {
	for url, eco := range map[string]string{
		"https://pypi.python.org": "PyPI", "https://pypi.org/": "PyPI", "https://golang.org/pkg": "Go",
		"https://nuget.org/packages": "NuGet", "https://www.nuget.org": "NuGet", "https://repo.hex.pm": "Hex",
		"https://pub.dev": "Pub", "https://cran.r-project.org": "CRAN", "https://hackage.haskell.org": "Hackage",
		"http://registry.npmjs.org": "npm", "https://repo.maven.apache.org/maven2/": "Maven", "https://RubyGems.org": "RubyGems",
	} {
		rec := `{"dataType":"CVE_RECORD","dataVersion":"5.1","cveMetadata":{"cveId":"CVE-2099-4000","state":"PUBLISHED"},
"containers":{"cna":{"providerMetadata":{"orgId":"00000000-0000-4000-8000-000000000000"},"descriptions":[{"lang":"en","value":"x"}],
"affected":[{"collectionURL":"` + url + `","packageName":"examplepkg","defaultStatus":"unaffected","versions":[{"version":"0","lessThan":"1.2.3","status":"affected","versionType":"semver"}]}]}}}`
		a, err := Parse(strings.NewReader(rec), "r.json")
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Affected) != 1 || a.Affected[0].Ecosystem != eco || a.Affected[0].Name != "examplepkg" {
			t.Errorf("%s: affected %+v, want %s/examplepkg", url, a.Affected, eco)
		}
	}
}

// TestPackageDefaultStatusAffected: a package entry with no versions and
// defaultStatus "affected" (the CVE JSON 5 schema: the status of every
// version not listed) is every version, as it already was for CPE
// entries. Before, the package was dropped.
func TestPackageDefaultStatusAffected(t *testing.T) {
	rec := `{"dataType":"CVE_RECORD","dataVersion":"5.1","cveMetadata":{"cveId":"CVE-2099-4001","state":"PUBLISHED"},
"containers":{"cna":{"providerMetadata":{"orgId":"00000000-0000-4000-8000-000000000000"},"descriptions":[{"lang":"en","value":"x"}],
"affected":[{"collectionURL":"https://pypi.org","packageName":"abandonedpkg","defaultStatus":"affected"}]}}}`
	a, err := Parse(strings.NewReader(rec), "r.json")
	if err != nil {
		t.Fatal(err)
	}
	m := vuln.NewMatcher([]vuln.Advisory{*a}, vuln.MatcherOptions{})
	c := inventory.Component{Name: "abandonedpkg", Version: "3.1", PURL: "pkg:pypi/abandonedpkg@3.1"}
	if len(m.Match([]inventory.Component{c}, nil)) != 1 {
		t.Errorf("abandonedpkg 3.1 not matched; affected %+v", a.Affected)
	}
}

// TestCPEApplicability follows CVE JSON 5.1.1, whose containers carry
// NVD-style configurations in cpeApplicability (as the Linux kernel CNA
// writes them). Before, they were not read, and a record whose only CPE
// data they are matched nothing.
func TestCPEApplicability(t *testing.T) {
	rec := `{"dataType":"CVE_RECORD","dataVersion":"5.1","cveMetadata":{"cveId":"CVE-2099-4002","state":"PUBLISHED"},
"containers":{"cna":{"providerMetadata":{"orgId":"00000000-0000-4000-8000-000000000000","shortName":"Linux"},"descriptions":[{"lang":"en","value":"x"}],
"affected":[{"product":"Linux","vendor":"Linux","defaultStatus":"affected","versions":[{"version":"5.10","status":"affected"},{"version":"0","lessThan":"5.10","status":"unaffected","versionType":"semver"}]}],
"cpeApplicability":[{"nodes":[{"operator":"OR","negate":false,"cpeMatch":[
 {"vulnerable":true,"criteria":"cpe:2.3:o:linux:linux_kernel:*:*:*:*:*:*:*:*","versionStartIncluding":"5.10","versionEndExcluding":"5.10.150"},
 {"vulnerable":true,"criteria":"cpe:2.3:o:linux:linux_kernel:*:*:*:*:*:*:*:*","versionStartIncluding":"5.15","versionEndExcluding":"5.15.80"}]}]}]}}}`
	a, err := Parse(strings.NewReader(rec), "r.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Configurations) != 1 || a.Configurations[0].Source != vuln.SourceCVE5 {
		t.Fatalf("configurations %+v", a.Configurations)
	}
	m := vuln.NewMatcher([]vuln.Advisory{*a}, vuln.MatcherOptions{})
	for v, want := range map[string]bool{"5.4.1": false, "5.10.149": true, "5.10.150": false, "5.15.79": true, "6.1": false} {
		c := inventory.Component{Name: "linux_kernel", Version: v, CPEs: []string{"cpe:2.3:o:linux:linux_kernel:" + v + ":*:*:*:*:*:*:*"}}
		if got := len(m.Match([]inventory.Component{c}, nil)) == 1; got != want {
			t.Errorf("kernel %s: matched %v, want %v", v, got, want)
		}
	}
	bad := strings.Replace(rec, `"criteria":"cpe:2.3:o:linux:linux_kernel:*:*:*:*:*:*:*:*","versionStartIncluding":"5.15"`, `"criteria":"linux","versionStartIncluding":"5.15"`, 1)
	_, err = Parse(strings.NewReader(bad), "bad.json")
	var pe *vuln.ParseError
	if !errors.As(err, &pe) || pe.Field != "containers.cna.cpeApplicability[0].nodes[0].cpeMatch[1].criteria" {
		t.Errorf("bad criteria: %v", err)
	}
}

// TestCNATags: the CNA container's tags (CVE JSON 5 cnaTags: "disputed",
// "unsupported-when-assigned", "exclusively-hosted-service") are the
// advisory's tags; before, they were dropped.
func TestCNATags(t *testing.T) {
	rec := `{"dataType":"CVE_RECORD","dataVersion":"5.1","cveMetadata":{"cveId":"CVE-2099-4003","state":"PUBLISHED"},
"containers":{"cna":{"providerMetadata":{"orgId":"00000000-0000-4000-8000-000000000000"},"tags":["disputed"],"descriptions":[{"lang":"en","value":"x"}]}}}`
	a, err := Parse(strings.NewReader(rec), "r.json")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(a.Tags, ",") != "disputed" {
		t.Errorf("tags %v", a.Tags)
	}
}
