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

// parseOptionalFile reads the file path names (at most limit bytes) and
// parses it with parse, which names the file in its errors; with no path
// (an optional flag not given) it is T's zero value.
func parseOptionalFile[T any](path string, limit int64, parse func(data []byte, name string) (T, error)) (T, error) {
	var zero T
	if path == "" {
		return zero, nil
	}
	data, err := readInput(path, limit)
	if err != nil {
		return zero, err
	}
	return parse(data, path)
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

// openArg opens the file a FILE argument names, or standard input for "-",
// which is then named stdinName; done closes what was opened.
func openArg(s *streams, path, stdinName string) (r io.Reader, name string, done func(), err error) {
	if path == "-" {
		return s.in, stdinName, func() {}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, "", nil, err
	}
	return f, path, func() { f.Close() }, nil
}
