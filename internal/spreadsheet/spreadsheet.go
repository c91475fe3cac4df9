// Package spreadsheet writes CSV that is safe to open in a spreadsheet.
// Every CSV file Rampart writes goes through Writer: cells hold scanner
// output, component names and user input, all attacker-controlled, and a
// cell a spreadsheet reads as a formula (=HYPERLINK(...), +cmd|...) runs
// when an analyst opens the export (CSV formula injection, CWE-1236).
package spreadsheet

import (
	"encoding/csv"
	"io"
	"strings"
	"unicode"
)

// Writer is an encoding/csv Writer that defuses every cell.
type Writer struct{ w *csv.Writer }

// NewWriter returns a Writer on w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: csv.NewWriter(w)} }

// Write writes one record, every cell defused.
func (w *Writer) Write(record []string) error {
	out := make([]string, len(record))
	for i, c := range record {
		out[i] = Defuse(c)
	}
	return w.w.Write(out)
}

// Flush writes buffered data and returns any error.
func (w *Writer) Flush() error {
	w.w.Flush()
	return w.w.Error()
}

// Defuse makes a cell inert: when its first non-blank character would
// start a formula (= + - @, a tab or carriage return, or their full-width
// forms), it is prefixed with a single quote, which spreadsheets show as
// text and do not evaluate (the OWASP recommendation).
func Defuse(cell string) string {
	trimmed := strings.TrimLeftFunc(cell, func(r rune) bool { return r == ' ' || r == '\u00a0' || r == '\u3000' })
	if trimmed == "" {
		if strings.ContainsAny(cell, "\t\r") {
			return "'" + cell
		}
		return cell
	}
	switch r := []rune(trimmed)[0]; r {
	case '=', '+', '-', '@', '\t', '\r', '\n', '＝', '＋', '－', '＠':
		return "'" + cell
	default:
		if unicode.IsControl(r) {
			return "'" + cell
		}
	}
	return cell
}
