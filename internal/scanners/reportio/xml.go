package reportio

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"golang.org/x/text/encoding/charmap"

	"github.com/rampart-security/rampart/internal/xmlsafe"
)

// XMLDecoder walks an XML report token by token. It never resolves
// entities (encoding/xml does not) nor fetches DTDs, rejects any DOCTYPE
// that declares entities (XXE, billion laughs), and bounds total size and
// nesting depth. The depth bound is one, xmlsafe.MaxDepth, applied to the
// bytes before encoding/xml reads them: it holds alike for the elements
// Token walks, DecodeElement decodes and Skip passes over, and for the
// SBOM readers, and its error names the file, line and column.
type XMLDecoder struct {
	d     *xml.Decoder
	file  string
	depth int
}

// NewXMLDecoder reads r, named file in errors.
func NewXMLDecoder(r io.Reader, file string) *XMLDecoder {
	d := xml.NewDecoder(xmlsafe.NewReader(newXMLCleaner(Decode(LimitReader(r))), xmlsafe.MaxDepth))
	d.Strict = true
	d.CharsetReader = charsetReader
	return &XMLDecoder{d: d, file: file}
}

func charsetReader(label string, in io.Reader) (io.Reader, error) {
	switch strings.ToLower(label) {
	case "iso-8859-1", "latin1", "latin-1", "iso8859-1":
		return charmap.ISO8859_1.NewDecoder().Reader(in), nil
	case "windows-1252", "cp1252":
		return charmap.Windows1252.NewDecoder().Reader(in), nil
	case "us-ascii", "ascii", "utf-8", "utf8":
		return in, nil
	case "utf-16", "utf-16le", "utf-16be", "utf16", "unicode":
		return in, nil // Decode already transcoded UTF-16 (marked by its BOM) to UTF-8
	}
	return nil, fmt.Errorf("unsupported XML encoding %q", label)
}

// Errorf returns a ParseError at the decoder's current line and column.
func (x *XMLDecoder) Errorf(err error, format string, args ...any) error {
	line, col := x.d.InputPos()
	return &ParseError{File: x.file, Line: line, Column: col, Offset: -1, Err: explain(err, format, args...)}
}

func (x *XMLDecoder) wrap(err error) error {
	if err == io.EOF && x.depth > 0 {
		return x.Errorf(io.ErrUnexpectedEOF, "truncated XML: the file ends inside an element: the report is incomplete")
	}
	if err == nil || err == io.EOF {
		return err
	}
	var pe *ParseError
	if errors.As(err, &pe) {
		return err
	}
	if errors.Is(err, xmlsafe.ErrTooDeep) {
		return x.Errorf(ErrUnsafeXML, "elements nested deeper than %d", xmlsafe.MaxDepth)
	}
	line := 0
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		line = se.Line
		if se.Msg == "unexpected EOF" {
			return &ParseError{File: x.file, Line: line, Offset: -1, Err: fmt.Errorf("truncated XML: the file ends before its elements are closed: the report is incomplete: %w", io.ErrUnexpectedEOF)}
		}
		return &ParseError{File: x.file, Line: line, Offset: -1, Err: fmt.Errorf("invalid XML: %s", se.Msg)}
	}
	l, c := x.d.InputPos()
	return &ParseError{File: x.file, Line: l, Column: c, Offset: -1, Err: err}
}

// Token returns the next token (copied, safe to keep), tracking depth
// (bounded by the reader below the decoder) and rejecting entity
// declarations.
func (x *XMLDecoder) Token() (xml.Token, error) {
	tok, err := x.d.Token()
	if err != nil {
		return nil, x.wrap(err)
	}
	switch t := tok.(type) {
	case xml.StartElement:
		x.depth++
	case xml.EndElement:
		x.depth--
	case xml.Directive:
		if err := checkDirective(t); err != nil {
			return nil, x.Errorf(err, "")
		}
	}
	return xml.CopyToken(tok), nil
}

// checkDirective rejects any ENTITY declaration (XXE, billion laughs).
// Other DTD content is harmless because encoding/xml never applies a DTD
// and never fetches an external one: Burp's exports carry an internal
// subset of element declarations and Qualys's name an external DTD.
func checkDirective(d xml.Directive) error {
	upper := bytes.ToUpper(d)
	if bytes.Contains(upper, []byte("<!ENTITY")) || bytes.HasPrefix(bytes.TrimSpace(upper), []byte("ENTITY")) {
		return fmt.Errorf("%w: the DOCTYPE declares entities", ErrUnsafeXML)
	}
	return nil
}

// Root reads up to the document element and returns it. An empty (or
// blank) input returns io.EOF; one that has a prolog (declaration,
// comment, DOCTYPE) but ends before its document element is a truncated
// file and an error.
func (x *XMLDecoder) Root() (xml.StartElement, error) {
	prolog := false
	for {
		line, col := x.d.InputPos()
		tok, err := x.Token()
		if err == io.EOF && prolog {
			return xml.StartElement{}, x.Errorf(io.ErrUnexpectedEOF, "truncated XML: the file ends before its document element")
		}
		if err != nil {
			return xml.StartElement{}, err
		}
		switch tok.(type) {
		case xml.ProcInst, xml.Directive, xml.Comment:
			prolog = true
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return t, nil
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return xml.StartElement{}, &ParseError{File: x.file, Line: line, Column: col, Offset: -1, Err: fmt.Errorf("%w: text before the root element: not XML", ErrNotReport)}
			}
		}
	}
}

