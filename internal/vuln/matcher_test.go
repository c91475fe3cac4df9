package vuln

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/inventory"
)

func TestCompareCPEVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"1.35.0", "1.36.1", -1},
		{"1.36.1", "1.36.1", 0},
		{"1.2", "1.2.0", 0},
		{"1.1.1k", "1.1.1", 1},
		{"1.1.1k", "1.1.1l", -1},
		{"1.0.0-rc1", "1.0.0", -1},
		{"1.0.0beta2", "1.0.0", -1},
		{"2020.81", "2020.79", 1},
		{"2022.82", "2020.81", 1},
		{"5.10.0", "5.4.200", 1},
		{"v2.0", "2.0", 0},
		{"1.4.63", "1.4.100", -1},
		// OpenSSL patch letters follow the release (openssl.org release
		// list: 1.1.1, 1.1.1a, 1.1.1b, … 1.1.1m, … 1.1.1w); one-letter
		// abbreviations followed by a number are pre-releases (PEP 440
		// "3.0.0a1", "2.0b2"; Maven "1.0M1")
		{"1.1.1a", "1.1.1", 1},
		{"1.1.1b", "1.1.1a", 1},
		{"1.1.1m", "1.1.1", 1},
		{"1.1.1m", "1.1.1l", 1},
		{"1.0.2a", "1.0.2zh", -1},
		{"3.0.0a1", "3.0.0", -1},
		{"2.0b2", "2.0", -1},
		{"2.0b2", "2.0a3", 1},
		{"1.0M1", "1.0", -1},
		// Maven release qualifiers name the release itself (Maven
		// ComparableVersion: "ga", "final" and "release" equal "")
		{"5.3.17.RELEASE", "5.3.17", 0},
		{"5.6.15.Final", "5.6.15", 0},
		{"2.0-GA", "2.0", 0},
		{"5.3.17.RELEASE", "5.3.18", -1},
	}
	for _, tt := range tests {
		if got := CompareCPEVersions(tt.a, tt.b); got != tt.want {
			t.Errorf("CompareCPEVersions(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := CompareCPEVersions(tt.b, tt.a); got != -tt.want {
			t.Errorf("CompareCPEVersions(%q, %q) = %d, want %d (antisymmetry)", tt.b, tt.a, got, -tt.want)
		}
	}
}

func cfg(nodes ...Node) Configuration { return Configuration{Operator: "AND", Nodes: nodes} }

func or(ms ...CPEMatch) Node { return Node{Operator: "OR", Matches: ms} }

