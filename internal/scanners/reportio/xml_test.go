package reportio

import (
	"encoding/xml"
	"errors"
	"runtime"
	"strings"
	"testing"
)

func TestBegin(t *testing.T) {
	for in, want := range map[string]string{
		"":                       "empty",
		" \n ":                   "empty",
		"<report><x/></report>":  "report",
		"<get_reports_response>": "get_reports_response",
		"<other/>":               `f.xml:1:9: root element is <other>, want <report>: not a report of this format`,
		"<?xml version='1.0'?>":  "f.xml:1:22: truncated XML: the file ends before its document element: unexpected EOF",
	} {
		start, empty, err := NewXMLDecoder(strings.NewReader(in), "f.xml").Begin("report", "get_reports_response")
		got := start.Name.Local
		switch {
		case err != nil:
			got = err.Error()
		case empty:
			got = "empty"
		}
		if got != want {
			t.Errorf("Begin(%q) = %q, want %q", in, got, want)
		}
	}
	_, _, err := NewXMLDecoder(strings.NewReader("<other/>"), "f.xml").Begin("report")
	if !errors.Is(err, ErrNotReport) {
		t.Errorf("wrong root: %v, want ErrNotReport", err)
	}
}

func TestEachAndDecodeEach(t *testing.T) {
	const doc = `<r><skip><dep n="0"/></skip><deps><dep n="1"><x/></dep><other/><dep n="2"/></deps><deps><dep n="3"/></deps><dep n="4"/></r>`
	walk := func(path string) []string {
		d := NewXMLDecoder(strings.NewReader(doc), "f.xml")
		if _, _, err := d.Begin("r"); err != nil {
			t.Fatal(err)
		}
		var got []string
		err := d.Each(path, func(se xml.StartElement) error {
			got = append(got, Attr(se, "n"))
			return d.Skip()
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := strings.Join(walk("deps>dep"), ","); got != "1,2,3" {
		t.Errorf(`Each("deps>dep") = %s`, got)
	}
	if got := strings.Join(walk("dep"), ","); got != "4" {
		t.Errorf(`Each("dep") = %s`, got)
	}

	d := NewXMLDecoder(strings.NewReader(doc), "f.xml")
	if _, _, err := d.Begin("r"); err != nil {
		t.Fatal(err)
	}
	type dep struct {
		N string `xml:"n,attr"`
	}
	var got []string
	if err := DecodeEach(d, "deps>dep", func(x dep) error { got = append(got, x.N); return nil }); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "1,2,3" || d.Depth() != 0 {
		t.Errorf("DecodeEach = %v, depth %d", got, d.Depth())
	}

	// A truncated document fails inside the walk.
	d = NewXMLDecoder(strings.NewReader(`<r><deps><dep n="1"/><dep`), "f.xml")
	if _, _, err := d.Begin("r"); err != nil {
		t.Fatal(err)
	}
	if err := DecodeEach(d, "deps>dep", func(dep) error { return nil }); err == nil || !strings.HasPrefix(err.Error(), "f.xml:") {
		t.Errorf("truncated: %v", err)
	}
	if Attr(xml.StartElement{}, "n") != "" {
		t.Error("Attr of an element without attributes")
	}
}

// TestDeepSubtreesBounded: depth below an element that Skip passes over or
// DecodeElement decodes (unknown children are skipped) was not bounded:
// encoding/xml keeps a stack entry per open element, and this 6 MB document
// (two subtrees of 1,000,000 nested <a>) allocated 454 MiB in 6 s before
// xmlsafe. Both now fail with ErrUnsafeXML at xmlsafe.MaxDepth, naming the
// file and line.
func TestDeepSubtreesBounded(t *testing.T) {
	const n = 1_000_000
	doc := "<r>\n<skip>" + strings.Repeat("<a>", n) + strings.Repeat("</a>", n) + "</skip>\n" +
		"<dep>" + strings.Repeat("<a>", n) + strings.Repeat("</a>", n) + "</dep></r>"
	type dep struct {
		N string `xml:"n,attr"`
	}
	for _, path := range []string{"dep", "skip"} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		d := NewXMLDecoder(strings.NewReader(doc), "deep.xml")
		if _, _, err := d.Begin("r"); err != nil {
			t.Fatal(err)
		}
		err := DecodeEach(d, path, func(dep) error { return nil })
		runtime.ReadMemStats(&after)
		if !errors.Is(err, ErrUnsafeXML) || !strings.HasPrefix(err.Error(), "deep.xml:2:") {
			t.Errorf("%s: %v, want ErrUnsafeXML at deep.xml:2", path, err)
		}
		if got := after.TotalAlloc - before.TotalAlloc; got > 32<<20 {
			t.Errorf("%s: allocated %d MiB, want < 32", path, got>>20)
		}
	}
}
