package reportio

import (
	"encoding/xml"
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/xmlsafe"
)

func TestPlainText(t *testing.T) {
	in := "<p>First   line.</p>\n      <p>Second &amp; <b>bold</b>.</p>\n\n\n\n<ul><li>item</li></ul>"
	want := "First line.\n\nSecond & bold.\n\nitem"
	if got := PlainText(in); got != want {
		t.Errorf("PlainText = %q, want %q", got, want)
	}
}

func TestURLs(t *testing.T) {
	got := URLs("see http://a.example/x(1)http://b.example/y, and (https://c.example/z).")
	want := []string{"http://a.example/x(1)", "http://b.example/y", "https://c.example/z"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("URLs = %v, want %v", got, want)
	}
}

func TestXMLRejects(t *testing.T) {
	for name, in := range map[string]string{
		"internal entity":  `<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>`,
		"external entity":  `<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>`,
		"parameter entity": `<!DOCTYPE a [<!ENTITY % p SYSTEM "http://example.com/p.dtd"> %p;]><a/>`,
	} {
		d := NewXMLDecoder(strings.NewReader(in), "f.xml")
		_, err := d.Root()
		if !errors.Is(err, ErrUnsafeXML) || !strings.HasPrefix(err.Error(), "f.xml:1:") {
			t.Errorf("%s: %v", name, err)
		}
	}
	// A plain DOCTYPE, an external DTD (Qualys; never fetched) or an
	// internal subset declaring only elements and attributes (Burp) is
	// harmless: encoding/xml ignores DTDs.
	for _, in := range []string{`<!DOCTYPE html><a/>`, `<!DOCTYPE a SYSTEM "https://qualysguard.example.com/a.dtd"><a/>`, "<!DOCTYPE a [\n<!ELEMENT a (#PCDATA)>\n<!ATTLIST a b CDATA \"\">\n]><a/>"} {
		d := NewXMLDecoder(strings.NewReader(in), "f.xml")
		if se, err := d.Root(); err != nil || se.Name.Local != "a" {
			t.Errorf("%q: %v", in, err)
		}
	}
}

// TestOneXMLDepthBound: nesting is bounded once, at xmlsafe.MaxDepth,
// whether the decoder walks the elements token by token, decodes them
// (DecodeElement) or skips them. Before, Token refused a 65th level
// (MaxXMLDepth) while the subtrees DecodeElement and Skip read were
// allowed 10,000: the same document was refused or read depending on
// which element of a report it was nested in. A document at the bound
// is read; one level more is ErrUnsafeXML naming the file, the line and
// the column of the element that opens past it.
func TestOneXMLDepthBound(t *testing.T) {
	doc := func(n int) string {
		return "<r>\n" + strings.Repeat("<a>", n-1) + strings.Repeat("</a>", n-1) + "</r>"
	}
	walk := func(d *XMLDecoder) error { // token by token
		for {
			if _, err := d.Token(); err != nil {
				return err
			}
		}
	}
	decode := func(d *XMLDecoder) error {
		if _, err := d.Root(); err != nil {
			return err
		}
		return d.Each("a", func(se xml.StartElement) error {
			var v struct{}
			return d.DecodeElement(&v, &se)
		})
	}
	skip := func(d *XMLDecoder) error {
		if _, err := d.Root(); err != nil {
			return err
		}
		return d.Walk(func(xml.StartElement) error { return d.Skip() })
	}
	col := strconv.Itoa(1 + 3*(xmlsafe.MaxDepth-1)) // the '<' of the element past the bound, on line 2
	for name, read := range map[string]func(*XMLDecoder) error{"token": walk, "decode": decode, "skip": skip} {
		if err := read(NewXMLDecoder(strings.NewReader(doc(xmlsafe.MaxDepth)), "deep.xml")); err != io.EOF && err != nil {
			t.Errorf("%s: %d levels: %v, want read", name, xmlsafe.MaxDepth, err)
		}
		err := read(NewXMLDecoder(strings.NewReader(doc(xmlsafe.MaxDepth+1)), "deep.xml"))
		want := "deep.xml:2:" + col + ": "
		if !errors.Is(err, ErrUnsafeXML) || !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), "nested deeper than 10000") {
			t.Errorf("%s: %d levels: %v, want ErrUnsafeXML at %s", name, xmlsafe.MaxDepth+1, err, want)
		}
	}
}

type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	return len(p), nil
}

func TestLimitReader(t *testing.T) {
	l := &limited{r: endless{}, n: 10}
	b, err := io.ReadAll(l)
	if len(b) != 10 || !errors.Is(err, ErrTooLarge) {
		t.Errorf("read %d bytes, err %v", len(b), err)
	}
	l = &limited{r: strings.NewReader("0123456789"), n: 10}
	if b, err := io.ReadAll(l); len(b) != 10 || err != nil {
		t.Errorf("exactly at the limit: %d %v", len(b), err)
	}
}

func TestCSVReader(t *testing.T) {
	c, err := NewCSVReader(strings.NewReader("\xef\xbb\xbfName,Risk\nx,High\n\n,\ny,\"Low\"\n"), "f.csv")
	if err != nil {
		t.Fatal(err)
	}
	if !c.Has("name", "RISK") || c.Has("host") {
		t.Error("Has")
	}
	var got []string
	for {
		err := c.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, c.Get("Name")+"/"+c.Get("risk"))
	}
	if strings.Join(got, " ") != "x/High y/Low" {
		t.Errorf("records %v", got)
	}
}

