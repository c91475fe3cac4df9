package reportio

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// CSVReader reads a CSV report whose first record is a header; fields are
// then addressed by header name (case-insensitive).
type CSVReader struct {
	known   map[string]bool
	records int
	r       *csv.Reader
	q       *quoteTracker
	file    string
	cols    map[string]int
	Header  []string
	rec     []string
}

// NewCSVReader reads the header of a CSV report. An empty input gives a
// reader whose Next returns io.EOF at once.
func NewCSVReader(r io.Reader, file string) (*CSVReader, error) {
	return NewCSVReaderSep(r, file, ',')
}

// NewCSVReaderSep is NewCSVReader with another field separator.
func NewCSVReaderSep(r io.Reader, file string, sep rune) (*CSVReader, error) {
	q := &quoteTracker{r: Decode(LimitReader(r)), sep: byte(sep), state: qFieldStart}
	c := &CSVReader{r: csv.NewReader(bufio.NewReader(q)), q: q, file: file, cols: map[string]int{}}
	c.r.Comma = sep
	c.r.FieldsPerRecord = -1
	c.r.LazyQuotes = true
	c.r.ReuseRecord = true
	if err := c.readHeader(); err != nil {
		return nil, err
	}
	return c, nil
}

// readHeader makes the next non-blank record the header; at the end of
// the input (empty or blank: an empty report) the header is nil.
func (c *CSVReader) readHeader() error {
	c.Header, c.cols = nil, map[string]int{}
	for {
		rec, err := c.r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return c.wrap(err)
		}
		if !blankRecord(rec) {
			c.Header = append([]string(nil), rec...)
			break
		}
	}
	for i, name := range c.Header {
		k := strings.ToLower(strings.TrimSpace(name))
		if _, dup := c.cols[k]; !dup {
			c.cols[k] = i
		}
	}
	return nil
}

// SeekHeader reads past the lines a tool writes above its header (a
// report's title, date and summary, as Qualys's CSV reports do): while
// isHeader rejects the header, the next non-blank record becomes the
// header, for at most within records. It reports whether isHeader
// accepted one; if not, the header is the last record read (nil at the
// end of the input).
func (c *CSVReader) SeekHeader(within int, isHeader func() bool) (bool, error) {
	for i := 0; c.Header != nil; i++ {
		if isHeader() {
			return true, nil
		}
		if i == within {
			return false, nil
		}
		if err := c.readHeader(); err != nil {
			return false, err
		}
	}
	return false, nil
}

func (c *CSVReader) wrap(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &ParseError{File: c.file, Line: pe.Line, Column: pe.Column, Offset: -1, Err: fmt.Errorf("invalid CSV: %w", pe.Err)}
	}
	return &ParseError{File: c.file, Offset: -1, Err: err}
}

// LastColumns names the columns a tool writes last, so that a report
// with no findings whose header has no final line break can be told from
// one cut inside its header (which is otherwise rejected, as is one
// ending in an unquoted column not named here).
func (c *CSVReader) LastColumns(cols ...string) {
	if c.known == nil {
		c.known = map[string]bool{}
	}
	for _, k := range cols {
		c.known[strings.ToLower(k)] = true
	}
}

// Has reports whether the header has every one of cols.
func (c *CSVReader) Has(cols ...string) bool {
	for _, k := range cols {
		if _, ok := c.cols[strings.ToLower(k)]; !ok {
			return false
		}
	}
	return true
}

// HasAny reports whether the header has at least one of cols.
func (c *CSVReader) HasAny(cols ...string) bool {
	for _, k := range cols {
		if _, ok := c.cols[strings.ToLower(k)]; ok {
			return true
		}
	}
	return false
}

// Next reads the next record; io.EOF at the end. Blank records are
// skipped. A record whose number of fields differs from the header's, or
// a file that ends inside a quoted field, is an error naming the line: a
// cut-off export must never read as a complete one with fewer findings.
func (c *CSVReader) Next() error {
	for {
		rec, err := c.r.Read()
		if err == io.EOF {
			if c.q.state == qQuoted && !c.q.afterPair {
				return &ParseError{File: c.file, Line: c.q.line, Offset: -1,
					Err: errors.New("truncated CSV: the file ends inside a quoted field: the report is incomplete")}
			}
			if c.records == 0 && len(c.Header) > 0 && c.q.state != qNewline && c.q.state != qQuoteInQuoted {
				// A header with no line break and no record after it: a
				// cut inside the header line unless it ends in a column
				// this tool writes.
				last := strings.ToLower(strings.TrimSpace(c.Header[len(c.Header)-1]))
				if !c.known[last] {
					return &ParseError{File: c.file, Line: 1, Offset: -1,
						Err: fmt.Errorf("truncated CSV: the file ends inside its header line (last column %q): the report is incomplete; a report without findings must end its header with a line break", last)}
				}
			}
			return io.EOF
		}
		if err != nil {
			return c.wrap(err)
		}
		if !blankRecord(rec) {
			if len(c.Header) > 0 && len(rec) != len(c.Header) {
				line := c.Line()
				what := "the file is truncated or its rows do not match its header"
				if len(rec) < len(c.Header) && c.q.state != qNewline {
					what = "the last record is incomplete: the file is truncated"
				}
				return &ParseError{File: c.file, Line: line, Offset: -1,
					Err: fmt.Errorf("record has %d fields, the header has %d: %s", len(rec), len(c.Header), what)}
			}
			c.rec = rec
			c.records++
			return nil
		}
	}
}

