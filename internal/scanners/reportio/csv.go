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
	r      *csv.Reader
	file   string
	cols   map[string]int
	Header []string
	rec    []string
}

// NewCSVReader reads the header of a CSV report. An empty input gives a
// reader whose Next returns io.EOF at once.
func NewCSVReader(r io.Reader, file string) (*CSVReader, error) {
	return NewCSVReaderSep(r, file, ',')
}

// NewCSVReaderSep is NewCSVReader with another field separator.
func NewCSVReaderSep(r io.Reader, file string, sep rune) (*CSVReader, error) {
	br := bufio.NewReader(LimitReader(r))
	if bom, err := br.Peek(3); err == nil && bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
	}
	c := &CSVReader{r: csv.NewReader(br), file: file, cols: map[string]int{}}
	c.r.Comma = sep
	c.r.FieldsPerRecord = -1
	c.r.LazyQuotes = true
	c.r.ReuseRecord = true
	h, err := c.r.Read()
	if err == io.EOF {
		return c, nil
	}
	if err != nil {
		return nil, c.wrap(err)
	}
	c.Header = append([]string(nil), h...)
	for i, name := range c.Header {
		k := strings.ToLower(strings.TrimSpace(name))
		if _, dup := c.cols[k]; !dup {
			c.cols[k] = i
		}
	}
	return c, nil
}

func (c *CSVReader) wrap(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &ParseError{File: c.file, Line: pe.Line, Column: pe.Column, Offset: -1, Err: fmt.Errorf("invalid CSV: %w", pe.Err)}
	}
	return &ParseError{File: c.file, Offset: -1, Err: err}
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

// Next reads the next record; io.EOF at the end. Blank records are skipped.
func (c *CSVReader) Next() error {
	for {
		rec, err := c.r.Read()
		if err == io.EOF {
			return io.EOF
		}
		if err != nil {
			return c.wrap(err)
		}
		blank := true
		for _, f := range rec {
			if strings.TrimSpace(f) != "" {
				blank = false
				break
			}
		}
		if !blank {
			c.rec = rec
			return nil
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
