// Package scanners is the registry of scanner report formats: each format
// lives in its own sub-package with a Parse that streams canonical
// findings, and a cheap content-based Detect over the first kilobytes of a
// file. The registry is an explicit list (no init()); Detect picks the
// format of a report from its content, never its file name, and Parse runs
// it.
package scanners

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/scanners/reportio"
)

// HeadSize is how many leading bytes detection looks at: large enough
// that a report's identifying keys are found after long leading sections
// (Semgrep's "errors", gosec's sorted SARIF keys, Snyk's leading arrays);
// detection tokenizes this window once (reportio.Head) and every rule
// reads the keys found, wherever they sit.
const HeadSize = 4 << 20

// ErrUnknownFormat: no registered format recognises the content.
var ErrUnknownFormat = errors.New("unknown report format")

// ErrUnknownTool: the --tool name is not a registered format.
var ErrUnknownTool = errors.New("unknown tool")

// Format is one supported report format: its names, detection rule and
// parser. Each format package exports its own (burp.Format,
// nessus.FormatCSV, …); the type lives in reportio so that they can.
type Format = reportio.Format

// Formats returns every supported format in detection order: more
// specific rules come before more general ones.
func Formats() []Format { return formats() }

// Lookup returns the format named name (case-insensitive).
func Lookup(name string) (Format, bool) {
	for _, f := range formats() {
		if strings.EqualFold(f.Name, name) {
			return f, true
		}
		for _, a := range f.Aliases {
			if strings.EqualFold(a, name) {
				return f, true
			}
		}
	}
	return Format{}, false
}

// Names returns the names of every format.
func Names() []string {
	fs := formats()
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Name
	}
	return out
}

// Detect returns the first format whose rule matches head.
func Detect(head []byte) (Format, error) {
	h := reportio.NewHead(head)
	for _, f := range formats() {
		if f.Detect(h) {
			return f, nil
		}
	}
	return Format{}, ErrUnknownFormat
}

// Stream parses the report r (named name in errors) and streams its
// findings to emit. tool selects the format; empty means detect it from
// the content. It returns the format's name.
func Stream(r io.Reader, name, tool string, emit func(findings.Finding) error) (string, error) {
	br := bufio.NewReaderSize(r, HeadSize)
	f, err := Choose(br, name, tool)
	if err != nil {
		return "", err
	}
	if err := f.Parse(br, name, emit); err != nil {
		return f.Name, fmt.Errorf("%s report: %w", f.Name, err)
	}
	return f.Name, nil
}

// Choose returns the format named tool, or, when tool is empty, the format
// detected from the first HeadSize bytes of br (which are not consumed).
func Choose(br *bufio.Reader, name, tool string) (Format, error) {
	if tool != "" {
		f, ok := Lookup(tool)
		if !ok {
			return Format{}, fmt.Errorf("%s: %w %q (known: %s)", name, ErrUnknownTool, tool, strings.Join(Names(), ", "))
		}
		return f, nil
	}
	head, err := br.Peek(HeadSize)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return Format{}, fmt.Errorf("%s: reading: %w", name, err)
	}
	if len(bytes.TrimSpace(reportio.DecodeBOM(head))) == 0 {
		return Format{}, fmt.Errorf("%s: empty file: cannot detect the format; give the tool (--tool) to import it as an empty report (known: %s)", name, strings.Join(Names(), ", "))
	}
	f, err := Detect(head)
	if err != nil {
		return Format{}, fmt.Errorf("%s: %w; give the tool explicitly (known: %s)", name, err, strings.Join(Names(), ", "))
	}
	return f, nil
}

// Parse is Stream collecting the findings in a slice.
func Parse(r io.Reader, name, tool string) (string, []findings.Finding, error) {
	var out []findings.Finding
	format, err := Stream(r, name, tool, func(f findings.Finding) error {
		out = append(out, f)
		return nil
	})
	return format, out, err
}