// fixtureAdvisories are hand-written advisories modelled on real NVD and
// OSV records (busybox CVE-2022-48174, lighttpd CVE-2022-22707, a Tenda
// firmware AND configuration, a Go module record).
func fixtureAdvisories() []Advisory {
	return []Advisory{
		{
			ID: "CVE-2022-48174", Sources: []Source{SourceNVD},
			Severity:       []CVSS{{Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Score: 9.8}},
			Configurations: []Configuration{{Nodes: []Node{or(CPEMatch{Vulnerable: true, Criteria: "cpe:2.3:a:busybox:busybox:*:*:*:*:*:*:*:*", VersionEndExcluding: "1.36.0"})}}},
		},
		{
			ID: "CVE-2022-22707", Sources: []Source{SourceNVD},
			Severity:       []CVSS{{Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H", Score: 5.9}},
			Configurations: []Configuration{{Nodes: []Node{or(CPEMatch{Vulnerable: true, Criteria: "cpe:2.3:a:lighttpd:lighttpd:*:*:*:*:*:*:*:*", VersionStartIncluding: "1.4.46", VersionEndIncluding: "1.4.63"})}}},
		},
		{
			ID: "CVE-2023-0001", Sources: []Source{SourceNVD},
			Severity: []CVSS{{Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Score: 9.8}},
			Configurations: []Configuration{cfg(
				or(CPEMatch{Vulnerable: true, Criteria: "cpe:2.3:o:tenda:ac15_firmware:15.03.05.19:*:*:*:*:*:*:*"}),
				or(CPEMatch{Vulnerable: false, Criteria: "cpe:2.3:h:tenda:ac15:-:*:*:*:*:*:*:*"}),
			)},
		},
		{
			ID: "CVE-2023-0002", Sources: []Source{SourceNVD},
			Configurations: []Configuration{cfg(
				or(CPEMatch{Vulnerable: true, Criteria: "cpe:2.3:a:thekelleys:dnsmasq:*:*:*:*:*:*:*:*", VersionStartExcluding: "2.80", VersionEndExcluding: "2.90"}),
				or(CPEMatch{Vulnerable: false, Criteria: "cpe:2.3:o:linux:linux_kernel:*:*:*:*:*:*:*:*", VersionEndExcluding: "5.0"}),
			)},
		},
		{
			ID: "CVE-2024-0003", Sources: []Source{SourceNVD},
			Severity:       []CVSS{{Version: "3.1", Vector: "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", Score: 7.8}},
			Configurations: []Configuration{{Nodes: []Node{or(CPEMatch{Vulnerable: true, Criteria: "cpe:2.3:o:linux:linux_kernel:*:*:*:*:*:*:*:*", VersionStartIncluding: "5.10", VersionEndExcluding: "5.10.200"})}}},
			KEV:            &KEV{DateAdded: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)},
		},
		{
			ID: "GO-2023-1737", Aliases: []string{"CVE-2023-29401", "GHSA-2c4m-59x9-fr2g"}, Sources: []Source{SourceOSV},
			Affected: []Affected{{Ecosystem: "Go", Name: "github.com/gin-gonic/gin", Ranges: []Range{{Type: RangeSemver, Events: []Event{{Introduced: "1.3.1-0.20190301021747-ccb9e902956d"}, {Fixed: "1.9.1"}}}}}},
			EPSS:     &EPSS{Score: 0.0123, Percentile: 0.5},
		},
		{
			ID: "PYSEC-2021-1", Sources: []Source{SourceOSV}, DatabaseSeverity: "HIGH",
			Affected: []Affected{{Ecosystem: "PyPI", Name: "Django", Versions: []string{"3.2.0", "3.2.1"}}},
		},
		{
			ID: "GO-2020-0001", Sources: []Source{SourceOSV}, Withdrawn: time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC),
			Affected: []Affected{{Ecosystem: "Go", Name: "github.com/gin-gonic/gin", Ranges: []Range{{Type: RangeSemver, Events: []Event{{Introduced: "0"}}}}}},
		},
	}
}

func matchIDs(ms []Match) []string {
	var out []string
	for _, m := range ms {
		s := m.Component.Name + "@" + m.Component.Version + " " + m.Advisory.ID
		if m.Suppressed != nil {
			s += " (suppressed)"
		}
		out = append(out, s)
	}
	return out
}

