package reportio

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestScanJSONKeys(t *testing.T) {
	doc := `{"errors":[{"code":3,"message":"x \"results\": y"}],"results":[{"check_id":"a","extra":{"n":[1,2,{"deep":true}]}}],"version":"1.2.3","n":-1.5e3,"ok":false}`
	k := ScanJSONKeys([]byte("\xef\xbb\xbf" + doc))
	if k == nil || !k.Complete || k.Invalid || k.Root != '{' {
		t.Fatalf("%+v", k)
	}
	for _, p := range []string{"errors", "errors[].code", "results[].check_id", "results[].extra.n[].deep", "version"} {
		if !k.HasPath(p) {
			t.Errorf("path %s missing (%v)", p, k.Paths)
		}
	}
	if k.TopString("version") != "1.2.3" || k.TopKind("results") != '[' || k.TopKind("ok") != 'f' || k.TopKind("n") != '-' {
		t.Errorf("top %+v", k.Top)
	}
	if k.Has("y") || k.HasTop("check_id") {
		t.Error("a key inside a string value, or a nested key, counted as top-level")
	}
	// Cut anywhere: never fails, keeps what came before.
	for i := range doc {
		c := ScanJSONKeys([]byte(doc[:i]))
		if i > 0 && c == nil {
			t.Fatalf("cut at %d: nil", i)
		}
		if c != nil && c.Complete {
			t.Fatalf("cut at %d: complete", i)
		}
	}
	if k := ScanJSONKeys([]byte(`[{"Target":"a","Vulnerabilities":[]}]`)); !k.HasTop("Target") || !k.HasPath("[].Vulnerabilities") {
		t.Errorf("array root: %+v", k)
	}
	if ScanJSONKeys([]byte("<xml/>")) != nil || ScanJSONKeys(nil) != nil {
		t.Error("not JSON")
	}
}

func TestXMLCleaner(t *testing.T) {
	in := `<?xml version="1.1" encoding="UTF-8"?><a b="&#x1;">x&#2;y` + "\x01" + `&amp;&#x41;&#65;</a>`
	var v struct {
		B    string `xml:"b,attr"`
		Text string `xml:",chardata"`
	}
	d := NewXMLDecoder(strings.NewReader(in), "t.xml")
	root, err := d.Root()
	if err != nil {
		t.Fatal(err)
	}
	if err := d.DecodeElement(&v, &root); err != nil {
		t.Fatal(err)
	}
	if v.B != "\uFFFD" || v.Text != "x\uFFFDy\uFFFD&AA" {
		t.Errorf("%q %q", v.B, v.Text)
	}
	// A character reference split across reads is kept whole.
	long := strings.Repeat("a", 32<<10-3) + "&#x41;"
	b, err := io.ReadAll(newXMLCleaner(strings.NewReader(`<?xml version="1.0"?>` + long)))
	if err != nil || !bytes.HasSuffix(b, []byte("&#x41;")) {
		t.Errorf("split reference: %v %q", err, b[len(b)-10:])
	}
}

// FuzzScanJSONKeys: the detection tokenizer never panics, and on valid
// JSON objects it finds every top-level key encoding/json finds.
func FuzzScanJSONKeys(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `[{"b":[{"c":"d"}]}]`, `{"x":"\"y\":","z":{}}`, `{"runs":[{"tool":{"driver":{"name":"x"}}}],"version":"2.1.0"}`, `{`, `{"a`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 64<<10 {
			return
		}
		k := ScanJSONKeys(data)
		var m map[string]json.RawMessage
		if json.Unmarshal(data, &m) == nil && m != nil && !bytes.ContainsAny(data, "\\\xef") {
			if k == nil {
				t.Fatalf("valid object not scanned: %q", data)
			}
			for key := range m {
				if len(key) <= maxKeyLen && utf8.ValidString(key) && !k.HasTop(key) {
					t.Fatalf("top-level key %q missed in %q", key, data)
				}
			}
		}
	})
}

// FuzzXMLCleaner: cleaning never panics and never makes well-formed XML
// ill-formed.
func FuzzXMLCleaner(f *testing.F) {
	for _, s := range []string{`<?xml version="1.1"?><a>&#x1;</a>`, "<a>\x01&#65;</a>", `<a b="&#xD800;"/>`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 64<<10 {
			return
		}
		wellFormed := xml.NewDecoder(bytes.NewReader(data))
		ok := true
		for {
			if _, err := wellFormed.Token(); err != nil {
				ok = err == io.EOF
				break
			}
		}
		b, err := io.ReadAll(newXMLCleaner(bytes.NewReader(data)))
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			d := xml.NewDecoder(bytes.NewReader(b))
			for {
				if _, err := d.Token(); err != nil {
					if err != io.EOF {
						t.Fatalf("cleaning broke well-formed XML %q: %v", data, err)
					}
					break
				}
			}
		}
	})
}
