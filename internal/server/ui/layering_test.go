package ui

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"testing"
)

// TestUIDoesNotImportAPI: the UI and the JSON API are two skins over the
// same services (docs/development.md); what both need lives in
// internal/server/web or a domain package, never in the other skin.
func TestUIDoesNotImportAPI(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no Go files: %v", err)
	}
	for _, f := range files {
		ast, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range ast.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); p == "github.com/rampart-security/rampart/internal/server/api" {
				t.Errorf("%s imports %s", f, p)
			}
		}
	}
}
