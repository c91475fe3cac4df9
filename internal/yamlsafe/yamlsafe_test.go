package yamlsafe

import (
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestRepeatedKeys: 8 000 repeated keys (40 KB) cost yaml.v3 57 s and
// 5.9 GiB (an error string per repeated pair); the first repeat is
// reported at once, naming both lines, in yaml.v3's words.
func TestRepeatedKeys(t *testing.T) {
	for _, c := range []struct{ name, doc, want string }{
		{"top level", strings.Repeat("a: 1\n", 8000), `line 2: mapping key "a" already defined at line 1`},
		{"nested", "x:\n  - b: 1\n    c: 2\n    b: 3\n", `line 4: mapping key "b" already defined at line 2`},
		{"too many keys", "k:\n" + manyKeys(MaxKeys+1), "line 2: mapping of 10001 keys, more than 10000"},
	} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		var v map[string]any
		err := Unmarshal([]byte(c.doc), &v)
		runtime.ReadMemStats(&after)
		var te *yaml.TypeError
		if !errors.As(err, &te) || err.Error() != "yaml: unmarshal errors:\n  "+c.want {
			t.Errorf("%s: err %v, want %q", c.name, err, c.want)
		}
		if got := after.TotalAlloc - before.TotalAlloc; got > 64<<20 {
			t.Errorf("%s: %d MiB allocated", c.name, got>>20)
		}
	}
}

func manyKeys(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "  k%d: 1\n", i)
	}
	return b.String()
}

// TestSameAsYAML: a document without repeated keys decodes as
// yaml.Unmarshal decodes it, an empty one too.
func TestSameAsYAML(t *testing.T) {
	for _, doc := range []string{"", "# only a comment\n", "a: 1\nb: [x, {c: d}]\n", "- 1\n- two\n", "x: &a {k: v}\ny: *a\n", "a: {<<: {b: 1}, c: 2}\n", "[1, 2"} {
		var got, want any
		gerr, werr := Unmarshal([]byte(doc), &got), yaml.Unmarshal([]byte(doc), &want)
		if !reflect.DeepEqual(got, want) || (gerr == nil) != (werr == nil) {
			t.Errorf("%q: %v %v, yaml.Unmarshal %v %v", doc, got, gerr, want, werr)
		}
	}
}

// FuzzUnmarshal: Unmarshal never panics and, when it accepts a document,
// decodes it as yaml.Unmarshal does.
func FuzzUnmarshal(f *testing.F) {
	for _, s := range []string{"a: 1\na: 2\n", "x:\n  - {b: 1, b: 2}\n", "a: 1\nb: [x, {c: d}]\n", "x: &a {k: v}\ny: *a\n", "? [a]\n: 1\n? [b]\n: 2\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 4<<10 {
			return
		}
		var got, want any
		if err := Unmarshal(b, &got); err == nil {
			if werr := yaml.Unmarshal(b, &want); werr != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("accepted %q as %v; yaml.Unmarshal: %v %v", b, got, want, werr)
			}
		}
	})
}

func TestValue(t *testing.T) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("a: 1\nb:\n  c: x\nlist: [1, 2]\n"), &doc); err != nil {
		t.Fatal(err)
	}
	root := doc.Content[0]
	if v := Value(root, "a"); v == nil || v.Value != "1" || v.Line != 1 {
		t.Errorf("a = %+v", v)
	}
	if v := Value(Value(root, "b"), "c"); v == nil || v.Value != "x" {
		t.Errorf("b.c = %+v", v)
	}
	if v := Value(root, "missing"); v != nil {
		t.Errorf("missing = %+v", v)
	}
	if v := Value(Value(root, "list"), "a"); v != nil {
		t.Errorf("a sequence has no keys: %+v", v)
	}
}
