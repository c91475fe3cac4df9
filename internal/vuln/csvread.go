package vuln

import (
	"encoding/csv"
	"fmt"
	"io"
)

// ReadCSVRows reads the records of cr to the end, the first being line
// first of the file named name, and calls fn with each and its line. A
// malformed record is a ParseError naming the file and the line.
func ReadCSVRows(cr *csv.Reader, name string, first int, fn func(line int, row []string) error) error {
	for line := first; ; line++ {
		row, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return &ParseError{File: name, Field: fmt.Sprintf("line %d", line), Err: err}
		}
		if err := fn(line, row); err != nil {
			return err
		}
	}
}
