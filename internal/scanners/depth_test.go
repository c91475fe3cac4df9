package scanners_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/scanners"
	"github.com/rampart-security/rampart/internal/scanners/reportio"
	"github.com/rampart-security/rampart/internal/xmlsafe"
)

// xmlFormats are the registry's XML formats. TestXMLDepthBoundEveryFormat
// finds each through the packages' own fixtures and fails when a format
// it finds is not listed, so a new XML format is tested too.
var xmlFormats = []string{"burp", "cyclonedx-xml", "dependency-check", "nessus", "nexpose", "openvas", "qualys", "qualys-was", "zap"}

// TestXMLDepthBoundEveryFormat: every XML format refuses a report nested
// deeper than the one bound of the XML input layer (xmlsafe.MaxDepth),
// with ErrUnsafeXML naming the file, the line and the column where the
// element past the bound opens, and reads one nested to the bound as it
// read the fixture. Each format's document is its smallest fixture in
// its package's testdata with a subtree of unknown elements inserted
// after the start tag of the document element.
func TestXMLDepthBoundEveryFormat(t *testing.T) {
	fixtures := map[string]string{} // format name → smallest fixture
	paths, _ := filepath.Glob("*/testdata/*")
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil || reportio.RootName(data) == "" {
			continue // a folder, or not XML
		}
		f, err := scanners.Detect(data)
		if err != nil {
			continue
		}
		if old, ok := fixtures[f.Name]; !ok || len(data) < size(t, old) {
			fixtures[f.Name] = path
		}
	}
	var found []string
	for name := range fixtures {
		found = append(found, name)
	}
	slices.Sort(found)
	if !slices.Equal(found, xmlFormats) {
		t.Fatalf("XML formats with fixtures: %v, want %v", found, xmlFormats)
	}
	for _, name := range xmlFormats {
		f, _ := scanners.Lookup(name)
		data, err := os.ReadFile(fixtures[name])
		if err != nil {
			t.Fatal(err)
		}
		want, werr := parseAll(f, data, "fixture.xml")
		// The subtree opens on a line of its own after the root's start
		// tag: the root is level 1, the subtree's first element level 2.
		at, line := afterRoot(t, data)
		nested := func(levels int) []byte {
			sub := strings.Repeat("<deep>", levels-1) + strings.Repeat("</deep>", levels-1)
			return slices.Concat(data[:at], []byte("\n"+sub+"\n"), data[at:])
		}
		got, err := parseAll(f, nested(xmlsafe.MaxDepth), "bound.xml")
		if (err == nil) != (werr == nil) || len(got) != len(want) {
			t.Errorf("%s (%s): nested to the bound: %d findings, %v; the fixture gives %d, %v", name, fixtures[name], len(got), err, len(want), werr)
		}
		_, err = parseAll(f, nested(xmlsafe.MaxDepth+1), "deep.xml")
		pos := "deep.xml:" + strconv.Itoa(line+1) + ":" + strconv.Itoa(1+len("<deep>")*(xmlsafe.MaxDepth-1)) + ": "
		if !errors.Is(err, reportio.ErrUnsafeXML) || !strings.HasPrefix(err.Error(), pos) || !strings.Contains(err.Error(), "elements nested deeper than 10000") {
			t.Errorf("%s (%s): one level past the bound: %v, want ErrUnsafeXML at %s", name, fixtures[name], err, pos)
		}
	}
}

func size(t *testing.T, path string) int {
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return int(st.Size())
}

func parseAll(f scanners.Format, data []byte, name string) ([]findings.Finding, error) {
	var list []findings.Finding
	err := f.Parse(bytes.NewReader(data), name, func(fd findings.Finding) error {
		list = append(list, fd)
		return nil
	})
	return list, err
}

// afterRoot returns the offset just past the start tag of data's document
// element and the line it ends on.
func afterRoot(t *testing.T, data []byte) (offset, line int) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = false
	for {
		tok, err := d.RawToken()
		if err != nil {
			t.Fatalf("no document element: %v", err)
		}
		if _, ok := tok.(xml.StartElement); ok {
			off := int(d.InputOffset())
			return off, 1 + bytes.Count(data[:off], []byte("\n"))
		}
	}
}
