package vuln

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/corpustest"
)

// TestCorpusVersionOrdering checks every ordering vector of osv-scalibr's
// testdata (corpus versions/) through ParseVersion/CompareVersions.
func TestCorpusVersionOrdering(t *testing.T) {
	dir := corpustest.Dir(t, "versions", "osv-scalibr", "semantic", "testdata")
	files := map[string][]string{
		"alpine":    {"Alpine"},
		"cran":      {"CRAN"},
		"debian":    {"Debian"},
		"hackage":   {"Hackage"},
		"maven":     {"Maven"},
		"nuget":     {"NuGet"},
		"packagist": {"Packagist"},
		"pub":       {"Pub"},
		"pypi":      {"PyPI"},
		"redhat":    {"Red Hat", "AlmaLinux:9"},
		"rubygems":  {"RubyGems"},
		"semver":    {"Go", "npm", "crates.io"},
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		base := strings.SplitN(e.Name(), "-", 2)[0]
		ecos, ok := files[base]
		if !ok {
			t.Errorf("no ecosystem mapped for %s", e.Name())
			continue
		}
		vectors, err := readOpLines(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		for _, eco := range ecos {
			t.Run(e.Name()+"/"+eco, func(t *testing.T) { checkVectors(t, eco, vectors) })
		}
	}
}

// vector says a compares to b as want (-1, 0, +1).
type vector struct {
	a, b string
	want int
}

// readOpLines reads "a OP b" lines (OP one of < = > ==), skipping blank
// lines and "#" or "//" comments.
func readOpLines(path string) ([]vector, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []vector
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "//") {
			continue
		}
		p := strings.Fields(line)
		want, ok := map[string]int{"<": -1, "=": 0, "==": 0, ">": 1}[p[min(1, len(p)-1)]]
		if len(p) != 3 || !ok {
			return nil, fmt.Errorf("%s: bad vector line %q", path, line)
		}
		out = append(out, vector{p[0], p[2], want})
	}
	return out, sc.Err()
}

// checkVectors compares every vector in ecosystem eco.
func checkVectors(t *testing.T, eco string, vectors []vector) {
	t.Helper()
	failed := 0
	for _, v := range vectors {
		got, err := CompareVersions(eco, v.a, v.b)
		if err != nil || got != v.want {
			failed++
			if failed <= 5 {
				t.Errorf("%s: %s vs %s: got %d, err %v, want %d", eco, v.a, v.b, got, err, v.want)
			}
		}
	}
	if failed > 0 {
		t.Errorf("%d of %d vectors failed", failed, len(vectors))
	}
	if len(vectors) == 0 {
		t.Error("no vectors read")
	}
}

func TestRangeContains(t *testing.T) {
	ev := func(kv ...string) []Event {
		var out []Event
		for i := 0; i < len(kv); i += 2 {
			switch kv[i] {
			case "i":
				out = append(out, Event{Introduced: kv[i+1]})
			case "f":
				out = append(out, Event{Fixed: kv[i+1]})
			case "l":
				out = append(out, Event{LastAffected: kv[i+1]})
			case "x":
				out = append(out, Event{Limit: kv[i+1]})
			}
		}
		return out
	}
	tests := []struct {
		name    string
		eco     string
		typ     RangeType
		events  []Event
		version string
		want    bool
	}{
		{"below fixed", "Go", RangeSemver, ev("i", "0", "f", "1.2.4"), "1.2.3", true},
		{"at fixed", "Go", RangeSemver, ev("i", "0", "f", "1.2.4"), "1.2.4", false},
		{"above fixed", "Go", RangeSemver, ev("i", "0", "f", "1.2.4"), "1.3.0", false},
		{"at introduced", "Go", RangeSemver, ev("i", "1.0.0", "f", "1.2.4"), "1.0.0", true},
		{"below introduced", "Go", RangeSemver, ev("i", "1.0.0", "f", "1.2.4"), "0.9.9", false},
		{"pre-release below introduced", "Go", RangeSemver, ev("i", "1.0.0", "f", "1.2.4"), "1.0.0-rc.1", false},
		{"second window", "Go", RangeSemver, ev("i", "0", "f", "1.0.1", "i", "1.1.0", "f", "1.1.3"), "1.1.2", true},
		{"between windows", "Go", RangeSemver, ev("i", "0", "f", "1.0.1", "i", "1.1.0", "f", "1.1.3"), "1.0.5", false},
		{"unsorted events", "Go", RangeSemver, ev("i", "1.1.0", "f", "1.1.3", "i", "0", "f", "1.0.1"), "1.0.0", true},
		{"last_affected inclusive", "PyPI", RangeEcosystem, ev("i", "0", "l", "2.0"), "2.0", true},
		{"after last_affected", "PyPI", RangeEcosystem, ev("i", "0", "l", "2.0"), "2.0.1", false},
		{"pep440 pre-release", "PyPI", RangeEcosystem, ev("i", "0", "f", "2.0"), "2.0rc1", true},
		{"open-ended", "crates.io", RangeSemver, ev("i", "0.5.0"), "9.9.9", true},
		{"limit", "Go", RangeSemver, ev("i", "0", "x", "2.0.0"), "2.1.0", false},
		{"go v prefix", "Go", RangeSemver, ev("i", "0", "f", "0.17.0"), "v0.16.0", true},
		// Go release tags as runtime.Version spells them (stdlib in Go
		// binaries); golang.org/x/vuln GoTagToSemver: go1.21rc2 = v1.21.0-rc.2
		{"go tag above fix", "Go", RangeSemver, ev("i", "0", "f", "1.21.5"), "go1.22.0", false},
		{"go tag two-digit patch", "Go", RangeSemver, ev("i", "0", "f", "1.21.9"), "go1.21.10", false},
		{"go tag below fix", "Go", RangeSemver, ev("i", "0", "f", "1.21.5"), "go1.21.4", true},
		{"go tag minor only", "Go", RangeSemver, ev("i", "1.21.0-0", "f", "1.21.1"), "go1.21", true},
		{"go tag rc", "Go", RangeSemver, ev("i", "1.21.0-0", "f", "1.21.0-rc.3"), "go1.21rc2", true},
		{"go tag rc fixed", "Go", RangeSemver, ev("i", "1.21.0-0", "f", "1.21.0-rc.2"), "go1.21rc2", false},
		{"empty range introduced==fixed", "Bitnami", RangeEcosystem, ev("i", "5.16.0", "f", "5.16.0"), "5.16.0", false},
		{"debian epoch", "Debian", RangeEcosystem, ev("i", "0", "f", "1:2.0-1"), "2.5-1", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cr, ok := compileRange(tt.eco, Range{Type: tt.typ, Events: tt.events}, 0)
			if !ok {
				t.Fatal("range did not compile")
			}
			eco := tt.eco
			if tt.typ == RangeSemver {
				eco = "Go"
			}
			v, err := ParseVersion(eco, tt.version)
			if err != nil {
				t.Fatal(err)
			}
			if got, _, _ := cr.contains(v); got != tt.want {
				t.Errorf("contains(%s) = %v, want %v", tt.version, got, tt.want)
			}
		})
	}
}

