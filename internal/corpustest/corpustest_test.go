package corpustest

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestFiles(t *testing.T) {
	root := t.TempDir()
	for _, rel := range []string{"b/x.json", "a.json", "b/c/y.txt", "b/c/z.json"} {
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rels := func(fs []File) []string {
		var out []string
		for _, f := range fs {
			if f.Path != filepath.Join(root, filepath.FromSlash(f.Rel)) {
				t.Errorf("%s: path %s", f.Rel, f.Path)
			}
			out = append(out, f.Rel)
		}
		return out
	}
	if got, want := rels(Files(t, root, nil)), []string{"a.json", "b/c/y.txt", "b/c/z.json", "b/x.json"}; !reflect.DeepEqual(got, want) {
		t.Errorf("every file: %v, want %v", got, want)
	}
	json := func(rel string) bool { return strings.HasSuffix(rel, ".json") && !strings.HasPrefix(rel, "b/c/") }
	if got, want := rels(Files(t, root, json)), []string{"a.json", "b/x.json"}; !reflect.DeepEqual(got, want) {
		t.Errorf("kept: %v, want %v", got, want)
	}
}
