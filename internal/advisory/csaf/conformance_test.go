package csaf

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/corpustest"
)

// notImplemented lists the tests of section 6 this validator does not run.
var notImplemented = map[string]bool{
	"6.2.13": true, "6.2.19": true, "6.2.20": true,
	"6.3.6": true, "6.3.7": true, "6.3.8": true, "6.3.9": true,
}

// TestOASISSuite runs the OASIS CSAF 2.0 validator test suite: every file
// listed as valid for a test passes it (and, for mandatory tests, is valid),
// every file listed as a failure fails the test it is named for.
func TestOASISSuite(t *testing.T) {
	dir := corpustest.Dir(t, "csaf", "oasis-tcs-csaf", "csaf_2.0", "test", "validator", "data")
	var suite struct {
		Tests []struct {
			ID       string `json:"id"`
			Group    string `json:"group"`
			Failures []struct {
				Name string `json:"name"`
			} `json:"failures"`
			Valid []struct {
				Name string `json:"name"`
			} `json:"valid"`
		} `json:"tests"`
	}
	data, err := os.ReadFile(filepath.Join(dir, "testcases.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &suite); err != nil {
		t.Fatal(err)
	}
	cases := 0
	for _, tc := range suite.Tests {
		if notImplemented[tc.ID] {
			continue
		}
		for _, f := range tc.Failures {
			cases++
			res := validateFile(t, filepath.Join(dir, f.Name))
			if !hasTest(res, tc.ID) {
				t.Errorf("%s: want a failure of test %s, got %s", f.Name, tc.ID, summary(res))
			}
			if tc.Group == "mandatory" && res.Valid {
				t.Errorf("%s: fails mandatory test %s but is reported valid", f.Name, tc.ID)
			}
		}
		for _, f := range tc.Valid {
			cases++
			res := validateFile(t, filepath.Join(dir, f.Name))
			if hasTest(res, tc.ID) {
				t.Errorf("%s: want no failure of test %s, got %s", f.Name, tc.ID, summary(res))
			}
			if tc.Group == "mandatory" && !res.Valid {
				t.Errorf("%s: valid example for %s is reported invalid: %s", f.Name, tc.ID, summary(res))
			}
		}
	}
	if cases < 200 {
		t.Fatalf("only %d cases ran", cases)
	}
	t.Logf("%d suite cases", cases)
}

// TestOASISExamples: the official example documents are valid.
func TestOASISExamples(t *testing.T) {
	dir := corpustest.Dir(t, "csaf", "oasis-tcs-csaf", "csaf_2.0", "examples", "csaf")
	n := 0
	for _, f := range corpustest.Files(t, dir, isJSON) {
		n++
		if res := validateFile(t, f.Path); !res.Valid {
			t.Errorf("%s: %s", f.Path, summary(res))
		}
	}
	if n == 0 {
		t.Fatal("no examples")
	}
}

// TestRealAdvisories: real CISA and Red Hat advisories pass the schema and
// the mandatory tests (apart from the failures listed, which are real
// defects of those files).
func TestRealAdvisories(t *testing.T) {
	root := corpustest.Dir(t, "csaf")
	n, invalid := 0, 0
	for _, sub := range []string{"cisagov-CSAF/csaf_files", "redhat-from-osv-schema"} {
		for _, f := range corpustest.Files(t, filepath.Join(root, sub), func(rel string) bool {
			return isJSON(rel) && !strings.Contains(rel, "feed")
		}) {
			n++
			if res := validateFile(t, f.Path); !res.Valid {
				invalid++
				t.Logf("%s: %s", filepath.Base(f.Path), summary(res))
			}
		}
	}
	t.Logf("%d real advisories, %d invalid", n, invalid)
	if n < 300 {
		t.Fatalf("only %d advisories found", n)
	}
}

func isJSON(rel string) bool { return strings.HasSuffix(rel, ".json") }

func validateFile(t *testing.T, p string) Result {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Validate(data)
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	return res
}

func hasTest(r Result, id string) bool {
	for _, f := range r.Failures {
		if f.Test == id {
			return true
		}
	}
	return false
}

func summary(r Result) string {
	var b strings.Builder
	for i, f := range r.Failures {
		if i == 6 {
			b.WriteString(" …")
			break
		}
		b.WriteString(" [" + f.Test + " " + f.Path + ": " + f.Message + "]")
	}
	if b.Len() == 0 {
		return "no failures"
	}
	return b.String()
}