func TestMatcher(t *testing.T) {
	m := NewMatcher(fixtureAdvisories(), MatcherOptions{})
	c := func(name, version, purl string, cpes ...string) inventory.Component {
		return inventory.Component{Ref: name + "@" + version, Name: name, Version: version, PURL: purl, CPEs: cpes}
	}
	tests := []struct {
		name       string
		components []inventory.Component
		vex        []VEXStatement
		want       []string
		reason     string // substring of the first match's reason
	}{
		{"busybox by alias below end-excluding", []inventory.Component{c("busybox", "1.35.0", "")}, nil,
			[]string{"busybox@1.35.0 CVE-2022-48174"}, "derived from component name \"busybox\""},
		{"busybox at end-excluding", []inventory.Component{c("busybox", "1.36.0", "")}, nil, nil, ""},
		{"busybox by explicit CPE", []inventory.Component{c("bb", "1.20.0", "", "cpe:2.3:a:busybox:busybox:1.20.0:*:*:*:*:*:*:*")}, nil,
			[]string{"bb@1.20.0 CVE-2022-48174"}, "< 1.36.0"},
		{"generic purl falls back to CPE", []inventory.Component{c("busybox", "1.35.0", "pkg:generic/busybox@1.35.0")}, nil,
			[]string{"busybox@1.35.0 CVE-2022-48174"}, ""},
		{"lighttpd at start-including", []inventory.Component{c("lighttpd", "1.4.46", "")}, nil, []string{"lighttpd@1.4.46 CVE-2022-22707"}, ">= 1.4.46, <= 1.4.63"},
		{"lighttpd below start-including", []inventory.Component{c("lighttpd", "1.4.45", "")}, nil, nil, ""},
		{"lighttpd at end-including", []inventory.Component{c("lighttpd", "1.4.63", "")}, nil, []string{"lighttpd@1.4.63 CVE-2022-22707"}, ""},
		{"lighttpd above end-including", []inventory.Component{c("lighttpd", "1.4.64", "")}, nil, nil, ""},
		{"dnsmasq at start-excluding", []inventory.Component{c("dnsmasq", "2.80", ""), c("linux", "4.19.1", "")}, nil, nil, ""},
		{"dnsmasq running on old kernel", []inventory.Component{c("dnsmasq", "2.85", ""), c("linux", "4.19.1", "")}, nil,
			[]string{"dnsmasq@2.85 CVE-2023-0002"}, "running on/with cpe:2.3:o:linux:linux_kernel"},
		{"dnsmasq on new kernel: AND fails", []inventory.Component{c("dnsmasq", "2.85", ""), c("linux", "5.15.0", "")}, nil, nil, ""},
		{"dnsmasq without platform: AND fails", []inventory.Component{c("dnsmasq", "2.85", "")}, nil, nil, ""},
		{"firmware with hardware in release", []inventory.Component{
			c("fw", "15.03.05.19", "", "cpe:2.3:o:tenda:ac15_firmware:15.03.05.19:*:*:*:*:*:*:*"),
			c("board", "", "", "cpe:2.3:h:tenda:ac15:-:*:*:*:*:*:*:*")}, nil, []string{"fw@15.03.05.19 CVE-2023-0001"}, "running on/with cpe:2.3:h:tenda:ac15"},
		{"firmware implies its hardware", []inventory.Component{
			c("fw", "15.03.05.19", "", "cpe:2.3:o:tenda:ac15_firmware:15.03.05.19:*:*:*:*:*:*:*")}, nil, []string{"fw@15.03.05.19 CVE-2023-0001"}, "implied by tenda:ac15_firmware"},
		{"firmware other version", []inventory.Component{
			c("fw", "15.03.05.20", "", "cpe:2.3:o:tenda:ac15_firmware:15.03.05.20:*:*:*:*:*:*:*")}, nil, nil, ""},
		{"kernel duplicates folded", []inventory.Component{c("linux", "5.10.100", ""), c("kernel", "5.10.100", ""), c("linux", "5.10.199", "")}, nil,
			[]string{"linux@5.10.100 CVE-2024-0003", "linux@5.10.199 CVE-2024-0003"}, ""},
		{"go module in range", []inventory.Component{c("gin", "v1.9.0", "pkg:golang/github.com/gin-gonic/gin@v1.9.0")}, nil,
			[]string{"gin@v1.9.0 GO-2023-1737"}, "SEMVER range"},
		{"go module fixed", []inventory.Component{c("gin", "v1.9.1", "pkg:golang/github.com/gin-gonic/gin@v1.9.1")}, nil, nil, ""},
		{"pypi listed version, name normalised", []inventory.Component{c("django", "3.2.1", "pkg:pypi/django@3.2.1")}, nil,
			[]string{"django@3.2.1 PYSEC-2021-1"}, "listed as affected"},
		{"vex not_affected by alias suppresses", []inventory.Component{c("gin", "v1.9.0", "pkg:golang/github.com/gin-gonic/gin@v1.9.0")},
			[]VEXStatement{{VulnID: "CVE-2023-29401", Product: "pkg:golang/github.com/gin-gonic/gin@v1.9.0", Status: VEXNotAffected, Justification: "vulnerable_code_not_in_execute_path"}},
			[]string{"gin@v1.9.0 GO-2023-1737 (suppressed)"}, ""},
		{"vex without a version does not suppress (exact component only)", []inventory.Component{c("gin", "v1.9.0", "pkg:golang/github.com/gin-gonic/gin@v1.9.0")},
			[]VEXStatement{{VulnID: "CVE-2023-29401", Product: "pkg:golang/github.com/gin-gonic/gin", Status: VEXNotAffected, Justification: "vulnerable_code_not_in_execute_path"}},
			[]string{"gin@v1.9.0 GO-2023-1737"}, ""},
		{"vex affected does not suppress", []inventory.Component{c("gin", "v1.9.0", "pkg:golang/github.com/gin-gonic/gin@v1.9.0")},
			[]VEXStatement{{VulnID: "GO-2023-1737", Product: "gin@v1.9.0", Status: VEXAffected}},
			[]string{"gin@v1.9.0 GO-2023-1737"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := m.Match(tt.components, tt.vex)
			g, w := strings.Join(matchIDs(got), "\n"), strings.Join(tt.want, "\n")
			if g != w {
				t.Fatalf("matches:\n%s\nwant:\n%s", g, w)
			}
			if tt.reason != "" && !strings.Contains(got[0].Reason, tt.reason) {
				t.Errorf("reason %q does not contain %q", got[0].Reason, tt.reason)
			}
		})
	}
}

