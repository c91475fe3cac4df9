// Package reportio reads untrusted scanner report files for the format
// parsers: a hardened XML token reader (no DOCTYPE entities, bounded depth
// and size), a JSON token reader, a CSV reader addressed by header names,
// and ParseError, which names the file and the position of every failure.
package reportio

import (
	"errors"
	"fmt"
	"io"

	"github.com/rampart-security/rampart/internal/findings"
)

// Sentinel errors wrapped by ParseError.
var (
	// ErrNotReport: the input is not a report of the expected format.
	ErrNotReport = errors.New("not a report of this format")
	// ErrUnsafeXML: the XML declares entities or nests too deeply.
	ErrUnsafeXML = errors.New("unsafe XML rejected")
	// ErrSBOM: the input is an SBOM with no vulnerabilities, not a
	// scanner report; importing it as one would close every finding.
	ErrSBOM = errors.New("this is an SBOM: upload it to the release's SBOM")
	// ErrTooLarge: the input exceeds MaxReportBytes.
	ErrTooLarge = errors.New("report exceeds the size limit")
	// ErrIncompleteScan (findings.ErrIncompleteScan): the report says its
	// own scan failed, was stopped or did not finish, or it lists fewer
	// results than it says it has. A re-import closes what the report no
	// longer lists, so importing it as a complete scan would close
	// findings the scan never re-checked. A parser returns it after
	// emitting every finding it has: the import takes them as a partial
	// scan (findings.ScanImport.Partial), which closes nothing.
	ErrIncompleteScan = findings.ErrIncompleteScan
)

// Incomplete returns the error of a report that says its scan did not
// complete: why names what the report says (the field and its value).
// Build a ParseError around it with the position (dec.Errorf, or
// IncompleteAt for a JSON field).
func Incomplete(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrIncompleteScan, fmt.Sprintf(format, args...))
}

// IncompleteAt returns a ParseError wrapping Incomplete at a byte offset
// and field of file.
func IncompleteAt(file string, offset int64, field, format string, args ...any) error {
	return &ParseError{File: file, Offset: offset, Field: field, Err: Incomplete(format, args...)}
}

// MaxReportBytes bounds how much of one report is read (4 GiB).
const MaxReportBytes int64 = 4 << 30

// ParseError says what failed where: the file name and, when known, the
// line and column (XML, CSV) or byte offset (JSON), and the field.
type ParseError struct {
	File   string
	Line   int   // 1-based; 0 when unknown
	Column int   // 1-based; 0 when unknown
	Offset int64 // byte offset; -1 when unknown
	Field  string
	Err    error
}

func (e *ParseError) Error() string {
	pos := e.File
	switch {
	case e.Line > 0 && e.Column > 0:
		pos += fmt.Sprintf(":%d:%d", e.Line, e.Column)
	case e.Line > 0:
		pos += fmt.Sprintf(":%d", e.Line)
	case e.Offset >= 0:
		pos += fmt.Sprintf(": at byte %d", e.Offset)
	}
	if e.Field != "" {
		pos += ": " + e.Field
	}
	return pos + ": " + e.Err.Error()
}

func (e *ParseError) Unwrap() error { return e.Err }

// explain is the error of the decoders' Errorf: the message alone when err
// is nil, err alone when the message is empty, else "message: err"
// (wrapping err).
func explain(err error, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	switch {
	case err == nil:
		return errors.New(msg)
	case msg != "":
		return fmt.Errorf("%s: %w", msg, err)
	}
	return err
}

// NotReport returns a ParseError wrapping ErrNotReport, explaining why.
func NotReport(file string, offset int64, format string, args ...any) error {
	return &ParseError{File: file, Offset: offset, Err: fmt.Errorf("%w: %s", ErrNotReport, fmt.Sprintf(format, args...))}
}

// NotReportf returns an error wrapping ErrNotReport.
func NotReportf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrNotReport, fmt.Sprintf(format, args...))
}

// limited is io.LimitReader that fails instead of ending silently.
type limited struct {
	r io.Reader
	n int64
}

// LimitReader returns r bounded to MaxReportBytes; reading past the bound
// fails with ErrTooLarge.
func LimitReader(r io.Reader) io.Reader { return &limited{r: r, n: MaxReportBytes} }

func (l *limited) Read(p []byte) (int, error) {
	if l.n <= 0 {
		var one [1]byte
		if n, _ := l.r.Read(one[:]); n > 0 {
			return 0, ErrTooLarge
		}
		return 0, io.EOF
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}