// Each calls fn for every record after the header (read with Next) and
// returns nil at the end of the file, or the first error of Next or fn.
func (c *CSVReader) Each(fn func() error) error {
	for {
		err := c.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(); err != nil {
			return err
		}
	}
}

// Get returns the first non-empty field among the named columns, trimmed.
func (c *CSVReader) Get(cols ...string) string {
	for _, k := range cols {
		if i, ok := c.cols[strings.ToLower(k)]; ok && i < len(c.rec) {
			if v := strings.TrimSpace(c.rec[i]); v != "" {
				return v
			}
		}
	}
	return ""
}

// Line is the line of the current record.
func (c *CSVReader) Line() int {
	l, _ := c.r.FieldPos(0)
	return l
}

// Errorf returns a ParseError at the current record.
func (c *CSVReader) Errorf(field string, err error) error {
	return &ParseError{File: c.file, Line: c.Line(), Offset: -1, Field: field, Err: err}
}

// NotReportHeader returns the error for a header that lacks the columns
// of the format: ErrNotReport on line 1, at field when one column is
// missing, explained by the message formatted from format and args.
func (c *CSVReader) NotReportHeader(field, format string, args ...any) error {
	return &ParseError{File: c.file, Line: 1, Offset: -1, Field: field, Err: NotReportf(format, args...)}
}

// CSVHeader returns the lower-cased, trimmed fields of the first line of
// head, for detection.
func CSVHeader(head []byte) []string {
	b := bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	r := csv.NewReader(bytes.NewReader(b))
	r.LazyQuotes = true
	rec, err := r.Read()
	if err != nil {
		return nil
	}
	for i := range rec {
		rec[i] = strings.ToLower(strings.TrimSpace(rec[i]))
	}
	return rec
}

// HeaderHas reports whether header contains every one of cols
// (lower-case).
func HeaderHas(header []string, cols ...string) bool {
	for _, c := range cols {
		found := false
		for _, h := range header {
			if h == c {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// quoteTracker follows the quoting of the CSV bytes it passes on (with
// encoding/csv's lazy-quote rules) so that the end of the file can be told
// apart from a cut inside a quoted field, which encoding/csv accepts.
type quoteTracker struct {
	r     io.Reader
	sep   byte
	state int
	// afterPair: only white space follows a doubled quote in the open
	// quoted field: a writer that doubled the closing quote (seen in real
	// exports), read as closed rather than as a cut.
	afterPair bool
	line      int // line where the open quoted field started
	lines     int
}

const (
	qFieldStart = iota
	qNewline    // just after a line break (a record boundary)
	qUnquoted
	qQuoted
	qQuoteInQuoted
)

func (q *quoteTracker) Read(p []byte) (int, error) {
	n, err := q.r.Read(p)
	for _, c := range p[:n] {

		if c == '\n' {
			q.lines++
		}
		switch q.state {
		case qFieldStart, qNewline:
			switch c {
			case '"':
				q.state = qQuoted
				q.afterPair = false
				q.line = q.lines + 1
			case '\n':
				q.state = qNewline
			case q.sep, '\r':
				q.state = qFieldStart
			default:
				q.state = qUnquoted
			}
		case qUnquoted:
			switch c {
			case '\n':
				q.state = qNewline
			case q.sep:
				q.state = qFieldStart
			}
		case qQuoted:
			if c == '"' {
				q.state = qQuoteInQuoted
			} else if c != '\n' && c != '\r' && c != ' ' && c != '\t' {
				q.afterPair = false
			}
		case qQuoteInQuoted:
			switch c {
			case '"':
				q.state = qQuoted
				q.afterPair = true
			case '\n':
				q.state = qNewline
			case q.sep, '\r':
				q.state = qFieldStart
			default:
				q.state = qQuoted // lazy quotes: a bare quote inside a quoted field
			}
		}
	}
	return n, err
}

func blankRecord(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}