func TestMatcherKernelDuplicatesAndRating(t *testing.T) {
	m := NewMatcher(fixtureAdvisories(), MatcherOptions{})
	got := m.Match([]inventory.Component{
		{Ref: "k1", Name: "linux", Version: "5.10.100"},
		{Ref: "k2", Name: "kernel", Version: "5.10.100"},
		{Ref: "bb", Name: "busybox", Version: "1.30.0"},
	}, nil)
	if len(got) != 2 {
		t.Fatalf("got %v", matchIDs(got))
	}
	// KEV sorts first even though busybox scores higher.
	if got[0].Advisory.ID != "CVE-2024-0003" || !got[0].KEV || got[0].Severity != LevelHigh || got[0].CVSSScore != 7.8 {
		t.Errorf("first match %+v", got[0])
	}
	if len(got[0].Duplicates) != 1 || got[0].Duplicates[0] != "k2" {
		t.Errorf("duplicates %v", got[0].Duplicates)
	}
	if got[1].Severity != LevelCritical || got[1].FixedVersions[0] != "1.36.0" {
		t.Errorf("second match %+v", got[1])
	}
}

func TestMatcherAssumePlatform(t *testing.T) {
	m := NewMatcher(fixtureAdvisories(), MatcherOptions{AssumePlatform: true})
	got := m.Match([]inventory.Component{{Name: "dnsmasq", Version: "2.85"}}, nil)
	if len(got) != 1 || !strings.Contains(got[0].Reason, "(assumed)") {
		t.Fatalf("got %v", matchIDs(got))
	}
}

