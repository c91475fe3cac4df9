package csaf

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestValidateFixtures(t *testing.T) {
	tests := []struct {
		file  string
		valid bool
		want  []string // "test path"
	}{
		{"testdata/rampart-sa-2026-001.json", true, nil},
		{"testdata/invalid-contradictions.json", false, []string{
			"schema /document",
			"6.1.1 /vulnerabilities/0/remediations/0/product_ids/1",
			"6.1.6 /vulnerabilities/0/product_status/known_affected/0",
			"6.1.9 /vulnerabilities/0/scores/0/cvss_v3/baseScore",
		}},
	}
	for _, tt := range tests {
		data, err := os.ReadFile(tt.file)
		if err != nil {
			t.Fatal(err)
		}
		res, err := Validate(data)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range res.Failures {
			got = append(got, f.Test+" "+f.Path)
		}
		if res.Valid != tt.valid || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: valid=%v failures=%q, want valid=%v %q", tt.file, res.Valid, got, tt.valid, tt.want)
		}
	}
}

func TestOptionalFailuresKeepDocumentValid(t *testing.T) {
	data, _ := os.ReadFile("testdata/rampart-sa-2026-001.json")
	// Drop the TLP label (6.2.10) and the language (6.2.12): optional only.
	doc := string(data)
	doc = replaceOnce(t, doc, `"distribution": {"tlp": {"label": "WHITE", "url": "https://www.first.org/tlp/"}},`, "")
	doc = replaceOnce(t, doc, `"lang": "en",`, "")
	res, err := Validate([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Valid {
		t.Fatalf("optional failures made the document invalid: %+v", res.Failures)
	}
	var ids []string
	for _, f := range res.Failures {
		if f.Kind != Optional {
			t.Errorf("unexpected %s failure %s", f.Kind, f.Test)
		}
		ids = append(ids, f.Test)
	}
	if !reflect.DeepEqual(ids, []string{"6.2.10", "6.2.12"}) {
		t.Errorf("got %v, want 6.2.10 and 6.2.12", ids)
	}
}

func TestNotJSON(t *testing.T) {
	for _, in := range []string{"", "[1]", "{", "null"} {
		if _, err := Validate([]byte(in)); err == nil {
			t.Errorf("%q: want an error", in)
		}
	}
}

func TestFilename(t *testing.T) {
	for in, want := range map[string]string{
		"RAMPART-SA-2026-001": "rampart-sa-2026-001.json",
		"cisco-sa-20190513 x": "cisco-sa-20190513_x.json",
		"RHSA-2020:1358":      "rhsa-2020_1358.json",
	} {
		if got := Filename(in); got != want {
			t.Errorf("Filename(%q) = %q, want %q", in, got, want)
		}
	}
}

func replaceOnce(t *testing.T, s, old, new string) string {
	t.Helper()
	if !strings.Contains(s, old) {
		t.Fatalf("fixture lacks %q", old)
	}
	return strings.Replace(s, old, new, 1)
}

// TestCircularProductIDs (6.1.3): every relationship whose product id can
// reach itself fails, and only those. The test searched the graph once per
// relationship: a 1.5 MB chain of 10 000 relationships took 20 s (a 64 MB
// document, the limit, hours); the components of the graph are now found
// in one pass.
func TestCircularProductIDs(t *testing.T) {
	const n = 10000
	var b strings.Builder
	rel := func(id, ref, to string) {
		fmt.Fprintf(&b, `{"category":"default_component_of","full_product_name":{"product_id":%q,"name":"x"},"product_reference":%q,"relates_to_product_reference":%q},`, id, ref, to)
	}
	b.WriteString(`{"product_tree":{"full_product_names":[{"product_id":"p0","name":"p0"}],"relationships":[`)
	for i := 1; i <= n; i++ { // p1 … p10000, each from the one before: no cycle
		rel(fmt.Sprintf("p%d", i), fmt.Sprintf("p%d", i-1), "p0")
	}
	rel("q1", "q2", "p0") // q1 → q2 → q3 → q1
	rel("q2", "q3", "p5")
	rel("q3", "q1", "p0")
	rel("r", "r", "p0")  // r → r
	rel("s", "q1", "p0") // s reaches the cycle, is not on it
	b.WriteString(`{"category":"default_component_of","full_product_name":{"product_id":"t","name":"x"},"product_reference":"p9999","relates_to_product_reference":"p0"}]}}`)
	res, err := Validate([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range res.Failures {
		if f.Test == "6.1.3" {
			got = append(got, f.Path+" "+f.Message)
		}
	}
	want := []string{
		fmt.Sprintf(`/product_tree/relationships/%d product id "q1" is defined by a relationship that refers back to itself`, n),
		fmt.Sprintf(`/product_tree/relationships/%d product id "q2" is defined by a relationship that refers back to itself`, n+1),
		fmt.Sprintf(`/product_tree/relationships/%d product id "q3" is defined by a relationship that refers back to itself`, n+2),
		fmt.Sprintf(`/product_tree/relationships/%d product id "r" is defined by a relationship that refers back to itself`, n+3),
	}
	if !slices.Equal(got, want) {
		t.Errorf("6.1.3 failures\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// One document gets one result: the schema library walks objects as Go
// maps and the CVSS property table is a map, so without sorting the
// failures (and the names in one message) came in a different order from
// run to run.
func TestValidateIsDeterministic(t *testing.T) {
	data, err := os.ReadFile("testdata/rampart-sa-2026-001.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	doc := m["document"].(map[string]any)
	for _, k := range []string{"zz", "aa", "mm", "bb", "qq"} {
		doc[k], m[k] = 1, 2
	}
	delete(doc, "title")
	v := m["vulnerabilities"].([]any)[0].(map[string]any)
	v["cwe"] = map[string]any{"id": 5, "name": 3, "x": 1}
	cvss := v["scores"].([]any)[0].(map[string]any)["cvss_v3"].(map[string]any)
	for prop, val := range map[string]string{"attackVector": "LOCAL", "attackComplexity": "HIGH", "privilegesRequired": "HIGH",
		"userInteraction": "REQUIRED", "confidentialityImpact": "NONE", "integrityImpact": "NONE", "availabilityImpact": "NONE"} {
		cvss[prop] = val
	}
	if data, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	var first []Failure
	for i := 0; i < 20; i++ {
		r, err := Validate(data)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = r.Failures
			continue
		}
		if !reflect.DeepEqual(r.Failures, first) {
			t.Fatalf("run %d differs:\n%v\n%v", i, first, r.Failures)
		}
	}
	want := "additional properties 'aa', 'bb', 'mm', 'qq', 'zz' not allowed"
	var cvssFails int
	for _, f := range first {
		if f.Path == "/document" && strings.HasPrefix(f.Message, "additional") && f.Message != want {
			t.Errorf("message %q, want %q", f.Message, want)
		}
		if strings.HasPrefix(f.Path, "/vulnerabilities/0/scores/0/cvss_v3/") && f.Test == "6.1.10" {
			cvssFails++
		}
	}
	if cvssFails != 7 {
		t.Errorf("%d CVSS property mismatches, want 7: %v", cvssFails, first)
	}
}

func TestSortedProperties(t *testing.T) {
	for in, want := range map[string]string{
		"additional properties 'b', 'a' not allowed":           "additional properties 'a', 'b' not allowed",
		`additional properties 'z\', \'y', 'a, b' not allowed`: `additional properties 'a, b', 'z\', \'y' not allowed`,
		"additional properties 'x' not allowed":                "additional properties 'x' not allowed",
		"missing properties 'b', 'a'":                          "missing properties 'b', 'a'",
		"additional properties 'b' 'a' not allowed":            "additional properties 'b' 'a' not allowed",
		"additional properties 'unterminated not allowed":      "additional properties 'unterminated not allowed",
	} {
		if got := sortedProperties(in); got != want {
			t.Errorf("sortedProperties(%q) = %q, want %q", in, got, want)
		}
	}
}