func TestDetectHelpers(t *testing.T) {
	if RootName([]byte("\xef\xbb\xbf<?xml version='1.0'?>\n<!-- c -->\n<!DOCTYPE x>\n<ns:Report a='1'>")) != "Report" {
		t.Error("RootName")
	}
	if RootName([]byte("<?xml version=\"1.0\"?>\n<!DOCTYPE issues [\n<!ELEMENT issues (issue*)>\n]>\n<issues burpVersion=\"1\">")) != "issues" {
		t.Error("RootName after an internal subset")
	}
	if !HasKey([]byte(`{"a" : 1}`), "a") || HasKey([]byte(`{"x": "a"}`), "a") {
		t.Error("HasKey")
	}
}

func TestParagraphs(t *testing.T) {
	got := Paragraphs(" Summary. ", "", Section("Impact", "\n  "), Section("Detection result", " Vulnerable KEX\n"), "\t")
	if want := "Summary.\n\nDetection result:\nVulnerable KEX"; got != want {
		t.Errorf("Paragraphs = %q, want %q", got, want)
	}
}

func TestFirstLine(t *testing.T) {
	long := strings.Repeat("é", 250)
	for in, want := range map[string]string{
		"  Use of weak hash \n\nDetails follow.": "Use of weak hash",
		"one line":                               "one line",
		long:                                     strings.Repeat("é", 197) + "...",
	} {
		if got := FirstLine(in); got != want {
			t.Errorf("FirstLine(%.20q) = %.20q, want %.20q", in, got, want)
		}
	}
}

func TestAddTypedRef(t *testing.T) {
	var f findings.Finding
	for _, r := range [][2]string{
		{"CVE", "CVE-2024-1"}, {"url", "https://example.com/a"}, {"Cwe", "CWE-79"}, {"cwe", "none"},
		{"BID", "1234"}, {"cert-bund", "WID-SEC-2024-1"},
	} {
		AddTypedRef(&f, r[0], r[1])
	}
	if !reflect.DeepEqual(f.VulnerabilityIDs, []string{"CVE-2024-1"}) || !reflect.DeepEqual(f.References, []string{"https://example.com/a"}) || !reflect.DeepEqual(f.CWEs, []int{79}) {
		t.Errorf("ids %v, references %v, CWEs %v", f.VulnerabilityIDs, f.References, f.CWEs)
	}
}

func TestHostName(t *testing.T) {
	for _, c := range [][3]string{
		{" web.example.com ", "10.0.0.5", "web.example.com"},
		{"10.0.0.5", "10.0.0.5", ""},
		{"  ", "10.0.0.5", ""},
	} {
		if got := HostName(c[0], c[1]); got != c[2] {
			t.Errorf("HostName(%q, %q) = %q, want %q", c[0], c[1], got, c[2])
		}
	}
}

func TestUpgrade(t *testing.T) {
	if got := Upgrade("lodash", "4.17.21", "5.0.0"); got != "Upgrade lodash to 4.17.21 or 5.0.0." {
		t.Errorf("Upgrade = %q", got)
	}
	if got := Upgrade("lodash"); got != "" {
		t.Errorf("Upgrade without versions = %q, want none", got)
	}
}

func TestCWELists(t *testing.T) {
	list := []string{"CWE-79: Cross-site Scripting", "79", "external/cwe/cwe-089 and CWE-20", "none"}
	if got := CWEs(list); !reflect.DeepEqual(got, []int{79, 79, 89}) {
		t.Errorf("CWEs = %v, want the first CWE of each entry that names one", got)
	}
	if got := CWEsIn(list); !reflect.DeepEqual(got, []int{79, 89, 20}) {
		t.Errorf("CWEsIn = %v, want every CWE written, bare numbers not", got)
	}
}

func TestInstances(t *testing.T) {
	var in Instances
	if in.Section("Instances") != "" {
		t.Error("no instance: want no section")
	}
	in.Add("GET", "https://a/x", "q", "")
	in.Add("", "https://a/y", "", strings.Repeat("é", 200)) // 400 bytes: cut at a rune start
	in.Add("", "", "", "")                                  // nothing to list
	in.Add(" ", "", "p", "")
	got := in.Section("Instances")
	want := "Instances:\n- GET https://a/x (parameter q)\n- https://a/y: " + strings.Repeat("é", 150) + "…\n- (parameter p)"
	if got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	for i := 0; i < MaxInstanceLines+2; i++ {
		in.Add("GET", "https://a/"+strconv.Itoa(i), "", "")
	}
	if s := in.Section("Instances"); strings.Count(s, "\n- ") != MaxInstanceLines || !strings.HasSuffix(s, "\n… and 5 more") {
		t.Errorf("bounded: %d lines, tail %q", strings.Count(s, "\n- "), s[len(s)-20:])
	}
}

func TestSeekHeader(t *testing.T) {
	for in, want := range map[string]string{
		"QID,IP\n1,a\n": "found QID,IP line 2: 1",
		"\"Report\",\"x\"\n\nTitle\nQID,IP\n1,a\n": "found QID,IP line 5: 1",
		"a\nb\nc\nQID,IP\n1,a\n":                   "not found c",     // past within=2
		"a\nb\n":                                   "not found <nil>", // the input ends
	} {
		c, err := NewCSVReader(strings.NewReader(in), "f.csv")
		if err != nil {
			t.Fatal(err)
		}
		found, err := c.SeekHeader(2, func() bool { return c.Has("QID", "IP") })
		if err != nil {
			t.Fatal(err)
		}
		got := "not found " + strings.Join(c.Header, ",")
		if c.Header == nil {
			got = "not found <nil>"
		}
		if found {
			if err := c.Next(); err != nil {
				t.Fatal(err)
			}
			got = "found " + strings.Join(c.Header, ",") + " line " + strconv.Itoa(c.Line()) + ": " + c.Get("qid")
		}
		if got != want {
			t.Errorf("%q: %s, want %s", in, got, want)
		}
	}
}