func TestMerge(t *testing.T) {
	in := []Advisory{
		{ID: "GO-2023-1737", Aliases: []string{"CVE-2023-29401", "GHSA-2c4m-59x9-fr2g"}, Sources: []Source{SourceOSV}, Summary: "gin",
			Affected: []Affected{{Ecosystem: "Go", Name: "github.com/gin-gonic/gin"}}},
		{ID: "CVE-2023-29401", Sources: []Source{SourceNVD}, Summary: "nvd text", Severity: []CVSS{{Version: "3.1", Vector: "x", Score: 4.3}},
			Configurations: []Configuration{{Nodes: []Node{or(CPEMatch{Vulnerable: true, Criteria: "cpe:2.3:a:gin-gonic:gin:*:*:*:*:*:*:*:*"})}}}},
		{ID: "GHSA-2c4m-59x9-fr2g", Aliases: []string{"CVE-2023-29401"}, Sources: []Source{SourceOSV}},
		{ID: "CVE-2099-0001"},
	}
	out := Merge(in)
	if len(out) != 2 {
		t.Fatalf("got %d advisories", len(out))
	}
	a := out[0]
	if a.ID != "CVE-2023-29401" || strings.Join(a.Aliases, ",") != "GHSA-2c4m-59x9-fr2g,GO-2023-1737" {
		t.Errorf("ids %s %v", a.ID, a.Aliases)
	}
	if a.Summary != "gin" || len(a.Affected) != 1 || len(a.Configurations) != 1 || len(a.Severity) != 1 || len(a.Sources) != 2 {
		t.Errorf("merged %+v", a)
	}
	keys := strings.Join(a.IndexKeys(), " ")
	if keys != "cpe:*:gin cpe:gin-gonic:gin pkg:Go/github.com/gin-gonic/gin" {
		t.Errorf("index keys %s", keys)
	}
	Enrich(out, map[string]EPSS{"CVE-2023-29401": {Score: 0.5}}, map[string]KEV{"CVE-2099-0001": {}})
	if out[0].EPSS == nil || out[0].EPSS.Score != 0.5 || out[1].KEV == nil {
		t.Errorf("enrich failed")
	}
}

// synthetic builds n advisories over n/4 Go modules and a 10k-component
// release where ~10% of components are vulnerable, plus firmware components.
func synthetic(nAdv, nComp int) ([]Advisory, []inventory.Component) {
	advs := make([]Advisory, 0, nAdv)
	for i := range nAdv {
		mod := fmt.Sprintf("github.com/org%d/mod%d", i%97, i/4)
		advs = append(advs, Advisory{
			ID: fmt.Sprintf("GO-2024-%05d", i), Aliases: []string{fmt.Sprintf("CVE-2024-%05d", i)},
			Severity: []CVSS{{Version: "3.1", Score: float64(i%100) / 10}},
			Affected: []Affected{{Ecosystem: "Go", Name: mod, Ranges: []Range{{Type: RangeSemver, Events: []Event{
				{Introduced: "0"}, {Fixed: fmt.Sprintf("1.%d.0", i%20)}, {Introduced: "2.0.0"}, {Fixed: fmt.Sprintf("2.%d.1", i%7)}}}}}},
		})
		if i%10 == 0 {
			advs = append(advs, Advisory{ID: fmt.Sprintf("CVE-2023-%05d", i), Configurations: []Configuration{{Nodes: []Node{or(
				CPEMatch{Vulnerable: true, Criteria: fmt.Sprintf("cpe:2.3:a:vendor%d:product%d:*:*:*:*:*:*:*:*", i%50, i%300), VersionEndExcluding: fmt.Sprintf("3.%d", i%9)})}}}})
		}
	}
	comps := make([]inventory.Component, 0, nComp)
	for i := range nComp {
		switch {
		case i%20 == 0:
			comps = append(comps, inventory.Component{Ref: fmt.Sprint(i), Name: fmt.Sprintf("product%d", i%300), Version: fmt.Sprintf("2.%d", i%11),
				CPEs: []string{fmt.Sprintf("cpe:2.3:a:vendor%d:product%d:2.%d:*:*:*:*:*:*:*", i%50, i%300, i%11)}})
		case i%20 == 1:
			comps = append(comps, inventory.Component{Ref: fmt.Sprint(i), Name: []string{"busybox", "openssl", "linux", "dropbear"}[i%4], Version: "1.2.3"})
		default:
			mod := fmt.Sprintf("github.com/org%d/mod%d", i%97, i%(nAdv/2+1))
			v := fmt.Sprintf("v%d.%d.%d", i%3, i%25, i%5)
			comps = append(comps, inventory.Component{Ref: fmt.Sprint(i), Name: mod, Version: v, PURL: "pkg:golang/" + mod + "@" + v})
		}
	}
	return advs, comps
}

