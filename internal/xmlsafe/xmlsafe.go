// Package xmlsafe bounds the element nesting of an XML document before
// encoding/xml reads it. encoding/xml keeps one stack entry per open
// element and bounds nesting only where Unmarshal enters a Go value:
// Decoder.Skip, and the unknown children Unmarshal skips, read any depth.
// 5,000,000 nested "<a>" (35 MB) allocated 1.25 GiB in Skip, so a 512 MiB
// upload could ask for about 18 GiB. A Reader between the input and the
// decoder follows the markup (start, end and empty-element tags, quoted
// attribute values, comments, CDATA sections, processing instructions and
// DOCTYPE directives, as encoding/xml lexes them) and fails with ErrTooDeep
// where an element would open past its bound; the decoder returns that
// error at that position. The bytes themselves pass unchanged, so the
// decoder's tokens, innerxml, lines and offsets stay what they were.
package xmlsafe

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// MaxDepth is encoding/xml's own bound on the nesting Unmarshal decodes
// into Go values (maxUnmarshalDepth), here applied to the whole document.
const MaxDepth = 10_000

// ErrTooDeep is returned once elements nest deeper than the bound.
var ErrTooDeep = errors.New("elements nested too deeply")

// lexer states, named for the markup being read.
const (
	text        = iota
	lt          // after '<'
	startTag    // inside a start tag, outside quotes
	startQuote  // inside a quoted attribute value
	endTag      // inside an end tag
	procInst    // inside <? ... ?>
	bang        // after "<!"
	bangDash    // after "<!-"
	comment     // inside <!-- ... -->
	cdataOpen   // matching "CDATA[" after "<!["
	cdata       // inside <![CDATA[ ... ]]>
	directive   // inside <!DOCTYPE ...>
	directiveLt // after '<' inside a directive, matching "!--"
	dirComment  // inside a comment inside a directive
)

// Reader passes its input on unchanged and fails with ErrTooDeep when an
// element opens deeper than its bound.
type Reader struct {
	r     io.Reader
	max   int
	depth int   // open elements
	state int   // lexer state
	quote byte  // the quote that closes the value (startQuote, directive)
	prev  byte  // the byte before, in startTag (for "/>")
	b0    byte  // the two bytes before, for terminators ("?>", "-->", "]]>")
	b1    byte  //
	n     int   // bytes of "CDATA[" or "!--" matched
	dir   int   // angle-bracket nesting in a directive
	err   error // sticky
}

// NewReader returns a Reader over r that allows max levels of elements
// (max <= 0: MaxDepth).
func NewReader(r io.Reader, max int) *Reader {
	if max <= 0 {
		max = MaxDepth
	}
	return &Reader{r: r, max: max}
}

// Depth is the number of elements open in the bytes read so far.
func (x *Reader) Depth() int { return x.depth }

// Read reads from the input. When an element opens past the bound it
// returns the bytes before its '<' and ErrTooDeep.
func (x *Reader) Read(p []byte) (int, error) {
	if x.err != nil {
		return 0, x.err
	}
	n, err := x.r.Read(p)
	if i := x.scan(p[:n]); i >= 0 {
		x.err = fmt.Errorf("%w (more than %d levels)", ErrTooDeep, x.max)
		return i, x.err
	}
	return n, err
}

// scan follows the markup of b and returns the index of the '<' of the
// element that opens past the bound, or -1.
func (x *Reader) scan(b []byte) int {
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch x.state {
		case text:
			j := bytes.IndexByte(b[i:], '<')
			if j < 0 {
				return -1
			}
			i += j
			x.state = lt
		case lt:
			switch c {
			case '/':
				x.state = endTag
				x.depth--
			case '?':
				x.state, x.b0 = procInst, 0
			case '!':
				x.state = bang
			default:
				x.depth++
				if x.depth > x.max {
					return max(i-1, 0)
				}
				x.state, x.prev = startTag, 0
				i-- // c is the name's first byte (or '>'): read it in the tag
			}
		case startTag:
			switch {
			case c == '"' || c == '\'':
				x.state, x.quote = startQuote, c
			case c == '>':
				if x.prev == '/' {
					x.depth-- // <a/>
				}
				x.state = text
			}
			x.prev = c
		case startQuote:
			if c == x.quote {
				x.state, x.prev = startTag, c
			}
		case endTag:
			if c == '>' {
				x.state = text
			}
		case procInst:
			if x.b0 == '?' && c == '>' {
				x.state = text
			}
			x.b0 = c
		case bang:
			switch c {
			case '-':
				x.state = bangDash
			case '[':
				x.state, x.n = cdataOpen, 0
			default: // encoding/xml keeps this byte without looking at it
				x.state, x.quote, x.dir = directive, 0, 0
			}
		case bangDash:
			x.state, x.b0, x.b1 = comment, 0, 0 // "<!--" (encoding/xml refuses any other byte)
		case comment:
			if x.b0 == '-' && x.b1 == '-' {
				x.state = text // "-->" (encoding/xml refuses "--" before any other byte)
			}
			x.b0, x.b1 = x.b1, c
		case cdataOpen:
			x.n++
			if x.n == len("CDATA[") {
				x.state, x.b0, x.b1 = cdata, 0, 0
			}
		case cdata:
			if x.b0 == ']' && x.b1 == ']' && c == '>' {
				x.state = text
			}
			x.b0, x.b1 = x.b1, c
		case directive:
			x.directiveByte(c)
		case directiveLt:
			if c == "!--"[x.n] {
				x.n++
				if x.n == len("!--") {
					x.state, x.b0, x.b1 = dirComment, 0, 0
				}
				continue
			}
			// Not a comment: a nested '<', and c is read as usual.
			x.state = directive
			x.dir++
			x.directiveByte(c)
		case dirComment:
			if x.b0 == '-' && x.b1 == '-' && c == '>' {
				x.state = directive
			}
			x.b0, x.b1 = x.b1, c
		}
	}
	return -1
}

// directiveByte reads one byte of a directive as encoding/xml does:
// quoted angle brackets do not count, and comments inside are skipped.
func (x *Reader) directiveByte(c byte) {
	if x.quote == 0 && c == '>' && x.dir == 0 {
		x.state = text
		return
	}
	switch {
	case c == x.quote:
		x.quote = 0
	case x.quote != 0:
	case c == '\'' || c == '"':
		x.quote = c
	case c == '>':
		x.dir--
	case c == '<':
		x.state, x.n = directiveLt, 0
	}
}
