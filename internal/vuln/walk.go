package vuln

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// WalkFiles calls fn with path when it is a file, else with every file
// under the folder path (walked in lexical order, stopping when ctx is
// done) and inFolder true, so that fn can pass over the files a folder
// holds besides feeds. Failing to read path or the folder is an error
// prefixed with what ("osv: …").
func WalkFiles(ctx context.Context, path, what string, fn func(p string, inFolder bool) error) error {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if !st.IsDir() {
		return fn(path, false)
	}
	return filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if d.IsDir() {
			return nil
		}
		return fn(p, true)
	})
}