func BenchmarkMatch10k(b *testing.B) {
	advs, comps := synthetic(20000, 10000)
	m := NewMatcher(advs, MatcherOptions{})
	b.ResetTimer()
	var n int
	for b.Loop() {
		n = len(m.Match(comps, nil))
	}
	b.ReportMetric(float64(n), "matches")
}

func BenchmarkNewMatcher20k(b *testing.B) {
	advs, _ := synthetic(20000, 0)
	for b.Loop() {
		NewMatcher(advs, MatcherOptions{})
	}
}

func TestComponentKeys(t *testing.T) {
	got := ComponentKeys([]inventory.Component{
		{Name: "gin", PURL: "pkg:golang/github.com/gin-gonic/gin@v1.9.0"},
		{Name: "Django", PURL: "pkg:pypi/Django@3.2"},
		{Name: "busybox", Version: "1.35.0"},
		{Name: "mbedtls", Version: "2.28.0", PURL: "pkg:generic/mbedtls@2.28.0"},
		{Name: "fw", CPEs: []string{"cpe:2.3:o:tenda:ax1803_firmware:1.0.0.1:*:*:*:*:*:*:*"}},
		{Name: "unknown-thing", Version: "1"},
	})
	want := "cpe:arm:mbed_tls cpe:busybox:busybox cpe:tenda:ax1803_firmware cpe:trustedfirmware:mbed_tls pkg:Go/github.com/gin-gonic/gin pkg:PyPI/django"
	if strings.Join(got, " ") != want {
		t.Errorf("got  %s\nwant %s", strings.Join(got, " "), want)
	}
	// Every advisory the matcher would report for a component is found by
	// the component's keys.
	advs := fixtureAdvisories()
	comps := []inventory.Component{{Name: "busybox", Version: "1.35.0"}, {Name: "gin", Version: "v1.9.0", PURL: "pkg:golang/github.com/gin-gonic/gin@v1.9.0"}}
	keys := map[string]bool{}
	for _, k := range ComponentKeys(comps) {
		keys[k] = true
	}
	for _, m := range NewMatcher(advs, MatcherOptions{}).Match(comps, nil) {
		found := false
		for _, k := range m.Advisory.IndexKeys() {
			found = found || keys[k]
		}
		if !found {
			t.Errorf("%s matched but not reachable through ComponentKeys", m.Advisory.ID)
		}
	}
}

// TestMatcherConcurrent: one matcher serves several releases at once (run
// with -race).
func TestMatcherConcurrent(t *testing.T) {
	advs, comps := synthetic(2000, 1000)
	m := NewMatcher(advs, MatcherOptions{})
	want := len(m.Match(comps, nil))
	done := make(chan int)
	for range 4 {
		go func() { done <- len(m.Match(comps, nil)) }()
	}
	for range 4 {
		if got := <-done; got != want {
			t.Errorf("concurrent Match returned %d matches, want %d", got, want)
		}
	}
}

