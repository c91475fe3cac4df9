package reportio

import (
	"bufio"
	"bytes"
	"io"
	"regexp"
	"strconv"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

var (
	bomUTF8    = []byte("\xef\xbb\xbf")
	bomUTF16LE = []byte("\xff\xfe")
	bomUTF16BE = []byte("\xfe\xff")
)

// DecodeBOM returns b without a UTF-8 byte-order mark, and UTF-16 text
// (marked by its byte-order mark, as PowerShell and .NET tools write it)
// decoded to UTF-8. A UTF-16 head cut inside a character loses only that
// character.
func DecodeBOM(b []byte) []byte {
	switch {
	case bytes.HasPrefix(b, bomUTF8):
		return b[3:]
	case bytes.HasPrefix(b, bomUTF16LE), bytes.HasPrefix(b, bomUTF16BE):
		if len(b)%2 == 1 {
			b = b[:len(b)-1]
		}
		out, _, err := transform.Bytes(unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder(), b)
		if err != nil {
			return nil
		}
		return out
	}
	return b
}

// Decode returns r as UTF-8 without a byte-order mark: a UTF-8 BOM is
// dropped and UTF-16 (with its BOM) is transcoded. Every reader of a
// report format goes through it, so a BOM never makes a valid report fail.
func Decode(r io.Reader) io.Reader {
	br := bufio.NewReader(r)
	head, _ := br.Peek(3)
	switch {
	case bytes.HasPrefix(head, bomUTF8):
		_, _ = br.Discard(3)
		return br
	case bytes.HasPrefix(head, bomUTF16LE), bytes.HasPrefix(head, bomUTF16BE):
		return transform.NewReader(br, unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder())
	}
	return br
}

// xmlCleaner makes the XML that real tools write readable by encoding/xml,
// which only reads XML 1.0: it rewrites an XML 1.1 declaration as 1.0
// (Burp writes 1.1 when base64 encoding of requests is off) and replaces
// the control characters XML 1.0 forbids, written raw or as character
// references (both occur in tool output: XML 1.1 allows &#x1; and plugin
// output copies raw bytes), with U+FFFD. Nothing else changes.
type xmlCleaner struct {
	r     io.Reader
	first bool
	buf   []byte // cleaned bytes not yet returned
	tail  []byte // raw bytes held back: a possible character reference cut by the read
	inTag bool   // the last markup delimiter seen was '<'
	err   error
}

func newXMLCleaner(r io.Reader) io.Reader { return &xmlCleaner{r: r, first: true} }

var (
	xml11Decl = regexp.MustCompile(`^(\s*<\?xml\s+version\s*=\s*["'])1\.1(["'])`)
	charRef   = regexp.MustCompile(`&#([xX][0-9a-fA-F]{1,8}|[0-9]{1,10});`)
)

const replacement = "\uFFFD"

func forbiddenXMLChar(c uint64) bool {
	return c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0xFFFE || c == 0xFFFF || c >= 0xD800 && c <= 0xDFFF || c > 0x10FFFF
}

func (x *xmlCleaner) Read(p []byte) (int, error) {
	for len(x.buf) == 0 {
		if x.err != nil {
			if len(x.tail) > 0 {
				x.buf = x.clean(x.tail)
				x.tail = nil
				continue
			}
			return 0, x.err
		}
		chunk := make([]byte, 32<<10)
		n, err := io.ReadFull(x.r, chunk)
		chunk = append(x.tail, chunk[:n]...)
		x.tail = nil
		if err == io.ErrUnexpectedEOF {
			err = io.EOF
		}
		x.err = err
		if x.first {
			if len(chunk) < 64 && err == nil {
				x.tail = chunk
				continue
			}
			x.first = false
			chunk = xml11Decl.ReplaceAll(chunk, []byte("${1}1.0${2}"))
		}
		if err == nil {
			// Hold back a trailing partial character reference.
			if i := bytes.LastIndexByte(chunk, '&'); i >= 0 && len(chunk)-i < 14 && bytes.IndexByte(chunk[i:], ';') < 0 {
				x.tail = append([]byte(nil), chunk[i:]...)
				chunk = chunk[:i]
			}
		}
		x.buf = x.clean(chunk)
	}
	n := copy(p, x.buf)
	x.buf = x.buf[n:]
	return n, nil
}

func (x *xmlCleaner) clean(b []byte) []byte {
	// Inside markup (between '<' and '>') a control character becomes a
	// space, so a name it ended stays a valid name (U+FFFD is not a name
	// character); in content it becomes U+FFFD.
	var out []byte
	for i, c := range b {
		switch {
		case c == '<':
			x.inTag = true
		case c == '>':
			x.inTag = false
		case c < 0x20 && c != '\t' && c != '\n' && c != '\r':
			if out == nil {
				out = append(make([]byte, 0, len(b)+16), b[:i]...)
			}
			if x.inTag {
				out = append(out, ' ')
			} else {
				out = append(out, replacement...)
			}
			continue
		}
		if out != nil {
			out = append(out, c)
		}
	}
	if out != nil {
		b = out
	}
	if bytes.Contains(b, []byte("&#")) {
		b = charRef.ReplaceAllFunc(b, func(m []byte) []byte {
			s := string(m[2 : len(m)-1])
			var v uint64
			var err error
			if s[0] == 'x' || s[0] == 'X' {
				v, err = strconv.ParseUint(s[1:], 16, 32)
			} else {
				v, err = strconv.ParseUint(s, 10, 32)
			}
			if err == nil && !forbiddenXMLChar(v) {
				return m
			}
			return []byte("&#xFFFD;")
		})
	}
	return b
}
