package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
)

// The output helpers every command prints with.

// writeJSON writes v as indented JSON (HTML characters escaped).
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// writeJSONUnescaped writes v as indented JSON with <, > and & kept as they are.
func writeJSONUnescaped(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// newTable returns the writer of a table on w, columns aligned on tabs,
// with its head written (see tableHead). Flush it.
func newTable(w io.Writer, header string, rows int, none string) *tabwriter.Writer {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	tableHead(tw, header, rows, none)
	return tw
}

// tableHead writes the header row of a table (column names separated by
// tabs) that has rows rows, or, when it has none, the line none ("no
// incidents") instead: an empty table is never a bare header.
func tableHead(w io.Writer, header string, rows int, none string) {
	if rows == 0 {
		fmt.Fprintln(w, none)
		return
	}
	fmt.Fprintln(w, header)
}

// wrote tells on stderr which file a command wrote its output to (-o FILE),
// with what it holds in brackets when detail is not empty and the command
// to run next when next is not empty:
//
//	wrote FILE (DETAIL); next: NEXT
//
// It says nothing when the output went to stdout, which carries the output
// itself.
func wrote(s *streams, file, detail, next string) {
	if toStdout(file) {
		return
	}
	msg := "wrote " + file
	if detail != "" {
		msg += " (" + detail + ")"
	}
	if next != "" {
		msg += "; next: " + next
	}
	fmt.Fprintln(s.err, msg)
}

// toStdout reports whether an -o FILE flag names standard output: it is
// not given, or "-".
func toStdout(file string) bool { return file == "" || file == "-" }

// writeTo runs write on -o FILE, or on stdout when file is "" or "-", and
// closes the file (its error counts).
func writeTo(s *streams, file string, write func(io.Writer) error) error {
	if toStdout(file) {
		return write(s.out)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	err = write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// writeWhole runs write into memory and writes what it wrote to -o FILE,
// or to stdout when file is "" or "-", only when it succeeded: a failure
// leaves no partial output.
func writeWhole(s *streams, file string, write func(io.Writer) error) error {
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return err
	}
	return writeOutput(s, file, buf.Bytes())
}

// writeOutput writes data to -o FILE, or to stdout when file is "" or "-".
func writeOutput(s *streams, file string, data []byte) error {
	if toStdout(file) {
		_, err := s.out.Write(data)
		return err
	}
	return os.WriteFile(file, data, 0o644)
}

// shorten cuts s to at most n runes, ending in an ellipsis when cut.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// truncate is shorten for a table cell: tabs, which would start a new
// column, become spaces.
func truncate(s string, n int) string {
	return shorten(strings.ReplaceAll(s, "\t", " "), n)
}
