package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
)

// The input helpers commands read files with.

// readInput reads a whole file, refusing files over limit bytes.
func readInput(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, limit)
	}
	return data, nil
}

// openInput returns a reader of data when it is not nil (a file already
// read), else of the file at path; done closes what was opened.
func openInput(path string, data []byte) (r io.Reader, done func(), err error) {
	if data != nil {
		return bytes.NewReader(data), func() {}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	return f, func() { f.Close() }, nil
}