// Begin starts reading a report: it reads up to the document element and
// checks that its local name is root (or one of also, accepted too), else
// the error wraps ErrNotReport and names the element found. empty reports
// an empty (or blank) input, an empty report: there is nothing to walk.
func (x *XMLDecoder) Begin(root string, also ...string) (start xml.StartElement, empty bool, err error) {
	start, err = x.Root()
	if err == io.EOF {
		return start, true, nil
	}
	if err != nil {
		return start, false, err
	}
	if start.Name.Local != root && !slices.Contains(also, start.Name.Local) {
		return start, false, x.Errorf(ErrNotReport, "root element is <%s>, want <%s>", start.Name.Local, root)
	}
	return start, false, nil
}

// DecodeElement decodes the element that start opened into v (see
// xml.Decoder.DecodeElement) and keeps the depth count right.
func (x *XMLDecoder) DecodeElement(v any, start *xml.StartElement) error {
	if err := x.d.DecodeElement(v, start); err != nil {
		return x.wrap(err)
	}
	x.depth--
	return nil
}

// Skip skips the rest of the element whose start was just read.
func (x *XMLDecoder) Skip() error {
	if err := x.d.Skip(); err != nil {
		return x.wrap(err)
	}
	x.depth--
	return nil
}

// Depth is the current element nesting (1 inside the root element).
func (x *XMLDecoder) Depth() int { return x.depth }

// Walk reads the children of the element just opened (parents is the
// number of open elements, usually Depth()) and calls fn on each child
// start element; fn must consume the child (DecodeElement, Skip or a nested
// Walk). Walk returns after the closing tag of the element.
func (x *XMLDecoder) Walk(fn func(start xml.StartElement) error) error {
	level := x.depth
	for {
		tok, err := x.Token()
		if err == io.EOF {
			return x.Errorf(io.ErrUnexpectedEOF, "unexpected end of file")
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if err := fn(t); err != nil {
				return err
			}
			if x.depth != level {
				return x.Errorf(nil, "internal: element <%s> not consumed", t.Name.Local)
			}
		case xml.EndElement:
			if x.depth < level {
				return nil
			}
		}
	}
}

// Each reads the children of the element just opened and calls fn on
// every element at path, skipping all others. path is child element names
// separated by '>' as in encoding/xml field tags: "dependencies>dependency"
// is each <dependency> in each <dependencies> child. fn must consume the
// element it is given (DecodeElement, Skip or a nested Walk or Each).
func (x *XMLDecoder) Each(path string, fn func(start xml.StartElement) error) error {
	name, rest, nested := strings.Cut(path, ">")
	return x.Walk(func(se xml.StartElement) error {
		switch {
		case se.Name.Local != name:
			return x.Skip()
		case nested:
			return x.Each(rest, fn)
		}
		return fn(se)
	})
}

// DecodeEach decodes every element at path below the element just opened
// (see XMLDecoder.Each) into a new T, one at a time, and calls fn with it.
func DecodeEach[T any](x *XMLDecoder, path string, fn func(T) error) error {
	return x.Each(path, func(se xml.StartElement) error {
		var v T
		if err := x.DecodeElement(&v, &se); err != nil {
			return err
		}
		return fn(v)
	})
}

// Attr returns the value of the attribute of start whose local name is
// name, or "" when it has none.
func Attr(start xml.StartElement, name string) string {
	for _, a := range start.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// HasRoot reports whether head (the first bytes of a file) is XML whose
// document element is one of names. Comments, processing instructions and
// a DOCTYPE may come first.
func HasRoot(head []byte, names ...string) bool {
	return slices.Contains(names, RootName(head))
}

// RootName returns the local name of the first element in head, or "".
func RootName(head []byte) string {
	b := bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	for {
		b = bytes.TrimLeft(b, " \t\r\n")
		if len(b) == 0 || b[0] != '<' {
			return ""
		}
		switch {
		case bytes.HasPrefix(b, []byte("<?")):
			i := bytes.Index(b, []byte("?>"))
			if i < 0 {
				return ""
			}
			b = b[i+2:]
		case bytes.HasPrefix(b, []byte("<!--")):
			i := bytes.Index(b, []byte("-->"))
			if i < 0 {
				return ""
			}
			b = b[i+3:]
		case bytes.HasPrefix(b, []byte("<!")):
			i := bytes.IndexByte(b, '>')
			if i < 0 {
				return ""
			}
			if j := bytes.IndexByte(b[:i], '['); j >= 0 { // internal subset
				k := bytes.Index(b, []byte("]>"))
				if k < 0 {
					return ""
				}
				i = k + 1
			}
			b = b[i+1:]
		default:
			end := bytes.IndexAny(b[1:], " \t\r\n/>")
			if end < 0 {
				return ""
			}
			name := string(b[1 : 1+end])
			if i := strings.IndexByte(name, ':'); i >= 0 {
				name = name[i+1:]
			}
			return name
		}
	}
}
