package threatmodel

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/rampart-security/rampart/internal/goldentest"
	"github.com/rampart-security/rampart/internal/sarif"
)

// TestWriteSARIFGolden checks a built-in template and a minimal model
// and compares the SARIF log with testdata/<name>.sarif: rules with their
// default level, results at the element's line and column with a logical
// location, suppressions for accepted threats. Regenerate with -update.
func TestWriteSARIFGolden(t *testing.T) {
	lib := mustLibrary(t)
	models := map[string]func(t *testing.T) *Model{
		"minimal": func(t *testing.T) *Model {
			m, err := LoadFile("testdata/minimal.yaml")
			if err != nil {
				t.Fatal(err)
			}
			return m
		},
		// The template with a recorded decision (an accepted threat).
		"medical-wearable": func(t *testing.T) *Model { return mustTemplate(t, "medical-wearable") },
	}
	for name, load := range models {
		t.Run(name, func(t *testing.T) {
			m := load(t)
			var buf bytes.Buffer
			if err := WriteSARIF(&buf, m, lib, lib.Check(m), "test"); err != nil {
				t.Fatal(err)
			}
			if err := sarif.Validate(buf.Bytes()); err != nil {
				t.Fatal(err)
			}
			goldentest.Compare(t, filepath.Join("testdata", name+".sarif"), buf.Bytes())
		})
	}
}