func TestPackageFromPURL(t *testing.T) {
	tests := []struct {
		purl string
		want Package
	}{
		{"pkg:golang/github.com/gin-gonic/gin@v1.6.0", Package{Ecosystem: "Go", Name: "github.com/gin-gonic/gin", Version: "v1.6.0"}},
		{"pkg:golang/stdlib@1.20.1", Package{Ecosystem: "Go", Name: "stdlib", Version: "1.20.1"}},
		{"pkg:pypi/django@3.2.0", Package{Ecosystem: "PyPI", Name: "django", Version: "3.2.0"}},
		{"pkg:cargo/tokio@1.0.0", Package{Ecosystem: "crates.io", Name: "tokio", Version: "1.0.0"}},
		{"pkg:npm/%40angular/core@12.0.0", Package{Ecosystem: "npm", Name: "@angular/core", Version: "12.0.0"}},
		{"pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", Package{Ecosystem: "Maven", Name: "org.apache.logging.log4j:log4j-core", Version: "2.14.1"}},
		{"pkg:deb/debian/openssl@1.1.1n-0+deb11u3?distro=debian-11", Package{Ecosystem: "Debian", Release: "11", Name: "openssl", Version: "1.1.1n-0+deb11u3"}},
		{"pkg:rpm/almalinux/openssl@3.0.7-24.el9?distro=almalinux-9", Package{Ecosystem: "AlmaLinux", Release: "9", Name: "openssl", Version: "3.0.7-24.el9"}},
		{"pkg:composer/laravel/framework@8.0.0", Package{Ecosystem: "Packagist", Name: "laravel/framework", Version: "8.0.0"}},
		// purl-spec rpm type: the epoch is a qualifier (types/rpm-definition.json example)
		{"pkg:rpm/almalinux/centerim@4.22.10-1.el6?arch=i686&epoch=1&distro=almalinux-8", Package{Ecosystem: "AlmaLinux", Release: "8", Name: "centerim", Version: "1:4.22.10-1.el6"}},
		{"pkg:deb/ubuntu/libcrypt1@4.4.27-1?epoch=1&distro=ubuntu-22.04", Package{Ecosystem: "Ubuntu", Release: "22.04", Name: "libcrypt1", Version: "1:4.4.27-1"}},
		{"pkg:deb/debian/curl@7.50.3-1?arch=i386&distro=jessie", Package{Ecosystem: "Debian", Release: "8", Name: "curl", Version: "7.50.3-1"}},
	}
	for _, tt := range tests {
		got, err := PackageFromPURL(tt.purl)
		if err != nil {
			t.Errorf("%s: %v", tt.purl, err)
			continue
		}
		if got != tt.want {
			t.Errorf("%s: got %+v, want %+v", tt.purl, got, tt.want)
		}
	}
	if _, err := PackageFromPURL("pkg:generic/busybox@1.35.0"); err == nil {
		t.Error("generic purl mapped to an ecosystem")
	}
	if _, err := PackageFromPURL("not a purl"); err == nil {
		t.Error("garbage accepted")
	}
}

func TestNormalizeName(t *testing.T) {
	if got := PackageKey("PyPI", "Zope.Interface_x"); got != "pkg:PyPI/zope-interface-x" {
		t.Errorf("got %s", got)
	}
	if got := PackageKey("AlmaLinux:9", "openssl"); got != "pkg:AlmaLinux/openssl" {
		t.Errorf("got %s", got)
	}
}

func TestGoPURLKeepsCase(t *testing.T) {
	p, err := PackageFromPURL("pkg:golang/github.com/0xERR0R/blocky@v0.28.0")
	if err != nil || p.Name != "github.com/0xERR0R/blocky" || p.Version != "v0.28.0" {
		t.Fatalf("got %+v %v", p, err)
	}
	if PackageKey("Go", "github.com/0xERR0R/blocky") != PackageKey("Go", "github.com/0xerr0r/blocky") {
		t.Error("Go keys are case sensitive")
	}
}
