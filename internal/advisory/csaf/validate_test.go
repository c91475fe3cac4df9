package csaf

import (
	"os"
	"reflect"
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
