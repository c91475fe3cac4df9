package goldentest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCompare(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.golden")
	if err := os.WriteFile(p, []byte("a\nb\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	Compare(t, p, []byte("a\nb\n"))
	var ft failTB
	Compare(&ft, p, []byte("a\nc\n"))
	if !strings.Contains(ft.msg, "line 2:") || !strings.Contains(ft.msg, "-update") {
		t.Errorf("a different output: %q", ft.msg)
	}
	Compare(&ft, filepath.Join(t.TempDir(), "missing"), nil)
	if !strings.Contains(ft.msg, "missing") {
		t.Errorf("a missing golden file: %q", ft.msg)
	}
}

// failTB records the failure Compare reports instead of failing the test.
type failTB struct {
	testing.TB
	msg string
}

func (f *failTB) Helper()                           {}
func (f *failTB) Errorf(format string, args ...any) { f.msg = fmt.Sprintf(format, args...) }
func (f *failTB) Fatalf(format string, args ...any) { f.msg = fmt.Sprintf(format, args...) }

func TestFirstDiff(t *testing.T) {
	for _, tt := range []struct{ want, got, has string }{
		{"a\nb\n", "a\nc\n", "line 2:"},
		{"a\n", "a\nb\n", "line 2:"},
		{"a\nb\n", "a\n", "line 2:"},
	} {
		if d := firstDiff([]byte(tt.want), []byte(tt.got)); !strings.Contains(d, tt.has) {
			t.Errorf("firstDiff(%q, %q) = %q", tt.want, tt.got, d)
		}
	}
}