// TestReleaseMatchBatches: matching a release batch by batch (the
// platform from every batch first) gives Match's result for the whole
// release, whatever the batch size: platform ("running on") leaves
// satisfied by a component of another batch, firmware implied by its
// hardware, kernel duplicates folded across batches, VEX.
func TestReleaseMatchBatches(t *testing.T) {
	m := NewMatcher(fixtureAdvisories(), MatcherOptions{})
	c := func(name, version, purl string, cpes ...string) inventory.Component {
		return inventory.Component{Ref: name + "@" + version, Name: name, Version: version, PURL: purl, CPEs: cpes}
	}
	comps := []inventory.Component{
		c("dnsmasq", "2.85", ""), c("busybox", "1.35.0", ""), c("lighttpd", "1.4.46", ""),
		c("fw", "15.03.05.19", "", "cpe:2.3:o:tenda:ac15_firmware:15.03.05.19:*:*:*:*:*:*:*"),
		c("gin", "v1.9.0", "pkg:golang/github.com/gin-gonic/gin@v1.9.0"), c("django", "3.2.1", "pkg:pypi/django@3.2.1"),
		c("linux", "5.10.100", ""), {Ref: "k2", Name: "kernel", Version: "5.10.100"},
		c("board", "", "", "cpe:2.3:h:tenda:ac15:-:*:*:*:*:*:*:*"), c("linux", "4.19.1", ""),
	}
	vex := []VEXStatement{{VulnID: "CVE-2023-29401", Product: "pkg:golang/github.com/gin-gonic/gin@v1.9.0", Status: VEXNotAffected, Justification: "vulnerable_code_not_in_execute_path"}}
	render := func(ms []Match) string {
		var b strings.Builder
		for _, mt := range ms {
			fmt.Fprintf(&b, "%s %s %s %v %v %s\n", mt.Component.Ref, mt.Advisory.ID, mt.Reason, mt.Duplicates, mt.Suppressed != nil, mt.Severity)
		}
		return b.String()
	}
	want := render(m.Match(comps, vex))
	if !strings.Contains(want, "running on/with cpe:2.3:o:linux:linux_kernel") || !strings.Contains(want, "[k2]") {
		t.Fatalf("fixture does not exercise platforms and duplicates:\n%s", want)
	}
	for _, size := range []int{1, 2, 3, 7} {
		rm := m.NewReleaseMatch()
		for i := 0; i < len(comps); i += size {
			rm.AddPlatform(comps[i:min(i+size, len(comps))])
		}
		for i := 0; i < len(comps); i += size {
			batch := append([]inventory.Component(nil), comps[i:min(i+size, len(comps))]...)
			rm.Add(batch)
			for j := range batch {
				batch[j] = inventory.Component{Name: "reused"} // the caller reuses its batch
			}
		}
		if got := render(rm.Finish(vex)); got != want {
			t.Errorf("batches of %d:\n%s\nwant:\n%s", size, got, want)
		}
	}
}

// TestMergeLongLists: merged lists are unions in input order with each
// item once; the union scanned the merged list for every item, so two
// aliased records of 30 000 references each took 6 s to merge.
func TestMergeLongLists(t *testing.T) {
	const n = 30000
	a := Advisory{ID: "CVE-2024-1", Aliases: []string{"GHSA-x"}, Related: []string{"R-1", "R-1"}}
	b := Advisory{ID: "GHSA-x", Related: []string{"R-2", "R-1"}, References: []Reference{{URL: "https://shared"}}}
	for i := range n {
		a.References = append(a.References, Reference{URL: fmt.Sprintf("https://a/%d", i)})
		b.References = append(b.References, Reference{URL: fmt.Sprintf("https://b/%d", i)}, Reference{URL: "https://a/7"})
	}
	a.References = append(a.References, Reference{URL: "https://shared"})
	out := Merge([]Advisory{a, b})
	if len(out) != 1 {
		t.Fatalf("%d advisories", len(out))
	}
	refs := out[0].References
	if len(refs) != 2*n+1 || refs[0].URL != "https://a/0" || refs[n].URL != "https://shared" || refs[n+1].URL != "https://b/0" || refs[2*n].URL != fmt.Sprintf("https://b/%d", n-1) {
		t.Errorf("%d references, %v … %v", len(refs), refs[:2], refs[len(refs)-2:])
	}
	if got := out[0].Related; !slices.Equal(got, []string{"R-1", "R-2"}) {
		t.Errorf("related %v", got)
	}
}
