package vuln

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/rampart-security/rampart/internal/corpustest"
)

// TestIndependentVersionVectors checks the version ordering (osv-scalibr's
// semantic package) against test suites written by others than its
// authors (corpus versions/): RPM's own rpmvercmp.at, apk-tools' version
// test list, PHP's version_compare test cases (kept by osv.dev for
// Packagist) and univers's Maven, NuGet and Debian comparison cases.
func TestIndependentVersionVectors(t *testing.T) {
	root := corpustest.Dir(t, "versions")
	univers := filepath.Join(root, "univers", "tests", "data")
	t.Run("rpmvercmp.at/Red Hat", func(t *testing.T) {
		data, err := os.ReadFile(filepath.Join(univers, "rpmvercmp.at"))
		if err != nil {
			t.Fatal(err)
		}
		var vs []vector
		for _, m := range regexp.MustCompile(`(?m)^RPMVERCMP\(([^,]*), ([^,]*), (-?1|0)\)`).FindAllStringSubmatch(string(data), -1) {
			want, _ := strconv.Atoi(m[3])
			vs = append(vs, vector{m[1], m[2], want})
		}
		checkVectors(t, "Red Hat", vs)
	})
	for _, f := range []struct{ path, eco string }{
		{filepath.Join(univers, "alpine_test.txt"), "Alpine"},
		{filepath.Join(root, "osv.dev", "osv", "ecosystems", "testdata", "packagist_test_cases.txt"), "Packagist"},
	} {
		t.Run(filepath.Base(f.path)+"/"+f.eco, func(t *testing.T) {
			vs, err := readOpLines(f.path)
			if err != nil {
				t.Fatal(err)
			}
			checkVectors(t, f.eco, vs)
		})
	}
	for _, f := range []struct{ file, eco string }{
		{"maven_version_cmp.json", "Maven"},
		{"nuget_version_cmp.json", "NuGet"},
		{"deb_version_python_pkg_test.json", "Debian"},
	} {
		t.Run(f.file+"/"+f.eco, func(t *testing.T) {
			vs, err := readUniversCases(filepath.Join(univers, "schema", f.file))
			if err != nil {
				t.Fatal(err)
			}
			checkVectors(t, f.eco, vs)
		})
	}
}

// readUniversCases reads univers's two-version comparison cases: an
// "equality" case expecting true is a = b; a "comparison" case lists the
// two versions sorted.
func readUniversCases(path string) ([]vector, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var cases []struct {
		Type  string `json:"test_type"`
		Input struct {
			Versions []string `json:"versions"`
		} `json:"input"`
		Expected json.RawMessage `json:"expected_output"`
	}
	if err := json.Unmarshal(data, &cases); err != nil {
		return nil, err
	}
	var out []vector
	for _, c := range cases {
		if len(c.Input.Versions) != 2 {
			continue
		}
		a, b := c.Input.Versions[0], c.Input.Versions[1]
		switch c.Type {
		case "equality":
			var eq bool
			if json.Unmarshal(c.Expected, &eq) == nil && eq {
				out = append(out, vector{a, b, 0})
			}
		case "comparison":
			var sorted []string
			if json.Unmarshal(c.Expected, &sorted) != nil || len(sorted) != 2 {
				continue
			}
			switch {
			case a == b:
				out = append(out, vector{a, b, 0})
			case sorted[0] == a && sorted[1] == b:
				out = append(out, vector{a, b, -1})
			case sorted[0] == b && sorted[1] == a:
				out = append(out, vector{a, b, 1})
			}
		}
	}
	return out, nil
}
