package xmlsafe

import (
	"encoding/xml"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
)

// goDepth is the deepest nesting encoding/xml's lexer reaches in doc
// before its end or its first error (ok: no error).
func goDepth(doc string) (deepest int, ok bool) {
	d := xml.NewDecoder(strings.NewReader(doc))
	depth := 0
	for {
		t, err := d.RawToken()
		if err == io.EOF {
			return deepest, true
		}
		if err != nil {
			return deepest, false
		}
		switch t.(type) {
		case xml.StartElement:
			depth++
			deepest = max(deepest, depth)
		case xml.EndElement:
			depth--
		}
	}
}

// readAll reads doc through a Reader of bound max, a byte at a time when
// slow (every state crosses a read boundary).
func readAll(doc string, max int, slow bool) error {
	var r io.Reader = strings.NewReader(doc)
	if slow {
		r = iotest.OneByteReader(r)
	}
	_, err := io.ReadAll(NewReader(r, max))
	return err
}

var documents = []string{
	`<a/>`,
	`<?xml version="1.0"?><!-- <x><y> --><r x="1"><b>text &amp; more</b><c/></r>`,
	`<bom xmlns="urn:b" xmlns:e="urn:e"><e:x e:y="1" z='2'><inner xmlns="">t</inner></e:x></bom>`,
	`<r a="/>" b='>'><x/><y a="1"/><z></z></r>`,
	`<r><![CDATA[<a><b><c>]]]]><![CDATA[>]]><?pi <a><b> ?><d/></r>`,
	"<!DOCTYPE r [\n<!ELEMENT r (#PCDATA)>\n<!-- <a> -->\n<!ATTLIST r b CDATA \"<>\">\n]><r><s><t/></s></r>",
	`<!DOCTYPE r SYSTEM "r.dtd"><r><s/></r>`,
	`<r><!----><s><!-- - --><t>x</t></s></r>`,
	`<r><a></b></r>`,
	`<r><a>`,
	`text`,
}

// TestDepthAsEncodingXML: a Reader bounded to the deepest nesting
// encoding/xml's lexer reaches passes the document, and one level less
// stops it, whatever the read boundaries.
func TestDepthAsEncodingXML(t *testing.T) {
	for _, doc := range documents {
		same(t, doc)
	}
}

func same(t *testing.T, doc string) {
	t.Helper()
	deepest, ok := goDepth(doc)
	for _, slow := range []bool{false, true} {
		if ok {
			if err := readAll(doc, max(deepest, 1), slow); err != nil {
				t.Errorf("%q (depth %d, slow %v): %v", doc, deepest, slow, err)
			}
		}
		if deepest > 1 {
			if err := readAll(doc, deepest-1, slow); !errors.Is(err, ErrTooDeep) {
				t.Errorf("%q (depth %d, slow %v) bounded to %d: %v, want ErrTooDeep", doc, deepest, slow, deepest-1, err)
			}
		}
	}
}

// TestBoundPosition: the decoder fails where the element past the bound
// opens, with ErrTooDeep, and keeps failing.
func TestBoundPosition(t *testing.T) {
	d := xml.NewDecoder(NewReader(strings.NewReader("<a>\n<b>\n<c/></b></a>"), 2))
	var err error
	for err == nil {
		_, err = d.Token()
	}
	if line, _ := d.InputPos(); !errors.Is(err, ErrTooDeep) || line != 3 {
		t.Errorf("error %v on line %d, want ErrTooDeep on line 3", err, line)
	}
	if _, err := d.Token(); !errors.Is(err, ErrTooDeep) {
		t.Errorf("next Token: %v, want ErrTooDeep again", err)
	}
}

// TestDeepNestingBounded: 1,000,000 nested elements (7 MB) in an element
// that Skip passes over or Decode skips (unknown to the Go value).
// encoding/xml alone allocated 250 MiB for them (1.25 GiB for 5,000,000);
// behind a Reader it stops at MaxDepth with ErrTooDeep.
func TestDeepNestingBounded(t *testing.T) {
	const n = 1_000_000
	doc := "<r><x>\n" + strings.Repeat("<a>", n) + strings.Repeat("</a>", n) + "</x></r>"
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var v struct {
		Y string `xml:"y"`
	}
	err := xml.NewDecoder(NewReader(strings.NewReader(doc), 0)).Decode(&v)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrTooDeep) {
		t.Fatalf("Decode = %v, want ErrTooDeep", err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 16<<20 {
		t.Errorf("allocated %d MiB, want < 16", got>>20)
	}
	d := xml.NewDecoder(NewReader(strings.NewReader(doc), 0))
	if _, err := d.Token(); err != nil {
		t.Fatal(err)
	}
	if err := d.Skip(); !errors.Is(err, ErrTooDeep) {
		t.Fatalf("Skip = %v, want ErrTooDeep", err)
	}
}

// FuzzReader: on any input, a Reader bounded to the depth encoding/xml's
// lexer reaches passes what the lexer accepts, and one level less stops
// it.
func FuzzReader(f *testing.F) {
	for _, doc := range documents {
		f.Add(doc)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		same(t, doc)
	})
}
