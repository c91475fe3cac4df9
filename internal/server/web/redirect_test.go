package web

import (
	"net/url"
	"strings"
	"testing"
)

// Defect 6: /login?next=/%09/evil ended on another origin.
func TestLocalRedirect(t *testing.T) {
	for in, want := range map[string]string{
		"/products/3":             "/products/3",
		"/findings?status=open#x": "/findings?status=open#x",
		"/\t/evil.example":        "/",
		"/\n/evil.example":        "/",
		"/\r\n/evil.example":      "/",
		"\t//evil.example":        "/",
		"//evil.example":          "/",
		"/\\evil.example":         "/",
		"\\\\evil.example":        "/",
		"/\\/evil.example":        "/",
		"https://evil.example/":   "/",
		"javascript:alert(1)":     "/",
		"evil.example":            "/",
		"":                        "/",
		"/%2F/evil.example":       "/%2F/evil.example", // an encoded slash is a path character, not an authority
		"/\x00/evil":              "/",
		"/a\tb":                   "/ab",
	} {
		if got := LocalRedirect(in); got != want {
			t.Errorf("LocalRedirect(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzLocalRedirect(f *testing.F) {
	for _, s := range []string{"/", "/a?b#c", "/\t/evil", "//x", "/\\x", "\\/x", "/%2F%2Fx", "/@x", "http://x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if len(in) > 4096 {
			return
		}
		out := LocalRedirect(in)
		if !strings.HasPrefix(out, "/") || strings.HasPrefix(out, "//") || strings.ContainsAny(out, "\\\t\r\n\x00") {
			t.Fatalf("LocalRedirect(%q) = %q leaves the origin", in, out)
		}
		// What a browser would make of it: resolved against our origin, it
		// must stay on our origin.
		base, _ := url.Parse("https://rampart.example/login")
		ref, err := url.Parse(out)
		if err != nil {
			t.Fatalf("LocalRedirect(%q) = %q does not parse: %v", in, out, err)
		}
		if got := base.ResolveReference(ref); got.Host != "rampart.example" {
			t.Fatalf("LocalRedirect(%q) = %q resolves to host %q", in, out, got.Host)
		}
	})
}
